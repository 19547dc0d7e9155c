"""Shared pieces of the benchmarks: sizes, throw-away databases (SQLite file / PostgreSQL database per
run), the bot served in-process next to the Slack emulator, signed interaction payloads, statistics.

Every benchmark module has ``run(size="smoke"|"full") -> dict`` returning
``{"name", "figures": {...}, "ratios": {...}, "goals": {name: {"target", "value", "met"}}, "notes": [...]}``.
Goals are reported, never asserted; a benchmark raises only when it could not run.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
BENCH_CONFIG = Path(__file__).parent / "fixtures" / "app.yaml"
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
API_TOKEN = "bench-api-token"
SIZES = ("smoke", "full")


def check_size(size: str) -> str:
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    return size


def pg_admin_url() -> str | None:
    return os.environ.get("BENCH_PG_URL") or os.environ.get("BATON_TEST_PG_URL") or None


def databases() -> list[str]:
    return ["sqlite", "postgres"] if pg_admin_url() else ["sqlite"]


def result(name: str, size: str) -> dict[str, Any]:
    return {"name": name, "size": size, "figures": {}, "ratios": {}, "goals": {}, "notes": []}


def goal(res: dict[str, Any], key: str, target: str, value: float | None, met: bool | None) -> None:
    res["goals"][key] = {"target": target, "value": _round(value), "met": met}


def _round(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 4) if abs(v) < 100 else round(v, 1)
    return v


def rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (rounded(v) if isinstance(v, dict) else _round(v)) for k, v in d.items()}


def percentile(values: list[float], q: float) -> float:
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def fit_exponent(ns: list[float], ts: list[float]) -> float | None:
    """Least-squares slope of log(t) against log(n): 1.0 is linear growth."""
    pts = [(math.log(n), math.log(max(t, 1e-6))) for n, t in zip(ns, ts) if n > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def run_async(coro: Any) -> Any:
    """Run a coroutine from sync code, also when called inside a running loop (pytest-asyncio)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


# -- databases -----------------------------------------------------------------------------------
def _pg_url(admin: str, db: str) -> str:
    base = admin.rsplit("/", 1)[0]
    base = base.replace("postgresql+asyncpg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + db


@asynccontextmanager
async def temp_database(kind: str, *, migrate_schema: bool = True) -> AsyncIterator[str]:
    """A fresh, migrated database for one run: a SQLite file in a temp dir, or a PostgreSQL database
    created on the admin URL and dropped afterwards."""
    from bot.db import migrate

    if kind == "sqlite":
        d = Path(tempfile.mkdtemp(prefix="baton-bench-"))
        url = f"sqlite+aiosqlite:///{d / 'bench.db'}"
        try:
            if migrate_schema:
                await migrate(url)
            yield url
        finally:
            shutil.rmtree(d, ignore_errors=True)
        return
    admin = pg_admin_url()
    if not admin:
        raise RuntimeError("PostgreSQL benchmark needs BENCH_PG_URL or BATON_TEST_PG_URL")
    import asyncpg

    admin_plain = admin.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = f"baton_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_plain)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = _pg_url(admin, name)
    try:
        if migrate_schema:
            await migrate(url)
        yield url
    finally:
        conn = await asyncpg.connect(admin_plain)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


# -- the bot in-process, next to the emulator ---------------------------------------------------
class Served:
    """The bot (Baton) served over real HTTP with the Slack emulator, like tests/harness.py, but on the
    system clock (delivery pauses after a 429 are measured in real time)."""

    def __init__(self, database_url: str, *, config_path: Path = BENCH_CONFIG, channel_rate: float = 1000.0, clock: Any = None):
        from bot.config import load_config
        from bot.sandbox import SlackEmulator

        self.database_url = database_url
        self.config = load_config(config_path)
        self.channel_rate = channel_rate
        self.clock = clock
        self.emu = SlackEmulator(
            signing_secret=SECRET,
            bot_token=TOKEN,
            users={p.slack_id: {"name": p.id, "real_name": p.name, "tz": "Asia/Tokyo"} for p in self.config.people},
        )
        self.baton: Any = None
        self._runner: web.AppRunner | None = None
        self.http: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> Served:
        from bot.app import Baton
        from bot.config import Settings

        api_url = await self.emu.start()
        settings = Settings(
            slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=api_url, database_url=self.database_url,
            api_token=API_TOKEN, per_channel_per_second=self.channel_rate,
        )  # fmt: skip
        self.baton = Baton(self.config, settings, clock=self.clock)
        await self.baton.start(migrate_schema=False, background=False)
        self._runner = web.AppRunner(self.baton.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001
        self.emu.bot_url = f"{self.url}/slack/events"
        self.http = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {API_TOKEN}"}, connector=aiohttp.TCPConnector(limit=100)
        )
        return self

    async def stop(self) -> None:
        if self.http:
            await self.http.close()
        if self._runner:
            await self._runner.cleanup()
        if self.baton:
            await self.baton.stop()
        await self.emu.stop()

    async def post(self, path: str, payload: Any) -> tuple[int, Any]:
        async with self.http.post(self.url + path, json=payload) as r:
            text = await r.text()
            try:
                return r.status, json.loads(text)
            except ValueError:
                return r.status, text

    async def deliver(self) -> int:
        total = 0
        while True:
            n = await self.baton.delivery.drain_once()
            total += n
            if n == 0:
                return total


def lead_rows(n: int, *, prefix: str, regions: tuple[str, ...] = ("east", "west", "chubu", "kyushu")) -> list[dict[str, Any]]:
    """Leads that all become MQLs (large company + manager title + a download), spread over regions."""
    rows = []
    for i in range(n):
        rows.append(
            {
                "external_id": f"{prefix}-{i}",
                "email": f"{prefix}-{i}@bench.example.jp",
                "name": f"ベンチ {i}",
                "company": f"ベンチ工業{i % 997}株式会社",
                "title": "情報システム部長",
                "employees": 1500 + i % 50,
                "region": regions[i % len(regions)],
                "source": "web",
                "campaign": "bench",
                "activities": [{"type": "demo_request", "at": utcnow().isoformat()}],
            }
        )
    return rows


async def post_batches(served: Served, rows: list[dict[str, Any]], batch: int = 500) -> list[int]:
    ids: list[int] = []
    for i in range(0, len(rows), batch):
        status, body = await served.post("/api/leads", {"leads": rows[i : i + batch]})
        if status != 200:
            raise RuntimeError(f"POST /api/leads failed: {status} {str(body)[:300]}")
        ids += [r["id"] for r in body["results"]]
    return ids


# -- signed interactions ----------------------------------------------------------------------------
def click_payload(emu: Any, user_id: str, message: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The block_actions payload Slack sends for a button press, built as SlackEmulator.click() does."""
    block, element = emu._element_by_action(message["blocks"], action_id, f"message {message['ts']}")  # noqa: SLF001
    return {
        "type": "block_actions",
        "user": emu._user_ref(user_id),  # noqa: SLF001
        "api_app_id": emu.app_id,
        "token": "bench-verification-token",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": message["channel"], "is_ephemeral": False},
        "trigger_id": emu.issue_trigger(user_id),
        "team": emu._team_ref(),  # noqa: SLF001
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": emu._channel_ref(message["channel"]),  # noqa: SLF001
        "state": {"values": {}},
        "response_url": emu._issue_response_url(user_id, message["channel"], message),  # noqa: SLF001
        "actions": [emu._action_for(block, element, None, None)],  # noqa: SLF001
        "message": emu._api_message(message),  # noqa: SLF001
    }


def signed(payload: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"payload": json.dumps(payload)})
    ts = str(int(time.time()))
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) or ""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
    return body.encode(), headers


async def press_all(url: str, requests: list[tuple[bytes, dict[str, str]]], concurrency: int) -> tuple[list[float], float, int]:
    """Send the requests `concurrency` at a time; latencies (s) of each, wall time, non-200 count."""
    latencies: list[float] = []
    bad = 0
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def worker() -> None:
            nonlocal bad
            while not queue.empty():
                body, headers = queue.get_nowait()
                t = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        bad += 1
                latencies.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return latencies, wall, bad


def finish(res: dict[str, Any]) -> dict[str, Any]:
    """Every benchmark ends the same way: figures and ratios rounded for the report."""
    res["figures"] = rounded(res["figures"])
    res["ratios"] = rounded(res["ratios"])
    return res


def runner(coro_fn: Callable[[str], Awaitable[dict[str, Any]]]) -> Callable[[str], dict[str, Any]]:
    """`run(size)` of a benchmark module, from its async `_run(size)`."""

    def run(size: str = "smoke") -> dict[str, Any]:
        return run_async(coro_fn(check_size(size)))

    return run


def main(run: Callable[[str], dict[str, Any]]) -> None:
    """`python -m bench.NAME --size smoke|full`: print the result as JSON."""
    import argparse
    import json

    p = argparse.ArgumentParser()
    p.add_argument("--size", default="smoke")
    print(json.dumps(run(p.parse_args().size), ensure_ascii=False, indent=1))
