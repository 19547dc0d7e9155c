"""SLA timers of FS → CS hand-offs (subject ``account:{id}``): the one engine's timer kinds, dispatched
here by jobs/sla.py. A timer of a hand-off already accepted (or of an older clock) does nothing."""

from __future__ import annotations

from bot.context import UnitOfWork
from bot.domain import sla
from bot.models import Account, Timer
from bot.notify.success import cs_handoff_timer
from jobs.sla import for_subject


async def _pending(uow: UnitOfWork, timer: Timer) -> Account | None:
    _, _, rest = timer.subject.partition(":")
    acc = await uow.session.get(Account, int(rest)) if rest.isdecimal() else None
    if acc is None or acc.handoff_state != "pending" or not sla.is_current(timer.data, acc.handoff_due_at):
        return None
    return acc


@for_subject("account", sla.WARN)
async def on_warn(uow: UnitOfWork, timer: Timer) -> None:
    acc = await _pending(uow, timer)
    if acc is not None:
        await cs_handoff_timer(uow, acc, "warning", timer.id)


@for_subject("account", sla.BREACH)
async def on_breach(uow: UnitOfWork, timer: Timer) -> None:
    acc = await _pending(uow, timer)
    if acc is not None:
        await cs_handoff_timer(uow, acc, "breached", timer.id)
