"""4. Analytics at scale: histories from `bot/demo/generator.py` of growing size (stage events), and
for each the time of the product's own public functions — digest (`digest.build`), forecast diff
(`forecast.diff_for` for all FS reps against an empty baseline), coverage (`pipeline.coverage`),
bottleneck (`bottleneck.analyse`), SLA compliance (`sla_metrics.compliance`) — against a floor of one
hand-written aggregate SQL query over the same data (a full GROUP BY over raw stage_events joined to
nothing, plus the open pipeline sum). Reports the ratio per size and the fitted growth exponent
(slope of log time on log events; 1.0 = linear). SQLite.

The functions run as in production: after the scheduled stage roll-up fold (jobs/stage_rollup.py),
whose own time is reported (from an empty roll-up, and for one more day of events). The floor does
not use the roll-up. Generated histories are cached as SQLite files (see `CACHE`), keyed by size,
seed, generator version and schema; BENCH_NO_CACHE=1 generates afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable

from sqlalchemy import text

from bench.common import (
    BENCH_CONFIG,
    finish,
    fit_exponent,
    goal,
    main,
    result,
    rounded,
    runner,
    temp_database,
)

# leads_per_day × months (+ upsell deals per working day) → about 10k, 100k and 1M stage events;
# the largest has ~100k opportunities (the figure), half of them upsells from customers.
SIZES = {
    "smoke": [{"leads_per_day": 4, "months": 2, "upsells_per_day": 1}, {"leads_per_day": 12, "months": 2, "upsells_per_day": 3}],
    "full": [
        {"leads_per_day": 41, "months": 3, "upsells_per_day": 10},
        {"leads_per_day": 123, "months": 9, "upsells_per_day": 30},
        {"leads_per_day": 1230, "months": 9, "upsells_per_day": 300},
    ],
}
SEED = 11
# A fixed "now" (not on an hour or day boundary): runs are comparable and generated histories can be
# cached across runs.
NOW = datetime(2026, 11, 20, 3, 17, 42, 123456, tzinfo=UTC)
CACHE = Path(os.environ.get("BENCH_CACHE_DIR") or Path(tempfile.gettempdir()) / "baton-analytics-cache")
FLOOR_SQL = """
SELECT s.entity_type, s.from_stage, s.to_stage, count(*), min(s.at), max(s.at)
FROM stage_events s GROUP BY s.entity_type, s.from_stage, s.to_stage
"""
PIPE_SQL = "SELECT phase, count(*), sum(amount) FROM opportunities WHERE status = 'open' GROUP BY phase"


async def _timed(fn: Callable[[], Awaitable[Any]], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        await fn()
        best = min(best, time.perf_counter() - t)
    return best


def _functions(uow: Any, now: Any) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The analytics that exist, by name (modules other engineers are writing may be missing)."""
    out: dict[str, Callable[[], Awaitable[Any]]] = {}
    try:
        from bot.domain import digest

        out["digest"] = lambda: digest.build(uow, scope="company", team_id=None, now=now)
    except ImportError:
        pass
    try:
        from bot.domain import forecast

        reps = [p.id for p in uow.config.people if "fs_rep" in p.roles]
        out["forecast_diff"] = lambda: forecast.diff_for(uow, reps, "quarter", baseline=[], baseline_at=None)
    except ImportError:
        pass
    try:
        from bot.domain import pipeline

        out["coverage"] = lambda: pipeline.coverage(uow, now=now)
    except ImportError:
        pass
    try:
        from bot.domain import bottleneck

        out["bottleneck"] = lambda: bottleneck.analyse(uow, now=now)
    except ImportError:
        pass
    from bot.domain import sla_metrics

    out["sla_compliance"] = lambda: sla_metrics.compliance(uow, now - timedelta(days=90), now, "team")
    return out


def _cache_key(spec: dict[str, int]) -> str:
    """Size + seed + generator version + schema: a cached history is reused only if all match."""
    from bot.db import MIGRATIONS
    from bot.demo.generator import VERSION

    schema = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((MIGRATIONS / "versions").glob("*.py")))).hexdigest()
    raw = json.dumps({"spec": spec, "seed": SEED, "now": NOW.isoformat(), "generator": VERSION, "schema": schema}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


async def _prepared(spec: dict[str, int], url: str, ctx: Any, engine: Any) -> tuple[dict[str, Any], bool]:
    """Generate the history into the run's SQLite file, or copy it from the cache (BENCH_NO_CACHE=1: always generate)."""
    from bot.demo.generator import generate

    path = Path(url.split(":///", 1)[1])
    cached = CACHE / f"analytics-{_cache_key(spec)}.db"
    meta = cached.with_suffix(".json")
    if cached.exists() and meta.exists() and not os.environ.get("BENCH_NO_CACHE"):
        await engine.dispose()
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        shutil.copyfile(cached, path)
        return json.loads(meta.read_text()), True
    t = time.perf_counter()
    async with ctx.uow() as uow:
        h = await generate(uow, seed=SEED, end=NOW, **spec)
    info = {"events": h.events, "leads": h.leads, "opportunities": h.opportunities, "generate_seconds": time.perf_counter() - t}
    await engine.dispose()
    with closing(sqlite3.connect(path)) as db:  # everything into the main file, so it can be copied alone
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    shutil.copyfile(path, tmp)
    os.replace(tmp, cached)  # readers of the cache never see a half-written file
    meta.write_text(json.dumps(info))
    return info, False


async def _one(spec: dict[str, int]) -> dict[str, Any]:
    from bot.clock import ManualClock
    from bot.config import Settings, load_config
    from bot.context import Context
    from bot.db import make_engine, make_sessionmaker
    from bot.messages import Messages
    from jobs.stage_rollup import fold_all

    async with temp_database("sqlite") as url:
        engine = make_engine(url)
        now = NOW
        ctx = Context(
            config=load_config(BENCH_CONFIG), settings=Settings(database_url=url), sessions=make_sessionmaker(engine),
            clock=ManualClock(now), messages=Messages(),
        )  # fmt: skip
        try:
            info, from_cache = await _prepared(spec, url, ctx, engine)
            # The scheduled fold, from nothing (a new deployment) and then one more day of events.
            t = time.perf_counter()
            await fold_all(ctx, now)
            fold_s = time.perf_counter() - t
            async with engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
                await conn.commit()

            async def floor() -> None:
                async with engine.connect() as conn:
                    (await conn.execute(text(FLOOR_SQL))).all()
                    (await conn.execute(text(PIPE_SQL))).all()

            out: dict[str, Any] = {
                **info, "from_cache": from_cache, "fold_all_seconds": fold_s, "floor_seconds": await _timed(floor),
            }  # fmt: skip
            async with ctx.uow() as uow:
                for name, fn in _functions(uow, now).items():
                    try:
                        out[f"{name}_seconds"] = await _timed(fn)
                    except Exception as e:  # a module still being written: report, keep measuring the rest
                        out[f"{name}_error"] = f"{type(e).__name__}: {str(e)[:200]}"
            out["fold_day_seconds"] = await _fold_one_more_day(ctx, engine, info["events"], now)
        finally:
            await engine.dispose()
    return out


async def _fold_one_more_day(ctx: Any, engine: Any, events: int, now: datetime) -> float:
    """Time the hourly fold after a day's worth of new events (copies of the last ones, same day)."""
    from jobs.stage_rollup import fold_all

    per_day = max(1, events // 274)
    cols = "entity_type, entity_id, from_stage, to_stage, at, occurred_at, actor, team_id, reason, note, data"
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            f"INSERT INTO stage_events ({cols}) SELECT {cols} FROM stage_events ORDER BY id DESC LIMIT {per_day}"
        )
    t = time.perf_counter()
    await fold_all(ctx, now)
    return time.perf_counter() - t


async def _run(size: str) -> dict[str, Any]:
    res = result("analytics", size)
    runs = [await _one(spec) for spec in SIZES[size]]
    res["figures"]["runs"] = [rounded(r) for r in runs]
    names = sorted({k[: -len("_seconds")] for r in runs for k in r if k.endswith("_seconds")} - {"generate", "floor", "fold_all", "fold_day"})
    largest = runs[-1]
    events = [r["events"] for r in runs]
    for name in names:
        if f"{name}_seconds" not in largest:
            continue
        ratio = largest[f"{name}_seconds"] / largest["floor_seconds"]
        res["ratios"][f"{name}_over_floor_at_largest"] = ratio
        ts = [r.get(f"{name}_seconds") for r in runs]
        exp = fit_exponent(events, ts) if all(t is not None for t in ts) else None
        res["figures"][f"{name}_growth_exponent"] = exp
        goal(res, f"{name}_ratio", "≤ 3× one aggregate query", ratio, ratio <= 3)
        goal(res, f"{name}_growth", "exponent ≤ 1.1 (linear)", exp, None if exp is None else exp <= 1.1)
        if size == "full":
            goal(res, f"{name}_seconds_at_largest", "< 1 s at the largest size", largest[f"{name}_seconds"], largest[f"{name}_seconds"] < 1)
    res["figures"]["floor_growth_exponent"] = fit_exponent(events, [r["floor_seconds"] for r in runs])
    errors = {k: v for r in runs for k, v in r.items() if k.endswith("_error")}
    if errors:
        res["notes"].append(f"not measured (raised): {errors}")
    res["notes"].append(
        "best of 3 per function, after the scheduled stage roll-up fold (fold_all_seconds: from an empty roll-up; "
        "fold_day_seconds: one more day of events); data from bot/demo/generator.py on the bench config, "
        f"cached under {CACHE} by size, seed, generator version and schema"
    )
    return finish(res)


run = runner(_run)


if __name__ == "__main__":
    main(run)
