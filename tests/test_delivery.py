"""The one delivery path: durable across restarts, patient with 429/5xx, never posting twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update

from bot.models import OutboxMessage, SlackMessage

LEAD = {"external_id": "D1", "email": "d1@big.jp", "name": "配信 太郎", "company": "配信テスト", "employees": 900, "mql": True}


def posts(harness, channel="C0ENT"):
    return [m for m in harness.emu.channel_messages(channel, include_threads=True) if not m.get("ephemeral_user")]


async def outbox(harness) -> list[OutboxMessage]:
    async with harness.baton.ctx.sessions() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def test_queued_message_survives_a_restart(harness):
    await harness.post("/api/leads", LEAD)  # committed with its card queued, not yet sent
    await harness.restart()
    assert await harness.deliver() == 1
    assert len(posts(harness)) == 1
    assert {r.status for r in await outbox(harness)} == {"sent"}


async def test_429_waits_for_retry_after_then_posts_once(harness):
    harness.emu.inject("chat.postMessage", kind="429", times=1, retry_after=7)
    _, body = await harness.post("/api/leads", LEAD)
    await harness.deliver()
    assert posts(harness) == []
    [row] = await outbox(harness)
    assert row.status == "pending" and row.last_error == "ratelimited"
    harness.clock.advance(seconds=5)
    assert await harness.deliver() == 0  # Retry-After not over yet
    harness.clock.advance(seconds=3)
    await harness.deliver()
    assert len(posts(harness)) == 1
    # The later update lands on the original post.
    await harness.click("tanaka", await harness.card(body["id"]), "mql_accept")
    [card] = posts(harness)
    assert "承認" in card["text"] and card["edits"]


async def test_5xx_and_dropped_connections_are_retried_with_backoff(harness):
    harness.emu.inject("chat.postMessage", kind="503", times=2)
    harness.emu.inject("chat.postMessage", kind="drop", times=1)
    await harness.post("/api/leads", LEAD)
    for _ in range(4):
        await harness.deliver()
        harness.clock.advance(seconds=30)
    assert len(posts(harness)) == 1
    [row] = await outbox(harness)
    assert row.status == "sent" and row.attempts == 4


async def test_crash_after_send_before_commit_does_not_post_twice(harness):
    _, body = await harness.post("/api/leads", LEAD)
    await harness.deliver()
    assert len(posts(harness)) == 1
    # Pretend the process died after Slack accepted the post but before we recorded it.
    async with harness.baton.ctx.sessions() as s, s.begin():
        await s.execute(update(OutboxMessage).values(status="sending", lease_until=harness.clock.now() + timedelta(seconds=60)))
        await s.execute(delete(SlackMessage))
    await harness.restart()
    assert await harness.deliver() == 0  # lease still held by the dead process
    harness.clock.advance(seconds=61)
    await harness.deliver()
    assert len(posts(harness)) == 1  # found by its outbox id in the message metadata, not re-posted
    card = await harness.card(body["id"])  # and the key points at the original message again
    assert card["ts"] == posts(harness)[0]["ts"]


async def test_update_waits_for_its_post_and_permanent_errors_are_kept(harness):
    harness.emu.inject("chat.postMessage", kind="500", times=1)
    _, body = await harness.post("/api/leads", LEAD)
    await harness.deliver()  # post failed once, waits for backoff
    async with harness.baton.ctx.uow() as uow:
        from bot.domain.mql import accept_mql

        await accept_mql(uow, body["id"], harness.config.person("tanaka"))
    await harness.deliver()
    rows = await outbox(harness)
    assert [r.status for r in rows] == ["pending", "pending"]  # the update waits for the post's ts
    harness.clock.advance(seconds=10)
    await harness.deliver()
    await harness.deliver()
    assert [r.status for r in await outbox(harness)] == ["sent", "sent"]
    assert "承認" in posts(harness)[0]["text"]
    # A channel that does not exist is a permanent error: kept as failed, with the reason.
    harness.emu.missing_channels.add("C0SMB")
    await harness.post("/api/leads", {"external_id": "S", "email": "s@x.jp", "employees": 5, "mql": True})
    await harness.deliver()
    failed = [r for r in await outbox(harness) if r.status == "failed"]
    assert len(failed) == 1 and failed[0].last_error == "channel_not_found"
