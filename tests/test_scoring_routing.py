"""Scoring (attributes, behaviour, decay, threshold crossing) and routing (segments, round robin,
away, capacity, claim mode)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import load_config
from bot.domain.routing import next_in_rotation
from bot.domain.scoring import score_lead
from tests.conftest import FIXTURES

CONFIG = load_config(FIXTURES / "app.yaml")
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def test_score_breakdown_attributes_and_behaviour():
    score = score_lead(
        {"employees": 5000, "title": "営業部長"},
        [("download", NOW), ("download", NOW), ("download", NOW), ("download", NOW)],
        CONFIG.scoring,
        NOW,
    )
    assert {(ln.label, ln.points) for ln in score.lines} == {("大企業", 30), ("役職", 20), ("資料DL", 30)}
    assert score.total == 80  # max_count 3 caps the downloads


def test_behaviour_decays_with_half_life():
    fresh = score_lead({}, [("demo_request", NOW)], CONFIG.scoring, NOW).total
    month_old = score_lead({}, [("demo_request", NOW - timedelta(days=30))], CONFIG.scoring, NOW).total
    two_months = score_lead({}, [("demo_request", NOW - timedelta(days=60))], CONFIG.scoring, NOW).total
    assert (fresh, month_old, two_months) == (50, 25, 12)


def test_round_robin_skips_ineligible_and_wraps():
    reps = ["a", "b", "c"]
    assert next_in_rotation(reps, None, lambda p: True) == "a"
    assert next_in_rotation(reps, "a", lambda p: p != "b") == "c"
    assert next_in_rotation(reps, "c", lambda p: True) == "a"
    assert next_in_rotation(reps, "a", lambda p: False) is None


async def test_later_activity_pushes_lead_over_threshold(harness):
    status, body = await harness.post("/api/leads", {"external_id": "A1", "email": "a@corp.jp", "employees": 1200, "title": "課長"})
    assert status == 201 and body["stage"] == "lead" and body["score"] == 30
    await harness.deliver()
    assert not [m for m in harness.emu.messages if m["channel"] == "C0ENT"]
    status, body = await harness.post(f"/api/leads/{body['id']}/activities", {"activities": [{"type": "download"}, {"type": "download", "at": "2026-11-20T10:00:00+09:00"}]})
    # 30 (size) + 10 (download now) + 9 (download 4 days ago, decayed: 10 × 0.5^(4/30))
    assert status == 200 and body["stage"] == "lead" and body["score"] == 49
    # Sending the same activity again does not count twice.
    status, body = await harness.post(f"/api/leads/{body['id']}/activities", [{"type": "download", "at": "2026-11-20T10:00:00+09:00"}])
    assert body["score"] == 49
    status, body = await harness.post(f"/api/leads/{body['id']}/activities", [{"type": "demo_request"}])
    assert body["stage"] == "mql" and body["score"] == 99
    await harness.deliver()
    card = await harness.card(body["id"])
    assert card["channel"] == "C0ENT"


async def test_mql_flag_from_marketing_automation_is_honoured_and_still_scored(harness):
    _, body = await harness.post("/api/leads", {"external_id": "M1", "email": "m@corp.jp", "employees": 20, "mql": True})
    assert body["stage"] == "mql" and body["score"] == 0


async def test_segments_route_to_teams_and_round_robin_skips_away_and_full_reps(harness):
    owners = []
    for i in range(7):
        _, body = await harness.post("/api/leads", {"external_id": f"E{i}", "email": f"e{i}@big.jp", "employees": 900, "mql": True})
        owners.append(body["owner"])
    # takahashi is away all November; tanaka and suzuki have capacity 3 each; the 7th has nobody.
    assert owners == ["tanaka", "suzuki", "tanaka", "suzuki", "tanaka", "suzuki", None]
    _, smb = await harness.post("/api/leads", {"external_id": "S1", "email": "s@small.jp", "employees": 10, "mql": True})
    lead = await harness.lead(smb["id"])
    assert lead["team"] == "is_smb" and lead["assignee"] is None  # claim mode


async def test_claim_mode_first_to_accept_takes_it(harness):
    _, body = await harness.post("/api/leads", {"external_id": "S2", "email": "s2@small.jp", "employees": 10, "mql": True})
    await harness.deliver()
    card = await harness.card(body["id"])
    assert card["channel"] == "C0SMB" and "first on the team" in str(card["blocks"])  # team locale en
    await harness.click("ito", card, "mql_accept")
    lead = await harness.lead(body["id"])
    assert lead["stage"] == "sal" and lead["owner"] == "ito"


async def test_burst_rolls_up_into_one_message_with_cards_in_its_thread(harness):
    leads = [{"external_id": f"W{i}", "email": f"w{i}@big.jp", "employees": 800, "source": "webinar", "mql": True} for i in range(6)]
    status, body = await harness.post("/api/leads", leads)
    assert status == 200 and body["ok"] == 6
    await harness.deliver()
    top = [m for m in harness.emu.channel_messages("C0ENT") if not m.get("ephemeral_user")]
    assert len(top) == 1 and "6" in top[0]["text"]
    thread = harness.emu.thread("C0ENT", top[0]["ts"])
    cards = [m for m in thread if m["ts"] != top[0]["ts"]]
    assert len(cards) == 6
    assert all(any(b["type"] == "actions" for b in c["blocks"]) for c in cards)
    assert "<@U0TANAKA>" in str(top[0]["blocks"]) and "webinar" in str(top[0]["blocks"])
    # Each card keeps its own buttons; accepting one updates the roll-up count.
    await harness.click("tanaka", cards[0], "mql_accept")
    top = harness.emu.get_message("C0ENT", top[0]["ts"])
    assert "1 / 6" in str(top["blocks"])


async def test_few_mqls_post_as_separate_cards(harness):
    for i in range(3):
        await harness.post("/api/leads", {"external_id": f"F{i}", "email": f"f{i}@big.jp", "employees": 800, "mql": True})
    await harness.deliver()
    top = [m for m in harness.emu.channel_messages("C0ENT") if not m.get("ephemeral_user")]
    assert len(top) == 3
