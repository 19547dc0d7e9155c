"""The recycle loop (リサイクル): everything that leaves the funnel — rejected MQLs, disqualified SALs,
sent-back hand-offs, lost deals and churned customers — waits in `recycles` for a date, and comes
back to IS through the daily nudge (Re-engage / Snooze / Close) or by itself through new behaviour.

Entry is driven by stage events (subscribers below), so every path lands here the same way.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from bot.config import AppConfig, Person
from bot.config_sections.relay import NEXT_FISCAL_YEAR
from bot.context import UnitOfWork, subscribe
from bot.domain import permissions, routing
from bot.domain.events import StageChanged, record_transition
from bot.domain.lead_input import lead_record
from bot.domain.leads import promote_to_mql
from bot.domain.outcomes import Outcome, Result
from bot.models import Account, Activity, Lead, Opportunity, Recycle, Stage, StageEvent
from bot.periods import fiscal_year_start

WAITING, RE_ENGAGED, CLOSED = "waiting", "re_engaged", "closed"
# How a lead left the funnel, by the stage it left from.
PATH_BY_STAGE = {Stage.mql: "rejected", Stage.sal: "disqualified", Stage.sql: "sent_back"}
PATHS = ("rejected", "disqualified", "sent_back", "lost", "churned")


def team_today(config: AppConfig, team_id: str | None, now: Any) -> date:
    return now.astimezone(config.team_calendar(team_id).tz).date()


def next_working_day(config: AppConfig, team_id: str | None, d: date) -> date:
    """`d`, or the first working day after it in the team's calendar: nobody re-approaches on a Saturday."""
    cal = config.team_calendar(team_id)
    for _ in range(366):
        if cal.is_working_day(d):
            return d
        d += timedelta(days=1)
    return d


def lost_due_date(config: AppConfig, reason: str | None, today: date) -> date:
    """Lost deal → re-approach date by its reason (timing 90 d, budget → next fiscal year start …)."""
    rule = config.relay.lost_rules.get(reason or "", config.relay.lost_default_days)
    if rule == NEXT_FISCAL_YEAR:
        return fiscal_year_start(today, config.company.fiscal_year_start_month) + relativedelta(years=1)
    return today + timedelta(days=int(rule))


def churn_due_date(config: AppConfig, today: date) -> date:
    return today + timedelta(days=config.relay.churn_days)


async def _waiting_for(uow: UnitOfWork, entity_type: str, entity_id: int) -> Recycle | None:
    return await uow.session.scalar(
        select(Recycle).where(
            Recycle.entity_type == entity_type, Recycle.entity_id == entity_id, Recycle.state == WAITING
        )
    )


async def enter(
    uow: UnitOfWork, *, entity_type: str, entity_id: int, lead_id: int | None, reason: str | None, note: str | None,
    due_date: date, owner_id: str | None, team_id: str | None,
) -> Recycle:  # fmt: skip
    """One waiting recycle per record: entering again moves the date instead of adding a second."""
    row = await _waiting_for(uow, entity_type, entity_id)
    if row is None:
        row = Recycle(entity_type=entity_type, entity_id=entity_id, due_date=due_date, created_at=uow.now())
        uow.session.add(row)
    row.lead_id, row.reason, row.note, row.due_date = lead_id, reason, note, due_date
    row.owner_id, row.team_id = owner_id, team_id
    await uow.session.flush()
    return row


def _is_team(config: AppConfig, team_id: str | None) -> str | None:
    team = config.team(team_id)
    return team_id if team and team.function in ("inside_sales", "marketing") else None


async def _lead_for(uow: UnitOfWork, lead_id: int | None, name: str, actor: str, via: str, reason: str | None, due: date) -> Lead:
    """The lead that re-engages a lost deal / churned customer: its source lead, or a new one."""
    now = uow.now()
    lead = await uow.session.get(Lead, lead_id) if lead_id else None
    if lead is None:
        lead = Lead(name=name, company=name, source=via, stage=Stage.lead, created_at=now, updated_at=now)
        uow.session.add(lead)
        await uow.session.flush()
        # reason = via ("lost" / "churned"): a record made to carry a deal or customer round the loop,
        # not a new lead (metrics leave it out of new leads: docs/metrics.md).
        await record_transition(uow, "lead", lead.id, None, Stage.lead, actor=actor, reason=via, data={"source": via})
    if not _is_team(uow.config, lead.team_id):
        lead.team_id = routing.choose_route(lead_record(lead), uow.config).team_id
    from_stage = lead.stage
    lead.stage, lead.recycle_at, lead.updated_at = Stage.recycled, due, now
    await uow.session.flush()
    if from_stage != Stage.recycled:
        # `recycle_via` tells the lead subscriber that the deal / account is the record in the loop.
        await record_transition(
            uow, "lead", lead.id, from_stage, Stage.recycled, actor=actor, team_id=lead.team_id, reason=reason,
            data={"recycle_via": via, "recycle_at": due.isoformat()},
        )  # fmt: skip
    return lead


@subscribe(StageChanged)
async def on_stage_changed(uow: UnitOfWork, ev: StageChanged) -> None:
    config = uow.config
    if ev.entity_type == "lead" and ev.to_stage == Stage.recycled and not ev.data.get("recycle_via"):
        lead = await uow.session.get(Lead, ev.entity_id)
        if lead is None:
            return
        today = team_today(config, lead.team_id, uow.now())
        note = (await uow.session.scalar(
            select(StageEvent.note).where(StageEvent.entity_type == "lead", StageEvent.entity_id == lead.id)
            .order_by(StageEvent.id.desc()).limit(1)
        ))  # fmt: skip
        await enter(
            uow, entity_type="lead", entity_id=lead.id, lead_id=lead.id, reason=ev.reason, note=note,
            due_date=lead.recycle_at or today + timedelta(days=90), owner_id=lead.owner_id or lead.assignee_id or
            (ev.actor if config.person(ev.actor) else None), team_id=lead.team_id,
        )  # fmt: skip
    elif ev.entity_type == "lead" and ev.from_stage == Stage.recycled and ev.to_stage != Stage.recycled:
        # Back by itself (new behaviour) or re-engaged: whatever waited for this lead is done.
        for row in (await uow.session.execute(
            select(Recycle).where(Recycle.lead_id == ev.entity_id, Recycle.state == WAITING)
        )).scalars():  # fmt: skip
            row.state = RE_ENGAGED if ev.to_stage == Stage.mql else CLOSED
            row.closed_at = uow.now()
            if ev.to_stage != Stage.mql:
                row.close_reason = ev.reason
    elif ev.entity_type == "opportunity" and ev.to_stage == "lost" and ev.reason != "sent_back":
        opp = await uow.session.get(Opportunity, ev.entity_id)
        if opp is None:
            return
        name = opp.account_name or opp.name
        due = lost_due_date(config, ev.reason, team_today(config, opp.team_id, uow.now()))
        lead = await _lead_for(uow, opp.source_lead_id, name, ev.actor, "lost", ev.reason, due)
        await enter(
            uow, entity_type="opportunity", entity_id=opp.id, lead_id=lead.id, reason=ev.reason,
            note=None, due_date=due, owner_id=opp.owner_id, team_id=lead.team_id,
        )  # fmt: skip
    elif ev.entity_type == "account" and ev.to_stage == "churned":
        account = await uow.session.get(Account, ev.entity_id)
        if account is None:
            return
        source = await uow.session.get(Opportunity, account.source_opportunity_id) if account.source_opportunity_id else None
        due = churn_due_date(config, team_today(config, None, account.churned_at or uow.now()))  # from the day it churned
        lead = await _lead_for(uow, source.source_lead_id if source else None, account.name, ev.actor, "churned", ev.reason, due)
        await enter(
            uow, entity_type="account", entity_id=account.id, lead_id=lead.id, reason=ev.reason or account.churn_reason,
            note=None, due_date=due, owner_id=account.csm_id or account.ae_id, team_id=lead.team_id,
        )  # fmt: skip


# -- what a nudge shows ---------------------------------------------------------------------------------


@dataclass
class Item:
    recycle: Recycle
    lead: Lead | None
    path: str
    title: str
    history: list[StageEvent]
    record: Lead | Opportunity | Account | None = None  # what the row recycles, for its CRM link
    kind: str = "lead"  # its entity type: lead | opportunity | account


async def path_of(uow: UnitOfWork, row: Recycle) -> str:
    if row.entity_type == "opportunity":
        return "lost"
    if row.entity_type == "account":
        return "churned"
    ev = await uow.session.scalar(
        select(StageEvent).where(
            StageEvent.entity_type == "lead", StageEvent.entity_id == row.entity_id, StageEvent.to_stage == Stage.recycled
        ).order_by(StageEvent.id.desc()).limit(1)
    )  # fmt: skip
    return PATH_BY_STAGE.get(ev.from_stage if ev else "", "rejected")


async def item(uow: UnitOfWork, row: Recycle) -> Item:
    lead = await uow.session.get(Lead, row.lead_id) if row.lead_id else None
    title = "-"
    record: Lead | Opportunity | Account | None = lead
    if row.entity_type == "opportunity":
        record = opp = await uow.session.get(Opportunity, row.entity_id)
        title = (opp.account_name or opp.name) if opp else title
    elif row.entity_type == "account":
        record = acc = await uow.session.get(Account, row.entity_id)
        title = acc.name if acc else title
    elif lead is not None:
        title = " / ".join(x for x in (lead.company, lead.name) if x) or f"#{lead.id}"
    hist: list[StageEvent] = []
    if lead is not None:
        hist = list((await uow.session.execute(
            select(StageEvent).where(StageEvent.entity_type == "lead", StageEvent.entity_id == lead.id).order_by(StageEvent.id)
        )).scalars())  # fmt: skip
    return Item(row, lead, await path_of(uow, row), title, hist, record, row.entity_type)


async def due_for_team(uow: UnitOfWork, team_ids: list[str], today: date) -> list[Recycle]:
    rows = await uow.session.execute(
        select(Recycle)
        .where(Recycle.state == WAITING, Recycle.due_date <= today, Recycle.team_id.in_(team_ids))
        .order_by(Recycle.due_date, Recycle.id)
    )
    return list(rows.scalars())


# -- the three buttons ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReEngaged:
    recycle_id: int
    lead_id: int
    actor: str


@dataclass(frozen=True)
class RecycleResult(Result):
    """re_engaged | snoozed | closed, or a refusal; `by` is who pressed."""

    recycle: Recycle | None = None
    lead: Lead | None = None
    _: KW_ONLY
    subject: str = "recycle"
    title: str = ""  # what the item is (company / person, deal, customer), for the Close modal
    asked: date | None = None  # a snooze's date as chosen, when it fell on a non-working day (moved on)


def may_act(config: AppConfig, row: Recycle, person: Person | None) -> bool:
    return permissions.allows("recycle.act", config, person, row)


async def _open(uow: UnitOfWork, recycle_id: int, person: Person | None, *, lock: bool = True) -> RecycleResult | Recycle:
    row = await uow.session.get(Recycle, recycle_id, with_for_update=lock)
    if row is None:
        return RecycleResult(Outcome.NOT_FOUND)
    if row.state != WAITING:
        return RecycleResult(Outcome.ALREADY_DECIDED, row)
    if not may_act(uow.config, row, person):
        return RecycleResult(Outcome.NOT_ALLOWED, row)
    return row


async def re_engage(uow: UnitOfWork, recycle_id: int, person: Person | None) -> RecycleResult:
    """Back to MQL: routed again, recycle count +1, marked returning (a fresh card with its history)."""
    row = await _open(uow, recycle_id, person)
    if isinstance(row, RecycleResult):
        return row
    lead = await uow.session.get(Lead, row.lead_id) if row.lead_id else None
    if lead is None:
        return RecycleResult(Outcome.NOT_FOUND, row)
    row.state, row.closed_at = RE_ENGAGED, uow.now()
    await uow.session.flush()
    types = [t for (t,) in await uow.session.execute(select(Activity.type).where(Activity.lead_id == lead.id))]
    if lead.stage != Stage.recycled:  # e.g. a lead still at SQL whose deal was lost
        lead.stage = Stage.recycled
    await promote_to_mql(uow, lead, lead_record(lead, types), actor=person.id, returning=True)
    uow.emit(ReEngaged(row.id, lead.id, person.id))  # after the new card's StageChanged: its thread exists first
    return RecycleResult(Outcome.RE_ENGAGED, row, lead, by=person.id)


async def check_close(uow: UnitOfWork, recycle_id: int, person: Person | None) -> RecycleResult:
    """Before the Close modal opens: is the item still waiting, and may this person act? Nothing changes."""
    row = await _open(uow, recycle_id, person, lock=False)
    return row if isinstance(row, RecycleResult) else RecycleResult(Outcome.ALLOWED, row, title=(await item(uow, row)).title)


async def snooze(uow: UnitOfWork, recycle_id: int, person: Person | None, days: int) -> RecycleResult:
    if days not in uow.config.relay.snooze_days:
        return RecycleResult(Outcome.BAD_INPUT, errors={"days": "errors.snooze_days"})
    row = await _open(uow, recycle_id, person)
    if isinstance(row, RecycleResult):
        return row
    today = team_today(uow.config, row.team_id, uow.now())
    asked = today + timedelta(days=days)
    row.due_date, row.snoozes = next_working_day(uow.config, row.team_id, asked), row.snoozes + 1
    lead = await uow.session.get(Lead, row.lead_id) if row.lead_id else None
    if lead is not None and lead.stage == Stage.recycled:
        lead.recycle_at = row.due_date
    await uow.session.flush()
    return RecycleResult(Outcome.SNOOZED, row, lead, by=person.id, asked=asked if asked != row.due_date else None)


async def close(uow: UnitOfWork, recycle_id: int, person: Person | None, reason: str, note: str | None = None) -> RecycleResult:
    if reason not in uow.config.relay.close_reasons:
        return RecycleResult(Outcome.BAD_INPUT, errors={"reason": "errors.reason_required"})
    row = await _open(uow, recycle_id, person)
    if isinstance(row, RecycleResult):
        return row
    row.state, row.closed_at, row.close_reason = CLOSED, uow.now(), reason
    if note:
        row.note = note
    await uow.session.flush()
    lead = await uow.session.get(Lead, row.lead_id) if row.lead_id else None
    if lead is not None and lead.stage == Stage.recycled:
        lead.stage, lead.recycle_at, lead.updated_at = Stage.closed, None, uow.now()
        await uow.session.flush()
        await record_transition(
            uow, "lead", lead.id, Stage.recycled, Stage.closed, actor=person.id, team_id=lead.team_id,
            reason=reason, note=note or None, data={"recycle_id": row.id},
        )  # fmt: skip
    return RecycleResult(Outcome.CLOSED, row, lead, by=person.id)
