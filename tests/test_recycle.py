"""The recycle loop: entry paths, due-date rules, the daily nudge and its buttons, automatic return."""

from __future__ import annotations

from datetime import date, timedelta

from bot.config import load_config
from bot.domain.recycle import churn_due_date, lost_due_date
from tests.conftest import FIXTURES
from tests.test_lead_flow import ENTERPRISE


def test_due_date_rules_fiscal_year_start():
    config = load_config(FIXTURES / "app.yaml")
    assert lost_due_date(config, "budget", date(2026, 11, 24)) == date(2027, 4, 1)
    assert lost_due_date(config, "budget", date(2027, 3, 31)) == date(2027, 4, 1)
    assert lost_due_date(config, "budget", date(2027, 4, 1)) == date(2028, 4, 1)
    assert lost_due_date(config, "timing", date(2026, 11, 24)) == date(2027, 2, 22)
    assert lost_due_date(config, "competitor", date(2026, 11, 24)) == date(2026, 11, 24) + timedelta(days=180)
    assert churn_due_date(config, date(2026, 11, 24)) == date(2027, 5, 23)


async def _rejected(harness, n=1, days="30"):
    ids = []
    for i in range(n):
        _, body = await harness.post("/api/leads", {**ENTERPRISE, "external_id": f"R-{i}", "email": f"r{i}@example.co.jp", "company": f"会社{i}"})
        await harness.deliver()
        await harness.click("tanaka", await harness.card(body["id"]), "mql_reject")
        view_id = harness.emu.open_views(harness.person("tanaka"))[-1]["id"]
        await harness.emu.submit_view(harness.person("tanaka"), view_id,
                                      {"reason": {"value": "no_interest_now"}, "note": {"value": "来期"}, "reapproach": {"value": days}})  # fmt: skip
        ids.append(body["id"])
    await harness.deliver()
    return ids


def _nudges(harness):
    return [m for m in harness.emu.messages if m["channel"] == "C0ENT" and "♻️" in m["text"] + str(m.get("blocks"))]


async def test_daily_nudge_once_grouped_capped_and_buttons_work(harness):
    ids = await _rejected(harness, 4)
    harness.clock.advance(timedelta(days=29))
    assert await harness.baton.scheduler.run_job("recycle_nudge") == 0  # due tomorrow, not today
    harness.clock.advance(timedelta(days=1))  # 2026-12-24, the re-approach date
    assert await harness.baton.scheduler.run_job("recycle_nudge") == 1
    assert await harness.baton.scheduler.run_job("recycle_nudge") == 0  # the same day again: nothing new
    await harness.restart()
    assert await harness.baton.scheduler.run_job("recycle_nudge") == 0
    await harness.deliver()
    nudges = _nudges(harness)
    assert len(nudges) == 1
    nudge = nudges[0]
    text = str(nudge["blocks"])
    assert "却下されたMQL" in text and "<@U0TANAKA>" in text and "今は関心なし" in text and "ほか 1 件" in text
    # Show all → the rest privately.
    await harness.click("suzuki", nudge, "recycle_show_more")
    assert any("会社3" in str(m.get("blocks")) for m in harness.emu.messages if m.get("ephemeral_user") == "U0SUZUKI")
    # Re-engage → MQL again, routed, count +1, returning, history in the new card's thread.
    first = next(b["block_id"] for b in nudge["blocks"] if b["type"] == "actions")
    await harness.click("suzuki", nudge, "recycle_reengage")  # the first item's button
    lead = await harness.lead(ids[0])
    assert lead["stage"] == "mql" and lead["owner"]  # routed again (round robin)
    card = await harness.card(ids[0], episode=1)
    assert "再来MQL" in str(card["blocks"])
    assert any("履歴" in m["text"] for m in harness.emu.thread(card["channel"], card["ts"]))
    assert any("再開" in m["text"] for m in harness.emu.thread("C0ENT", nudge["ts"]))
    # The item is decided: its buttons are gone from the nudge (nothing to press twice).
    now = harness.emu.get_message(nudge["channel"], nudge["ts"])
    assert [b["type"] for b in now["blocks"] if b.get("block_id") == first] == ["context"]


async def test_snooze_and_close_from_the_nudge(harness):
    ids = await _rejected(harness, 2)
    harness.clock.advance(timedelta(days=31))
    assert [(await harness.lead(i))["stage"] for i in ids] == ["recycled", "recycled"]
    assert await harness.baton.scheduler.run_job("recycle_nudge") == 1
    await harness.deliver()
    nudge = _nudges(harness)[0]
    blocks = [b for b in nudge["blocks"] if b["type"] == "actions"]
    first, second = (int(b["block_id"].split("_")[1]) for b in blocks[:2])
    await harness.emu.click(harness.person("tanaka"), nudge, "recycle_snooze", selected_option=f"{first}:60")
    await harness.deliver()
    from bot.models import Recycle
    async with harness.baton.ctx.sessions() as s:
        row = await s.get(Recycle, first)
        # 60 days from 2026-12-25 is 2027-02-23, a national holiday: the next working day instead
        assert row.state == "waiting" and row.snoozes == 1 and row.due_date == date(2026, 12, 25) + timedelta(days=61)
    assert (await harness.lead(ids[0]))["recycle_at"] == "2027-02-24"
    await harness.click("tanaka", nudge, "recycle_close")
    view = harness.emu.open_views(harness.person("tanaka"))[-1]
    assert view["view"]["callback_id"] == "recycle_close_modal"
    await harness.emu.submit_view(harness.person("tanaka"), view["id"], {"reason": {"value": "do_not_contact"}})
    await harness.deliver()
    async with harness.baton.ctx.sessions() as s:
        closed = [r for r in (await s.execute(__import__("sqlalchemy").select(Recycle))).scalars() if r.state == "closed"]
    assert len(closed) == 1 and closed[0].close_reason == "do_not_contact"
    assert (await harness.lead(closed[0].lead_id))["stage"] == "closed"
    assert closed[0].id == second  # the snoozed item lost its buttons: the first Close left is the second item's


async def test_recycled_lead_returns_by_itself_on_new_activity(harness):
    (lead_id,) = await _rejected(harness, 1)
    harness.clock.advance(timedelta(days=3))
    status, body = await harness.post(f"/api/leads/{lead_id}/activities", {"activities": [{"type": "demo_request"}]})
    assert status in (200, 201), body
    await harness.deliver()
    lead = await harness.lead(lead_id)
    assert lead["stage"] == "mql"
    card = await harness.card(lead_id, episode=1)
    assert "再来MQL" in str(card["blocks"])
    from bot.models import Recycle
    async with harness.baton.ctx.sessions() as s:
        row = (await s.execute(__import__("sqlalchemy").select(Recycle))).scalars().one()
    assert row.state == "re_engaged"


async def test_lost_deal_and_churn_enter_the_loop_with_a_lead(harness):
    from bot.domain import opportunities
    from bot.domain.events import StageChanged, record_transition
    from bot.models import Account, Lead, Recycle

    async with harness.baton.ctx.uow() as uow:
        opp = await opportunities.create(uow, name="大型案件", actor="kato", account_name="北海物産", owner_id="kato", team_id="fs")
        await opportunities.close(uow, opp, "lost", actor="kato", reason="budget")
        acc = Account(name="南国食品", csm_id="kato", created_at=uow.now(), updated_at=uow.now())
        uow.session.add(acc)
        await uow.session.flush()
        await record_transition(uow, "account", acc.id, "renewal", "churned", actor="kato", reason="low_usage")
    async with harness.baton.ctx.sessions() as s:
        rows = {r.entity_type: r for r in (await s.execute(__import__("sqlalchemy").select(Recycle))).scalars()}
        assert rows["opportunity"].due_date == date(2027, 4, 1) and rows["opportunity"].owner_id == "kato"
        assert rows["account"].due_date == date(2027, 5, 23) and rows["account"].reason == "low_usage"
        lead = await s.get(Lead, rows["opportunity"].lead_id)
        assert lead.company == "北海物産" and lead.stage == "recycled" and lead.team_id == "is_smb"
    assert StageChanged


async def test_recycle_metrics_by_source(harness):
    from datetime import datetime

    from bot.domain.recycle_metrics import reasons_by_source

    await _rejected(harness, 2)
    async with harness.baton.ctx.uow() as uow:
        rows = await reasons_by_source(uow, datetime(2026, 11, 1, tzinfo=harness.clock.now().tzinfo), harness.clock.now() + timedelta(days=1))
    assert [(r.source, r.campaign, r.path, r.reason, r.count) for r in rows] == [("web", "2026秋ウェビナー", "rejected", "no_interest_now", 2)]
