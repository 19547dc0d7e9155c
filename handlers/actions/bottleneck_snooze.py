"""Snooze on a bottleneck alert: no new alert for the same stage until the snooze ends."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.actions.bottleneck_ack import decide


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    await decide(ack, body, context, snooze=True)


def register(app: AsyncApp) -> None:
    app.action("bottleneck_snooze")(handle)
