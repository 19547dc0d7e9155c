"""The delivery worker as it runs in the bot: one sender per channel, so a slow or rate-limited
channel holds up only itself; a channel's posts keep their order; a reply or an update never
overtakes its parent post; two workers on one database post each message once; stop is prompt
and leaves nothing claimed that it did not send."""

from __future__ import annotations


import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.models import OutboxMessage
from bot.slack.delivery import Delivery, enqueue


def post(channel: str, text: str, **kw: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "chat.postMessage", {"channel": channel, "text": text}, kw


async def queue(harness, *messages: tuple[str, dict[str, Any], dict[str, Any]]) -> None:  # noqa: ANN001
    async with harness.baton.ctx.uow() as uow:
        for method, payload, kw in messages:
            await enqueue(uow, method, payload, **kw)


class Sent:
    """What the worker reports as sent (its `on_sent` hook), awaited without sleeping."""

    def __init__(self, *deliveries: Delivery):
        self.rows: list[Any] = []
        self._changed = asyncio.Event()
        for d in deliveries:
            d.on_sent = self._on_sent

    def _on_sent(self, row: Any, result: dict[str, Any]) -> None:
        self.rows.append(row)
        self._changed.set()

    async def until(self, done: Callable[[], bool], within: float = 20.0) -> None:
        async def wait() -> None:
            while not done():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), within)


async def recorded(harness, text: str, status: str) -> None:  # noqa: ANN001
    """Wait (bounded) until the worker has written the row's outcome: real I/O, not clock time."""
    for _ in range(500):
        if (await statuses(harness)).get(text) == status:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{text} never became {status}")


def texts(harness, channel: str) -> list[str]:  # noqa: ANN001
    """Top-level posts of a channel in the order Slack received them."""
    return [m["text"] for m in harness.emu.channel_messages(channel)]


async def statuses(harness) -> dict[str, str]:  # noqa: ANN001
    async with harness.baton.ctx.sessions() as s:
        rows = (await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        return {r.payload.get("text"): r.status for r in rows}


async def test_a_channel_whose_post_hangs_does_not_hold_up_the_others_and_stop_does_not_wait_for_it(harness):
    emu, delivery = harness.emu, harness.baton.delivery
    # Slack keeps C1's post waiting this long, then answers with an error: long enough that the other
    # channels finish well before it even on a loaded machine (the assertion is "did not wait"). The
    # fault names C1: injected on "the first post", it hit whichever lane started first, and a hang on
    # C2's first post rightly holds b2 (that, not delivery, was the PostgreSQL flake of session 3).
    emu.timeout_seconds = 4.0
    emu.inject("chat.postMessage", kind="timeout", times=1, channel="C1")
    await queue(harness, post("C1", "a1"), post("C2", "b1"), post("C2", "b2"), post("C3", "c1"), post("C3", "c2"))
    sent = Sent(delivery)
    delivery.stop_grace = 0.2
    delivery.start()
    await sent.until(lambda: len(sent.rows) == 4)
    [hung] = [c for c in emu.calls if c["error"] in ("timeout", "request_timeout")]
    assert hung["status"] is None, "the other channels had to wait for the hanging post"
    await delivery.stop()
    assert hung["status"] is None, "stop waited for Slack to answer"
    hung_text = hung["params"]["text"]
    assert (await statuses(harness))[hung_text] == "sending"  # still claimed: it may have reached Slack
    # The next process takes it once the lease has run out, looks for it in the channel, posts it once.
    harness.clock.advance(seconds=61)
    await harness.deliver()
    assert set((await statuses(harness)).values()) == {"sent"}
    assert texts(harness, "C1") == ["a1"] and texts(harness, "C2") == ["b1", "b2"] and texts(harness, "C3") == ["c1", "c2"]


async def test_retry_after_pauses_only_its_own_channel_and_its_posts_keep_their_order(harness):
    emu, delivery = harness.emu, harness.baton.delivery
    emu.inject("chat.postMessage", kind="429", times=1, retry_after=30)
    await queue(harness, *(post(ch, f"{ch}-{i}") for i in range(1, 4) for ch in ("C1", "C2", "C3")))
    sent = Sent(delivery)
    delivery.start()
    try:
        await sent.until(lambda: len(sent.rows) == 6)
        [limited] = [c["params"]["channel"] for c in emu.calls if c["status"] == 429]
        others = {"C1", "C2", "C3"} - {limited}
        assert texts(harness, limited) == []  # waiting out Retry-After on Baton's clock
        await recorded(harness, f"{limited}-1", "pending")  # its retry is written before the clock moves
        assert all(texts(harness, ch) == [f"{ch}-1", f"{ch}-2", f"{ch}-3"] for ch in others)
        harness.clock.advance(seconds=31)
        await sent.until(lambda: len(sent.rows) == 9)
        assert texts(harness, limited) == [f"{limited}-1", f"{limited}-2", f"{limited}-3"]
    finally:
        await delivery.stop()
    assert [c["status"] for c in emu.calls].count(429) == 1


async def test_a_reply_and_an_update_never_overtake_their_parent_post(harness):
    delivery = harness.baton.delivery
    parent_and_children = (
        post("C1", "parent", key="p"),
        post("C1", "reply", thread_key="p"),
        ("chat.update", {"channel": "C1", "text": "parent, edited"}, {"target_key": "p"}),
        post("C1", "after the reply"),
    )
    await queue(harness, *parent_and_children)  # one claim takes all three posts of the channel
    sent = Sent(delivery)
    delivery.start()
    try:
        await sent.until(lambda: len(sent.rows) == 4)
    finally:
        await delivery.stop()
    assert_threaded(harness)


async def test_a_reply_waits_while_its_parent_post_backs_off(harness):
    harness.emu.inject("chat.postMessage", kind="500", times=1)  # the parent's first attempt fails
    await queue(
        harness,
        post("C1", "parent", key="p"),
        post("C1", "reply", thread_key="p"),
        ("chat.update", {"channel": "C1", "text": "parent, edited"}, {"target_key": "p"}),
        post("C1", "after the reply"),
    )
    await harness.deliver()
    assert harness.emu.channel_messages("C1", include_threads=True) == []  # all wait behind the parent
    harness.clock.advance(seconds=5)
    await harness.deliver()
    assert_threaded(harness)


def assert_threaded(harness) -> None:  # noqa: ANN001
    [parent, after] = harness.emu.channel_messages("C1")
    assert (parent["text"], after["text"]) == ("parent, edited", "after the reply")
    [_, reply] = harness.emu.thread("C1", parent["ts"])
    assert reply["text"] == "reply" and float(reply["ts"]) < float(after["ts"])


async def test_two_workers_on_one_database_post_each_message_once(harness):
    first = harness.baton.delivery
    second = Delivery(harness.baton.ctx.sessions, harness.baton.client, harness.clock, per_channel_per_second=1000)
    await queue(harness, *(post(ch, f"{ch}-{i}") for i in range(40) for ch in ("C1", "C2", "C3")))
    sent = Sent(first, second)
    first.start()
    second.start()
    try:
        await sent.until(lambda: len(sent.rows) >= 120)
    finally:
        await asyncio.gather(first.stop(), second.stop())
    assert len(sent.rows) == 120 and len({r.id for r in sent.rows}) == 120
    for ch in ("C1", "C2", "C3"):
        assert sorted(texts(harness, ch)) == sorted(f"{ch}-{i}" for i in range(40))
    assert set((await statuses(harness)).values()) == {"sent"}


async def test_stop_hands_back_posts_it_claimed_but_did_not_send(harness):
    # Two posts a second: a claim covers two posts, and stop comes while the second waits for its slot.
    delivery = Delivery(harness.baton.ctx.sessions, harness.baton.client, harness.clock, per_channel_per_second=2)
    await queue(harness, *(post("C1", f"m{i}") for i in range(6)))
    sent = Sent(delivery)
    delivery.start()
    await sent.until(lambda: len(sent.rows) >= 1)
    await delivery.stop()
    async with harness.baton.ctx.sessions() as s:
        rows = list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
    posted = texts(harness, "C1")
    assert [r.payload["text"] for r in rows if r.status == "sent"] == posted
    unsent = [r for r in rows if r.status != "sent"]
    assert unsent and all(r.status == "pending" and r.attempts == 0 and r.lease_until is None for r in unsent)
    # Another process takes them at once, in order.
    await harness.deliver()
    assert texts(harness, "C1") == [f"m{i}" for i in range(6)]
