"""5. Memory: peak RSS (VmHWM from /proc/<pid>/status) of a running `python -m bot run --http` on a
SQLite database holding N leads (each with its lead→mql→sal stage events) and N opportunities,
while it takes intake batches, serves lead reads and runs the morning digest and the bottleneck
analysis (through the operator endpoint `POST /api/admin/jobs/{name}`, inside the process). Floor:
the same process idle on an empty database."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    API_TOKEN,
    finish,
    goal,
    lead_rows,
    main,
    result,
    runner,
    temp_database,
)
from bench.process import bulk, with_bot

JOBS = ("digest", "bottleneck")  # the analytics a morning runs, on the 100k-row history
SIZES = {"smoke": {"rows": 1_000, "batches": 1, "batch": 20, "reads": 5, "settle": 0.3}, "full": {"rows": 100_000, "batches": 6, "batch": 500, "reads": 50, "settle": 1.0}}


async def _measure(url: str, log: Path, n: dict[str, int] | None) -> dict[str, int]:
    async def body(proc, emu):  # noqa: ANN001, ANN202
        await proc.wait_ready()
        if n:
            headers = {"Authorization": f"Bearer {API_TOKEN}"}
            async with aiohttp.ClientSession(headers=headers) as s:
                for b in range(n["batches"]):
                    rows = lead_rows(n["batch"], prefix=f"mem-{b}")
                    async with s.post(proc.url + "/api/leads", json={"leads": rows}) as r:
                        if r.status != 200:
                            raise RuntimeError(f"intake failed: {r.status} {(await r.text())[:300]}")
                for i in range(1, n["reads"] + 1):
                    async with s.get(f"{proc.url}/api/leads/{i * max(1, n['rows'] // n['reads'])}") as r:
                        await r.read()
                for name in JOBS:
                    async with s.post(f"{proc.url}/api/admin/jobs/{name}") as r:
                        if r.status != 200:
                            raise RuntimeError(f"job {name} failed: {r.status} {(await r.text())[:300]}")
        await asyncio.sleep(n["settle"] if n else 0.3)  # delivery and the scheduler settle
        return proc.status()

    return await with_bot(url, log, body, graceful=False)


async def _run(size: str) -> dict[str, Any]:
    n = SIZES[size]
    res = result("memory", size)
    logs = Path(tempfile.mkdtemp(prefix="baton-bench-logs-"))
    try:
        async with temp_database("sqlite") as empty_url:
            idle = await _measure(empty_url, logs / "idle.log", None)
        async with temp_database("sqlite") as url:
            await bulk(url, leads=n["rows"], opportunities=n["rows"])
            busy = await _measure(url, logs / "busy.log", n)
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    peak_mb = busy["VmHWM"] / 1024
    res["figures"] = {
        "leads": n["rows"], "opportunities": n["rows"], "stage_events": n["rows"] * 3,
        "intake_leads_during_run": n["batches"] * n["batch"], "peak_rss_mb": peak_mb, "rss_end_mb": busy["VmRSS"] / 1024,
        "floor_idle_empty_db_peak_rss_mb": idle["VmHWM"] / 1024,
    }  # fmt: skip
    res["ratios"]["peak_over_idle"] = peak_mb / (idle["VmHWM"] / 1024)
    goal(res, "peak_rss_mb", "< 200 MB", peak_mb, peak_mb < 200)
    res["notes"].append(f"load: intake batches, lead reads, then the {' and '.join(JOBS)} jobs run inside the process")
    return finish(res)


run = runner(_run)


if __name__ == "__main__":
    main(run)
