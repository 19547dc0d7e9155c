"""An MQL's response clock: warning, breach (+ escalation to the manager), reassignment.

Each handler is defensive: a timer whose lead is gone, already decided, or whose clock was restarted
since (reassignment, a new MQL episode) does nothing.
"""

from __future__ import annotations

import logging

from bot.clock import as_utc
from bot.context import UnitOfWork
from bot.domain import sla, timers
from bot.domain.routing import next_rep, reassign
from bot.models import Lead, Stage, Timer
from bot.notify import sla as notify
from jobs.sla import for_subject

log = logging.getLogger(__name__)


async def _open_lead(uow: UnitOfWork, timer: Timer) -> Lead | None:
    lead_id = sla.subject_lead_id(timer.subject)
    if lead_id is None:
        return None
    lead = await uow.session.get(Lead, lead_id)
    if lead is None or lead.stage != Stage.mql:
        return None
    if not sla.is_current(timer.data, lead.sla_due_at):
        log.info("stale %s timer %s for lead %s ignored", timer.kind, timer.id, lead_id)
        return None
    return lead


@for_subject("lead", sla.WARN)
async def on_warn(uow: UnitOfWork, timer: Timer) -> None:
    lead = await _open_lead(uow, timer)
    if lead is None:
        return
    if uow.now() >= as_utc(lead.sla_due_at):
        return  # fired late (the bot was down): the breach, due too, says it instead
    await notify.warn(uow, lead, timer.id)


@for_subject("lead", sla.BREACH)
async def on_breach(uow: UnitOfWork, timer: Timer) -> None:
    lead = await _open_lead(uow, timer)
    if lead is None:
        return
    config = uow.config
    clock = config.sla.mql_response
    # Who held the lead at the breach: its escalation DM names them even after a reassignment.
    await timers.note(uow, timer, assignee=lead.assignee_id)
    await notify.breach(uow, lead, timer.id, escalate=clock.escalate_to_manager)
    if lead.assignee_id:  # claim mode has nobody to move the lead from
        await sla.schedule_reassign(uow, clock, timer.subject, config.team_calendar(lead.team_id), lead.sla_due_at)


@for_subject("lead", sla.REASSIGN)
async def on_reassign(uow: UnitOfWork, timer: Timer) -> None:
    lead = await _open_lead(uow, timer)
    if lead is None or not lead.assignee_id:
        return
    to = await next_rep(uow, lead.team_id, exclude=frozenset({lead.assignee_id}))
    if to is None:
        log.info("lead %s: nobody eligible to take it over; it stays with %s", lead.id, lead.assignee_id)
        return
    await reassign(uow, lead, to, "sla_breach", actor="system")
