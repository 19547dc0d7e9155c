"""A real `python -m bot run --http` process against the in-process Slack emulator (as in
tests/reliability/processes.py), and bulk-prepared SQLite databases for it."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert

from bench.common import API_TOKEN, BENCH_CONFIG, ROOT, SECRET, TOKEN, utcnow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(self, database_url: str, api_url: str, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "DATABASE_URL"))}
        env.update(
            SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url, DATABASE_URL=database_url,
            BATON_CONFIG=str(BENCH_CONFIG), BATON_API_TOKEN=API_TOKEN, BATON_CHANNEL_RATE="200",
            BATON_LOG_LEVEL="WARNING",
        )  # fmt: skip
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    def start(self) -> BotProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        return self

    def stop(self, graceful: bool = True) -> float:
        """Stop the process; seconds SIGTERM took to end it (SIGKILL after 10 s, or at once if not graceful)."""
        t = time.perf_counter()
        if self.proc and self.proc.poll() is None and not graceful:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()
        return time.perf_counter() - t

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    async def wait_ready(self, within: float = 60.0) -> float:
        """Seconds from process start until /healthz answers 200."""
        deadline = time.perf_counter() + within
        async with aiohttp.ClientSession() as s:
            while time.perf_counter() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"bot exited with {self.proc.returncode}:\n{self.log()}")
                try:
                    async with s.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=1)) as r:
                        if r.status == 200:
                            return time.perf_counter() - self.started_at
                except (aiohttp.ClientError, TimeoutError, OSError):
                    pass
                await asyncio.sleep(0.02)
        raise RuntimeError(f"bot not ready within {within}s:\n{self.log()}")

    def status(self) -> dict[str, int]:
        """VmHWM / VmRSS in kB from /proc/<pid>/status."""
        out = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, val = line.split(":", 1)
                out[key] = int(val.split()[0])
        return out


async def bulk(database_url: str, *, leads: int = 0, opportunities: int = 0, timers: int = 0, answered: bool = True, chunk: int = 10_000) -> None:
    """Bulk rows through SQLAlchemy core: leads (each with its lead→mql→sal stage events when
    `answered`), opportunities, and pending SLA timers due in the future."""
    from bot.db import make_engine
    from bot.models import Lead, Opportunity, StageEvent, Timer

    rng = random.Random(7)
    now = utcnow()
    teams = ["is1", "is2", "is3", "is4"]
    engine = make_engine(database_url)
    try:
        for start in range(0, leads, chunk):
            rows, events = [], []
            for i in range(start, min(leads, start + chunk)):
                at = now - timedelta(days=rng.randint(0, 180), minutes=rng.randint(0, 1440))
                team = teams[i % 4]
                rows.append(
                    {
                        "id": i + 1, "external_id": f"bulk-{i}", "email": f"bulk-{i}@bench.example.jp", "name": f"名前 {i}",
                        "company": f"会社{i % 5000}", "title": "部長", "employees": 100 + i % 3000, "region": "east",
                        "source": rng.choice(["web", "event", "partner"]), "attributes": {}, "stage": "sal" if answered else "lead",
                        "score": 80, "score_breakdown": [], "team_id": team, "owner_id": f"r{i % 4 + 1}a", "recycle_count": 0,
                        "is_returning": False, "created_at": at, "updated_at": at,
                    }
                )  # fmt: skip
                if answered:
                    secs = rng.randint(60, 6 * 3600)
                    events += [
                        {"entity_type": "lead", "entity_id": i + 1, "from_stage": None, "to_stage": "lead", "at": at, "actor": "api", "team_id": None, "data": {}},
                        {"entity_type": "lead", "entity_id": i + 1, "from_stage": "lead", "to_stage": "mql", "at": at, "actor": "api", "team_id": team, "data": {}},
                        {
                            "entity_type": "lead", "entity_id": i + 1, "from_stage": "mql", "to_stage": "sal",
                            "at": at + timedelta(seconds=secs), "actor": f"r{i % 4 + 1}a", "team_id": team,
                            "data": {"response_seconds": secs, "response_business_seconds": secs, "within_sla": secs <= 4 * 3600},
                        },
                    ]  # fmt: skip
            async with engine.begin() as conn:
                await conn.execute(insert(Lead), rows)
                if events:
                    await conn.execute(insert(StageEvent), events)
        for start in range(0, opportunities, chunk):
            rows = []
            for i in range(start, min(opportunities, start + chunk)):
                at = now - timedelta(days=rng.randint(0, 365))
                rows.append(
                    {
                        "external_id": f"opp-{i}", "name": f"案件 {i}", "account_name": f"会社{i % 5000}", "owner_id": "ae1",
                        "team_id": "fs", "kind": "new", "amount": Decimal(rng.randint(1, 500) * 100_000), "currency": "JPY",
                        "close_date": date.today() + timedelta(days=rng.randint(-200, 200)), "phase": rng.randint(1, 5),
                        "forecast_category": rng.choice(["commit", "best_case", "pipeline"]), "category_overridden": False,
                        "status": rng.choice(["open", "open", "won", "lost"]), "notes": {}, "created_at": at, "updated_at": at,
                    }
                )  # fmt: skip
            async with engine.begin() as conn:
                await conn.execute(insert(Opportunity), rows)
        for start in range(0, timers, chunk):
            rows = [
                {"kind": "sla_warn", "subject": f"lead:{i}", "due_at": now + timedelta(days=1, seconds=i), "data": {}}
                for i in range(start, min(timers, start + chunk))
            ]
            async with engine.begin() as conn:
                await conn.execute(insert(Timer), rows)
    finally:
        await engine.dispose()


async def with_bot(database_url: str, log_path: Path, body: Any, graceful: bool = True) -> Any:
    """Start the emulator, a bot process on `database_url`, run `body(proc, emu)`, stop both."""
    from bench.common import Served  # noqa: F401  (the emulator is the same one the in-process benches use)
    from bot.sandbox import SlackEmulator

    emu = SlackEmulator(signing_secret=SECRET, bot_token=TOKEN)
    api_url = await emu.start()
    proc = BotProcess(database_url, api_url, log_path)
    try:
        proc.start()
        emu.bot_url = proc.url + "/slack/events"
        return await body(proc, emu)
    finally:
        proc.stop(graceful)
        await emu.stop()
