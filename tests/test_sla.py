"""SLA timers on the MQL hand-off: warning, breach + escalation DM, reassignment, away reps,
exactly-once firing across restarts, and the compliance figures (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import routing, sla_metrics
from bot.domain.mql import accept_mql, reject_mql
from bot.slack.blockkit import validate_message
from tests.conftest import FIXTURES, T0

ENTERPRISE = {
    "external_id": "SFDC-001", "email": "yamada@example.co.jp", "name": "山田 太郎", "company": "大手製造株式会社",
    "title": "情報システム部長", "employees": 2000, "source": "web",
    "activities": [{"type": "demo_request", "at": "2026-11-24T09:55:00+09:00"}],
}  # fmt: skip  (demo request: 30 min SLA, round robin in IS Enterprise)
SMB = {"external_id": "SMB-1", "email": "a@small.example", "name": "Ann", "company": "Small KK", "employees": 20,
       "source": "web", "mql": True}  # fmt: skip  (claim mode in IS SMB, en, standard 4 h)


def enterprise(n: int, **kw) -> dict:
    return {**ENTERPRISE, "external_id": f"SFDC-{n:03d}", "email": f"p{n}@example.co.jp", **kw}


@pytest.fixture
def config_path(request, tmp_path):
    """The test team; `indirect` param "reassign" turns on reassignment 30 min after a breach."""
    base = FIXTURES / "app.yaml"
    if getattr(request, "param", None) != "reassign":
        return base
    text = base.read_text(encoding="utf-8").replace("    warn_at: 0.75\n", "    warn_at: 0.75\n    reassign_after_breach: 30m\n")
    assert "reassign_after_breach" in text
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def posts(harness) -> list[dict]:
    return [m for m in harness.emu.messages if not m.get("ephemeral_user")]


def replies(harness, card) -> list[dict]:
    return [m for m in harness.emu.thread(card["channel"], card["thread_ts"] or card["ts"]) if m["ts"] != card["ts"]]


def dms(harness, person_id: str) -> list[dict]:
    return harness.emu.channel_messages(harness.person(person_id), include_threads=True)


def actions(message) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def new_lead(harness, payload) -> int:
    status, body = await harness.post("/api/leads", payload)
    assert status == 201, body
    await harness.deliver()
    return body["id"]


async def test_warning_updates_card_and_mentions_the_assignee_in_its_thread(harness):
    lead_id = await new_lead(harness, ENTERPRISE)  # due 10:30, warning at 10:22:30
    assert await harness.advance(minutes=22) == 0
    assert await harness.advance(minutes=1) == 1
    card = await harness.card(lead_id)
    assert validate_message(card["text"], card["blocks"]) == []
    assert "⚠️" in str(card["blocks"]) and "残り 7分" in str(card["blocks"]) and "10:30" in str(card["blocks"])
    assert actions(card) == ["mql_accept", "mql_reject"]  # still decidable
    (reply,) = replies(harness, card)
    assert "<@U0TANAKA>" in reply["text"] and "<@U0MGR>" not in reply["text"]
    assert dms(harness, "sato") == []


async def test_breach_escalates_to_the_manager_who_accepts_from_the_dm(harness):
    lead_id = await new_lead(harness, ENTERPRISE)
    await harness.advance(minutes=23)  # warning
    assert await harness.advance(minutes=8) == 1  # breach
    card = await harness.card(lead_id)
    assert "🔴" in card["text"] and "SLA超過" in str(card["blocks"])
    warning, breach = replies(harness, card)
    assert "<@U0TANAKA>" in breach["text"] and "<@U0MGR>" in breach["text"] and "SLA超過" in breach["text"]
    (dm,) = dms(harness, "sato")
    assert validate_message(dm["text"], dm["blocks"]) == []
    assert "大手製造株式会社" in str(dm["blocks"]) and "<@U0TANAKA>" in str(dm["blocks"])
    assert actions(dm) == ["mql_accept", "mql_reject"]

    harness.clock.advance(minutes=4)
    result = await harness.click("sato", dm, "mql_accept")
    assert result["status"] == 200
    lead = await harness.lead(lead_id)
    assert lead["stage"] == "sal" and lead["owner"] == "sato"
    last = lead["history"][-1]
    assert last["data"]["within_sla"] is False and last["data"]["response_business_seconds"] == 35 * 60
    card = await harness.card(lead_id)
    assert actions(card) == [] and "<@U0MGR>" in card["text"] and "承認" in card["text"]  # the decided render wins
    assert "SLA超過" in card["text"]  # as part of the decision line ("…, SLA超過)")
    dm = harness.emu.get_message(dm["channel"], dm["ts"])
    assert actions(dm) == [] and "<@U0MGR>" in dm["text"]
    # Nothing more fires for a decided lead.
    assert await harness.advance(hours=5) == 0


async def test_claim_mode_warns_the_team_without_a_single_mention(harness):
    lead_id = await new_lead(harness, SMB)  # IS SMB, English, standard 4 h: warning 13:00, due 14:00
    await harness.advance(hours=3, minutes=1)
    card = await harness.card(lead_id)
    assert "left" in str(card["blocks"])
    (warning,) = replies(harness, card)
    assert "<@" not in warning["text"] and "Team" in warning["text"]
    await harness.advance(hours=1)
    _, breach = replies(harness, card)
    assert "<@U0MGR>" in breach["text"] and "SLA missed" in breach["text"]
    (dm,) = dms(harness, "sato")
    assert "unassigned" in str(dm["blocks"]) or "未割当" in str(dm["blocks"])


@pytest.mark.parametrize("config_path", ["reassign"], indirect=True)
async def test_reassignment_after_breach_moves_the_lead_and_restarts_the_clock(harness):
    lead_id = await new_lead(harness, ENTERPRISE)  # tanaka, due 10:30
    await harness.advance(minutes=31)
    assert (await harness.lead(lead_id))["assignee"] == "tanaka"
    await harness.advance(minutes=30)  # 11:01: breach + 30 min → next in the rotation (takahashi is away)
    lead = await harness.lead(lead_id)
    assert lead["stage"] == "mql" and lead["assignee"] == "suzuki"
    moved = lead["history"][-1]
    assert (moved["from"], moved["to"], moved["reason"]) == ("mql", "mql", "reassigned")
    assert moved["data"]["from"] == "tanaka" and moved["data"]["to"] == "suzuki" and moved["data"]["why"] == "sla_breach"
    card = await harness.card(lead_id)
    assert "<@U0SUZUKI>" in str(card["blocks"]) and "11:31" in str(card["blocks"]) and "SLA超過" not in str(card["blocks"])
    handover = replies(harness, card)[-1]
    assert "<@U0TANAKA>" in handover["text"] and "<@U0SUZUKI>" in handover["text"]
    (dm,) = dms(harness, "suzuki")
    assert actions(dm) == ["mql_accept", "mql_reject"]
    # The new owner's clock: a warning to suzuki at 11:23:30, not to tanaka.
    await harness.advance(minutes=23)
    assert "<@U0SUZUKI>" in replies(harness, card)[-1]["text"]
    await harness.click("suzuki", dm, "mql_accept")
    lead = await harness.lead(lead_id)
    assert lead["stage"] == "sal" and lead["owner"] == "suzuki"
    assert lead["history"][-1]["data"]["within_sla"] is True  # within the new owner's clock
    await harness.deliver()
    dm = harness.emu.get_message(dm["channel"], dm["ts"])
    assert actions(dm) == [] and "<@U0SUZUKI>" in dm["text"]  # the hand-over DM keeps its summary, loses its buttons


async def test_away_rep_gets_no_new_mqls_and_their_open_ones_move_on(harness):
    first = await new_lead(harness, enterprise(1))
    second = await new_lead(harness, enterprise(2))
    assert [(await harness.lead(i))["assignee"] for i in (first, second)] == ["tanaka", "suzuki"]
    async with harness.baton.ctx.uow() as uow:
        moved = await routing.set_away(uow, "tanaka", T0 + timedelta(days=1), actor="tanaka")
    assert moved == [first]
    await harness.deliver()
    lead = await harness.lead(first)
    assert lead["assignee"] == "suzuki"
    assert lead["history"][-1]["data"] == {**lead["history"][-1]["data"], "from": "tanaka", "to": "suzuki", "why": "away"}
    card = await harness.card(first)
    assert "<@U0TANAKA>" in replies(harness, card)[-1]["text"] and "<@U0SUZUKI>" in replies(harness, card)[-1]["text"]
    assert len(dms(harness, "suzuki")) == 1
    # New MQLs skip her while she is away …
    third = await new_lead(harness, enterprise(3))
    assert (await harness.lead(third))["assignee"] == "suzuki"
    # … and reach her again once she is back.
    async with harness.baton.ctx.uow() as uow:
        await routing.set_back(uow, "tanaka")
    fourth = await new_lead(harness, enterprise(4))
    assert (await harness.lead(fourth))["assignee"] == "tanaka"


async def test_away_until_passes(harness):
    async with harness.baton.ctx.uow() as uow:
        await routing.set_away(uow, "tanaka", T0 + timedelta(hours=1))
    assert (await harness.lead(await new_lead(harness, enterprise(1))))["assignee"] == "suzuki"
    harness.clock.advance(hours=2)
    assert (await harness.lead(await new_lead(harness, enterprise(2))))["assignee"] == "tanaka"


async def test_missed_timers_fire_exactly_once_after_a_restart(harness):
    demo = await new_lead(harness, enterprise(1))  # warning 10:22:30, due 10:30
    standard = await new_lead(harness, enterprise(2, activities=[], mql=True))  # warning 13:00, due 14:00
    before = len(posts(harness))
    await harness.restart()
    harness.clock.advance(hours=3, minutes=30)  # down through both of demo's and standard's warning
    assert await harness.baton.scheduler.run_due() == 3
    await harness.deliver()
    demo_card, standard_card = await harness.card(demo), await harness.card(standard)
    # demo: its late warning says nothing (the breach does); one breach reply, one DM. standard: one
    # warning in the thread and one to its owner (SLA warning DMs are on by default).
    assert len(replies(harness, demo_card)) == 1 and "SLA超過" in replies(harness, demo_card)[0]["text"]
    assert len(replies(harness, standard_card)) == 1 and "残り" in replies(harness, standard_card)[0]["text"]
    assert len(dms(harness, "sato")) == 1
    owner = (await harness.lead(standard))["assignee"]
    assert [m for m in dms(harness, owner) if "SLA" in m["text"]] != []
    assert len(posts(harness)) == before + 4
    assert len(demo_card["edits"]) == 1 and len(standard_card["edits"]) == 1
    assert await harness.baton.scheduler.run_due() == 0
    await harness.restart()
    assert await harness.baton.scheduler.run_due() == 0
    await harness.deliver()
    assert len(posts(harness)) == before + 4


async def test_compliance_figures(harness):
    leads = [
        await new_lead(harness, enterprise(1)),  # tanaka
        await new_lead(harness, enterprise(2)),  # suzuki
        await new_lead(harness, enterprise(3, source="event")),  # tanaka (takahashi is away)
        await new_lead(harness, SMB),  # claim
    ]
    config = harness.config
    for minutes, lead_id, who, decide in (
        (10, leads[0], "tanaka", "accept"),
        (10, leads[1], "suzuki", "accept"),
        (20, leads[2], "tanaka", "accept"),  # at 40 min: the 30 min demo SLA was missed
        (20, leads[3], "ito", "reject"),  # at 60 min of a 4 h SLA
    ):
        harness.clock.advance(minutes=minutes)
        async with harness.baton.ctx.uow() as uow:
            if decide == "accept":
                assert (await accept_mql(uow, lead_id, config.person(who))).ok
            else:
                assert (await reject_mql(uow, lead_id, config.person(who), "duplicate")).ok
    end = T0 + timedelta(hours=2)
    async with harness.baton.ctx.uow() as uow:
        by_team = await sla_metrics.compliance(uow, T0, end, "team")
        by_rep = await sla_metrics.compliance(uow, T0, end, "rep")
        by_source = await sla_metrics.compliance(uow, T0, end, "source")
        early = await sla_metrics.compliance(uow, T0, T0 + timedelta(minutes=30), "team")

    def table(rows):
        return {r.group: (r.answered, r.within_sla, round(r.within_sla_pct, 1), r.median_business_minutes,
                          round(r.p90_business_minutes, 1)) for r in rows}  # fmt: skip

    assert table(by_team) == {"is_ent": (3, 2, 66.7, 20.0, 36.0), "is_smb": (1, 1, 100.0, 60.0, 60.0)}
    assert table(by_rep) == {
        "tanaka": (2, 1, 50.0, 25.0, 37.0), "suzuki": (1, 1, 100.0, 20.0, 20.0), "ito": (1, 1, 100.0, 60.0, 60.0),
    }  # fmt: skip
    assert table(by_source) == {"event": (1, 0, 0.0, 40.0, 40.0), "web": (3, 3, 100.0, 20.0, 52.0)}
    assert table(early) == {"is_ent": (2, 2, 100.0, 15.0, 19.0)}


@pytest.mark.parametrize("config_path", ["reassign"], indirect=True)
async def test_each_breach_of_the_same_mql_reaches_the_manager_by_its_own_dm(harness):
    lead_id = await new_lead(harness, ENTERPRISE)  # tanaka, due 10:30
    await harness.advance(minutes=31)  # the first breach: escalated to sato
    await harness.advance(minutes=30)  # 11:01: moved on to suzuki, a fresh clock due 11:31
    assert (await harness.lead(lead_id))["assignee"] == "suzuki"
    await harness.advance(minutes=31)  # the second breach of the same MQL: escalated again, not swallowed
    escalations = [m for m in dms(harness, "sato") if actions(m)]
    assert len(escalations) == 2 and all("SLA" in m["text"] for m in escalations)
    await harness.click("sato", escalations[-1], "mql_accept")
    await harness.deliver()
    assert [actions(harness.emu.get_message(m["channel"], m["ts"])) for m in escalations] == [[], []]  # both decided
