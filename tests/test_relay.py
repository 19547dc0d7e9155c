"""SAL → Qualify (BANT) → SQL + phase-1 opportunity → FS hand-off (Accept / Send back), Disqualify."""

from __future__ import annotations

from tests.test_lead_flow import ENTERPRISE


async def _sal(harness):
    _, body = await harness.post("/api/leads", ENTERPRISE)
    await harness.deliver()
    await harness.click("tanaka", await harness.card(body["id"]), "mql_accept")
    card = await harness.card(body["id"])
    assert not any(b["type"] == "actions" for b in card["blocks"])  # the accepted card: an SAL menu, not buttons
    return body["id"], card


async def _menu(harness, person, card, choice):
    await harness.emu.click(harness.person(person), card, "sal_menu", selected_option=f"{choice}:{card['blocks'][-1]['accessory']['options'][0]['value'].split(':')[1]}")
    await harness.deliver()


async def _qualify(harness, lead_id, followup):
    await _menu(harness, "tanaka", followup, "qualify")
    view = harness.emu.open_views(harness.person("tanaka"))[-1]
    assert view["view"]["callback_id"] == "sal_qualify_modal"
    r = await harness.emu.submit_view(harness.person("tanaka"), view["id"], {"need": {"value": "x"}, "amount": {"value": "abc"}})
    assert r["body"]["response_action"] == "errors" and set(r["body"]["errors"]) == {"amount"}
    assert (await harness.lead(lead_id))["stage"] == "sal"
    r = await harness.emu.submit_view(harness.person("tanaka"), view["id"], {
        "budget": {"value": "来期予算 2000万"}, "authority": {"value": "情報システム部長"},
        "need": {"value": "営業管理の属人化"}, "timing": {"value": "2027年4月"}, "amount": {"value": "1200万"},
    })  # fmt: skip
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    return [m for m in harness.emu.messages if m["channel"] == "C0FS" and not m.get("ephemeral_user")][-1]


async def test_qualify_hands_off_to_fs_and_accept_links_the_chain(harness):
    lead_id, followup = await _sal(harness)
    card = await _qualify(harness, lead_id, followup)
    lead = await harness.lead(lead_id)
    assert lead["stage"] == "sql"
    text = str(card["blocks"])
    for expected in ("<@U0KATO>", "<@U0TANAKA>", "営業管理の属人化", "1,200万円", "12:00"):  # SLA 2h from 10:00 JST
        assert expected in text, expected
    # Someone else cannot accept it.
    await harness.click("tanaka", card, "handoff_accept")
    assert any("FS" in t for t in harness.ephemerals("tanaka"))
    await harness.click("kato", card, "handoff_accept")
    lead = await harness.lead(lead_id)
    assert [h["to"] for h in lead["history"]][-3:] == ["sal", "sql", "opportunity"]
    card = harness.emu.get_message(card["channel"], card["ts"])
    # The hand-off's own buttons are gone; the card now carries the deal (Update / Close won / Close lost).
    ids = [e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["deal_edit", "deal_won", "deal_lost"] and "受領" in card["text"]
    from bot.models import Opportunity
    async with harness.baton.ctx.sessions() as s:
        opp = (await s.execute(__import__("sqlalchemy").select(Opportunity))).scalars().one()
    assert (opp.source_lead_id, opp.owner_id, opp.phase, opp.handoff_state) == (lead_id, "kato", 1, "accepted")
    assert opp.notes["need"] == "営業管理の属人化" and int(opp.amount) == 12_000_000
    # The hand-off SLA stopped: no breach later.
    await harness.advance(hours=5)
    assert not any("SLA" in m["text"] for m in harness.emu.thread("C0FS", card["ts"]) if m["ts"] != card["ts"])


async def test_handoff_sla_breach_is_announced(harness):
    lead_id, followup = await _sal(harness)
    card = await _qualify(harness, lead_id, followup)
    await harness.advance(hours=3)
    replies = [m["text"] for m in harness.emu.thread("C0FS", card["ts"]) if m["ts"] != card["ts"]]
    assert any("<@U0KATO>" in t and "SLA" in t for t in replies)


async def test_send_back_returns_the_lead_to_the_is_owner(harness):
    lead_id, followup = await _sal(harness)
    card = await _qualify(harness, lead_id, followup)
    await harness.click("kato", card, "handoff_send_back")
    view = harness.emu.open_views(harness.person("kato"))[-1]
    r = await harness.emu.submit_view(harness.person("kato"), view["id"], {"reason": {"value": "missing_info"}, "note": {"value": "  "}})
    assert "note" in r["body"]["errors"]
    await harness.emu.submit_view(harness.person("kato"), view["id"], {"reason": {"value": "missing_info"}, "note": {"value": "決裁者不明"}})
    await harness.deliver()
    lead = await harness.lead(lead_id)
    assert lead["stage"] == "sal" and lead["history"][-1]["reason"] == "missing_info"
    assert "sal_menu" in str((await harness.card(lead_id))["blocks"])  # the SAL menu is back on the card
    thread = harness.emu.thread("C0ENT", (await harness.card(lead_id))["ts"])
    assert any("<@U0TANAKA>" in m["text"] and "決裁者不明" in m["text"] for m in thread)


async def test_disqualify_recycles_with_date(harness):
    lead_id, followup = await _sal(harness)
    await _menu(harness, "tanaka", followup, "disqualify")
    view = harness.emu.open_views(harness.person("tanaka"))[-1]
    await harness.emu.submit_view(harness.person("tanaka"), view["id"], {"reason": {"value": "no_interest_now"}, "reapproach": {"value": "30"}})
    await harness.deliver()
    lead = await harness.lead(lead_id)
    assert lead["stage"] == "recycled" and lead["recycle_at"] == "2026-12-24"
    card = await harness.card(lead_id)
    assert "accessory" not in str(card["blocks"])  # the SAL menu is gone
    assert any("不適格" in m["text"] and "<@U0TANAKA>" in m["text"] for m in harness.emu.thread("C0ENT", card["ts"]))


async def test_an_idle_sal_gets_one_reminder_per_period_in_its_card_thread_until_it_moves(harness):
    from datetime import timedelta

    lead_id, card = await _sal(harness)

    async def reminders() -> list[str]:
        await harness.baton.scheduler.run_job("sal_reminder")
        await harness.deliver()
        return [m["text"] for m in harness.emu.thread(card["channel"], card["ts"]) if "進んでいません" in m["text"]]

    harness.clock.advance(timedelta(days=4, hours=23))
    assert await reminders() == []  # not yet 5 days
    harness.clock.advance(timedelta(hours=1))
    assert len(await reminders()) == 1
    assert "<@U0TANAKA>" in (await reminders())[0] and "5 日間" in (await reminders())[0]
    assert len(await reminders()) == 1  # the same day again: nothing new
    harness.clock.advance(timedelta(days=5))
    assert len(await reminders()) == 2  # another period idle: one more
    await _qualify(harness, lead_id, card)  # it moves on (SQL): no more reminders
    harness.clock.advance(timedelta(days=10))
    assert len(await reminders()) == 2
