"""Which configured channels the bot can do everything in (post, share a chart, look a post up).

Slack lets a bot post to a public channel it is not in (chat:write.public) but not share files there
or read its history; Baton joins such a channel when it must (conversations.join). A private
channel, a DM or a group DM is invisible to a bot that was not invited: nothing works there.
`check-config` prints this per channel when a bot token is set."""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def configured_channels(config: Any) -> list[str]:
    """Every channel id app.yaml names (any `…channel` key, at any depth), in first-seen order."""
    seen: dict[str, None] = {}

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key.endswith("channel") and _CHANNEL_ID.match(node):
            seen.setdefault(node, None)

    walk(config.model_dump())
    return list(seen)


async def channel_access(client: AsyncWebClient, channels: list[str]) -> list[tuple[str, str, str]]:
    """(channel, name, verdict) per channel: "member" (all works), "joinable" (public: Baton joins
    it for charts and look-ups), "invite" (private and the bot is not in it: nothing works)."""
    out = []
    for channel in channels:
        try:
            info = (await client.conversations_info(channel=channel))["channel"]
        except SlackApiError as e:
            if e.response.get("error") != "channel_not_found":
                raise
            out.append((channel, channel, "invite"))
            continue
        name = info.get("name") or channel
        if info.get("is_member"):
            out.append((channel, name, "member"))
        elif info.get("is_private") or info.get("is_im") or info.get("is_mpim"):
            out.append((channel, name, "invite"))
        else:
            out.append((channel, name, "joinable"))
    return out
