"""FS → CS: a won deal's customer is handed to Customer Success like an SQL to FS — a card in the CS
channel with the deal's items and notes, the CSM by rule, the one SLA engine (warning, breach → the
CS manager), Accept with a kickoff date starts onboarding. From Slack and from the CRM."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.domain import opportunities
from bot.models import Account, StageEvent
from tests.test_success_flow import actions, config_path, cs_posts  # noqa: F401  (the CS team's app.yaml)


async def won_deal(harness, **kw) -> int:
    async with harness.baton.ctx.uow() as uow:
        opp = await opportunities.create(uow, name="全社導入", actor="kato", account_name="大手製造株式会社", amount=6_000_000,
                                         owner_id="kato", team_id="fs", key_person="情報システム部長", competitors="X社",
                                         notes={"need": "営業管理の属人化"}, **kw)  # fmt: skip
        assert await opportunities.close(uow, opp, "won", actor="kato") == []
        opp_id = opp.id
    await harness.deliver()
    return opp_id


async def account_of(harness, opp_id: int) -> Account:
    async with harness.baton.ctx.sessions() as s:
        return (await s.execute(select(Account).where(Account.source_opportunity_id == opp_id))).scalars().one()


async def test_the_csm_accepts_from_the_card_with_a_kickoff_and_onboarding_starts(harness):
    acc = await account_of(harness, await won_deal(harness))
    (card,) = cs_posts(harness)
    shown = json.dumps(card["blocks"], ensure_ascii=False)
    for expected in ("全社導入", "600万円", "情報システム部長", "X社", "営業管理の属人化", "<@U0CSM>", "18:00"):  # SLA 8 business h
        assert expected in shown, expected
    assert acc.csm_id == "matsumoto" and acc.cs_stage == "handoff"
    # The AE cannot accept it for CS.
    await harness.click("kato", card, "cs_handoff_accept")
    assert harness.emu.open_views(harness.person("kato")) == []
    assert any("担当CSMかCSマネージャー" in t for t in harness.ephemerals("kato"))
    csm = harness.person("matsumoto")
    await harness.click("matsumoto", card, "cs_handoff_accept")
    view = harness.emu.open_views(csm)[-1]
    r = await harness.emu.submit_view(csm, view["id"], {"kickoff_on": {"value": "2026-11-20"}})  # in the past
    assert set(r["body"]["errors"]) == {"kickoff_on"}
    r = await harness.emu.submit_view(csm, view["id"], {"kickoff_on": {"value": "2026-12-01"}})
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    _, body = await harness.get(f"/api/accounts/{acc.id}")
    assert (body["cs_stage"], body["handoff_state"], body["kickoff_on"]) == ("onboarding", "accepted", "2026-12-01")
    card = harness.emu.get_message(card["channel"], card["ts"])
    assert actions(card) == ["upsell_handoff", "churn_mark"] and "<@U0CSM>" in json.dumps(card["blocks"])
    async with harness.baton.ctx.sessions() as s:
        ev = (await s.execute(select(StageEvent).where(StageEvent.entity_type == "account").order_by(StageEvent.id.desc()))).scalars().first()
    assert (ev.from_stage, ev.to_stage, ev.actor, ev.data["within_sla"], ev.data["kickoff_on"]) == ("handoff", "onboarding", "matsumoto", True, "2026-12-01")
    # The SLA stopped: nothing more later.
    await harness.advance(hours=24)
    assert harness.emu.thread("C0CS", card["ts"]) == [harness.emu.get_message("C0CS", card["ts"])]


async def test_an_unaccepted_handoff_warns_the_csm_then_escalates_to_the_cs_manager(harness):
    await won_deal(harness)
    (card,) = cs_posts(harness)
    await harness.advance(hours=7)  # 75% of 8 business hours (10:00 → 16:00): the warning
    replies = [m["text"] for m in harness.emu.thread("C0CS", card["ts"]) if m["ts"] != card["ts"]]
    assert len(replies) == 1 and "<@U0CSM>" in replies[0] and "<@U0CSMGR>" not in replies[0]
    await harness.advance(hours=20)  # past 18:00 + the next morning: breached
    replies = [m["text"] for m in harness.emu.thread("C0CS", card["ts"]) if m["ts"] != card["ts"]]
    assert len(replies) == 2 and "<@U0CSM>" in replies[1] and "<@U0CSMGR>" in replies[1]
    assert "SLA" in json.dumps(harness.emu.get_message("C0CS", card["ts"])["blocks"], ensure_ascii=False)


async def test_the_crm_accepts_the_handoff_through_the_api(harness):
    acc = await account_of(harness, await won_deal(harness))
    status, body = await harness.patch(f"/api/accounts/{acc.id}", {"external_id": "ACC-9", "cs_stage": "onboarding"})
    assert status == 422 and body["errors"][0]["field"] == "kickoff_on"  # accepting needs the kickoff date
    status, body = await harness.patch("/api/accounts/" + str(acc.id), {"external_id": "ACC-9", "kickoff_on": "2026-12-02"})
    assert status == 200 and (body["external_id"], body["cs_stage"], body["handoff_state"]) == ("ACC-9", "onboarding", "accepted")
    await harness.deliver()
    (card,) = cs_posts(harness)
    assert actions(harness.emu.get_message(card["channel"], card["ts"])) == ["upsell_handoff", "churn_mark"]
