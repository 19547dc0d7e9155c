"""The buttons of a health-drop alert: Acknowledge (opens the next-step modal), Snooze, Escalate."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import health_alerts
from bot.slack.ids import Action, View
from handlers.common import Interaction

# Snooze: quiet for the configured time (the escalation clock restarts after it).
# Escalate: the CS manager gets a DM; the alert shows it was escalated.
DECISIONS = {Action.HEALTH_SNOOZE: health_alerts.snooze, Action.HEALTH_ESCALATE: health_alerts.escalate}


async def acknowledge(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    await it.open_checked(
        ack, lambda uow: health_alerts.check_acknowledge(uow, it.ref(), it.person), View.HEALTH_ACK,
        lambda check: {"alert": check.alert, "account": check.account},
    )  # fmt: skip


async def decide(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    decision = DECISIONS[Action(it.action.get("action_id"))]
    await it.decide(ack, lambda uow: decision(uow, it.ref(), it.person))


def register(app: AsyncApp) -> None:
    app.action(Action.HEALTH_ACK)(acknowledge)
    for action_id in DECISIONS:
        app.action(action_id)(decide)
