"""Acknowledge modal submitted: next step + date → the alert is acknowledged, its SLA clock stops."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain import health_alerts
from bot.slack.ids import View
from bot.slack.payloads import Ref
from handlers.common import Interaction, ModalInput


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    alert_id, step, due = (m.meta(Ref) or Ref(0)).id, m.text("next_step") or "", _date(m.picked_date("due"))
    await it.submit(ack, lambda uow: health_alerts.acknowledge(uow, alert_id, it.person, step, due))


VIEWS = {View.HEALTH_ACK: handle}
