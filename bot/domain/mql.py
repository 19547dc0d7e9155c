"""The first hand-off decision on an MQL: Accept → SAL, Reject → recycled / closed. Of two
simultaneous presses exactly one wins; the other learns who decided."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import update

from bot.config import AppConfig, Person
from bot.context import UnitOfWork
from bot.domain import permissions, sla
from bot.domain.events import last_transition_from, record_transition
from bot.domain.outcomes import Outcome, Result
from bot.models import Lead, Stage


@dataclass(frozen=True)
class Decision(Result):
    """accepted | rejected | closed, or a refusal (`by`: who won when we lost the race; `state`:
    the stage the lead is already in)."""

    lead: Lead | None = None
    _: KW_ONLY
    subject: str = "lead"


def may_decide(config: AppConfig, lead: Lead, person: Person | None) -> bool:
    return permissions.allows("mql.decide", config, person, lead)


async def _decide(
    uow: UnitOfWork,
    lead_id: int,
    person: Person | None,
    to_stage: str,
    values: dict[str, Any],
) -> tuple[Decision, Lead | None]:
    lead = await uow.session.get(Lead, lead_id)
    if lead is None:
        return Decision(Outcome.NOT_FOUND), None
    if lead.stage != Stage.mql:
        return await already_decided(uow, lead), None
    if not may_decide(uow.config, lead, person):
        return Decision(Outcome.NOT_ALLOWED, lead), None
    # The conditional update is the referee: of two simultaneous presses exactly one changes a row.
    # RETURNING brings the row back as it now is (other columns may have moved since we read it).
    won = (
        await uow.session.execute(
            update(Lead)
            .where(Lead.id == lead_id, Lead.stage == Stage.mql)
            .values(stage=to_stage, updated_at=uow.now(), **values)
            .returning(Lead)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
    ).scalars().first()
    if won is None:
        await uow.session.refresh(lead)
        return await already_decided(uow, lead), None
    return Decision(Outcome.ALLOWED, won), won


async def already_decided(uow: UnitOfWork, lead: Lead) -> Decision:
    ev = await last_transition_from(uow, "lead", lead.id, Stage.mql)
    return Decision(Outcome.ALREADY_DECIDED, lead, by=ev.actor if ev else None, state=lead.stage)


async def check_reject(uow: UnitOfWork, lead_id: int, person: Person | None) -> Decision:
    """Before the Reject modal opens: may this person still reject this MQL? Nothing changes."""
    lead = await uow.session.get(Lead, lead_id)
    if lead is None:
        return Decision(Outcome.NOT_FOUND)
    if lead.stage != Stage.mql:
        return await already_decided(uow, lead)
    if not may_decide(uow.config, lead, person):
        return Decision(Outcome.NOT_ALLOWED, lead)
    return Decision(Outcome.ALLOWED, lead)


def _response_data(uow: UnitOfWork, lead: Lead) -> dict[str, Any]:
    calendar = uow.config.team_calendar(lead.team_id)
    return sla.response_time(calendar, lead.mql_at or uow.now(), uow.now(), lead.sla_due_at).as_data()


async def accept_mql(uow: UnitOfWork, lead_id: int, person: Person | None) -> Decision:
    decision, lead = await _decide(uow, lead_id, person, Stage.sal, {"owner_id": person.id if person else None})
    if lead is None:
        return decision
    await sla.stop(uow, f"lead:{lead.id}")
    await record_transition(
        uow, "lead", lead.id, Stage.mql, Stage.sal, actor=person.id, team_id=lead.team_id,
        data={**_response_data(uow, lead), "assignee": lead.assignee_id},
    )  # fmt: skip
    return Decision(Outcome.ACCEPTED, lead)


def validate_rejection(
    config: AppConfig, reason_id: str | None, note: str | None, recycle_at: date | None, today: date
) -> dict[str, str]:
    """Field → error key (a strings.yaml key), empty when the rejection may go ahead."""
    errors: dict[str, str] = {}
    reason = config.mql.reason(reason_id or "")
    if reason is None:
        errors["reason"] = "errors.reason_required"
    elif reason.note_required and not (note or "").strip():
        errors["note"] = "errors.note_required"
    if recycle_at is not None and recycle_at <= today:
        errors["reapproach"] = "errors.date_not_future"
    return errors


def default_recycle_date(config: AppConfig, reason_id: str, today: date) -> date | None:
    reason = config.mql.reason(reason_id)
    if reason is None or reason.action != "recycle" or reason.recycle_after is None:
        return None
    return today + timedelta(days=reason.recycle_after.days or max(1, reason.recycle_after.seconds // 86400))


async def reject_mql(
    uow: UnitOfWork,
    lead_id: int,
    person: Person | None,
    reason_id: str,
    note: str | None = None,
    recycle_at: date | None = None,
) -> Decision:
    config = uow.config
    reason = config.mql.reason(reason_id)
    team_tz = config.team_calendar((await uow.session.get(Lead, lead_id) or Lead()).team_id).tz
    today = uow.now().astimezone(team_tz).date()
    errors = validate_rejection(config, reason_id, note, recycle_at, today)
    if errors:
        return Decision(Outcome.BAD_INPUT, errors=errors)
    closing = reason.action == "close"
    to_stage = Stage.closed if closing else Stage.recycled
    when = None if closing else (recycle_at or default_recycle_date(config, reason_id, today))
    decision, lead = await _decide(uow, lead_id, person, to_stage, {"recycle_at": when})
    if lead is None:
        return decision
    await sla.stop(uow, f"lead:{lead.id}")
    await record_transition(
        uow, "lead", lead.id, Stage.mql, to_stage, actor=person.id, team_id=lead.team_id,
        reason=reason_id, note=(note or None),
        data={**_response_data(uow, lead), "assignee": lead.assignee_id, "recycle_at": when.isoformat() if when else None},
    )  # fmt: skip
    return Decision(Outcome.CLOSED if closing else Outcome.REJECTED, lead)
