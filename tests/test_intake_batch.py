"""A batch of leads is worked set-wise, with the results of taking its items one by one (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, select

from bot.models import Lead

ENTERPRISE = {"company": "大手製造株式会社", "title": "情報システム部長", "employees": 2000, "source": "webinar",
              "activities": [{"type": "demo_request", "at": "2026-11-24T09:55:00+09:00"}]}  # fmt: skip


def lead(n: int, **kw: Any) -> dict[str, Any]:
    return {**ENTERPRISE, "external_id": f"W-{n}", "email": f"w{n}@example.jp", "name": f"参加者 {n}", **kw}


def card_messages(harness) -> list[dict[str, Any]]:  # noqa: ANN001
    return [m for m in harness.emu.messages if m["channel"] == "C0ENT" and "mql_accept" in str(m.get("blocks"))]


async def test_a_batch_routes_in_turn_and_stops_at_capacity(harness):
    # tanaka and suzuki take 3 open MQLs each; takahashi is away all November.
    status, body = await harness.post("/api/leads", {"leads": [lead(i) for i in range(8)]})
    assert status == 200 and body["ok"] == 8
    owners = [r["owner"] for r in body["results"]]
    assert owners == ["tanaka", "suzuki", "tanaka", "suzuki", "tanaka", "suzuki", None, None]
    # The rotation carries on where the batch left it: still nobody has room.
    _, single = await harness.post("/api/leads", lead(99))
    assert single["stage"] == "mql" and single["owner"] is None


async def test_the_same_lead_twice_in_one_batch_is_taken_in_order(harness):
    first = lead(1, activities=[], title="担当")  # scores 30: not yet an MQL
    again = {"email": "W1@example.jp", "title": "情報システム部長", "activities": ENTERPRISE["activities"]}
    status, body = await harness.post("/api/leads", {"leads": [first, again, lead(2)]})
    assert status == 200
    r1, r2, r3 = body["results"]
    assert r1["created"] and not r2["created"] and r1["id"] == r2["id"] and r3["created"]
    assert (r1["stage"], r2["stage"], r2["score"]) == ("lead", "mql", 100)
    history = (await harness.lead(r1["id"]))["history"]
    assert [h["to"] for h in history] == ["lead", "mql"]
    await harness.deliver()
    assert len(card_messages(harness)) == 2


async def test_a_bad_item_writes_nothing_and_known_leads_are_updated(harness):
    _, known = await harness.post("/api/leads", {"email": "known@example.jp", "company": "既存", "activities": []})
    status, body = await harness.post("/api/leads", {"leads": [
        lead(1), {"email": "not-an-email"}, {"email": "KNOWN@example.jp", "title": "部長", "employees": 3000},
    ]})  # fmt: skip
    assert status == 207 and body["ok"] == 2 and body["failed"] == 1
    good, bad, updated = body["results"]
    assert bad["errors"][0]["field"] == "email"
    assert updated["id"] == known["id"] and not updated["created"] and updated["score"] == 50
    async with harness.baton.ctx.sessions() as session:
        emails = sorted((await session.scalars(select(Lead.email))).all())
    assert emails == ["known@example.jp", "w1@example.jp"]


async def test_concurrent_batches_naming_the_same_leads_create_each_once(harness):
    a = [lead(i, employees=100) for i in range(0, 30)]  # SMB (claim mode): no capacity limits
    b = [lead(i, employees=100) for i in range(15, 45)]
    (s1, b1), (s2, b2) = await asyncio.gather(
        harness.post("/api/leads", {"leads": a}), harness.post("/api/leads", {"leads": b})
    )
    assert (s1, s2) == (200, 200) and b1["failed"] == b2["failed"] == 0
    ids = {r["external_id"]: r["id"] for r in b1["results"] + b2["results"]}
    assert len(ids) == 45 and len(set(ids.values())) == 45
    assert sum(r["created"] for r in b1["results"] + b2["results"]) == 45
    await harness.deliver()
    cards = [m for m in harness.emu.messages if m["channel"] == "C0SMB" and "参加者" in str(m.get("blocks"))]
    assert len(cards) == 45 and len({c["ts"] for c in cards}) == 45


async def test_a_webinar_burst_is_one_rollup_with_every_card_in_its_thread(harness):
    status, body = await harness.post("/api/leads", {"leads": [lead(i) for i in range(6)]})
    assert status == 200
    await harness.deliver()
    parents = [m for m in harness.emu.messages if m["channel"] == "C0ENT" and not m.get("thread_ts")]
    assert len(parents) == 1 and "6" in parents[0]["text"]
    cards = card_messages(harness)
    assert len(cards) == 6 and {c.get("thread_ts") for c in cards} == {parents[0]["ts"]}


async def test_a_batch_costs_a_fixed_number_of_statements_not_a_few_per_lead(harness):
    engine = harness.baton.ctx.sessions.kw["bind"].sync_engine
    counted: list[str] = []

    def count(conn, cursor, statement, *_):  # noqa: ANN001, ANN202
        counted.append(statement)

    async def statements(leads: list[dict[str, Any]]) -> int:
        counted.clear()
        status, _ = await harness.post("/api/leads", {"leads": leads})
        assert status == 200
        return len(counted)

    event.listen(engine, "before_cursor_execute", count)
    try:
        small = await statements([lead(i, employees=100) for i in range(10)])
        large = await statements([lead(i, employees=100) for i in range(100, 200)])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert large <= small + 5, (small, large)
