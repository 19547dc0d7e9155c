"""The stage roll-up is only a cache: every reader answers exactly what the raw GROUP BY over
`stage_events` answers — for random histories with back-dated events, folds at random points
(also cut short), intervals on and off day boundaries, and on PostgreSQL a row that commits after a
higher id was already visible."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from bot.clock import ManualClock
from bot.config import Settings, load_config
from bot.context import Context
from bot.db import make_engine, make_sessionmaker
from bot.demo.generator import generate
from bot.domain import bottleneck, digest
from bot.domain import stage_rollup as rollup
from bot.domain.sla_metrics import percentile
from bot.messages import Messages
from bot.models import StageDayCount, StageEvent, StageExit, StageFold
from jobs.stage_rollup import fold_all
from tests.conftest import FIXTURES

JST = ZoneInfo("Asia/Tokyo")
BASE = datetime(2026, 11, 1, tzinfo=JST)  # a Tokyo midnight
DAYS = 12
STAGES = ["lead", "mql", "sal", "sql", "opportunity", "recycled", "phase_1", "phase_2", "won", "lost"]


@pytest.fixture
async def ctx(database_url):  # noqa: ANN001
    engine = make_engine(database_url)
    c = Context(
        config=load_config(FIXTURES / "app.yaml"), settings=Settings(database_url=database_url),
        sessions=make_sessionmaker(engine), clock=ManualClock(BASE + timedelta(days=DAYS + 1, hours=3, minutes=7)), messages=Messages(),
    )  # fmt: skip
    try:
        yield c
    finally:
        await engine.dispose()


async def _fold(c: Context, max_events: int | None = None) -> None:
    """What the hourly job does, twice with time passing between (PostgreSQL folds what has settled)."""
    for _ in range(2):
        async with c.uow() as uow:
            await rollup.fold(uow, max_events=max_events)
        c.clock.advance(minutes=2)


def _event(t: tuple) -> StageEvent:
    """`seconds`: when it happened; `late`: how long after that Baton heard of it (a late sync, a
    back-dated close or an import), None: a writer that gives no business time (it happened as recorded)."""
    entity, eid, frm, to, team, reason, seconds, late = t
    occurred = BASE + timedelta(seconds=seconds)
    if late is None:
        return StageEvent(entity_type=entity, entity_id=eid, from_stage=frm, to_stage=to, team_id=team, reason=reason,
                          actor="test", at=occurred)  # fmt: skip
    return StageEvent(entity_type=entity, entity_id=eid, from_stage=frm, to_stage=to, team_id=team, reason=reason,
                      actor="test", at=occurred + timedelta(seconds=late), occurred_at=occurred)  # fmt: skip


def _expected(inserted: list[tuple], a: datetime, b: datetime, stages: set[str]) -> dict:
    """The count by key, from the generated facts themselves (by when they happened)."""
    out: dict = {}
    for entity, _eid, frm, to, team, reason, seconds, _late in inserted:
        if to in stages and a <= BASE + timedelta(seconds=seconds) < b:
            out[(entity, frm, to, team, reason)] = out.get((entity, frm, to, team, reason), 0) + 1
    return out


events = st.tuples(
    st.sampled_from(["lead", "opportunity"]), st.integers(1, 5), st.sampled_from([None, "mql", "sal", "phase_1", "phase_2"]),
    st.sampled_from(STAGES), st.sampled_from([None, "is_ent", "fs"]), st.sampled_from([None, "no_budget", "timing"]),
    st.floats(0, DAYS * 86400, allow_nan=False).map(lambda s: round(s, 6)),
    st.one_of(st.none(), st.just(0), st.integers(1, DAYS * 86400)),
)  # fmt: skip
ops = st.lists(
    st.one_of(st.tuples(st.just("insert"), st.lists(events, min_size=1, max_size=8)), st.tuples(st.just("fold"), st.sampled_from([None, 1, 3]))),
    min_size=1, max_size=8,
)  # fmt: skip
# Boundaries on Tokyo midnights (where the roll-up's days cut) and anywhere else.
instant = st.one_of(
    st.integers(0, DAYS).map(lambda d: BASE + timedelta(days=d)),
    st.integers(-60, (DAYS + 1) * 1440).map(lambda m: BASE + timedelta(minutes=m, seconds=17)),
)
intervals = st.lists(st.tuples(instant, instant).map(sorted).map(tuple), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops, tail=st.lists(events, max_size=5), windows=intervals, to_stages=st.sets(st.sampled_from(STAGES), min_size=1))
async def test_readers_equal_the_raw_group_by_over_random_histories(ctx, ops, tail, windows, to_stages):
    async with ctx.uow() as uow:
        for model in (StageEvent, StageDayCount, StageExit, StageFold):
            await uow.session.execute(delete(model))
    inserted: list[tuple] = []
    for op, arg in ops:
        if op == "insert":  # events arrive in any time order: later inserts are often back-dated
            async with ctx.uow() as uow:
                uow.session.add_all([_event(t) for t in arg])
            inserted += arg
        else:
            await _fold(ctx, arg)
    await _fold(ctx, 2)
    async with ctx.uow() as uow:  # not folded yet
        uow.session.add_all([_event(t) for t in tail])
    inserted += tail
    windows = [*windows, (BASE - timedelta(hours=1), BASE + timedelta(days=DAYS + 1))]
    async with ctx.uow() as uow:
        for stages in (to_stages, STAGES):
            folded = await rollup.event_counts(uow, windows, stages)
            assert folded == await rollup.event_counts(uow, windows, stages, raw=True)
            assert [dict(c) for c in folded] == [_expected(inserted, a, b, set(stages)) for a, b in windows]
        for entity, stage, fwd in (("lead", "mql", "sal"), ("lead", "sal", "sql"), ("opportunity", "phase_1", "phase_2"), ("opportunity", "phase_2", "won")):
            for a, b in windows:
                folded = await rollup.exit_days(uow, entity, stage, fwd, a, b)
                raw = await rollup.exit_days(uow, entity, stage, fwd, a, b, raw=True)
                assert sorted(folded) == sorted(raw)
                assert await rollup.median_exit_days(uow, entity, stage, fwd, a, b) == percentile(raw, 0.5)


async def test_digest_and_bottleneck_are_the_same_from_the_roll_up_as_from_raw_events(ctx):
    now = ctx.now()
    async with ctx.uow() as uow:
        await generate(uow, seed=5, months=4, end=now - timedelta(hours=5), upsells_per_day=2, plant="sal_to_sql")

    async def answers() -> tuple:
        async with ctx.uow() as uow:
            d = await digest.build(uow, scope="company", team_id=None, now=now)
            t = await digest.build(uow, scope="team", team_id="is_ent", now=now)
            return d, t, await bottleneck.analyse(uow, now=now)

    raw = await answers()  # nothing folded yet: every figure comes from stage_events
    await fold_all(ctx, now)
    ctx.clock.advance(minutes=2)
    await fold_all(ctx, now + timedelta(minutes=2))
    async with ctx.uow() as uow:
        folded_to = await uow.session.scalar(select(StageFold.watermark))
        assert folded_to == await uow.session.scalar(select(func.max(StageEvent.id)))
    assert await answers() == raw
    assert raw[2].bottleneck is not None and raw[2].bottleneck.stage == "sal_to_sql"
    # Back-dated events after the fold (an import): they count at once, folded or not.
    async with ctx.uow() as uow:
        uow.session.add_all([
            StageEvent(entity_type="lead", entity_id=10_000 + i, from_stage="mql", to_stage="sal", team_id="is_ent", actor="import",
                       at=now - timedelta(days=1 + i % 20, minutes=i))
            for i in range(40)
        ])  # fmt: skip
    unfolded = await answers()
    assert unfolded != raw
    await fold_all(ctx, now + timedelta(minutes=4))
    ctx.clock.advance(minutes=2)
    await fold_all(ctx, now + timedelta(minutes=6))
    assert await answers() == unfolded
    async with ctx.uow() as uow:
        await rollup.rebuild(uow)
    assert await answers() == unfolded


@pytest.mark.postgres
async def test_a_row_committed_after_a_higher_id_is_not_missed(ctx, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: ids commit in order")
    day = BASE + timedelta(days=2, hours=5)
    window = [(BASE, BASE + timedelta(days=DAYS))]
    async with ctx.sessions() as slow:
        await slow.begin()
        slow.add(StageEvent(entity_type="lead", entity_id=1, from_stage="lead", to_stage="mql", actor="slow", at=day))
        await slow.flush()  # it holds the lower id, not committed yet
        async with ctx.uow() as uow:
            uow.session.add(StageEvent(entity_type="lead", entity_id=2, from_stage="lead", to_stage="mql", actor="fast", at=day))
        await _fold(ctx)
        await _fold(ctx)
        async with ctx.uow() as uow:
            low = await slow.scalar(select(func.max(StageEvent.id)))
            assert await uow.session.scalar(select(StageFold.watermark)) < low  # the fold waits for the open transaction
            assert await rollup.event_counts(uow, window, ["mql"]) == await rollup.event_counts(uow, window, ["mql"], raw=True)
        await slow.commit()
    await _fold(ctx)
    async with ctx.uow() as uow:
        (counts,) = await rollup.event_counts(uow, window, ["mql"])
        assert sum(counts.values()) == 2
        assert await uow.session.scalar(select(func.sum(StageDayCount.n))) == 2
