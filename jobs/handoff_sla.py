"""SLA timers of the relay's hand-offs — IS → FS (subject ``opportunity:{id}``) and FS → CS
(``account:{id}``): the one engine's timer kinds, dispatched here by jobs/sla.py. A table, one row
per hand-off: where its record is, when it is due, who announces the warning / breach. A timer of a
hand-off already decided (or of an older clock) does nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.clock import as_utc
from bot.context import UnitOfWork
from bot.domain import sla
from bot.models import Account, Opportunity, Timer
from bot.notify.relay import handoff_timer
from bot.notify.success import cs_handoff_timer
from jobs.sla import for_subject


def _deal_due(opp: Opportunity) -> datetime | None:
    due = (opp.notes or {}).get("handoff_due_at")
    return as_utc(datetime.fromisoformat(due)) if due else None


HANDOFFS: dict[str, tuple[type, Callable[[Any], datetime | None], Callable[[UnitOfWork, Any, str, int], Awaitable[None]]]] = {
    "opportunity": (Opportunity, _deal_due, handoff_timer),
    "account": (Account, lambda acc: acc.handoff_due_at, cs_handoff_timer),
}


async def _fire(uow: UnitOfWork, timer: Timer, state: str) -> None:
    prefix, _, rest = timer.subject.partition(":")
    model, due_of, announce = HANDOFFS[prefix]
    record = await uow.session.get(model, int(rest)) if rest.isdecimal() else None
    if record is not None and record.handoff_state == "pending" and sla.is_current(timer.data, due_of(record)):
        await announce(uow, record, state, timer.id)


async def on_warn(uow: UnitOfWork, timer: Timer) -> None:
    await _fire(uow, timer, "warning")


async def on_breach(uow: UnitOfWork, timer: Timer) -> None:
    await _fire(uow, timer, "breached")


for _prefix in HANDOFFS:
    for_subject(_prefix, sla.WARN)(on_warn)
    for_subject(_prefix, sla.BREACH)(on_breach)
