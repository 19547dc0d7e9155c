"""A deal from Slack after the hand-off: on its accepted card and in App Home the FS rep moves the
phase, edits the 7 items, closes it won (amount, date) or lost (reason → recycle rule); each an
event with who and when, the card updated in place."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from bot.models import Account, Opportunity, Recycle, StageEvent
from tests.conftest import T0
from tests.test_home import open_home
from tests.test_relay import _qualify, _sal


def buttons(message: dict) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def accepted_deal(harness) -> tuple[int, dict]:
    lead_id, followup = await _sal(harness)
    card = await _qualify(harness, lead_id, followup)
    await harness.click("kato", card, "handoff_accept")
    async with harness.baton.ctx.sessions() as s:
        opp = (await s.execute(select(Opportunity))).scalars().one()
    return opp.id, harness.emu.get_message(card["channel"], card["ts"])


async def test_from_the_accepted_card_move_the_phase_then_close_won(harness):
    opp_id, card = await accepted_deal(harness)
    assert buttons(card) == ["deal_edit", "deal_won", "deal_lost"]
    assert "フェーズ1" in json.dumps(card["blocks"], ensure_ascii=False)
    kato = harness.person("kato")
    # Update deal: phase 3, next action — the card shows it, in place.
    await harness.click("kato", card, "deal_edit")
    view = harness.emu.open_views(kato)[-1]
    await harness.emu.submit_view(kato, view["id"], {"phase": {"value": "3"}, "next_action": {"value": "PoC 報告会"},
                                                     "close_date": {"value": "2026-12-25"}})  # fmt: skip
    await harness.deliver()
    card = harness.emu.get_message(card["channel"], card["ts"])
    shown = json.dumps(card["blocks"], ensure_ascii=False)
    assert "フェーズ3" in shown and "PoC 報告会" in shown and "12月25日" in shown
    # Somebody else cannot close it.
    await harness.click("tanaka", card, "deal_won")
    assert harness.emu.open_views(harness.person("tanaka")) == []
    assert any("担当者かマネージャー" in t for t in harness.ephemerals("tanaka"))
    # Close won: the amount is required and the day may not be in the future; nothing changes on an error.
    await harness.click("kato", card, "deal_lost")  # a Close lost modal left open (decided later, too late)
    lost_view = harness.emu.open_views(kato)[-1]
    await harness.click("kato", card, "deal_won")
    view = harness.emu.open_views(kato)[-1]
    assert view["view"]["callback_id"] == "deal_won_modal"
    r = await harness.emu.submit_view(kato, view["id"], {"amount": {"value": "0"}, "close_date": {"value": "2026-11-30"}})
    assert set(r["body"]["errors"]) == {"amount", "close_date"}
    assert (await harness.get(f"/api/opportunities/{opp_id}"))[1]["status"] == "open"
    r = await harness.emu.submit_view(kato, view["id"], {"amount": {"value": "1,500万"}, "close_date": {"value": "2026-11-20"}})
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    _, deal = await harness.get(f"/api/opportunities/{opp_id}")
    assert (deal["status"], deal["amount"], deal["close_date"]) == ("won", "15000000.00", "2026-11-20")
    assert (deal["history"][-1]["to"], deal["history"][-1]["by"]) == ("won", "kato")
    assert deal["history"][-1]["at"].startswith("2026-11-24T01:00")  # when: the clock's now (10:00 JST)
    card = harness.emu.get_message(card["channel"], card["ts"])
    shown = json.dumps(card["blocks"], ensure_ascii=False)
    assert buttons(card) == [] and "受注" in shown and "1,500万円" in shown and "<@U0KATO>" in shown
    # The other modal, submitted now: told it is already won, nothing changes.
    await harness.emu.submit_view(kato, lost_view["id"], {"reason": {"value": "timing"}})
    await harness.deliver()
    assert any("すでに受注" in m["text"] for m in harness.emu.channel_messages(kato))
    assert (await harness.get(f"/api/opportunities/{opp_id}"))[1]["status"] == "won"


async def test_from_app_home_close_lost_goes_to_recycle_by_its_reason(harness):
    opp_id, _ = await accepted_deal(harness)
    rec = await open_home(harness, "kato")
    home = json.dumps(rec["view"]["blocks"], ensure_ascii=False)
    assert "deal_menu" in home
    kato = harness.person("kato")
    await harness.emu.click_view(kato, rec["id"], "deal_menu", selected_option=f"lost:{opp_id}")
    await harness.deliver()
    view = harness.emu.open_views(kato)[-1]
    assert view["view"]["callback_id"] == "deal_lost_modal"
    r = await harness.emu.submit_view(kato, view["id"], {"reason": {"value": "made_up"}, "note": {"value": "予算凍結"}})
    assert set(r["body"]["errors"]) == {"reason"}
    r = await harness.emu.submit_view(kato, view["id"], {"reason": {"value": "budget"}, "note": {"value": "予算凍結"}})
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    async with harness.baton.ctx.sessions() as s:
        opp = await s.get(Opportunity, opp_id)
        ev = (await s.execute(select(StageEvent).where(StageEvent.entity_type == "opportunity").order_by(StageEvent.id.desc()))).scalars().first()
        loop = (await s.execute(select(Recycle).where(Recycle.entity_type == "opportunity"))).scalars().one()
        accounts = (await s.execute(select(Account))).scalars().all()
    assert (opp.status, opp.lost_reason) == ("lost", "budget")
    assert (ev.to_stage, ev.actor, ev.reason, ev.note) == ("lost", "kato", "budget", "予算凍結")
    # budget → the start of the next fiscal year (April, the company default) after today (2026-11-24)
    assert (loop.reason, loop.due_date, loop.lead_id is not None) == ("budget", date(2027, 4, 1), True)
    assert accounts == []  # lost: no customer
    # The Home no longer lists it (refreshed, not re-opened).
    assert "deal_menu" not in json.dumps(harness.emu.home[kato]["view"]["blocks"])
