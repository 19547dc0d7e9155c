"""4. Analytics at scale: histories from `bot/demo/generator.py` of growing size (stage events), and
for each the time of the product's own public functions — digest (`digest.build`), forecast diff
(`forecast.diff_for` for all FS reps against an empty baseline), coverage (`pipeline.coverage`),
bottleneck (`bottleneck.analyse`), SLA compliance (`sla_metrics.compliance`) — against a floor of one
hand-written aggregate SQL query over the same data (a full GROUP BY over stage_events joined to
nothing, plus the open pipeline sum). Reports the ratio per size and the fitted growth exponent
(slope of log time on log events; 1.0 = linear). SQLite."""

from __future__ import annotations

import time
from datetime import timedelta
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
    utcnow,
)

# leads_per_day × months → about 3.6 stage events per lead with the generator's conversion rates on
# the bench config: full ≈ 10k, 100k and 1M stage events (the largest has ~55k opportunities).
SIZES = {
    "smoke": [{"leads_per_day": 4, "months": 2}, {"leads_per_day": 12, "months": 2}],
    "full": [{"leads_per_day": 51, "months": 3}, {"leads_per_day": 153, "months": 9}, {"leads_per_day": 1530, "months": 9}],
}
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


async def _one(spec: dict[str, int]) -> dict[str, Any]:
    from bot.clock import ManualClock
    from bot.config import Settings, load_config
    from bot.context import Context
    from bot.db import make_engine, make_sessionmaker
    from bot.demo.generator import generate
    from bot.messages import Messages

    async with temp_database("sqlite") as url:
        engine = make_engine(url)
        now = utcnow()
        ctx = Context(
            config=load_config(BENCH_CONFIG), settings=Settings(database_url=url), sessions=make_sessionmaker(engine),
            clock=ManualClock(now), messages=Messages(),
        )  # fmt: skip
        try:
            t = time.perf_counter()
            async with ctx.uow() as uow:
                h = await generate(uow, seed=11, months=spec["months"], leads_per_day=spec["leads_per_day"], end=now)
            gen_s = time.perf_counter() - t
            async with engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
                await conn.commit()

            async def floor() -> None:
                async with engine.connect() as conn:
                    (await conn.execute(text(FLOOR_SQL))).all()
                    (await conn.execute(text(PIPE_SQL))).all()

            out: dict[str, Any] = {
                "events": h.events, "leads": h.leads, "opportunities": h.opportunities, "generate_seconds": gen_s,
                "floor_seconds": await _timed(floor),
            }  # fmt: skip
            async with ctx.uow() as uow:
                for name, fn in _functions(uow, now).items():
                    try:
                        out[f"{name}_seconds"] = await _timed(fn)
                    except Exception as e:  # a module still being written: report, keep measuring the rest
                        out[f"{name}_error"] = f"{type(e).__name__}: {str(e)[:200]}"
        finally:
            await engine.dispose()
    return out


async def _run(size: str) -> dict[str, Any]:
    res = result("analytics", size)
    runs = [await _one(spec) for spec in SIZES[size]]
    res["figures"]["runs"] = [rounded(r) for r in runs]
    names = sorted({k[: -len("_seconds")] for r in runs for k in r if k.endswith("_seconds")} - {"generate", "floor"})
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
    res["notes"].append("best of 3 per function; data from bot/demo/generator.py on the bench config")
    return finish(res)


run = runner(_run)


if __name__ == "__main__":
    main(run)
