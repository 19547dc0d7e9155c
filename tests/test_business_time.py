"""Business time vs record time: a fact synced late counts when it happened (its close date, its
`occurred_at`), not when Baton heard of it; business times are bounded; bad ones change nothing.
Expected figures come from the posted facts, not from bot.domain."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import FIXTURES

JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def config_path(tmp_path):
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    text = text.replace("company: {name: テスト株式会社, locale: ja, timezone: Asia/Tokyo}",
                        "company: {name: テスト株式会社, locale: ja, timezone: Asia/Tokyo, earliest_date: 2025-04-01}")  # fmt: skip
    assert "earliest_date" in text
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _won(ext: str, amount: int, close: str, **kw) -> dict:
    return {"external_id": ext, "name": f"deal {ext}", "owner": "kato", "amount": amount, "close_date": close,
            "phase": 4, "status": "won", **kw}  # fmt: skip


async def test_a_deal_synced_late_counts_in_the_quarter_it_closed(harness):
    # Today is 2026-11-24 (FY2026-Q3: Oct–Dec). One deal won today, one won in Q2 but synced only now.
    assert (await harness.post("/api/opportunities", _won("NOW", 10_000_000, "2026-11-24")))[0] == 201
    status, body = await harness.post("/api/opportunities", _won("LATE", 30_000_000, "2026-09-20"))
    assert status == 201
    _, deal = await harness.get(f"/api/opportunities/{body['id']}")
    closed = deal["history"][-1]
    assert closed["to"] == "won"
    assert datetime.fromisoformat(closed["occurred_at"]) == datetime(2026, 9, 20, tzinfo=JST)
    assert datetime.fromisoformat(closed["at"]) == harness.clock.now()
    # An explicit business time wins over the close date.
    at = "2026-10-02T15:30:00+09:00"
    status, body = await harness.post("/api/opportunities", _won("EXPL", 5_000_000, "2026-09-01", occurred_at=at))
    _, deal = await harness.get(f"/api/opportunities/{body['id']}")
    assert datetime.fromisoformat(deal["history"][-1]["occurred_at"]) == datetime.fromisoformat(at)
    # The FS digest: won this quarter = 10M + 5M (Q3), not the Q2 deal; target 100M → remaining 85M.
    await harness.baton.scheduler.run_job("digest", channel="C0FS")
    await harness.deliver()
    text = str(harness.emu.channel_messages("C0FS")[-1]["blocks"])
    assert "受注済 1,500万円" in text and "残り目標 8,500万円" in text, text


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"occurred_at": "2026-11-25T10:00:00+09:00"}, "occurred_at"),  # a day ahead of now
        ({"occurred_at": "2026-11-24T10:00:00"}, "occurred_at"),  # no zone: ambiguous
        ({"occurred_at": "2025-03-31T10:00:00+09:00"}, "occurred_at"),  # before company.earliest_date
        ({"close_date": "2025-03-31"}, "close_date"),
    ],
)
async def test_a_business_time_out_of_bounds_is_refused_and_changes_nothing(harness, extra, field):
    status, body = await harness.post("/api/opportunities", _won("BAD", 1_000_000, "2026-10-01") | extra)
    assert status == 422 and [e["field"] for e in body["errors"]] == [field], body
    status, body = await harness.post("/api/opportunities", {"external_id": "BAD", "name": "x", "owner": "kato", "close_date": "2026-12-01"})
    assert status == 201 and body["created"]  # the refused one left nothing behind
    # A few minutes of clock skew are tolerated.
    ok = _won("SKEW", 1_000_000, "2026-11-24", occurred_at="2026-11-24T10:05:00+09:00")
    assert (await harness.post("/api/opportunities", ok))[0] == 201
