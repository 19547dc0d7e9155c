"""The CLI as a user meets it: `python -m bot run` with no Slack tokens starts the sandbox (bot +
emulator page), the README's curl lead becomes an MQL card, SIGTERM stops it; `check-config`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.reliability.processes import die_with_parent

ROOT = Path(__file__).resolve().parent.parent

# The README's example lead, byte for byte the JSON of its curl command.
README_LEAD = """{"external_id": "demo-1", "email": "yamada@example.co.jp", "name": "山田 太郎",
       "company": "大手製造株式会社", "title": "情報システム部長", "employees": 2000,
       "source": "web", "activities": [{"type": "demo_request"}]}"""
COMPANY = "大手製造株式会社"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.pop("BATON_API_TOKEN", None)
    env.pop("LC_ALL", None)
    env.update(
        LANG="C.UTF-8",  # the CLI speaks the terminal's language until app.yaml is read
        DATABASE_URL=f"sqlite:///{tmp_path / 'sandbox.db'}",
        BATON_CONFIG="app.yaml",
        BATON_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PYTHONFAULTHANDLER="1",
    )
    return env


def _request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=2) as r:  # noqa: S310 (local URL)
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _poll(check, *, what: str, proc: subprocess.Popen, seconds: float = 20.0):  # noqa: ANN001, ANN202
    """Call `check` every 0.2 s until it returns something truthy (at most `seconds`)."""
    for _ in range(int(seconds / 0.2)):
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the sandbox exited ({proc.returncode}) while waiting for {what}\n{out}\n{err}")
        try:
            result = check()
        except (urllib.error.URLError, ConnectionError, OSError):
            result = None
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _stop(proc: subprocess.Popen, timeout: float = 5.0) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: the stacks of the hung process go to stderr
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        pytest.fail(f"the sandbox did not exit within {timeout}s of SIGTERM\n{out}\n{err}")
    return proc.returncode, out, err


def _sandbox_flow(tmp_path: Path, argv: list[str]) -> tuple[str, str]:
    port, ui_port = _free_port(), _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", *argv, "--host", "127.0.0.1", "--port", str(port), "--ui-port", str(ui_port)],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=die_with_parent,
    )
    try:
        bot = f"http://127.0.0.1:{port}"
        page = f"http://127.0.0.1:{ui_port}/"
        _poll(lambda: _request(f"{bot}/healthz")[0] == 200, what="/healthz", proc=proc)

        status, body = _request(
            f"{bot}/api/leads",
            data=README_LEAD.encode(),
            headers={"Authorization": "Bearer sandbox-token", "Content-Type": "application/json"},
        )
        assert status == 201, body
        lead = json.loads(body)
        assert lead["stage"] == "mql" and lead["created"] is True

        def card() -> dict | None:
            status, raw = _request(f"{page}_state")
            if status != 200:
                return None
            msgs = json.loads(raw)["messages"]
            return next((m for m in msgs if m["channel"] == "C0IS0ENTERPRISE" and COMPANY in m["text"]), None)

        message = _poll(card, what="the MQL card on the emulator", proc=proc)
        assert message["blocks"], message
        # The page itself shows the channel under its team's name.
        status, html = _request(page)
        assert status == 200 and "#is-enterprise" in html.decode()
    except BaseException:
        if proc.poll() is None:
            proc.kill()
        raise
    code, out, err = _stop(proc)
    assert code == 0, err
    assert "Traceback" not in err, err
    assert "sandbox" in out.lower()
    assert page in out, out
    assert f"{bot}/api/leads" in out and "sandbox-token" in out
    return out, err


def test_run_without_slack_tokens_starts_the_sandbox(tmp_path: Path) -> None:
    out, _ = _sandbox_flow(tmp_path, ["run"])
    assert "No Slack tokens found" in out


def test_sandbox_command(tmp_path: Path) -> None:
    _sandbox_flow(tmp_path, ["sandbox"])


def test_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        for args, flag in ((["--port", str(_free_port()), "--ui-port", str(taken)], "--ui-port"),
                           (["--port", str(taken), "--ui-port", str(_free_port())], "--port")):
            proc = subprocess.run(
                [sys.executable, "-m", "bot", "sandbox", "--host", "127.0.0.1", *args],
                cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=30,
            )
            assert proc.returncode == 2, proc.stderr
            assert "Traceback" not in proc.stderr, proc.stderr
            line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("error:"))
            assert str(taken) in line and flag in line


BROKEN_YAML = """\
company:
  name: テスト株式会社
  colour: blue
people:
  - {id: tanaka, name: 田中, roles: [is_rep]}
teams:
  - {id: is, name: IS, function: inside_sales, channel: C0IS, members: [tanaka]}
scoring:
  threshold: 50
routing:
  rules:
    - {team: is}
"""


def test_check_config_reports_key_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_YAML, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", str(path)],
        cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "company.colour (line 3): unknown key" in proc.stderr, proc.stderr
    assert "people[0].slack_id (line 5)" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_config_accepts_the_example(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", "app.yaml"],
        cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert "app.yaml: OK" in proc.stdout


@pytest.mark.parametrize(("lang", "expected"), [("C.UTF-8", "database schema is up to date"), ("ja_JP.UTF-8", "データベースのスキーマは最新です")])
def test_the_cli_speaks_the_terminals_language_before_app_yaml_is_read(tmp_path: Path, lang: str, expected: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=ROOT, env={**_env(tmp_path), "LANG": lang}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected


def test_offline_commands_need_no_slack_token(tmp_path: Path) -> None:
    """privacy / webhooks work on the database only (what they queue, the running bot sends): no
    Slack token, no traceback; a replay without a target is refused with the usage line."""
    env = _env(tmp_path)
    run = lambda *a: subprocess.run([sys.executable, "-m", "bot", *a], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)  # noqa: E731
    failed, replay, export = run("webhooks", "failed"), run("webhooks", "replay"), run("privacy", "export", "--email", "nobody@example.com")
    assert failed.returncode == 0 and '"total": 0' in failed.stdout, failed.stderr
    assert replay.returncode == 2 and "--all" in replay.stderr and "Traceback" not in replay.stderr, replay.stderr
    assert export.returncode == 0 and "Traceback" not in export.stderr, export.stderr
