"""The sandbox control panel: inject a lead, add a usage signal, run a scheduled job now, move the
clock. Everything goes to the bot over HTTP with the API token (the REST API and
`/api/admin/*`) — the sandbox never calls into the bot's internals.

Also the sandbox clock: wall time plus an offset that the control panel (through
`POST /api/admin/clock`) moves forward, optionally starting at a fixed moment (BATON_SANDBOX_START).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from collections.abc import Callable
from typing import Any

import aiohttp


class SandboxClock:
    """Runs like a wall clock from `start` (default: now) and can be moved forward (`advance`)."""

    def __init__(self, start: datetime | None = None):
        if start is not None and start.tzinfo is None:
            raise ValueError("the sandbox start time needs a time zone, e.g. 2026-11-24T10:00+09:00")
        self._start = (start or datetime.now(UTC)).astimezone(UTC)
        self._t0 = time.monotonic()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0) + self._offset

    def advance(self, delta: timedelta | None = None, **kw: float) -> datetime:
        self._offset += delta or timedelta(**kw)
        return self.now()


@dataclass
class Control:
    """What the page's control panel calls: the bot's base URL and API token."""

    base_url: str
    api_token: str
    people: list[dict[str, Any]] = field(default_factory=list)  # [{slack_id, id, name, roles}]
    jobs: list[str] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)  # the usage signals app.yaml's health measures read
    log: list[str] = field(default_factory=list)  # the last answers, shown on the page
    # Answers in words in the company's language: `say(key, **values)` from the catalogues
    # (templates/strings/*/sandbox.yaml); None (the emulator on its own) → the raw HTTP answer.
    say: Callable[..., str] | None = None
    threshold: int | None = None  # the MQL score threshold (app.yaml scoring.threshold)
    ok: bool = True  # whether the last answer was a success (the page colours it)

    async def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.api_token}"}
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as s:
            async with s.request(method, self.base_url + path, json=body, headers=headers) as r:
                text = await r.text()
                try:
                    data: Any = json.loads(text)
                except ValueError:
                    data = text
                return r.status, data

    def _note(self, what: str, status: int, data: Any) -> str:
        self.ok = 200 <= status < 300
        line = self._words(what, status, data) if self.say else None
        line = line or f"{what}: HTTP {status} {json.dumps(data, ensure_ascii=False)[:300]}"
        self.log = [line, *self.log][:8]
        return line

    def _refused(self, what: str, status: int, data: Any) -> str:
        assert self.say is not None
        errors = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errors, list):
            reasons = "; ".join(
                (f"{e.get('field')}: " if isinstance(e, dict) and e.get("field") else "") + str(e.get("error") or e.get("message") or e if isinstance(e, dict) else e)
                for e in errors
            )
        elif isinstance(data, dict) and data.get("error"):
            reasons = str(data["error"])
        else:
            reasons = str(data)[:300]
        kind = what.split(" ", 1)[0]
        return self.say("sandbox.refused", what=self.say(f"sandbox.what.{kind}"), status=status, reasons=reasons)

    def _words(self, what: str, status: int, data: Any) -> str | None:
        """The answer as a sentence; None when there is nothing better than the raw answer."""
        assert self.say is not None
        if not self.ok:
            return self._refused(what, status, data)
        if not isinstance(data, dict):
            return None
        if what == "lead":
            stage, score = data.get("stage"), data.get("score")
            if stage == "mql":
                return self.say("sandbox.lead_mql", id=data.get("id"), score=score, owner=data.get("owner"))
            if stage == "lead" and self.threshold is not None:
                return self.say("sandbox.lead_below", id=data.get("id"), score=score, threshold=self.threshold)
            return self.say("sandbox.lead_other", id=data.get("id"), stage=stage)
        if what.startswith("job "):
            result = data.get("result")
            n = len(result) if isinstance(result, list | dict) else (result if isinstance(result, int) and not isinstance(result, bool) else 0)
            return self.say("sandbox.job", job=data.get("job") or what[4:], n=n)
        if what == "clock":
            return self.say("sandbox.clock", at=str(data.get("now", ""))[:16].replace("T", " "), fired=data.get("timers_fired") or 0)
        if what == "signal":
            return self.say("sandbox.signal", id=data.get("id") or data.get("account_id") or "?", signal=data.get("signal", ""),
                            value=data.get("value", ""), score=data.get("health_score"))  # fmt: skip
        return None

    def _invalid(self, what: str, key: str, fallback: str) -> str:
        reason = self.say(f"sandbox.{key}") if self.say else fallback
        return self._note(what, 400, {"error": reason})

    async def refresh_jobs(self) -> list[str]:
        status, data = await self._call("GET", "/api/admin/jobs")
        if status == 200 and isinstance(data, dict):
            self.jobs = list(data.get("jobs") or [])
        return self.jobs

    async def inject_lead(self, form: Any) -> str:
        n = int(time.time() * 1000) % 10_000_000
        lead: dict[str, Any] = {
            "external_id": form.get("external_id") or f"sandbox-{n}",
            "name": form.get("name") or "",
            "company": form.get("company") or "",
            "email": form.get("email") or f"lead{n}@example.co.jp",
            "title": form.get("title") or None,
            "source": form.get("source") or "web",
        }
        if form.get("employees"):
            try:
                lead["employees"] = int(str(form.get("employees")))
            except ValueError:
                return self._invalid("lead", "employees_number", "employees must be a whole number")
        activity = form.get("activity")
        if activity:
            lead["activities"] = [{"type": activity}]
        status, data = await self._call("POST", "/api/leads", lead)
        return self._note("lead", status, data)

    async def add_signal(self, form: Any) -> str:
        account = str(form.get("account") or "").strip()
        if not account:
            return self._invalid("signal", "account_required", "account is required")
        try:
            value = float(str(form.get("value") or ""))
        except ValueError:
            return self._invalid("signal", "value_number", "value must be a number")
        body = {"signal": form.get("signal") or "logins", "value": value, "day": form.get("day") or None}
        status, data = await self._call("POST", f"/api/accounts/{account}/signals", body)
        if status == 404 and isinstance(data, dict) and "error" in data and "account" not in json.dumps(data):
            data = {"error": "this bot has no usage-signals API (POST /api/accounts/{id}/signals)"}
        if isinstance(data, dict) and status == 200:
            data = {**data, "id": account, "signal": body["signal"], "value": form.get("value")}
        return self._note("signal", status, data)

    async def run_job(self, name: str) -> str:
        status, data = await self._call("POST", f"/api/admin/jobs/{name}")
        return self._note(f"job {name}", status, data)

    async def advance(self, minutes: float) -> str:
        status, data = await self._call("POST", "/api/admin/clock", {"minutes": minutes})
        return self._note("clock", status, data)
