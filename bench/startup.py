"""6. Start-up: `python -m bot run --http` from process start to `/healthz` 200 with N pending timers
in the database, against the same start on an empty (migrated) database."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    finish,
    goal,
    main,
    result,
    runner,
    temp_database,
)
from bench.process import bulk, with_bot

SIZES = {"smoke": {"timers": 2_000, "starts": 1}, "full": {"timers": 100_000, "starts": 2}}


async def _ready_seconds(url: str, log: Path) -> float:
    async def body(proc, emu):  # noqa: ANN001, ANN202
        return await proc.wait_ready()

    return await with_bot(url, log, body, graceful=False)


async def _run(size: str) -> dict[str, Any]:
    n = SIZES[size]
    res = result("startup", size)
    logs = Path(tempfile.mkdtemp(prefix="baton-bench-logs-"))
    try:
        async with temp_database("sqlite") as empty_url:
            floor = min([await _ready_seconds(empty_url, logs / "empty.log") for _ in range(n["starts"])])
        async with temp_database("sqlite") as url:
            t = time.perf_counter()
            await bulk(url, timers=n["timers"])
            prep = time.perf_counter() - t
            loaded = min([await _ready_seconds(url, logs / "loaded.log") for _ in range(n["starts"])])
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    res["figures"] = {"pending_timers": n["timers"], "ready_seconds": loaded, "floor_empty_db_ready_seconds": floor, "prepare_seconds": prep}
    res["ratios"]["ready_over_empty"] = loaded / floor
    goal(res, "ready_seconds", "< 3 s", loaded, loaded < 3.0)
    res["notes"].append(f"best of {n['starts']} start(s) each; the floor is the same command on an empty migrated SQLite database")
    return finish(res)


run = runner(_run)


if __name__ == "__main__":
    main(run)
