"""Start the sandbox as a child process on free ports with its own database (browser tests and
`make screenshots` use this): `with running_sandbox(tmpdir) as sb: sb.page_url …`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Sandbox:
    proc: subprocess.Popen
    bot_url: str
    page_url: str
    api_token: str = "sandbox-token"


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310 (local URL)
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


@contextmanager
def running_sandbox(
    workdir: Path, *, start: str | None = None, seed: bool = False, config: str = "app.yaml", timeout: float = 60.0
) -> Iterator[Sandbox]:
    """`python -m bot sandbox` with a fresh SQLite database in `workdir`; stopped with SIGTERM on exit."""
    port, ui_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k != "BATON_API_TOKEN"}
    env.update(
        DATABASE_URL=f"sqlite:///{Path(workdir) / 'sandbox.db'}", BATON_CONFIG=config, BATON_LOG_LEVEL="WARNING",
        BATON_SANDBOX_SEED="1" if seed else "0", PYTHONUNBUFFERED="1",
    )  # fmt: skip
    if start:
        env["BATON_SANDBOX_START"] = start
    log = open(Path(workdir) / "sandbox.log", "w", encoding="utf-8")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--host", "127.0.0.1", "--port", str(port), "--ui-port", str(ui_port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    sb = Sandbox(proc, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}/")
    try:
        deadline = time.monotonic() + timeout
        while not (_ok(sb.bot_url + "/healthz") and _ok(sb.page_url + "_state")):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(f"the sandbox did not start:\n{(Path(workdir) / 'sandbox.log').read_text()}")
            time.sleep(0.2)
        # The banner is printed after seeding: wait for it so the page is complete.
        while "Baton sandbox is running" not in (Path(workdir) / "sandbox.log").read_text(encoding="utf-8"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not finish starting:\n{(Path(workdir) / 'sandbox.log').read_text()}")
            time.sleep(0.2)
        yield sb
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
