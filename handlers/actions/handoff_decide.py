"""Accept hand-off / Send back on the FS hand-off card."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import relay
from bot.slack.ids import Action, View
from handlers.common import Interaction


async def accept(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    await it.decide(ack, lambda uow: relay.accept_handoff(uow, it.ref(), it.person))


async def send_back(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    reasons = it.baton.config.relay.sendback_reasons
    await it.open_checked(
        ack, lambda uow: relay.check_send_back(uow, it.ref(), it.person), View.HANDOFF_SENDBACK,
        lambda check: {"opp": check.opportunity, "reasons": reasons},
    )  # fmt: skip


def register(app: AsyncApp) -> None:
    app.action(Action.HANDOFF_ACCEPT)(accept)
    app.action(Action.HANDOFF_SEND_BACK)(send_back)
