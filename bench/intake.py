"""2. Lead intake: leads/s through `POST /api/leads` (one lead per request, and batches) to a durable
commit with scoring, routing, SLA clocks and the queued MQL card — against a floor of plain inserts
of the same rows through the same driver (SQLAlchemy core `insert(Lead)` executemany in one
transaction, on a fresh database of the same kind). SQLite always; PostgreSQL when
BENCH_PG_URL / BATON_TEST_PG_URL is set (a database created per run)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import insert

from bench.common import (
    Served,
    databases,
    finish,
    goal,
    lead_rows,
    main,
    result,
    runner,
    temp_database,
    utcnow,
)  # fmt: skip

SIZES = {"smoke": {"single": 5, "batch_rows": 100, "batch": 50}, "full": {"single": 300, "batch_rows": 5000, "batch": 500}}
LEAD_COLUMNS = ("external_id", "email", "name", "company", "title", "employees", "region", "source", "campaign")


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            **{k: r[k] for k in LEAD_COLUMNS}, "attributes": {}, "stage": "lead", "score": 0, "score_breakdown": [],
            "recycle_count": 0, "is_returning": False, "created_at": now, "updated_at": now,
        }  # fmt: skip
        for r in rows
    ]


async def floor_rate(kind: str, rows: list[dict[str, Any]]) -> float:
    """Rows/s of one executemany insert of `rows` in one transaction on a fresh database."""
    from bot.db import make_engine
    from bot.models import Lead

    async with temp_database(kind) as url:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:  # warm the connection and statement cache
                await conn.execute(insert(Lead), _plain(rows[:5]))
            plain = _plain(rows)
            for r in plain:
                r["external_id"] = "floor-" + r["external_id"]
                r["email"] = "floor-" + r["email"]
            t = time.perf_counter()
            async with engine.begin() as conn:
                await conn.execute(insert(Lead), plain)
            return len(rows) / (time.perf_counter() - t)
        finally:
            await engine.dispose()


async def _one_db(kind: str, n: dict[str, int]) -> dict[str, Any]:
    single_rows = lead_rows(n["single"], prefix=f"single-{kind}")
    batch_rows = lead_rows(n["batch_rows"], prefix=f"batch-{kind}")
    floor = await floor_rate(kind, batch_rows)
    async with temp_database(kind) as url:
        served = await Served(url).start()
        try:
            await served.post("/api/leads", lead_rows(1, prefix=f"warm-{kind}")[0])  # first-request costs
            t = time.perf_counter()
            failed = 0
            for r in single_rows:
                status, _ = await served.post("/api/leads", r)
                failed += status not in (200, 201)
            single = len(single_rows) / (time.perf_counter() - t)
            t = time.perf_counter()
            for i in range(0, len(batch_rows), n["batch"]):
                status, body = await served.post("/api/leads", {"leads": batch_rows[i : i + n["batch"]]})
                failed += len(batch_rows[i : i + n["batch"]]) if status != 200 else body["failed"]
            batch = len(batch_rows) / (time.perf_counter() - t)
            from sqlalchemy import func, select

            from bot.models import Lead, OutboxMessage

            async with served.baton.ctx.sessions() as s:
                mql = (await s.execute(select(func.count()).select_from(Lead).where(Lead.stage == "mql"))).scalar_one()
                queued = (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
        finally:
            await served.stop()
    return {
        "single_leads_per_s": single, "batch_leads_per_s": batch, "batch_size": n["batch"],
        "floor_rows_per_s": floor, "failed": failed, "mql": mql, "cards_queued": queued,
        "leads": len(single_rows) + len(batch_rows) + 1,
    }  # fmt: skip


async def _run(size: str) -> dict[str, Any]:
    n = SIZES[size]
    res = result("intake", size)
    for kind in databases():
        fig = await _one_db(kind, n)
        res["figures"][kind] = fig
        for mode in ("batch", "single"):
            ratio = fig[f"{mode}_leads_per_s"] / fig["floor_rows_per_s"]
            res["ratios"][f"{kind}_{mode}"] = ratio
        goal(res, f"{kind}_batch_ratio", "≥ 0.5 of plain inserts", res["ratios"][f"{kind}_batch"], res["ratios"][f"{kind}_batch"] >= 0.5)
        goal(res, f"{kind}_single_ratio", "≥ 0.5 of plain inserts", res["ratios"][f"{kind}_single"], res["ratios"][f"{kind}_single"] >= 0.5)
        goal(res, f"{kind}_no_failures", "every lead accepted", fig["failed"], fig["failed"] == 0)
    res["notes"].append("every lead scores ≥ threshold, so each is routed, gets SLA timers and a queued MQL card")
    return finish(res)


run = runner(_run)


if __name__ == "__main__":
    main(run)
