"""Acknowledge / Snooze on a bottleneck alert: recorded on the alert; every copy then shows who did
what, without buttons."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import bottleneck
from bot.notify.pipeline import show_bottleneck_decision
from bot.slack.ids import Action
from handlers.common import Interaction

DECISIONS = {Action.BOTTLENECK_ACK: bottleneck.acknowledge, Action.BOTTLENECK_SNOOZE: bottleneck.snooze}


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    decide_on = DECISIONS[Action(it.action.get("action_id"))]

    async def decide(uow: UnitOfWork) -> bottleneck.BottleneckResult:
        result = await decide_on(uow, it.ref(), it.person)
        if result.ok:
            await show_bottleneck_decision(uow, result, it.body.get("message") or {}, it.user)
        return result

    await it.decide(ack, decide)


ACTIONS = dict.fromkeys(DECISIONS, handle)
