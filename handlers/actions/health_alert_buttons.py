"""The buttons of a health-drop alert: Acknowledge (opens the next-step modal), Snooze (quiet for the
configured time; the escalation clock restarts after it), Escalate (the CS manager gets a DM)."""

from __future__ import annotations

from bot.domain import health_alerts
from bot.slack.ids import Action, View
from handlers.common import button_decision, modal_opener

ACTIONS = {
    Action.HEALTH_ACK: modal_opener(
        health_alerts.check_acknowledge, View.HEALTH_ACK, lambda it, check: {"alert": check.alert, "account": check.account}
    ),
    Action.HEALTH_SNOOZE: button_decision(health_alerts.snooze),
    Action.HEALTH_ESCALATE: button_decision(health_alerts.escalate),
}
