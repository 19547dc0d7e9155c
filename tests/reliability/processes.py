"""Real `python -m bot run` processes for reliability tests: started, watched, killed."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_CONFIG = ROOT / "tests" / "fixtures" / "app.yaml"


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec (Linux): SIGKILL it when the test process dies, so a killed or
    crashed pytest leaves no bot process behind spinning on a database that has gone away."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(self, *, database_url: str, api_url: str, secret: str, token: str, api_token: str, log_dir: Path, name: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "DATABASE_URL"))}
        env.update(
            SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET=secret, SLACK_API_URL=api_url, DATABASE_URL=database_url,
            BATON_CONFIG=str(FIXTURE_CONFIG), BATON_API_TOKEN=api_token, BATON_CHANNEL_RATE="200",
            BATON_LEADER_RETRY_SECONDS="0.3", BATON_LOG_LEVEL="WARNING",
        )  # fmt: skip
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self) -> BotProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
        )  # fmt: skip
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def health(self) -> dict | None:
        try:
            async with aiohttp.ClientSession() as s, s.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=1)) as r:
                return await r.json() if r.status == 200 else None
        except (aiohttp.ClientError, TimeoutError, OSError):
            return None

    async def wait_ready(self, within: float = 30.0) -> dict:
        for _ in range(int(within / 0.1)):
            if self.proc.poll() is not None:
                raise AssertionError(f"bot exited with {self.proc.returncode}:\n{self.log()}")
            h = await self.health()
            if h:
                return h
            await asyncio.sleep(0.1)
        raise AssertionError(f"bot not ready within {within}s:\n{self.log()}")
