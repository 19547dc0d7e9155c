"""The whole relay, twice: a lead goes MQL → SAL → SQL → hand-off → phases 1..5 → won → CS hand-off
accepted → onboarding entirely from Slack (emulator clicks and modals), and again entirely from
CRM-side API calls — one deal each time, never two; a lost deal goes round the loop by its rule.
Expectations come from the raw facts (stage events, rows), not from bot.domain."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from bot.models import Account, Opportunity, Recycle, StageEvent
from tests.conftest import T0
from tests.test_lead_flow import ENTERPRISE
from tests.test_relay import _qualify, _sal
from tests.test_success_flow import actions, config_path, cs_posts  # noqa: F401  (the CS team's app.yaml)


async def chain(harness, entity_type: str, entity_id: int) -> list[tuple[str | None, str, str]]:
    async with harness.baton.ctx.sessions() as s:
        rows = (await s.execute(select(StageEvent).where(StageEvent.entity_type == entity_type, StageEvent.entity_id == entity_id)
                                .order_by(StageEvent.id))).scalars().all()  # fmt: skip
    return [(e.from_stage, e.to_stage, e.actor) for e in rows]


async def count(harness, model) -> int:
    async with harness.baton.ctx.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)))


async def test_the_whole_relay_from_slack(harness):
    lead_id, followup = await _sal(harness)  # MQL card → Accept (tanaka)
    card = await _qualify(harness, lead_id, followup)  # Qualify (BANT) → SQL + the hand-off card in FS
    await harness.click("kato", card, "handoff_accept")
    card = harness.emu.get_message(card["channel"], card["ts"])
    kato = harness.person("kato")
    async with harness.baton.ctx.sessions() as s:
        (opp_id,) = (await s.execute(select(Opportunity.id))).scalars().all()
    for phase in (2, 3, 4, 5):  # the phases, each from the deal's card
        await harness.click("kato", card, "deal_edit")
        view = harness.emu.open_views(kato)[-1]
        await harness.emu.submit_view(kato, view["id"], {"phase": {"value": str(phase)}, "close_date": {"value": "2026-12-18"}})
        await harness.deliver()
        card = harness.emu.get_message(card["channel"], card["ts"])
        assert f"フェーズ{phase}" in str(card["blocks"])
    await harness.click("kato", card, "deal_won")
    view = harness.emu.open_views(kato)[-1]
    await harness.emu.submit_view(kato, view["id"], {"amount": {"value": "1800万"}})
    await harness.deliver()
    (cs_card,) = cs_posts(harness)  # the customer handed to CS, the CSM by round robin
    assert "<@U0CSM>" in cs_card["text"] and actions(cs_card) == ["cs_handoff_accept"]
    await harness.click("matsumoto", cs_card, "cs_handoff_accept")
    csm = harness.person("matsumoto")
    view = harness.emu.open_views(csm)[-1]
    await harness.emu.submit_view(csm, view["id"], {"kickoff_on": {"value": "2026-12-03"}})
    await harness.deliver()

    assert [(f, t, a) for f, t, a in await chain(harness, "lead", lead_id)][-4:] == [
        ("lead", "mql", "api"), ("mql", "sal", "tanaka"), ("sal", "sql", "tanaka"), ("sql", "opportunity", "kato")]
    assert await chain(harness, "opportunity", opp_id) == [
        (None, "phase_1", "tanaka"), ("phase_1", "phase_2", "kato"), ("phase_2", "phase_3", "kato"),
        ("phase_3", "phase_4", "kato"), ("phase_4", "phase_5", "kato"), ("phase_5", "won", "kato")]
    async with harness.baton.ctx.sessions() as s:
        acc = (await s.execute(select(Account))).scalars().one()
        opp = await s.get(Opportunity, opp_id)
    assert (opp.status, int(opp.amount), opp.close_date, opp.source_lead_id) == ("won", 18_000_000, T0.date(), lead_id)
    assert await chain(harness, "account", acc.id) == [(None, "handoff", "kato"), ("handoff", "onboarding", "matsumoto")]
    assert (acc.cs_stage, acc.csm_id, acc.kickoff_on, int(acc.arr)) == ("onboarding", "matsumoto", date(2026, 12, 3), 18_000_000)
    assert await count(harness, Opportunity) == 1


async def test_the_whole_relay_from_the_crm(harness):
    _, lead = await harness.post("/api/leads", ENTERPRISE)
    ref = "/api/leads/ext:" + ENTERPRISE["external_id"]
    assert lead["stage"] == "mql"
    # IS accepts and qualifies in the CRM; the CRM tells Baton who did it (same rules as the buttons).
    assert (await harness.post(ref + "/stage", {"stage": "sal", "by": "ito"}))[0] == 403  # another IS team
    assert (await harness.post(ref + "/stage", {"stage": "sal"}))[0] == 422  # who decided is required
    status, body = await harness.post(ref + "/stage", {"stage": "sal", "by": "U0TANAKA"})  # a Slack id works too
    assert status == 200 and (body["stage"], body["accepted_by"]) == ("sal", "tanaka")
    assert (await harness.post(ref + "/stage", {"stage": "sal", "by": "tanaka"}))[0] == 409  # already an SAL
    assert (await harness.post(ref + "/stage", {"stage": "sql", "by": "kato", "need": "x"}))[0] == 403  # not the SAL's owner
    status, body = await harness.post(ref + "/stage", {"stage": "sql", "by": "tanaka"})
    assert status == 422 and body["errors"][0]["field"] == "need"  # the BANT need, as in the modal
    status, body = await harness.post(ref + "/stage", {"stage": "sql", "by": "tanaka", "need": "営業管理の属人化",
                                                       "amount": "1200万", "authority": "情報システム部長"})  # fmt: skip
    assert status == 200 and body["stage"] == "sql"
    # The CRM creates its opportunity for the lead: Baton links it to its hand-off deal — one deal.
    status, deal = await harness.post("/api/opportunities", {"external_id": "SF-OPP-1", "source_lead_id": lead["id"], "name": "大手製造 全社導入"})
    assert status == 200 and not deal["created"]
    status, body = await harness.post(ref + "/stage", {"stage": "opportunity", "by": "kato"})
    assert status == 200 and body["stage"] == "opportunity"
    for phase in (2, 3, 4, 5):
        status, body = await harness.patch("/api/opportunities/SF-OPP-1", {"phase": phase, "close_date": "2026-12-18"})
        assert status == 200 and body["stage"] == f"phase_{phase}"
    status, body = await harness.patch("/api/opportunities/SF-OPP-1", {"status": "won", "amount": 18_000_000})
    assert status == 200 and body["stage"] == "won"
    await harness.deliver()
    async with harness.baton.ctx.sessions() as s:
        acc = (await s.execute(select(Account))).scalars().one()
    status, body = await harness.patch(f"/api/accounts/{acc.id}", {"external_id": "SF-ACC-1", "kickoff_on": "2026-12-03"})
    assert status == 200 and (body["cs_stage"], body["handoff_state"], body["kickoff_on"]) == ("onboarding", "accepted", "2026-12-03")
    assert await count(harness, Opportunity) == 1
    assert [t for _, t, _ in await chain(harness, "opportunity", deal["id"])] == ["phase_1", "phase_2", "phase_3", "phase_4", "phase_5", "won"]
    assert [t for _, t, _ in await chain(harness, "account", acc.id)] == ["handoff", "onboarding"]
    # Slack shows what the CRM did: the deal's card says won, the CS card accepted.
    await harness.deliver()
    fs = [m for m in harness.emu.channel_messages("C0FS") if not m.get("ephemeral_user")][-1]
    assert "受注" in str(fs["blocks"]) and actions(fs) == []
    assert actions(cs_posts(harness)[0]) == ["upsell_handoff", "churn_mark"]


async def test_a_lost_deal_goes_round_the_loop_by_its_rule(harness):
    _, lead = await harness.post("/api/leads", ENTERPRISE)
    ref = f"/api/leads/{lead['id']}/stage"
    assert (await harness.post(ref, {"stage": "sal", "by": "tanaka"}))[0] == 200
    assert (await harness.post(ref, {"stage": "sql", "by": "tanaka", "need": "x"}))[0] == 200
    assert (await harness.post(ref, {"stage": "opportunity", "by": "kato"}))[0] == 200
    async with harness.baton.ctx.sessions() as s:
        (opp_id,) = (await s.execute(select(Opportunity.id))).scalars().all()
    status, body = await harness.patch(f"/api/opportunities/{opp_id}", {"status": "lost", "lost_reason": "competitor"})
    assert status == 200
    async with harness.baton.ctx.sessions() as s:
        loop = (await s.execute(select(Recycle))).scalars().one()
    # app.yaml relay.lost_rules: competitor → 180 days; the lead that re-engages is the deal's own lead
    assert (loop.entity_type, loop.reason, loop.due_date, loop.lead_id) == ("opportunity", "competitor", T0.date() + timedelta(days=180), lead["id"])
    assert await count(harness, Account) == 0
