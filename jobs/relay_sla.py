"""SLA timers of FS hand-offs (subject ``opportunity:{id}``): the same engine and timer kinds as the
MQL clock, dispatched here by jobs/sla.py. A timer of a hand-off already decided does nothing."""

from __future__ import annotations

from bot.clock import as_utc
from bot.context import UnitOfWork
from bot.domain import sla
from bot.models import Opportunity, Timer
from bot.notify.relay import handoff_timer
from jobs.sla import for_subject


async def _pending(uow: UnitOfWork, timer: Timer) -> Opportunity | None:
    _, _, rest = timer.subject.partition(":")
    opp = await uow.session.get(Opportunity, int(rest)) if rest.isdecimal() else None
    if opp is None or opp.handoff_state != "pending":
        return None
    due = (opp.notes or {}).get("handoff_due_at")
    from datetime import datetime

    if not sla.is_current(timer.data, as_utc(datetime.fromisoformat(due)) if due else None):
        return None
    return opp


@for_subject("opportunity", sla.WARN)
async def on_warn(uow: UnitOfWork, timer: Timer) -> None:
    opp = await _pending(uow, timer)
    if opp is not None:
        await handoff_timer(uow, opp, "warning", timer.id)


@for_subject("opportunity", sla.BREACH)
async def on_breach(uow: UnitOfWork, timer: Timer) -> None:
    opp = await _pending(uow, timer)
    if opp is not None:
        await handoff_timer(uow, opp, "breached", timer.id)
