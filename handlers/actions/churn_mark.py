"""Mark churned (on the account card or a renewal reminder): open the reason modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common import baton_of, open_account_modal


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    await ack()
    reasons = baton_of(context).config.success.churn_reasons
    await open_account_modal(body, context, "churn_modal", reasons=reasons)


def register(app: AsyncApp) -> None:
    app.action("churn_mark")(handle)
