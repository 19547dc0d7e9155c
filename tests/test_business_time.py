"""Business time vs record time: a fact synced late counts when it happened (its close date, its
`occurred_at`), not when Baton heard of it; business times are bounded; bad ones change nothing.
Expected figures come from the posted facts, not from bot.domain."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import FIXTURES
from tests.oracle_format import texts as _texts

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


# -- leads and activities: when a lead came in and became an MQL --------------------------------------

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=JST)  # tests.conftest.T0: Tuesday; Monday 11-23 is a holiday
PREV_DAY = (datetime(2026, 11, 20, tzinfo=JST), datetime(2026, 11, 24, tzinfo=JST))  # the digest's "previous working day"
QUARTER_START = datetime(2026, 10, 1, tzinfo=JST)  # FY2026-Q3
OCTOBER = (datetime(2026, 10, 1, tzinfo=JST), datetime(2026, 11, 1, tzinfo=JST))  # the last full month of the trends


def _in(t: datetime, span: tuple[datetime, datetime]) -> bool:
    return span[0] <= t < span[1]


async def _events(harness, ext: str) -> list[dict]:
    status, lead = await harness.get(f"/api/leads/ext:{ext}")
    assert status == 200, lead
    return lead["history"]


async def test_a_back_dated_lead_counts_when_it_came_in(harness):
    big = {"employees": 2000}  # 30 points: with a demo request (50) over the threshold of 60
    facts = [  # (external id, what is posted, when it came in, when it became an MQL or None)
        ("A", {**big, "mql": True, "occurred_at": "2026-11-20T15:00:00+09:00"}, datetime(2026, 11, 20, 15, tzinfo=JST), datetime(2026, 11, 20, 15, tzinfo=JST)),
        ("B", {"occurred_at": "2026-10-05"}, datetime(2026, 10, 5, tzinfo=JST), None),  # a day: its start in the company zone
        ("C", {"occurred_at": "2026-09-10T10:00:00+09:00"}, datetime(2026, 9, 10, 10, tzinfo=JST), None),  # last quarter
        ("D", {}, NOW, None),  # no business time: now
        ("E", {**big, "occurred_at": "2026-11-20T09:00:00+09:00"}, datetime(2026, 11, 20, 9, tzinfo=JST), None),  # MQL by an activity below
        ("F", big, NOW, None),  # came in now; an activity back-dated before that cannot make it an MQL earlier
    ]  # fmt: skip
    for ext, extra, _, _ in facts:
        status, body = await harness.post("/api/leads", {"external_id": ext, "email": f"{ext.lower()}@example.com", **extra})
        assert status == 201, body
    status, body = await harness.post("/api/leads/ext:E/activities", {"activities": [{"type": "demo_request", "at": "2026-11-20T16:00:00+09:00"}]})
    assert status == 200 and body["stage"] == "mql", body
    status, body = await harness.post("/api/leads/ext:F/activities", [{"type": "demo_request", "at": "2026-11-20T17:00:00+09:00"}])
    assert status == 200 and body["stage"] == "mql", body
    mql_at = {"A": facts[0][3], "E": datetime(2026, 11, 20, 16, tzinfo=JST), "F": NOW}
    came_in = {ext: t for ext, _, t, _ in facts}

    # Each stage event carries when it happened; when Baton recorded it stays now.
    for ext in came_in:
        history = await _events(harness, ext)
        assert [(e["from"], e["to"]) for e in history] == [(None, "lead")] + ([("lead", "mql")] if ext in mql_at else [])
        assert all(datetime.fromisoformat(e["at"]) == NOW for e in history)
        assert datetime.fromisoformat(history[0]["occurred_at"]) == came_in[ext]
        if ext in mql_at:
            assert datetime.fromisoformat(history[1]["occurred_at"]) == mql_at[ext]

    # The company digest (a minute later) counts each where it happened: the previous working day's
    # flow, the quarter's cohort funnel, October's trend point.
    harness.clock.advance(timedelta(minutes=1))
    await harness.baton.scheduler.run_job("digest", channel="C0MGRS")
    await harness.deliver()
    text = _texts(harness.emu.channel_messages("C0MGRS")[-1]["blocks"])
    leads_prev = sum(_in(t, PREV_DAY) for t in came_in.values())
    mqls_prev = sum(_in(t, PREV_DAY) for t in mql_at.values())
    assert (leads_prev, mqls_prev) == (2, 2)  # not vacuous: A and E, posted today
    assert f"リード {leads_prev} · MQL {mqls_prev} · SAL 0 · 却下 0" in text, text
    cohort = [ext for ext, t in came_in.items() if t >= QUARTER_START]
    reached = sum(ext in mql_at for ext in cohort)
    assert f"リード {len(cohort)} → MQL {reached} ({round(100 * reached / len(cohort))}%)" in text, text
    assert f"リード数: {sum(_in(t, OCTOBER) for t in came_in.values())}　" in text, text


async def test_the_stage_roll_up_equals_the_raw_events_with_back_dated_leads(harness):
    from bot.domain import stage_rollup as rollup  # the roll-up against its own raw reading, not a figure's oracle
    from jobs.stage_rollup import fold_all

    async def post(tag: str, day: str, n: int) -> None:
        items = [{"external_id": f"{tag}-{i}", "mql": i % 2 == 0, "employees": 2000, "occurred_at": f"{day}T1{i}:00:00+09:00"} for i in range(n)]
        status, body = await harness.post("/api/leads", items)
        assert status == 200 and body["ok"] == n, body

    await post("a", "2026-11-02", 5)
    await fold_all(harness.baton.ctx)
    await post("b", "2026-11-02", 3)  # late facts for a day already folded
    await post("c", "2026-10-15", 4)
    spans = [(datetime(2026, 11, 2, 12, tzinfo=JST), NOW), OCTOBER, (QUARTER_START, NOW), (datetime(2026, 11, 2, tzinfo=JST), datetime(2026, 11, 3, tzinfo=JST))]
    for folded in (False, True):
        async with harness.baton.ctx.uow() as uow:
            got = await rollup.event_counts(uow, spans, ("lead", "mql"))
            raw = await rollup.event_counts(uow, spans, ("lead", "mql"), raw=True)
        assert got == raw
        assert sum(got[3].values()) == 8 + 3 + 2  # 8 leads came in on 11-02, 3 + 2 of them MQLs
        await fold_all(harness.baton.ctx)


@pytest.mark.parametrize(
    ("lead", "field"),
    [
        ({"occurred_at": "2026-11-25T10:00:00+09:00"}, "occurred_at"),  # tomorrow
        ({"occurred_at": "2026-11-25"}, "occurred_at"),
        ({"occurred_at": "2026-11-20T10:00:00"}, "occurred_at"),  # no zone
        ({"occurred_at": "2025-03-31"}, "occurred_at"),  # before company.earliest_date
        ({"occurred_at": "2026-13-01"}, "occurred_at"),  # no such day
        ({"occurred_at": "soon"}, "occurred_at"),
        ({"activities": [{"type": "download"}, {"type": "demo_request", "at": "2026-12-01T10:00:00+09:00"}]}, "activities.1.at"),
    ],
)
async def test_a_bad_lead_time_is_refused_by_name_and_writes_nothing(harness, lead, field):
    status, body = await harness.post("/api/leads", {"external_id": "BAD", "mql": True, **lead})
    assert status == 422 and [e["field"] for e in body["errors"]] == [field], body
    assert (await harness.get("/api/leads/ext:BAD"))[0] == 404
    # In a batch, the bad item alone is refused.
    status, body = await harness.post("/api/leads", [{"external_id": "OK", "occurred_at": "2026-11-20"}, {"external_id": "BAD", **lead}])
    assert status == 207 and [r["ok"] for r in body["results"]] == [True, False], body
    assert (await harness.get("/api/leads/ext:BAD"))[0] == 404


@pytest.mark.parametrize("at", ["2026-11-24T11:00:00+09:00", "2026-11-24T11:00:00", "2020-01-01T00:00:00+09:00"])
async def test_a_bad_activity_time_is_refused_by_name_and_writes_nothing(harness, at):
    status, body = await harness.post("/api/leads", {"external_id": "L", "employees": 2000})
    assert status == 201
    before = (await harness.get("/api/leads/ext:L"))[1]
    status, body = await harness.post("/api/leads/ext:L/activities", [{"type": "download"}, {"type": "demo_request", "at": at}])
    assert status == 422 and [e["field"] for e in body["errors"]] == ["activities.1.at"], body
    assert (await harness.get("/api/leads/ext:L"))[1] == before  # not scored, not promoted
