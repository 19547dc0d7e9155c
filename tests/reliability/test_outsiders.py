"""Every button, modal and command the bot registers, pressed by someone Slack knows but app.yaml
does not: each is refused privately and changes nothing (the "outsider" column of the
authorization table, for every entry point by construction)."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.models import OutboxMessage, StageEvent
from bot.slack.ids import Action, Command, View
from tests import registrations
from tests.harness import SECRET

OUTSIDER = "U0OUTSIDER"


def registered(kind: str) -> list[str]:
    """Every id of that kind the listeners register."""
    return sorted(registrations.registered(kind))


def test_every_typed_id_is_registered():
    """Every action, modal and command of bot.slack.ids has a listener, and nothing else does."""
    assert set(registered("action")) == {str(a) for a in Action}
    assert set(registered("view")) == {str(v) for v in View if v != View.HOME}
    assert set(registered("command")) == {str(c) for c in Command}


ENTRY_POINTS = [("action", a) for a in registered("action")] + [("view", v) for v in registered("view")] + [
    ("command", c) for c in registered("command")
]


def test_the_table_sees_every_entry_point():
    kinds = {k for k, _ in ENTRY_POINTS}
    assert kinds == {"action", "view", "command"} and len(ENTRY_POINTS) >= 30


async def _counts(harness) -> tuple[int, int]:
    async with harness.baton.ctx.sessions() as s:
        events = await s.scalar(select(func.count()).select_from(StageEvent))
        # The private reply (through the response_url, else a DM) is not a post.
        private = OutboxMessage.method.in_(("chat.postEphemeral", "response_url")) | (OutboxMessage.channel == OUTSIDER)
        posts = await s.scalar(select(func.count()).select_from(OutboxMessage).where(~private))
    return events, posts


async def _send(harness, kind: str, name: str) -> int:
    if kind == "command":
        form = {"command": name, "text": "", "user_id": OUTSIDER, "user_name": "outsider", "channel_id": "C0ENT",
                "team_id": "T0BATON", "trigger_id": "t.1", "response_url": harness.emu._issue_response_url(OUTSIDER, "C0ENT")}  # fmt: skip
        body = urlencode(form)
    else:
        payload = {"type": "block_actions" if kind == "action" else "view_submission", "user": {"id": OUTSIDER, "name": "outsider"},
                   "team": {"id": "T0BATON"}, "api_app_id": "A0BATON", "trigger_id": "t.1", "channel": {"id": "C0ENT"},
                   "container": {"type": "message", "channel_id": "C0ENT", "message_ts": "1.0"}}  # fmt: skip
        if kind == "action":  # a button on a message: Slack gives it a response_url
            payload["response_url"] = harness.emu._issue_response_url(OUTSIDER, "C0ENT")  # noqa: SLF001
            payload["actions"] = [{"type": "button", "action_id": name, "block_id": "b", "value": "1", "action_ts": "1.0"}]
        else:
            payload["view"] = {"id": "V1", "type": "modal", "callback_id": name, "private_metadata": "1", "state": {"values": {}}, "hash": "h"}
        body = urlencode({"payload": json.dumps(payload)})
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)}  # fmt: skip
    async with harness.http.post(harness.url + "/slack/events", data=body.encode(), headers=headers) as r:
        return r.status


@pytest.mark.parametrize(("kind", "name"), ENTRY_POINTS, ids=[f"{k}:{n}" for k, n in ENTRY_POINTS])
async def test_outsider_is_refused_privately_and_nothing_changes(harness, kind, name):
    if name.startswith("^"):
        pytest.skip("pattern-matched action ids are covered by their concrete names")
    harness.emu.users[OUTSIDER] = {"name": "outsider", "real_name": "部外者"}
    before = await _counts(harness)
    assert await _send(harness, kind, name) == 200
    await harness.deliver()
    assert await _counts(harness) == before
    told = [m for m in harness.emu.messages if m.get("ephemeral_user") == OUTSIDER or m["channel"] == harness.emu.dm_channel(OUTSIDER)]
    assert len(told) == 1 and "app.yaml" in told[0]["text"]
