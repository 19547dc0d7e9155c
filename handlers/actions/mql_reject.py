"""Reject on an MQL card: open the reason modal (or say why this person cannot decide)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import mql
from bot.slack.ids import Action, View
from handlers.common import Interaction


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    reasons = it.baton.config.mql.reject_reasons
    await it.open_checked(
        ack, lambda uow: mql.check_reject(uow, it.ref(), it.person), View.MQL_REJECT,
        lambda check: {"lead": check.lead, "reasons": reasons},
    )  # fmt: skip


def register(app: AsyncApp) -> None:
    app.action(Action.MQL_REJECT)(handle)
