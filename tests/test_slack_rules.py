"""Baton against Slack's own rules, as the strict emulator enforces them: command replies reach the
person wherever the command was typed, Events API redeliveries are answered 200 with no second
effect, Retry-After pauses every method, malformed signature headers are a 401, and a post whose
answer was lost is found again (a DM by its D… id, a public channel after joining it)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from bot.messages import terminal_text
from bot.models import OutboxMessage, SlackMessage
from bot.slack.channels import channel_access, configured_channels
from bot.slack.delivery import enqueue
from bot.slack.ids import Command

MGR = "sato"


async def _outbox(harness, *where) -> list[OutboxMessage]:
    async with harness.baton.ctx.sessions() as s:
        return list((await s.execute(select(OutboxMessage).where(*where).order_by(OutboxMessage.id))).scalars())


def _places(harness) -> dict[str, str]:
    emu, me = harness.emu, harness.person(MGR)
    return {
        "a DM between people": emu.people_dm(me, harness.person("tanaka")),
        "a private channel the bot is not in": emu.add_channel("C0SECRET", "secret", private=True, members=[me]),
        "a public channel": "C0ENT",
    }


@pytest.mark.parametrize("command", list(Command))
async def test_every_command_reply_reaches_the_user_wherever_it_was_typed(harness, command):
    me = harness.person(MGR)
    for where, channel in _places(harness).items():
        before = len([m for m in harness.emu.channel_messages(channel) if m["ephemeral_user"] == me])
        queued = len(await _outbox(harness))
        result = await harness.emu.slash(me, command.value, "", channel_id=channel)
        for _ in range(300):  # a report is answered after the ack (real I/O, not clock time)
            if len(await _outbox(harness)) > queued:
                break
            await asyncio.sleep(0.01)
        await harness.deliver()
        assert result["status"] == 200, (where, result)
        replies = [m for m in harness.emu.channel_messages(channel) if m["ephemeral_user"] == me]
        assert len(replies) == before + 1, f"{command} typed in {where}: no reply reached the user"
    assert await _outbox(harness, OutboxMessage.status == "failed") == []
    assert not [c for c in harness.emu.calls if c["method"] == "chat.postEphemeral"]
    assert harness.emu.lint == []


async def test_a_reply_whose_response_url_is_spent_becomes_a_dm(harness):
    me = harness.person(MGR)
    channel = harness.emu.people_dm(me, harness.person("tanaka"))
    await harness.emu.slash(me, "/baton", "", channel_id=channel)
    for ctx in harness.emu._response_urls.values():  # noqa: SLF001 — as after Slack's 5 answers
        ctx["uses"] = 5
    await harness.deliver()
    assert [m for m in harness.emu.channel_messages(channel) if m["ephemeral_user"] == me] == []
    [dm] = harness.emu.channel_messages(me)
    assert dm["text"] and [r.status for r in await _outbox(harness)] == ["sent"]


async def test_a_redelivered_event_is_answered_200_and_has_no_second_effect(harness):
    me = harness.person(MGR)
    event = {"type": "app_home_opened", "user": me, "channel": harness.emu.dm_channel(me), "tab": "home"}
    first = await harness.emu.send_event(event, event_id="EvTWICE")
    for _ in range(300):  # the event listener runs after the HTTP ack (real I/O, not clock time)
        if await _outbox(harness, OutboxMessage.method == "views.publish"):
            break
        await asyncio.sleep(0.01)
    again = await harness.emu.send_event(event, event_id="EvTWICE", retry_num=1, retry_reason="http_timeout")
    await asyncio.sleep(0.2)  # time for a second effect, were there one
    assert first["status"] == 200 and again["status"] == 200
    assert harness.emu.failed_events == []  # Slack would count a 404 against the app and retry
    assert len(await _outbox(harness, OutboxMessage.method == "views.publish")) == 1


async def test_retry_after_pauses_the_channel_for_updates_too(harness):
    async with harness.baton.ctx.uow() as uow:
        for k in ("a", "b"):
            await enqueue(uow, "chat.postMessage", {"channel": "C0ENT", "text": k}, key=f"t:{k}")
    await harness.deliver()
    harness.emu.inject("chat.update", kind="429", times=1, retry_after=30)
    async with harness.baton.ctx.uow() as uow:
        await enqueue(uow, "chat.update", {"channel": "C0ENT", "text": "a2"}, target_key="t:a")
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        await enqueue(uow, "chat.update", {"channel": "C0ENT", "text": "b2"}, target_key="t:b")
    harness.clock.advance(seconds=10)
    await harness.deliver()
    updates = [c for c in harness.emu.calls if c["method"] == "chat.update"]
    assert len(updates) == 1, "an update went to the channel inside Slack's Retry-After"
    harness.clock.advance(seconds=21)
    await harness.deliver()
    assert sorted(m["text"] for m in harness.emu.channel_messages("C0ENT")) == ["a2", "b2"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "NOW", "X-Slack-Signature": "v0=é"},
        {"X-Slack-Signature": "v0=\u00e9\u00e9"},
    ],
)
async def test_malformed_signature_headers_are_401(harness, headers):
    headers = {k: v.encode().decode("latin-1") for k, v in headers.items()}
    headers.setdefault("X-Slack-Request-Timestamp", str(int(time.time())))
    async with harness.http.post(harness.url + "/slack/events", data=b'{"type":"event_callback"}', headers={"Content-Type": "application/json", **headers}) as r:
        assert r.status == 401


async def _lose_the_answer(harness) -> None:
    """The process died after Slack accepted the post but before it was recorded."""
    async with harness.baton.ctx.sessions() as s, s.begin():
        await s.execute(update(OutboxMessage).values(status="sending", lease_until=harness.clock.now() + timedelta(seconds=60)))
        await s.execute(delete(SlackMessage))
    await harness.restart()
    harness.clock.advance(seconds=61)
    await harness.deliver()


async def test_a_dm_in_doubt_is_found_by_its_d_id_not_posted_twice(harness):
    me = harness.person(MGR)
    async with harness.baton.ctx.uow() as uow:
        await enqueue(uow, "chat.postMessage", {"channel": me, "text": "once"}, key="dm:once")
    await harness.deliver()
    await _lose_the_answer(harness)
    assert [m["text"] for m in harness.emu.channel_messages(me)] == ["once"]
    async with harness.baton.ctx.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(SlackMessage)) == 1


async def test_a_channel_post_in_doubt_is_found_after_joining_not_posted_twice(harness):
    async with harness.baton.ctx.uow() as uow:
        await enqueue(uow, "chat.postMessage", {"channel": "C0SMB", "text": "once"}, key="ch:once")
    await harness.deliver()
    assert not harness.emu.conversation("C0SMB").has(harness.emu.bot_user_id)  # posted via chat:write.public
    await _lose_the_answer(harness)
    assert [m["text"] for m in harness.emu.channel_messages("C0SMB")] == ["once"]


async def test_check_config_says_which_channels_the_bot_cannot_use(harness):
    emu = harness.emu
    emu.add_channel("C0MGRS", "managers", private=True, members=[harness.person(MGR)])
    emu.add_channel("C0FS", "field-sales", bot=True)
    channels = configured_channels(harness.config)
    assert {"C0ENT", "C0SMB", "C0FS", "C0MGRS"} <= set(channels)
    verdicts = {c: v for c, _, v in await channel_access(harness.baton.client, channels)}
    assert verdicts["C0MGRS"] == "invite" and verdicts["C0FS"] == "member" and verdicts["C0ENT"] == "joinable"
    for verdict in ("member", "joinable", "invite"):
        for locale in ("ja", "en"):
            assert "C0X" in terminal_text(f"channel_{verdict}", locale, channel="C0X", name="x")
