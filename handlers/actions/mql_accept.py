"""Accept on an MQL card: the lead becomes an SAL owned by the clicker (one winner on a double press)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import mql
from bot.slack.ids import Action
from handlers.common import Interaction


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    await it.decide(ack, lambda uow: mql.accept_mql(uow, it.ref(), it.person))


def register(app: AsyncApp) -> None:
    app.action(Action.MQL_ACCEPT)(handle)
