"""Writers queue for their turn: concurrent Accept presses are all answered in time with their
decision committed exactly once; SQLite writers are served in arrival order; a unit of work opened
inside another is refused at once; a press that cannot get its turn in time changes nothing and says so."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

import handlers.common
from bot.db import NestedTransactionError
from bot.models import Lead, OutboxMessage, StageEvent
from tests.test_lead_flow import ENTERPRISE


async def _cards(harness, n: int) -> list[tuple[int, dict]]:  # noqa: ANN001
    ids = []
    for i in range(n):
        status, body = await harness.post("/api/leads", {**ENTERPRISE, "external_id": f"Q{i}", "email": f"q{i}@big.jp"})
        assert status == 201
        ids.append(body["id"])
    await harness.deliver()
    return [(i, await harness.card(i)) for i in ids]


async def _stage(harness, lead_id: int) -> str:  # noqa: ANN001
    async with harness.baton.ctx.sessions() as s:
        return (await s.get(Lead, lead_id)).stage


async def test_concurrent_presses_are_each_acked_after_their_decision_committed_once(harness):
    cards = await _cards(harness, 30)

    async def press(lead_id: int, card: dict) -> tuple[int, str]:
        r = await harness.emu.click(harness.person("sato"), card, "mql_accept")
        return r["status"], await _stage(harness, lead_id)  # what the database says the moment the ack arrived

    answers = await asyncio.gather(*(press(i, c) for i, c in cards))
    assert answers == [(200, "sal")] * len(cards)
    ids = [i for i, _ in cards]
    async with harness.baton.ctx.sessions() as s:
        sal_events = (
            await s.execute(
                select(StageEvent.entity_id, func.count())
                .where(StageEvent.entity_type == "lead", StageEvent.entity_id.in_(ids), StageEvent.to_stage == "sal")
                .group_by(StageEvent.entity_id)
            )
        ).all()
    assert sorted(sal_events) == [(i, 1) for i in sorted(ids)]
    await harness.deliver()
    for i, _ in cards:
        card = await harness.card(i)
        assert not any(b.get("block_id") == "mql_decision" for b in card["blocks"]), "card still offers the buttons"
    assert harness.ephemerals("sato") == []  # nobody was told to retry or refused


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_writers_get_their_turn_in_arrival_order(harness):
    ctx = harness.baton.ctx
    release = asyncio.Event()
    entered: list[int] = []

    async def holder() -> None:
        async with ctx.uow():
            await release.wait()

    async def writer(n: int) -> None:
        async with ctx.uow() as uow:
            entered.append(n)
            await uow.session.execute(select(func.count()).select_from(Lead))

    first = asyncio.create_task(holder())
    while not harness.baton.engine.sync_engine.pool.write_lock.locked:
        await asyncio.sleep(0)
    writers = []
    for n in range(20):
        writers.append(asyncio.create_task(writer(n)))
        for _ in range(3):  # let it reach the queue before the next one arrives
            await asyncio.sleep(0)
    assert entered == []  # all waiting for the holder
    release.set()
    await asyncio.gather(first, *writers)
    assert entered == list(range(20))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_slack_press_goes_ahead_of_queued_intake_and_jobs(harness):
    """Writers with Slack's 3 s deadline (`uow(wait=…)`) are served before writers without one."""
    ctx = harness.baton.ctx
    release = asyncio.Event()
    entered: list[str] = []

    async def holder() -> None:
        async with ctx.uow():
            await release.wait()

    async def writer(name: str, wait: float | None) -> None:
        async with ctx.uow(wait=wait):
            entered.append(name)

    first = asyncio.create_task(holder())
    while not harness.baton.engine.sync_engine.pool.write_lock.locked:
        await asyncio.sleep(0)
    tasks = []
    for name, wait in (("intake1", None), ("intake2", None), ("press1", 30.0), ("intake3", None), ("press2", 30.0)):
        tasks.append(asyncio.create_task(writer(name, wait)))
        for _ in range(3):
            await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *tasks)
    assert entered == ["press1", "press2", "intake1", "intake2", "intake3"]


async def test_a_unit_of_work_inside_another_is_refused_at_once_and_nothing_is_written(harness):
    ctx = harness.baton.ctx
    before = await _count(harness, OutboxMessage)
    with pytest.raises(NestedTransactionError):
        async with asyncio.timeout(5):  # on SQLite this used to wait 30 s for itself
            async with ctx.uow() as outer:
                outer.session.add(OutboxMessage(method="chat.postMessage", payload={"channel": "C0ENT", "text": "x"}, created_at=ctx.now(), next_attempt_at=ctx.now()))
                await outer.session.flush()
                async with ctx.uow():
                    pass
    assert await _count(harness, OutboxMessage) == before
    # A sibling task is not "nested": it simply waits for its turn.
    async with ctx.uow():
        pass


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_press_that_cannot_get_its_turn_in_time_changes_nothing_and_is_told_to_retry(harness, monkeypatch):
    ((lead_id, card),) = await _cards(harness, 1)
    monkeypatch.setattr(handlers.common, "TURN_WAIT_SECONDS", 0.05)
    ctx = harness.baton.ctx
    release = asyncio.Event()

    async def long_writer() -> None:
        async with ctx.uow():
            await release.wait()

    busy = asyncio.create_task(long_writer())
    while not harness.baton.engine.sync_engine.pool.write_lock.locked:
        await asyncio.sleep(0)
    r = await harness.emu.click(harness.person("sato"), card, "mql_accept")
    assert r["status"] == 200  # answered while the database was still busy
    release.set()
    await busy
    for _ in range(100):  # the retry notice is queued after the ack, once the writer is done
        if await _count(harness, OutboxMessage, OutboxMessage.method == "chat.postEphemeral"):
            break
        await asyncio.sleep(0)
    await harness.deliver()
    assert await _stage(harness, lead_id) == "mql"
    assert harness.ephemerals("sato") == [harness.baton.ctx.messages.text("ja", "busy_retry")]
    # Pressing again once the queue is short decides it.
    await harness.click("sato", await harness.card(lead_id), "mql_accept")
    assert await _stage(harness, lead_id) == "sal"


async def _count(harness, model, *where) -> int:  # noqa: ANN001
    async with harness.baton.ctx.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))
