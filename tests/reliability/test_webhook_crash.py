"""Outbound webhooks while Baton is SIGKILLed: a real `python -m bot run --http` process, a local
receiver (aiohttp, 127.0.0.1) that answers 503, hangs past the time-out and restarts, stage changes
driven through the REST API, Baton killed twice mid-delivery and restarted. Every stage event still
arrives at least once, in order per record, with a valid signature (verified as docs/api.md tells a
receiver to); an endpoint that never answers sets its deliveries aside, and the failure view lists
and replays them. Expectations come from the raw facts (the stage_events and outbox tables)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import sqlite3
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox import SlackEmulator
from tests.reliability.processes import FIXTURE_CONFIG, BotProcess, free_port

SLACK_SECRET, TOKEN, API = "wh-crash-secret", "xoxb-wh-crash", "wh-crash-api"
HOOK_SECRET = "whsec-crash-0123456789"
HOOK_ENV = "BATON_TEST_WEBHOOK_SECRET"


class Receiver:
    """Two endpoints of a CRM: per path a mode ok | fail (503) | hang (answers after the time-out)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mode = {"crm": "ok", "ledger": "fail"}
        self.accepted: dict[str, list[tuple[dict[str, Any], int]]] = defaultdict(list)  # (event, Baton-Delivery)
        self.answered: Counter = Counter()  # (endpoint, status) → count
        self.in_flight: Counter = Counter()
        self.bad_signatures = 0
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        endpoint = request.match_info["endpoint"]
        body = await request.read()
        ts, given = request.headers.get("Baton-Timestamp", ""), request.headers.get("Baton-Signature", "")
        # docs/api.md, "Verify the signature", written out (not Baton's code).
        expected = "v1=" + hmac.new(HOOK_SECRET.encode(), f"v1:{ts}:".encode() + body, hashlib.sha256).hexdigest()
        if not (ts.isdigit() and abs(time.time() - int(ts)) <= 300 and hmac.compare_digest(expected, given)):
            self.bad_signatures += 1
            return web.Response(status=401)
        mode = self.mode[endpoint]
        if mode == "fail":
            self.answered[(endpoint, 503)] += 1
            return web.Response(status=503)
        if mode == "hang":
            self.in_flight[endpoint] += 1
            try:
                await asyncio.sleep(2)  # well past the endpoint's 0.5 s time-out: never counted as accepted
            finally:
                self.in_flight[endpoint] -= 1
            return web.Response(status=200)
        event = await request.json()
        assert request.headers["Idempotency-Key"] == event["id"]
        self.accepted[endpoint].append((event, int(request.headers["Baton-Delivery"])))
        self.answered[(endpoint, 204)] += 1
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{endpoint}", self.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=3)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    def first_arrivals(self, endpoint: str) -> list[tuple[dict[str, Any], int]]:
        seen: set[str] = set()
        out = []
        for e, d in self.accepted[endpoint]:
            if e["id"] not in seen:
                seen.add(e["id"])
                out.append((e, d))
        return out


def _config(tmp_path: Path, port: int) -> Path:
    text = FIXTURE_CONFIG.read_text(encoding="utf-8")
    text += f"""
webhooks:
  - {{id: crm, url: "http://127.0.0.1:{port}/crm", events: ["*"], secret_env: {HOOK_ENV}, timeout_seconds: 0.5, max_attempts: 40}}
  - {{id: ledger, url: "http://127.0.0.1:{port}/ledger", events: [stage.changed], secret_env: {HOOK_ENV}, timeout_seconds: 0.5, max_attempts: 2}}
"""
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _query(db: Path, sql: str, *args: Any) -> list[tuple]:
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def _hooks(db: Path, endpoint: str) -> list[tuple[int, str, int, str | None]]:
    """(id, status, attempts, last_error) of one endpoint's webhook rows."""
    return _query(
        db, "select id, status, attempts, last_error from outbox where method = 'webhook' and lane like ? order by id", f"{endpoint}:%"
    )


def _stage_events(db: Path) -> dict[tuple[str, int], list[tuple[str, str | None, str]]]:
    """Every stage event per record (the webhook's record: `opportunity.category` is the deal's), in order."""
    out: dict[tuple[str, int], list[tuple[str, str | None, str]]] = defaultdict(list)
    for entity, rid, frm, to in _query(db, "select entity_type, entity_id, from_stage, to_stage from stage_events order by id"):
        out[(entity.split(".", 1)[0], rid)].append((entity, frm, to))
    return out


async def _until(cond, what: str, within: float = 60.0) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_webhooks_survive_sigkill_and_a_failing_hanging_restarting_receiver(tmp_path, monkeypatch):  # noqa: PLR0915
    receiver = Receiver()
    await receiver.start()
    emu = SlackEmulator(signing_secret=SLACK_SECRET, bot_token=TOKEN)
    api_url = await emu.start()
    db = tmp_path / "hooks.db"
    config = _config(tmp_path, receiver.port)
    runs = 0

    def new_bot() -> BotProcess:
        nonlocal runs
        b = BotProcess(database_url=f"sqlite:///{db}", api_url=api_url, secret=SLACK_SECRET, token=TOKEN, api_token=API, log_dir=tmp_path, name=f"run{runs}")
        b.env.update(BATON_CONFIG=str(config), **{HOOK_ENV: HOOK_SECRET})
        runs += 1
        emu.bot_url = b.url + "/slack/events"
        return b.start()

    future = (date.today() + timedelta(days=40)).isoformat()
    bot = new_bot()
    http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {API}"})

    async def call(method: str, path: str, body: dict | None = None) -> dict:
        async with http.request(method, bot.url + path, json=body) as r:
            answer = await r.json()
            assert r.status in (200, 201), (method, path, r.status, answer)
            return answer

    try:
        await bot.wait_ready()
        # 1. The receiver is up: leads and deals made, their first events delivered at once.
        leads = [
            (await call("POST", "/api/leads", {"external_id": f"WL{i}", "email": f"w{i}@big.jp", "company": f"フック{i}社", "employees": 2000, "mql": True}))["id"]
            for i in range(2)
        ]  # fmt: skip
        deals = [
            (await call("POST", "/api/opportunities", {"external_id": f"WD{i}", "name": f"導入{i}", "owner": "kato", "amount": 3000000 + i, "close_date": future}))["id"]
            for i in range(2)
        ]  # fmt: skip
        await _until(lambda: _hooks(db, "crm") and all(s == "sent" for _, s, _, _ in _hooks(db, "crm")), "the first deliveries")

        # 2. The CRM answers 503; Baton is SIGKILLed while it retries.
        receiver.mode["crm"] = "fail"
        await call("POST", f"/api/leads/{leads[0]}/stage", {"stage": "sal", "by": "sato"})
        for d in deals:
            await call("PATCH", f"/api/opportunities/{d}", {"phase": 2})
        await _until(lambda: receiver.answered[("crm", 503)] >= 2, "503s answered")
        bot.kill()

        # 3. Restarted; the CRM now hangs past the time-out; Baton is SIGKILLed with a request in flight.
        receiver.mode["crm"] = "hang"
        bot.stop()
        bot = new_bot()
        await bot.wait_ready()
        await call("POST", f"/api/leads/{leads[0]}/stage", {"stage": "sql", "by": "sato", "need": "営業管理の属人化", "amount": "500万"})
        await call("PATCH", f"/api/opportunities/{deals[0]}", {"phase": 3})
        await _until(lambda: receiver.in_flight["crm"] > 0, "a delivery in flight to the hanging receiver")
        bot.kill()

        # 4. The receiver restarts too (connection refused meanwhile) while Baton comes back.
        await receiver.stop()
        bot.stop()
        bot = new_bot()
        await bot.wait_ready()
        await call("PATCH", f"/api/opportunities/{deals[0]}", {"status": "won"})
        await call("PATCH", f"/api/opportunities/{deals[1]}", {"status": "lost", "lost_reason": "budget"})
        leads.append((await call("POST", "/api/leads", {"external_id": "WL9", "email": "w9@big.jp", "company": "フック9社", "employees": 2000, "mql": True}))["id"])
        await _until(lambda: any("ClientConnector" in (e or "") for _, _, _, e in _hooks(db, "crm")), "a refused connection")
        receiver.mode["crm"] = "ok"
        await receiver.start()

        # 5. Everything reaches the CRM; the ledger (never answering 2xx) has set its deliveries aside.
        await _until(lambda: all(s == "sent" for _, s, _, _ in _hooks(db, "crm")), "every crm delivery", within=120)
        await _until(lambda: all(s == "failed" for _, s, _, _ in _hooks(db, "ledger")), "ledger deliveries set aside", within=60)

        expected = _stage_events(db)
        assert receiver.bad_signatures == 0
        assert receiver.answered[("crm", 503)] >= 2 and len(receiver.accepted["crm"]) >= len(receiver.first_arrivals("crm"))
        assert {("opportunity", d) for d in deals} | {("lead", lead) for lead in leads} <= set(expected)
        assert sum(len(v) for v in expected.values()) >= 12, expected  # the run made a real history

        def check_arrivals(endpoint: str) -> None:
            got: dict[tuple[str, int], list] = defaultdict(list)
            for e, delivery in receiver.first_arrivals(endpoint):
                assert e["version"] == 1
                if e["type"] == "stage.changed":
                    got[(e["record"]["type"], e["record"]["id"])].append((e, delivery))
            # Every stage event of every record, once each at first arrival, in the record's order.
            assert {k: [(e["data"]["entity"], e["data"]["from"], e["data"]["to"]) for e, _ in v] for k, v in got.items()} == dict(expected)
            for v in got.values():
                assert [e["occurred_at"] for e, _ in v] == sorted(e["occurred_at"] for e, _ in v)
                assert [d for _, d in v] == sorted(d for _, d in v)

        check_arrivals("crm")
        crm_rows = _hooks(db, "crm")
        assert any(a > 1 for _, _, a, _ in crm_rows), "no delivery was ever retried"

        # 6. The failure view lists the ledger's deliveries; replayed, they arrive.
        ledger_rows = _hooks(db, "ledger")
        view = await call("GET", "/api/admin/webhooks/failed?endpoint=ledger")
        assert view["total"] == len(ledger_rows) == sum(len(v) for v in expected.values())
        assert [d["id"] for d in view["deliveries"]] == [r[0] for r in ledger_rows]
        assert all(d["attempts"] == 2 and d["last_error"] in ("HTTP 503 from webhook 'ledger'", "ClientConnectorError from webhook 'ledger'") for d in view["deliveries"])
        assert (await call("GET", "/api/admin/webhooks/failed?endpoint=crm"))["total"] == 0
        assert receiver.accepted["ledger"] == []
        receiver.mode["ledger"] = "ok"
        assert (await call("POST", "/api/admin/webhooks/replay", {"endpoint": "ledger"}))["replayed"] == len(ledger_rows)
        await _until(lambda: all(s == "sent" for _, s, _, _ in _hooks(db, "ledger")), "the replayed deliveries")
        check_arrivals("ledger")
        assert (await call("GET", "/api/admin/webhooks/failed"))["total"] == 0
    except BaseException:
        print(bot.log()[-4000:])  # noqa: T201 — the bot's own account of what went wrong
        raise
    finally:
        await http.close()
        bot.stop()
        await receiver.stop()
        await emu.stop()
