"""The one SLA engine's timers, dispatched by the kind of thing being timed.

Every hand-off clock (an MQL: ``lead:12``, an FS hand-off: ``opportunity:7``, a health alert:
``alert:3`` …) is planned by bot/domain/sla.py and fires the same timer kinds; the flow that owns
the subject registers what happens with ``@for_subject(prefix, kind)`` (jobs/mql_sla.py,
jobs/handoff_sla.py, jobs/health_alerts.py). Each handler runs inside the claiming transaction of
bot/scheduler.py, so a timer fires exactly once across processes and restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.context import UnitOfWork
from bot.domain import sla
from bot.models import Timer
from bot.scheduler import on_timer

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Timer], Awaitable[None]]
_by_subject: dict[tuple[str, str], Handler] = {}


def for_subject(prefix: str, kind: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        _by_subject[(prefix, kind)] = fn
        return fn

    return deco


async def dispatch(uow: UnitOfWork, timer: Timer) -> None:
    fn = _by_subject.get((timer.subject.partition(":")[0], timer.kind))
    if fn is None:
        log.info("no %s handler for %s; nothing to do", timer.kind, timer.subject)
        return
    await fn(uow, timer)
    uow.emit(sla.SlaFired(timer.subject, timer.kind))  # e.g. the manager's App Home shows the breach


for _kind in (sla.WARN, sla.BREACH, sla.REASSIGN):
    on_timer(_kind)(dispatch)
