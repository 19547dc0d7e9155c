"""Upsell to FS (on the account card, a health alert or a renewal reminder): open the hand-off modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common import open_account_modal


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    await ack()
    await open_account_modal(body, context, "upsell_modal")


def register(app: AsyncApp) -> None:
    app.action("upsell_handoff")(handle)
