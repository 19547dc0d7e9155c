"""After acceptance: SAL → SQL (Qualify, with BANT notes) and the hand-off to Field Sales, timed by
the SLA engine (subject ``opportunity:{id}``); Disqualify and Send back put the lead into the loop.

Lead stages: sal ──Qualify──▶ sql ──Accept hand-off──▶ opportunity; sql ──Send back──▶ sal | recycled.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import update

from bot.config import AppConfig, Person, SlaClock, SlaPolicy, Team
from bot.context import UnitOfWork
from bot.domain import opportunities, permissions, sla
from bot.domain.amounts import parse_amount
from bot.domain.events import record_transition
from bot.domain.outcomes import Outcome, Result
from bot.domain.mql import default_recycle_date, validate_rejection
from bot.domain.routing import next_rep
from bot.models import Lead, Opportunity, Stage

BANT = ("budget", "authority", "need", "timing")


@dataclass(frozen=True)
class HandoffRequested:
    """An SQL was handed to an FS rep (posted to the FS channel with Accept / Send back)."""

    opportunity_id: int
    lead_id: int
    actor: str


@dataclass(frozen=True)
class HandoffDecided:
    opportunity_id: int
    lead_id: int | None
    outcome: str  # accepted | sent_back
    actor: str
    reason: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class RelayResult(Result):
    """qualified | disqualified | closed (an SAL), accepted | sent_back (a hand-off), or a refusal."""

    lead: Lead | None = None
    opportunity: Opportunity | None = None
    _: KW_ONLY
    subject: str = "sal"


def fs_team(config: AppConfig) -> Team | None:
    return config.team(config.relay.fs_team) if config.relay.fs_team else config.fs_team()


def handoff_clock(config: AppConfig) -> SlaClock:
    r = config.relay
    return SlaClock(warn_at=r.handoff_warn_at, escalate_to_manager=r.escalate_to_manager,
                    policies=[SlaPolicy(label="handoff", within=r.handoff_within)])  # fmt: skip


def subject(opp_id: int) -> str:
    return f"opportunity:{opp_id}"


def may_work_sal(config: AppConfig, lead: Lead, person: Person | None) -> bool:
    return permissions.allows("sal.work", config, person, lead)


def may_decide_handoff(config: AppConfig, opp: Opportunity, person: Person | None) -> bool:
    return permissions.allows("handoff.decide", config, person, opp)


async def _sal(uow: UnitOfWork, lead_id: int, person: Person | None) -> RelayResult | Lead:
    lead = await uow.session.get(Lead, lead_id)
    if lead is None:
        return RelayResult(Outcome.NOT_FOUND)
    if lead.stage != Stage.sal:
        return RelayResult(Outcome.ALREADY_DECIDED, lead)
    if not may_work_sal(uow.config, lead, person):
        return RelayResult(Outcome.NOT_ALLOWED, lead)
    return lead


async def _move(uow: UnitOfWork, lead: Lead, from_stage: str, to_stage: str, **values: Any) -> bool:
    """Compare-and-set on the stage: of two simultaneous presses exactly one moves the lead."""
    result = await uow.session.execute(
        update(Lead).where(Lead.id == lead.id, Lead.stage == from_stage)
        .values(stage=to_stage, updated_at=uow.now(), **values).execution_options(synchronize_session=False)
    )  # fmt: skip
    await uow.session.refresh(lead)
    return (result.rowcount or 0) == 1


async def check_sal(uow: UnitOfWork, lead_id: int, person: Person | None) -> RelayResult:
    """Before the Qualify / Disqualify modal opens: may this person still work this SAL? Nothing changes."""
    got = await _sal(uow, lead_id, person)
    return got if isinstance(got, RelayResult) else RelayResult(Outcome.ALLOWED, got)


async def qualify(uow: UnitOfWork, lead_id: int, person: Person | None, values: dict[str, str | None]) -> RelayResult:
    """SAL → SQL: a phase-1 opportunity owned by the next FS rep, linked to the lead, hand-off pending."""
    errors: dict[str, str] = {}
    if not (values.get("need") or "").strip():
        errors["need"] = "relay.errors.need_required"
    try:
        amount = parse_amount(values.get("amount"))
    except ValueError:
        errors["amount"] = "relay.errors.bad_amount"
        amount = None
    if errors:
        return RelayResult(Outcome.BAD_INPUT, errors=errors)
    got = await _sal(uow, lead_id, person)
    if isinstance(got, RelayResult):
        return got
    lead, config = got, uow.config
    team = fs_team(config)
    rep = await next_rep(uow, team.id) if team else None
    if rep is None:
        return RelayResult(Outcome.NO_FS_REP, lead)
    if not await _move(uow, lead, Stage.sal, Stage.sql):
        return RelayResult(Outcome.ALREADY_DECIDED, lead)
    notes = {k: (values.get(k) or "").strip() or None for k in (*BANT, "notes")}
    notes["qualified_by"] = person.id
    opp = await opportunities.create(
        uow, name=lead.company or lead.name or f"lead {lead.id}", actor=person.id, phase=1,
        account_name=lead.company, owner_id=rep, team_id=team.id, amount=amount, key_person=notes["authority"],
        source_lead_id=lead.id, notes=notes,
    )  # fmt: skip
    await record_transition(
        uow, "lead", lead.id, Stage.sal, Stage.sql, actor=person.id, team_id=lead.team_id,
        data={"opportunity_id": opp.id, "fs_owner": rep, "amount": str(opp.amount)},
    )  # fmt: skip
    await request_handoff(uow, opp, person.id, lead.id)
    return RelayResult(Outcome.QUALIFIED, lead, opp)


async def request_handoff(uow: UnitOfWork, opp: Opportunity, by: str, lead_id: int | None = None) -> None:
    """Hand a deal to its FS owner, timed: the card with Accept / Send back and the hand-off SLA.
    The one hand-off for an SQL from IS (with its lead) and an upsell from CS (with its account)."""
    config = uow.config
    clock = sla.plan(handoff_clock(config), {}, config.team_calendar(opp.team_id), uow.now())
    opp.handoff_state, opp.handoff_from = "pending", by
    opp.notes = {**(opp.notes or {}), "handoff_due_at": clock.due_at.isoformat(), "handoff_at": uow.now().isoformat()}
    await uow.session.flush()
    await sla.start(uow, subject(opp.id), clock)
    uow.emit(HandoffRequested(opp.id, lead_id, by))


async def disqualify(
    uow: UnitOfWork, lead_id: int, person: Person | None, reason_id: str, note: str | None, recycle_at: date | None
) -> RelayResult:
    """SAL → recycled (or closed for duplicate / spam) with a reason and a re-approach date."""
    config = uow.config
    lead0 = await uow.session.get(Lead, lead_id)
    today = uow.now().astimezone(config.team_calendar(lead0.team_id if lead0 else None).tz).date()
    errors = validate_rejection(config, reason_id, note, recycle_at, today)
    if errors:
        return RelayResult(Outcome.BAD_INPUT, errors=errors)
    got = await _sal(uow, lead_id, person)
    if isinstance(got, RelayResult):
        return got
    lead, reason = got, config.mql.reason(reason_id)
    closing = reason.action == "close"
    to_stage = Stage.closed if closing else Stage.recycled
    when = None if closing else (recycle_at or default_recycle_date(config, reason_id, today))
    if not await _move(uow, lead, Stage.sal, to_stage, recycle_at=when):
        return RelayResult(Outcome.ALREADY_DECIDED, lead)
    await record_transition(
        uow, "lead", lead.id, Stage.sal, to_stage, actor=person.id, team_id=lead.team_id, reason=reason_id,
        note=(note or None), data={"recycle_at": when.isoformat() if when else None},
    )  # fmt: skip
    return RelayResult(Outcome.CLOSED if closing else Outcome.DISQUALIFIED, lead)


async def _pending_handoff(uow: UnitOfWork, opp_id: int, person: Person | None) -> RelayResult | Opportunity:
    opp = await uow.session.get(Opportunity, opp_id)
    if opp is None:
        return RelayResult(Outcome.NOT_FOUND, subject="handoff")
    if opp.handoff_state != "pending":
        return RelayResult(Outcome.ALREADY_DECIDED, opportunity=opp, subject="handoff")
    if not may_decide_handoff(uow.config, opp, person):
        return RelayResult(Outcome.NOT_ALLOWED, opportunity=opp, subject="handoff")
    return opp


async def check_send_back(uow: UnitOfWork, opp_id: int, person: Person | None) -> RelayResult:
    """Before the Send-back modal opens: is the hand-off still this person's to decide? Nothing changes."""
    got = await _pending_handoff(uow, opp_id, person)
    return got if isinstance(got, RelayResult) else RelayResult(Outcome.ALLOWED, opportunity=got, subject="handoff")


async def _handoff(uow: UnitOfWork, opp_id: int, person: Person | None) -> RelayResult | Opportunity:
    got = await _pending_handoff(uow, opp_id, person)
    if isinstance(got, RelayResult):
        return got
    opp = got
    result = await uow.session.execute(
        update(Opportunity).where(Opportunity.id == opp_id, Opportunity.handoff_state == "pending")
        .values(handoff_state="claimed").execution_options(synchronize_session=False)
    )  # fmt: skip
    await uow.session.refresh(opp)
    if (result.rowcount or 0) != 1:
        return RelayResult(Outcome.ALREADY_DECIDED, opportunity=opp, subject="handoff")
    await sla.stop(uow, subject(opp.id))
    return opp


def _response(uow: UnitOfWork, opp: Opportunity) -> dict[str, Any]:
    from datetime import datetime

    started = datetime.fromisoformat((opp.notes or {}).get("handoff_at") or uow.now().isoformat())
    due = (opp.notes or {}).get("handoff_due_at")
    return sla.response_time(
        uow.config.team_calendar(opp.team_id), started, uow.now(), datetime.fromisoformat(due) if due else None
    ).as_data()


async def accept_handoff(uow: UnitOfWork, opp_id: int, person: Person | None) -> RelayResult:
    got = await _handoff(uow, opp_id, person)
    if isinstance(got, RelayResult):
        return got
    opp = got
    opp.handoff_state, opp.updated_at = "accepted", uow.now()
    opp.notes = {**(opp.notes or {}), "handoff_accepted_by": person.id}  # the accepted card names them later
    lead = await uow.session.get(Lead, opp.source_lead_id) if opp.source_lead_id else None
    if lead is not None and await _move(uow, lead, Stage.sql, Stage.opportunity):
        await record_transition(
            uow, "lead", lead.id, Stage.sql, Stage.opportunity, actor=person.id, team_id=lead.team_id,
            data={**_response(uow, opp), "opportunity_id": opp.id},
        )  # fmt: skip
    await uow.session.flush()
    uow.emit(HandoffDecided(opp.id, lead.id if lead else None, "accepted", person.id))
    return RelayResult(Outcome.ACCEPTED, lead, opp)


async def send_back(uow: UnitOfWork, opp_id: int, person: Person | None, reason_id: str, note: str | None) -> RelayResult:
    """FS refuses the hand-off: the deal is closed out of the pipeline, the lead goes back to its IS
    owner as an SAL, or into the loop, per the reason."""
    config = uow.config
    reason = config.relay.sendback(reason_id or "")
    if reason is None:
        return RelayResult(Outcome.BAD_INPUT, errors={"reason": "errors.reason_required"})
    if not (note or "").strip():
        return RelayResult(Outcome.BAD_INPUT, errors={"note": "relay.errors.sendback_note"})
    got = await _handoff(uow, opp_id, person)
    if isinstance(got, RelayResult):
        return got
    opp = got
    opp.handoff_state, opp.forecast_category = "sent_back", "omitted"
    await opportunities.close(uow, opp, "lost", actor=person.id, reason="sent_back", note=note)
    lead = await uow.session.get(Lead, opp.source_lead_id) if opp.source_lead_id else None
    if lead is not None:
        data = {**_response(uow, opp), "opportunity_id": opp.id, "sendback_reason": reason.id}
        if reason.action == "recycle":
            today = uow.now().astimezone(config.team_calendar(lead.team_id).tz).date()
            when = today + timedelta(days=reason.recycle_days or 90)
            if await _move(uow, lead, Stage.sql, Stage.recycled, recycle_at=when):
                await record_transition(
                    uow, "lead", lead.id, Stage.sql, Stage.recycled, actor=person.id, team_id=lead.team_id,
                    reason=reason.id, note=note, data={**data, "recycle_at": when.isoformat()},
                )  # fmt: skip
        elif await _move(uow, lead, Stage.sql, Stage.sal):
            await record_transition(
                uow, "lead", lead.id, Stage.sql, Stage.sal, actor=person.id, team_id=lead.team_id,
                reason=reason.id, note=note, data=data,
            )  # fmt: skip
    uow.emit(HandoffDecided(opp.id, lead.id if lead else None, "sent_back", person.id, reason.id, note))
    return RelayResult(Outcome.SENT_BACK, lead, opp)
