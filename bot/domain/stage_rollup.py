"""Pre-aggregated stage events for analytics at scale: a derived cache of `stage_events`, never a
second source of truth (drop the tables and the next fold rebuilds them from the events).

Two derived tables, folded from `stage_events` by id watermark (`fold`):

- `stage_day_counts`: events per day (in the company zone) × entity type × from → to × team × reason;
- `stage_exits`: per stage change, the seconds the entity had spent in the stage it left (what a
  median time in stage needs, which counts cannot give exactly).

Writers know nothing about them: intake, the importer or a bulk `executemany` just insert events.
The fold reads events with id above the watermark, adds them to their day (back-dated events land in
their old day) and moves the watermark, all in one transaction that holds the `stage_fold` row, so
two processes folding at once cannot both count a row. On PostgreSQL ids can commit out of order: the
watermark only advances to a max id seen by an earlier fold once every transaction that was running
then has ended (`pg_snapshot_xmin`) and `SETTLE` has passed.

Time basis: business time. An event counts on the day it *happened* (`occurred_at`, in the company
zone), not the day Baton recorded it, and a time in stage is the difference of the two events'
`occurred_at` (the entry being the latest-happened entry recorded before the exit). A late or
back-dated fact therefore lands in its old day like any back-dated event, and the readers below
restate that past day at once.

Readers are exact: for an interval they add the day counts of whole days inside it, raw events of
the partial days at its edges, and raw events above the watermark (not folded yet) inside the days
they took from the roll-up. `raw=True` answers the same question from `stage_events` alone.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from bot.context import UnitOfWork
from bot.domain.sla_metrics import percentile
from bot.models import StageDayCount, StageEvent, StageExit, StageFold

# (entity_type, from_stage, to_stage, team_id, reason)
Key = tuple[str, str | None, str, str | None, str | None]
Interval = tuple[datetime, datetime]

SETTLE = timedelta(minutes=1)  # PostgreSQL: a statement between nextval() and its first row write
CHUNK = 50_000  # events per fold step (memory bound)


def zone(uow: UnitOfWork) -> ZoneInfo:
    """The roll-up's day boundary: the company zone, where digests and the bottleneck usually cut."""
    return uow.config.calendar(None).tz


def day_start(d: date, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) whose local date in `tz` is `d` (also across a DST gap at midnight)."""
    t = datetime.combine(d, time(), tz).astimezone(UTC)
    while t.astimezone(tz).date() < d:
        t += timedelta(minutes=15)
    while (t - timedelta(minutes=15)).astimezone(tz).date() >= d:
        t -= timedelta(minutes=15)
    return t


def _dialect(uow: UnitOfWork) -> str:
    return uow.session.get_bind().dialect.name


def no_index(uow: UnitOfWork, col: Any) -> Any:
    """SQLite: `+col` (a no-op on any value) keeps the planner off the `(to_stage, at)` index. It
    otherwise picks it for the entry lookup and scans every event into that stage per row (100×
    slower at 100k events) instead of the entity's few events; and for the not-yet-folded tail it
    skip-scans the whole window when the id range is the narrow part. PostgreSQL has no unary + on
    text, and plans both well anyway."""
    if _dialect(uow) == "sqlite":
        return UnaryExpression(col, operator=operators.custom_op("+"), type_=col.type)
    return col


def _enc(v: str | None) -> str:
    return "" if v is None else v


def _dec(v: str) -> str | None:
    return None if v == "" else v


# -- fold ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FoldResult:
    folded: int  # events folded by this call
    watermark: int
    rebuilt: bool = False
    more: bool = False  # settled events left (a `max_events` cut)


async def _state(uow: UnitOfWork, tz: ZoneInfo) -> StageFold:
    s = uow.session
    row = await s.scalar(select(StageFold).where(StageFold.id == 1).with_for_update())
    if row is None:
        ins = _insert(uow, StageFold).values(id=1, zone=str(tz), watermark=0).on_conflict_do_nothing(index_elements=["id"])
        await s.execute(ins)
        row = await s.scalar(select(StageFold).where(StageFold.id == 1).with_for_update().execution_options(populate_existing=True))
    return row


def _insert(uow: UnitOfWork, model: Any) -> Any:
    if _dialect(uow) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


async def _pg_snapshot(uow: UnitOfWork) -> tuple[int, int]:
    row = (await uow.session.execute(text(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
    ))).one()  # fmt: skip
    return int(row[0]), int(row[1])


async def fold(uow: UnitOfWork, *, now: datetime | None = None, max_events: int | None = None) -> FoldResult:
    """Fold settled events above the watermark (at most `max_events` ids, to keep the write
    transaction short) into the derived tables. Idempotent; safe from several processes: the
    `stage_fold` row is held for the transaction. `FoldResult.more`: call again for the rest."""
    s = uow.session
    now = now or uow.now()
    tz = zone(uow)
    state = await _state(uow, tz)
    rebuilt = False
    if state.zone != str(tz):  # another day boundary: the old days mean nothing now
        await s.execute(delete(StageDayCount))
        await s.execute(delete(StageExit))
        state.zone, state.watermark, state.pending_id, state.pending_xmax = str(tz), 0, None, None
        rebuilt = True
    top = int(await s.scalar(select(func.coalesce(func.max(StageEvent.id), 0))) or 0)
    start = state.watermark
    if _dialect(uow) == "postgresql":
        # A max id seen earlier is safe once every transaction running then has ended (and a
        # statement that drew an id before taking its transaction id has surely written it).
        xmin, xmax = await _pg_snapshot(uow)
        settled = (
            state.pending_id is not None and state.pending_xmax is not None and xmin >= state.pending_xmax
            and (state.updated_at is None or state.updated_at <= now - SETTLE)
        )  # fmt: skip
        target = max(start, state.pending_id) if settled and state.pending_id is not None else start
    else:
        target = top  # SQLite: this transaction holds the write lock, so every lower id is committed
    limit = target
    if max_events is not None:
        target = min(target, start + max_events)
    if state.pending_id is not None and state.pending_id <= target:
        state.pending_id = state.pending_xmax = None
    if _dialect(uow) == "postgresql" and state.pending_id is None and top > target:
        state.pending_id, state.pending_xmax, state.updated_at = top, xmax, now
    folded = 0
    lo = start
    while lo < target:
        hi = min(target, lo + CHUNK)
        folded += await _fold_range(uow, lo, hi, tz)
        lo = hi
    state.watermark = target
    if _dialect(uow) != "postgresql":
        state.updated_at = now
    await s.flush()
    s.info.pop("stage_fold", None)  # readers later in this transaction see the new watermark
    return FoldResult(folded, target, rebuilt, target < limit)


async def _fold_range(uow: UnitOfWork, lo: int, hi: int, tz: ZoneInfo) -> int:
    ev, entry = StageEvent, aliased(StageEvent)
    entered = (
        select(func.max(entry.occurred_at))
        .where(
            entry.entity_type == ev.entity_type, entry.entity_id == ev.entity_id, no_index(uow, entry.to_stage) == ev.from_stage,
            entry.id < ev.id,
        )
        .scalar_subquery()
    )
    rows = (
        await uow.session.execute(
            select(ev.id, ev.entity_type, ev.from_stage, ev.to_stage, ev.team_id, ev.reason, ev.occurred_at, entered).where(ev.id > lo, ev.id <= hi)
        )
    ).all()
    counts: Counter[tuple[date, str, str, str, str, str]] = Counter()
    exits: list[dict[str, Any]] = []
    for eid, et, frm, to, team, reason, at, inn in rows:
        counts[(at.astimezone(tz).date(), et, _enc(frm), to, _enc(team), _enc(reason))] += 1
        if frm is not None and frm != to:
            # The same arithmetic as a raw reader: (exit − entry) in seconds, exact as a double.
            secs = (at - inn).total_seconds() if inn is not None else None
            exits.append({"event_id": eid, "entity_type": et, "from_stage": frm, "to_stage": to, "at": at, "seconds": secs})
    if counts:
        ins = _insert(uow, StageDayCount)
        ins = ins.on_conflict_do_update(index_elements=list(_KEY_COLS), set_={"n": StageDayCount.n + ins.excluded.n})
        vals = [dict(zip(_KEY_COLS, k, strict=True), n=n) for k, n in counts.items()]
        for i in range(0, len(vals), 5000):
            await uow.session.execute(ins, vals[i : i + 5000])
    for i in range(0, len(exits), 5000):
        await uow.session.execute(_insert(uow, StageExit).on_conflict_do_nothing(index_elements=["event_id"]), exits[i : i + 5000])
    return len(rows)


_KEY_COLS = ("day", "entity_type", "from_stage", "to_stage", "team_id", "reason")


async def rebuild(uow: UnitOfWork) -> FoldResult:
    """Drop the derived tables' contents and fold everything again (they are only a cache)."""
    state = await _state(uow, zone(uow))
    await uow.session.execute(delete(StageDayCount))
    await uow.session.execute(delete(StageExit))
    await uow.session.execute(update(StageFold).where(StageFold.id == 1).values(watermark=0, pending_id=None, pending_xmax=None))
    state.watermark, state.pending_id, state.pending_xmax = 0, None, None
    uow.session.info.pop("stage_fold", None)
    return await fold(uow)


# -- readers ---------------------------------------------------------------------------------------------
async def _watermark(uow: UnitOfWork, tz: ZoneInfo) -> int | None:
    """The folded range for this transaction. The `stage_fold` row is read FOR SHARE: no fold can
    commit between this read and the roll-up reads after it (PostgreSQL's READ COMMITTED would
    otherwise let a reader count a row both in the day counts and in the raw tail). Read once per
    transaction. None: nothing usable folded (readers go to raw events)."""
    txn = uow.session.get_transaction()
    cached = uow.session.info.get("stage_fold")
    if cached is not None and cached[0] is txn:
        return cached[1]
    row = (await uow.session.execute(select(StageFold.zone, StageFold.watermark).where(StageFold.id == 1).with_for_update(read=True))).first()
    w = None if row is None or row[0] != str(tz) or not row[1] else int(row[1])
    uow.session.info["stage_fold"] = (uow.session.get_transaction(), w)
    return w


def _keys() -> tuple[Any, ...]:
    ev = StageEvent
    return (ev.entity_type, ev.from_stage, ev.to_stage, ev.team_id, ev.reason)


async def _raw(uow: UnitOfWork, a: datetime, b: datetime, to_stages: list[str], above: int | None = None) -> Counter[Key]:
    ev = StageEvent
    stmt = select(*_keys(), func.count()).where(ev.to_stage.in_(to_stages), ev.occurred_at >= a, ev.occurred_at < b)
    if above is not None:
        stmt = stmt.where(ev.id > above)
    rows = (await uow.session.execute(stmt.group_by(*_keys()))).all()
    return Counter({tuple(r[:5]): r[5] for r in rows})


async def event_counts(
    uow: UnitOfWork, intervals: Sequence[Interval], to_stages: Iterable[str], *, raw: bool = False
) -> list[Counter[Key]]:
    """For each [since, until): the number of stage events into `to_stages`, by (entity type, from,
    to, team, reason) — exactly what a GROUP BY over `stage_events` would say."""
    stages = sorted(set(to_stages))
    tz = zone(uow)
    w = None if raw else await _watermark(uow, tz)
    out: list[Counter[Key]] = [Counter() for _ in intervals]
    spans: list[tuple[int, date, date]] = []  # (interval index, first whole day, end day) read from the roll-up
    for i, (a, b) in enumerate(intervals):
        if a >= b:
            continue
        if w is None:
            out[i] += await _raw(uow, a, b, stages)
            continue
        lo = a.astimezone(tz).date()
        if day_start(lo, tz) < a:
            lo += timedelta(days=1)
        hi = b.astimezone(tz).date()
        if lo >= hi:
            out[i] += await _raw(uow, a, b, stages)
            continue
        lo_at, hi_at = day_start(lo, tz), day_start(hi, tz)
        if a < lo_at:
            out[i] += await _raw(uow, a, lo_at, stages)
        if hi_at < b:
            out[i] += await _raw(uow, hi_at, b, stages)
        spans.append((i, lo, hi))
    if not spans:
        return out
    first, last = min(s[1] for s in spans), max(s[2] for s in spans)
    d = StageDayCount
    rows = (
        await uow.session.execute(
            select(d.day, d.entity_type, d.from_stage, d.to_stage, d.team_id, d.reason, d.n).where(
                d.day >= first, d.day < last, d.to_stage.in_(stages)
            )
        )
    ).all()
    for day, et, frm, to, team, reason, n in rows:
        key = (et, _dec(frm), to, _dec(team), _dec(reason))
        for i, lo, hi in spans:
            if lo <= day < hi:
                out[i][key] += n
    # Not folded yet (newest, or committed late): raw, inside the days taken from the roll-up.
    ev = StageEvent
    tail = (
        await uow.session.execute(
            select(ev.occurred_at, *_keys()).where(
                ev.id > w, no_index(uow, ev.to_stage).in_(stages), no_index(uow, ev.occurred_at) >= day_start(first, tz),
                no_index(uow, ev.occurred_at) < day_start(last, tz),
            )
        )
    ).all()
    bounds = [(i, day_start(lo, tz), day_start(hi, tz)) for i, lo, hi in spans]
    for at, *key in tail:
        for i, a, b in bounds:
            if a <= at < b:
                out[i][tuple(key)] += 1
    return out


Forward = str | tuple[str, ...]  # the stage moved to, or any of several (a skip forward counts as forward)


def _to(forward: Forward) -> tuple[str, ...]:
    return (forward,) if isinstance(forward, str) else tuple(forward)


def _exits_in(uow: UnitOfWork, entity: str, stage: str, forward: Forward, since: datetime, until: datetime) -> Any:
    x = StageExit
    return (x.from_stage == stage, x.to_stage.in_(_to(forward)), x.at >= since, x.at < until, x.entity_type == entity, x.seconds.is_not(None))


async def _tail_days(
    uow: UnitOfWork, w: int | None, entity: str, stage: str, forward: Forward, since: datetime, until: datetime, team: str | None = None
) -> list[float]:
    """Days in stage for the moves not folded yet (all of them when `w` is None), from the events."""
    ev, entry = StageEvent, aliased(StageEvent)
    entered = (
        select(func.max(entry.occurred_at))
        .where(entry.entity_type == ev.entity_type, entry.entity_id == ev.entity_id, no_index(uow, entry.to_stage) == stage, entry.id < ev.id)
        .scalar_subquery()
    )
    to, at = (ev.to_stage, ev.occurred_at) if w is None else (no_index(uow, ev.to_stage), no_index(uow, ev.occurred_at))  # not folded: the id range is the narrow part
    stmt = select(ev.occurred_at, entered).where(to.in_(_to(forward)), ev.from_stage == stage, at >= since, at < until, ev.entity_type == entity)
    if w is not None:
        stmt = stmt.where(ev.id > w)
    if team is not None:
        stmt = stmt.where(ev.team_id == team)
    return [(out - inn).total_seconds() / 86400 for out, inn in (await uow.session.execute(stmt)).all() if inn is not None]


async def exit_days(
    uow: UnitOfWork, entity: str, stage: str, forward: Forward, since: datetime, until: datetime, *, raw: bool = False
) -> list[float]:
    """Days in `stage` before each move `stage → forward` (one stage or any of several) in [since, until) (moves with no entry
    recorded are left out): folded moves from `stage_exits`, newer ones from the events."""
    w = None if raw else await _watermark(uow, zone(uow))
    days = await _tail_days(uow, w, entity, stage, forward, since, until)
    if w is not None:
        secs = await uow.session.scalars(select(StageExit.seconds).where(*_exits_in(uow, entity, stage, forward, since, until)))
        days += [s / 86400 for s in secs]
    return days


async def median_exit_days(
    uow: UnitOfWork, entity: str, stage: str, forward: Forward, since: datetime, until: datetime, *, team: str | None = None
) -> float | None:
    """The median of `exit_days` (linear between the middle two, as `sla_metrics.percentile`); when
    everything is folded, the database picks the middle values instead of sending every row. For one
    team (the folded exits keep no team), from the events."""
    if team is not None:
        return percentile(await _tail_days(uow, None, entity, stage, forward, since, until, team), 0.5)
    w = await _watermark(uow, zone(uow))
    tail = await _tail_days(uow, w, entity, stage, forward, since, until)
    if w is None or tail:
        return percentile(await exit_days(uow, entity, stage, forward, since, until), 0.5)
    where = _exits_in(uow, entity, stage, forward, since, until)
    n = int(await uow.session.scalar(select(func.count()).select_from(StageExit).where(*where)) or 0)
    if n == 0:
        return None
    pos = (n - 1) * 0.5
    lo, hi = math.floor(pos), math.ceil(pos)
    mid = list(await uow.session.scalars(select(StageExit.seconds).where(*where).order_by(StageExit.seconds).offset(lo).limit(hi - lo + 1)))
    a, b = mid[0] / 86400, mid[-1] / 86400
    return a + (b - a) * (pos - lo)
