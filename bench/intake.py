"""2. Lead intake: leads/s through `POST /api/leads` (one lead per request, and batches) to a durable
commit with scoring, routing, SLA clocks and the queued MQL card — against floors of plain inserts
through the same driver on a fresh database of the same kind:

- `floor_rows_per_s` (the issue's floor): SQLAlchemy core `insert(Lead)` executemany of the same
  lead rows in one transaction. The batch goal is measured against it.
- `floor_single_rows_per_s`: the same rows, one INSERT + COMMIT each — a single-lead request is one
  transaction, so the single goal is measured against this.
- `floor_all_writes_leads_per_s`: every row intake itself writes for an MQL (the lead, its two
  stage events, its activity, two SLA timers, its queued card) as plain executemany inserts in one
  transaction, in leads/s: what the work would cost with no logic at all. Reported, not a goal.

SQLite always; PostgreSQL when BENCH_PG_URL / BATON_TEST_PG_URL is set (a database created per run)."""

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


def _renamed(rows: list[dict[str, Any]], tag: str) -> list[dict[str, Any]]:
    plain = _plain(rows)
    for r in plain:
        r["external_id"] = f"{tag}-" + r["external_id"]
        r["email"] = f"{tag}-" + r["email"]
    return plain


async def floor_rates(kind: str, rows: list[dict[str, Any]], single: int) -> dict[str, float]:
    """Plain-insert floors (see the module doc) on a fresh database."""
    from bot.db import make_engine
    from bot.models import Activity, Lead, OutboxMessage, StageEvent, Timer

    async with temp_database(kind) as url:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:  # warm the connection and statement cache
                await conn.execute(insert(Lead), _renamed(rows[:5], "warm"))
            plain = _renamed(rows, "floor")
            t = time.perf_counter()
            async with engine.begin() as conn:
                await conn.execute(insert(Lead), plain)
            batch = len(rows) / (time.perf_counter() - t)

            t = time.perf_counter()
            for r in _renamed(rows[:single], "one"):
                async with engine.begin() as conn:
                    await conn.execute(insert(Lead), [r])
            one_by_one = single / (time.perf_counter() - t)

            now = utcnow()
            leads = _renamed(rows, "all")
            t = time.perf_counter()
            async with engine.begin() as conn:
                ids = (await conn.execute(insert(Lead).returning(Lead.id, sort_by_parameter_order=True), leads)).scalars().all()
                events = [{"entity_type": "lead", "entity_id": i, "from_stage": frm, "to_stage": to, "at": now,
                           "actor": "api", "data": {}} for i in ids for frm, to in ((None, "lead"), ("lead", "mql"))]  # fmt: skip
                await conn.execute(insert(StageEvent), events)
                await conn.execute(insert(Activity), [{"lead_id": i, "type": "demo_request", "at": now, "data": {}} for i in ids])
                await conn.execute(insert(Timer), [{"kind": k, "subject": f"lead:{i}", "due_at": now, "data": {}}
                                                   for i in ids for k in ("sla_warn", "sla_breach")])  # fmt: skip
                await conn.execute(insert(OutboxMessage), [
                    {"method": "chat.postMessage", "payload": {"channel": "C", "text": r["name"]}, "channel": "C",
                     "key": f"lead:{i}:mql:0", "dedupe_key": f"post:lead:{i}:mql:0", "status": "pending",
                     "attempts": 0, "next_attempt_at": now, "created_at": now}
                    for i, r in zip(ids, leads, strict=True)
                ])  # fmt: skip
            all_writes = len(rows) / (time.perf_counter() - t)
            return {"floor_rows_per_s": batch, "floor_single_rows_per_s": one_by_one, "floor_all_writes_leads_per_s": all_writes}
        finally:
            await engine.dispose()


async def _one_db(kind: str, n: dict[str, int]) -> dict[str, Any]:
    single_rows = lead_rows(n["single"], prefix=f"single-{kind}")
    batch_rows = lead_rows(n["batch_rows"], prefix=f"batch-{kind}")
    floors = await floor_rates(kind, batch_rows, n["single"])
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
        **floors, "failed": failed, "mql": mql, "cards_queued": queued,
        "leads": len(single_rows) + len(batch_rows) + 1,
    }  # fmt: skip


async def _run(size: str) -> dict[str, Any]:
    n = SIZES[size]
    res = result("intake", size)
    for kind in databases():
        fig = await _one_db(kind, n)
        res["figures"][kind] = fig
        floor = {"batch": fig["floor_rows_per_s"], "single": fig["floor_single_rows_per_s"]}
        for mode in ("batch", "single"):
            ratio = res["ratios"][f"{kind}_{mode}"] = fig[f"{mode}_leads_per_s"] / floor[mode]
            target = "≥ 0.5 of plain inserts" + (" (one per transaction)" if mode == "single" else "")
            goal(res, f"{kind}_{mode}_ratio", target, ratio, ratio >= 0.5)
        res["ratios"][f"{kind}_batch_vs_all_writes"] = fig["batch_leads_per_s"] / fig["floor_all_writes_leads_per_s"]
        goal(res, f"{kind}_no_failures", "every lead accepted", fig["failed"], fig["failed"] == 0)
    res["notes"].append("every lead scores ≥ threshold, so each is routed, gets SLA timers and a queued MQL card")
    return finish(res)


run = runner(_run)


if __name__ == "__main__":
    main(run)
