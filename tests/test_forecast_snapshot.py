"""The forecast diff reads only the deals that can be in the period's measure (plus the baseline's),
not every open deal of the rep — and says exactly what the diff against the full snapshot says."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from bot.clock import ManualClock
from bot.config import Settings, load_config
from bot.context import Context
from bot.db import make_engine, make_sessionmaker
from bot.domain import forecast as fc
from bot.domain.forecast_diff import forecast_diff
from bot.messages import Messages
from bot.models import Opportunity
from tests.conftest import FIXTURES

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=JST)


@pytest.fixture
async def ctx(database_url):  # noqa: ANN001
    engine = make_engine(database_url)
    c = Context(
        config=load_config(FIXTURES / "app.yaml"), settings=Settings(database_url=database_url),
        sessions=make_sessionmaker(engine), clock=ManualClock(NOW), messages=Messages(),
    )  # fmt: skip
    try:
        yield c
    finally:
        await engine.dispose()


deal = st.fixed_dictionaries({
    "owner_id": st.sampled_from(["kato", "kato", "someone_else", None]),
    "status": st.sampled_from(["open", "open", "won", "lost"]),
    "close_day": st.one_of(st.none(), st.integers(-60, 150)),
    "closed_day": st.one_of(st.none(), st.integers(-60, 0)),
    "forecast_category": st.sampled_from(["pipeline", "best_case", "commit", "omitted"]),
    "amount": st.integers(1, 50).map(lambda n: Decimal(n * 100_000)),
    "phase": st.integers(1, 5),
})  # fmt: skip
# What the rep's last submission held: some deals as they were, with an older close date / amount.
edit = st.tuples(st.booleans(), st.integers(-100, 100), st.integers(0, 3))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deals=st.lists(deal, max_size=14), edits=st.lists(edit, max_size=14), kind=st.sampled_from(["month", "quarter"]))
async def test_the_diff_on_the_measure_snapshot_equals_the_diff_on_the_full_snapshot(ctx, deals, edits, kind):
    today = NOW.date()
    async with ctx.uow() as uow:
        await uow.session.execute(delete(Opportunity))
        for i, d in enumerate(deals):
            closed = None if d["status"] == "open" or d["closed_day"] is None else NOW + timedelta(days=d["closed_day"])
            uow.session.add(Opportunity(
                name=f"deal {i}", owner_id=d["owner_id"], team_id="fs", amount=d["amount"], phase=d["phase"], status=d["status"],
                forecast_category=d["forecast_category"], closed_at=closed, created_at=NOW, updated_at=NOW,
                close_date=None if d["close_day"] is None else today + timedelta(days=d["close_day"]),
            ))  # fmt: skip
    async with ctx.uow() as uow:
        p = fc.period(uow, kind)
        full_now = await fc.snapshot(uow, ["kato"], p.start)
        baseline = []
        for item, (keep, shift, bump) in zip(full_now, edits, strict=False):
            if keep and item["owner"] == "kato":
                old = dict(item, status="open", won_on=None)
                if old["close_date"]:
                    old["close_date"] = (date.fromisoformat(old["close_date"]) + timedelta(days=shift)).isoformat()
                old["amount"] = old["amount_jpy"] = str(Decimal(old["amount_jpy"]) + bump * 100_000)
                baseline.append(old)
        ids = [d["id"] for d in baseline]
        full = await fc.snapshot(uow, ["kato"], p.start, extra_ids=ids)
        narrow = await fc.measure_snapshot(uow, ["kato"], p, extra_ids=ids)
        assert len(narrow) <= len(full)
        expected = forecast_diff(baseline, full, p, owners=["kato"], rates=fc.rates(uow))
        assert forecast_diff(baseline, narrow, p, owners=["kato"], rates=fc.rates(uow)) == expected
        assert (await fc.diff_for(uow, ["kato"], kind, baseline=baseline, baseline_at=NOW)).diff == expected
