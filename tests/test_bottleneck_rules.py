"""The bottleneck's two rules that are easy to get wrong, each on a small history fed through the
API and read from the managers' channel: a deal that skips a phase forward made progress (its phase's
conversion counts it as forward, its time in the phase too), and revenue at stake is rounded to the
yen half up (a tie goes up). Expectations are worked out by hand in each test from the facts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import FIXTURES
from tests.oracle_format import texts as _texts


@pytest.fixture
def config_path(tmp_path):
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    text = text.replace("locale: ja, timezone: Asia/Tokyo}", "locale: en, timezone: Asia/Tokyo}")
    path = tmp_path / "app-en.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def _deal(harness, ext: str, **fields) -> None:
    status, body = await harness.post("/api/opportunities", {"external_id": ext, **fields})
    assert status in (200, 201), body


async def _won(harness, ext: str) -> None:
    today = harness.clock.now().date().isoformat()
    await _deal(harness, ext, status="won", close_date=today)


async def _lost(harness, ext: str) -> None:
    today = harness.clock.now().date().isoformat()
    await _deal(harness, ext, status="lost", close_date=today, lost_reason="competitor")


async def _post(harness) -> str:
    """The check runs 100 days after the start: recent window days 72–100, baseline days −12–72."""
    await harness.baton.scheduler.run_job("bottleneck")
    await harness.deliver()
    [post] = [m for m in harness.emu.channel_messages("C0MGRS") if "Bottleneck" in m["text"]]
    return _texts(post["blocks"])


async def test_a_deal_skipping_a_phase_forward_counts_as_progress(harness):
    day = timedelta(days=1)
    new = {"owner": "kato", "amount": 3_000_000, "phase": 2, "close_date": "2027-06-30"}
    for i in range(4):  # baseline: four deals through every phase, two days in each, all won
        await _deal(harness, f"B{i}", name=f"b{i}", **new)
    for phase in (3, 4, 5):
        harness.clock.advance(2 * day)
        for i in range(4):
            await _deal(harness, f"B{i}", phase=phase)
    harness.clock.advance(2 * day)
    for i in range(4):
        await _won(harness, f"B{i}")
    harness.clock.advance(72 * day)  # day 80, in the recent window
    for i in range(4):
        await _deal(harness, f"R{i}", name=f"r{i}", **new)
    harness.clock.advance(2 * day)
    for i in range(2):  # two jump from phase 2 straight to 4: forward, two days in phase 2
        await _deal(harness, f"R{i}", phase=4)
    for i in range(2, 4):
        await _lost(harness, f"R{i}")
    for phase in (5,):
        harness.clock.advance(2 * day)
        for i in range(2):
            await _deal(harness, f"R{i}", phase=phase)
    harness.clock.advance(2 * day)
    for i in range(2):
        await _won(harness, f"R{i}")
    harness.clock.advance(14 * day)  # day 100
    text = await _post(harness)
    # Phase 2: baseline 4 of 4 forward, recent 2 of 4 (the skips) — not 0 of 4. Downstream yield: phase 3's
    # baseline 100 % (nobody sat in it recently) × phase 4 and 5 recent 100 %. Lost units 4 × (1 − 0.5) = 2,
    # average deal ¥3,000,000 → ¥6,000,000 at stake (the old rule: 4 lost units, ¥12,000,000).
    assert "🚧 Bottleneck: Phase 2 problem recognised" in text
    assert "• Forward conversion: 100% → *50%*" in text
    assert "• Median days in stage: 2 → *2*" in text  # the skips' two days in phase 2 count
    assert "• Revenue at stake: *¥6,000,000* (average deal ¥3,000,000, downstream yield 100.0%)" in text


async def test_revenue_at_stake_rounds_a_tie_half_up(harness):
    day = timedelta(days=1)
    new = {"owner": "kato", "phase": 4, "close_date": "2027-06-30"}
    for i in range(3):  # baseline: three deals through phase 4, none leaving phase 5 yet
        await _deal(harness, f"B{i}", name=f"b{i}", amount=2_000_000, **new)
    harness.clock.advance(day)
    for i in range(3):
        await _deal(harness, f"B{i}", phase=5)
    harness.clock.advance(89 * day)  # day 90, recent
    await _deal(harness, "R0", name="r0", amount=2_000_000, **new)
    await _deal(harness, "R1", name="r1", amount=2_000_000, **new)
    harness.clock.advance(day)
    await _deal(harness, "R0", phase=5)
    await _lost(harness, "R1")
    harness.clock.advance(day)
    await _deal(harness, "B0", amount=1_000_001)
    await _won(harness, "B0")  # the only win: average deal ¥1,000,001
    await _lost(harness, "B1")
    harness.clock.advance(8 * day)  # day 100
    text = await _post(harness)
    # Phase 4: baseline 3 of 3 forward, recent 1 of 2 → 2 × 0.5 = 1 lost unit; downstream yield = phase 5's
    # recent conversion 1 of 2 = 50 %; 1 × 0.5 × ¥1,000,001 = ¥500,000.5 → ¥500,001 (half up, not to even).
    assert "🚧 Bottleneck: Phase 4 final negotiation" in text
    assert "• Revenue at stake: *¥500,001* (average deal ¥1,000,001, downstream yield 50.0%)" in text
