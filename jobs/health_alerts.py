"""The escalation timer of a health alert (planned by the SLA engine, bot/domain/sla.py): an alert
still unacknowledged at its deadline goes to the CS manager. Stale timers (a clock restarted by a
snooze, or stopped by an acknowledgement) do nothing."""

from __future__ import annotations

import logging

from bot.context import UnitOfWork
from bot.domain import health_alerts, sla
from bot.models import Alert, Timer
from jobs.sla import for_subject

log = logging.getLogger(__name__)


@for_subject("alert", sla.BREACH)
async def on_escalate(uow: UnitOfWork, timer: Timer) -> None:
    kind, _, rest = timer.subject.partition(":")
    if kind != "alert" or not rest.isdecimal():
        return
    alert = await uow.session.get(Alert, int(rest))
    if alert is None or alert.state not in health_alerts.UNANSWERED:
        return
    if not sla.is_current(timer.data, health_alerts.due_at(alert)):
        log.info("stale escalation timer %s for alert %s ignored", timer.id, alert.id)
        return
    await health_alerts.escalate(uow, alert.id, None, actor="system")
