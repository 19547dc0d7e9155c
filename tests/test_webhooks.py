"""Outbound webhooks through the outbox: a local receiver (aiohttp on 127.0.0.1) that fails, times
out and goes away while deliveries go on — every event still arrives, at least once, in order per
record, signed; what could not be delivered shows in the failure view and replays. Expectations come
from the raw facts (the API's stage history, outbox rows), never from bot.domain."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.models import OutboxMessage
from tests.conftest import FIXTURES

SECRET = "whsec-test-0123456789"
ENV = "BATON_TEST_WEBHOOK_SECRET"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A CRM's webhook endpoint: `mode` ok | fail (HTTP 503) | hang (never answers in time)."""

    def __init__(self, port: int):
        self.port = port
        self.mode = "ok"
        self.clock: Any = None
        self.accepted: list[dict[str, Any]] = []  # events answered 2xx, in arrival order
        self.attempts = 0
        self.bad_signatures = 0
        self.deliveries: list[int] = []  # Baton-Delivery of accepted requests
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        ts, given = request.headers.get("Baton-Timestamp", ""), request.headers.get("Baton-Signature", "")
        # How docs/api.md tells a receiver to verify, written out here (not Baton's own code).
        expected = "v1=" + hmac.new(SECRET.encode(), f"v1:{ts}:".encode() + body, hashlib.sha256).hexdigest()
        fresh = self.clock is not None and abs(self.clock.now().timestamp() - int(ts or 0)) <= 300
        if not (hmac.compare_digest(expected, given) and fresh):
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.mode == "fail":
            return web.Response(status=503)
        if self.mode == "hang":
            await asyncio.sleep(3)
            return web.Response(status=200)
        event = await request.json()
        assert request.headers["Idempotency-Key"] == event["id"]
        self.accepted.append(event)
        self.deliveries.append(int(request.headers["Baton-Delivery"]))
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    def unique(self) -> list[dict[str, Any]]:
        """Each event once, at its first arrival (the receiver dedupes by the idempotency key)."""
        seen, out = set(), []
        for e in self.accepted:
            if e["id"] not in seen:
                seen.add(e["id"])
                out.append(e)
        return out


@pytest.fixture
async def receiver():
    r = Receiver(_free_port())
    await r.start()
    yield r
    await r.stop()


@pytest.fixture
def config_path(tmp_path: Path, receiver: Receiver, monkeypatch) -> Path:  # noqa: ANN001
    monkeypatch.setenv(ENV, SECRET)
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    text += f"""
webhooks:
  - id: crm
    url: http://127.0.0.1:{receiver.port}/hook
    events: ["*"]
    secret_env: {ENV}
    timeout_seconds: 0.5
    max_attempts: 4
"""
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    return path


LEADS = [
    {"external_id": f"HS-{i}", "email": f"buyer{i}@example.co.jp", "name": f"買い手 {i}", "company": "大手製造株式会社",
     "employees": 2000, "source": "web", "activities": [{"type": "demo_request", "at": "2026-11-24T09:55:00+09:00"}]}
    for i in range(3)
]  # fmt: skip


async def _history(harness, kind: str, rid: int) -> list[tuple[str | None, str]]:
    status, body = await harness.get(f"/api/{kind}/{rid}")
    assert status == 200, body
    return [(h["from"], h["to"]) for h in body["history"]]


async def _rows(harness, status: str | None = None) -> list[OutboxMessage]:
    async with harness.baton.ctx.sessions() as s:
        q = select(OutboxMessage).where(OutboxMessage.method == "webhook").order_by(OutboxMessage.id)
        if status:
            q = q.where(OutboxMessage.status == status)
        return list((await s.scalars(q)).all())


async def _retry_until_quiet(harness, rounds: int = 12) -> None:
    """Let backoff run out: move the clock past every retry, deliver, until nothing is pending."""
    for _ in range(rounds):
        await harness.advance(minutes=6)
        if not [r for r in await _rows(harness) if r.status in ("pending", "sending")]:
            return


async def test_every_event_arrives_in_order_signed_through_failures_timeouts_and_restarts(harness, receiver):
    receiver.clock = harness.clock
    lead_ids = []
    for lead in LEADS[:2]:
        status, body = await harness.post("/api/leads", lead)
        assert status == 201, body
        lead_ids.append(body["id"])
    await harness.deliver()
    assert receiver.accepted, "the receiver is up: the first events arrive at once"

    receiver.mode = "fail"  # the CRM answers 503
    status, body = await harness.post("/api/opportunities", {"external_id": "DEAL-1", "name": "全社導入", "owner": "kato", "amount": 12000000, "close_date": "2026-12-18"})
    assert status == 201, body
    deal = body["id"]
    await harness.deliver()
    receiver.mode = "ok"  # back, but the deal's first events wait for their retry: the next wait behind them
    assert (await harness.patch(f"/api/opportunities/{deal}", {"phase": 2, "next_action": "デモ"}))[0] == 200
    await harness.deliver()
    assert not [e for e in receiver.accepted if e["record"] == {"type": "opportunity", "id": deal, "external_id": "DEAL-1"}]
    receiver.mode = "hang"  # then it stops answering in time
    assert (await harness.patch(f"/api/opportunities/{deal}", {"phase": 3}))[0] == 200
    await harness.advance(seconds=5)
    await receiver.stop()  # then it is gone (connection refused)
    status, body = await harness.post("/api/leads", LEADS[2])
    lead_ids.append(body["id"])
    assert (await harness.patch(f"/api/opportunities/{deal}", {"status": "won"}))[0] == 200
    await harness.advance(seconds=5)
    pending = [r for r in await _rows(harness) if r.status == "pending"]
    assert pending and all(r.attempts >= 1 for r in pending[:1])
    await harness.restart()  # Baton restarts too, mid-retry: the rows are durable
    receiver.mode = "ok"
    await receiver.start()
    await _retry_until_quiet(harness)

    rows = await _rows(harness)
    assert rows and all(r.status == "sent" for r in rows), [(r.id, r.status, r.last_error) for r in rows]
    assert receiver.bad_signatures == 0
    events = receiver.unique()
    assert receiver.attempts >= len(events) + 2  # a 503 and a time-out reached it (then refused connections)
    assert any(r.attempts > 2 for r in rows)
    assert {e["id"] for e in events} == {r.payload["event"]["id"] for r in rows}  # nothing lost
    assert all(e["version"] == 1 for e in events)
    by_record: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        by_record[(e["record"]["type"], e["record"]["id"])].append(e)
    # In order per record: each record's stage events arrive as its stage history reads.
    for lid in lead_ids:
        got = [(e["data"]["from"], e["data"]["to"]) for e in by_record[("lead", lid)] if e["type"] == "stage.changed"]
        assert got == await _history(harness, "leads", lid)
    got = [(e["data"]["from"], e["data"]["to"]) for e in by_record[("opportunity", deal)] if e["type"] == "stage.changed" and e["data"]["entity"] == "opportunity"]
    assert got == await _history(harness, "opportunities", deal)
    updates = [e["data"]["status"] for e in by_record[("opportunity", deal)] if e["type"] == "deal.updated"]
    assert updates[-1] == "won" and by_record[("opportunity", deal)][0]["record"]["external_id"] == "DEAL-1"
    # Delivery ids rise within each record's lane (first arrivals).
    first = {}
    for e, d in zip(receiver.accepted, receiver.deliveries):
        first.setdefault(e["id"], d)
    for evs in by_record.values():
        ds = [first[e["id"]] for e in evs]
        assert ds == sorted(ds)


async def test_failed_deliveries_are_listed_and_replayed(harness, receiver):
    receiver.clock = harness.clock
    receiver.mode = "fail"
    status, body = await harness.post("/api/leads", LEADS[0])
    assert status == 201
    await harness.deliver()
    await _retry_until_quiet(harness)
    failed = await _rows(harness, "failed")
    assert failed and all(r.attempts == 4 for r in failed)

    async with harness.http.get(harness.url + "/api/admin/webhooks/failed", headers={"Authorization": ""}) as r:
        assert r.status == 401
    status, view = await harness.get("/api/admin/webhooks/failed?endpoint=crm")
    assert status == 200 and view["total"] == len(failed)
    assert [d["id"] for d in view["deliveries"]] == [r.id for r in failed]
    assert all(d["endpoint"] == "crm" and d["last_error"] == "HTTP 503 from webhook 'crm'" for d in view["deliveries"])
    assert (await harness.get("/api/admin/webhooks/failed?endpoint=nope"))[0] == 404
    assert (await harness.post("/api/admin/webhooks/replay", {"ids": ["x"]}))[0] == 422
    assert (await harness.post("/api/admin/webhooks/replay", {"ids": list(range(1, 6002))}))[0] == 422  # more than a batch
    for endpoint in (["crm"], {}, 3):  # not a name: told, not a 500
        assert (await harness.post("/api/admin/webhooks/replay", {"endpoint": endpoint}))[0] == 404, endpoint
    assert receiver.accepted == []

    receiver.mode = "ok"
    status, body = await harness.post("/api/admin/webhooks/replay", {"endpoint": "crm"})
    assert status == 200 and body["replayed"] == len(failed)
    await harness.deliver()
    assert [e["id"] for e in receiver.unique()] == [r.payload["event"]["id"] for r in failed]
    assert (await harness.get("/api/admin/webhooks/failed"))[1]["total"] == 0


async def test_an_endpoint_that_hangs_never_delays_slack(harness, receiver):
    """The real worker running: a webhook lane stuck on timeouts, the MQL card still posts at once."""
    receiver.clock = harness.clock
    receiver.mode = "hang"
    harness.baton.delivery.start()
    try:
        status, body = await harness.post("/api/leads", LEADS[1])
        assert status == 201 and body["stage"] == "mql"
        loop = asyncio.get_running_loop()
        start = loop.time()
        while not harness.emu.channel_messages("C0ENT") and loop.time() - start < 3:
            await asyncio.sleep(0.02)
        assert harness.emu.channel_messages("C0ENT"), "the MQL card waited for the webhook"
        assert loop.time() - start < 0.45  # well before the webhook's 0.5 s timeout
    finally:
        await harness.baton.delivery.stop()
