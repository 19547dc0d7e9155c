"""Leads: intake (upsert + activities + scoring), MQL promotion with routing and SLA, and the
first hand-off decision (Accept → SAL, Reject → recycled / closed).

Functions take a unit of work and plain values and return plain results; Slack is not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc
from bot.config import AppConfig, Person
from bot.context import UnitOfWork
from bot.domain import routing, sla
from bot.domain.events import last_transition_from, record_transition
from bot.domain.people import away_now
from bot.domain.scoring import score_lead
from bot.models import Activity, Lead, RoutingCursor, Stage, StageEvent

LEAD_FIELDS = (
    "external_id", "email", "name", "company", "title", "phone", "industry",
    "employees", "country", "region", "source", "campaign",
)  # fmt: skip
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Stages from which new interest makes a lead an MQL (a closed lead stays closed).
PROMOTABLE = (Stage.lead, Stage.recycled)


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    type: str = Field(min_length=1, max_length=100)
    at: datetime | None = None


class LeadIn(BaseModel):
    """The lead JSON of the public API (documented in docs/api.md). Unknown fields become attributes."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    external_id: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    name: str | None = Field(None, max_length=200)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=300)
    title: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=50)
    industry: str | None = Field(None, max_length=100)
    employees: int | None = Field(None, ge=0, le=10_000_000)
    country: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    source: str | None = Field(None, max_length=100)
    campaign: str | None = Field(None, max_length=200)
    activities: list[ActivityIn] = Field(default_factory=list, max_length=1000)
    mql: bool = False

    @field_validator("external_id", mode="before")
    @classmethod
    def _id_as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not _EMAIL.match(v):
            raise ValueError("not an email address")
        return v.lower()

    @model_validator(mode="after")
    def _identity(self) -> LeadIn:
        if not self.external_id and not self.email:
            raise ValueError("a lead needs external_id or email")
        if not self.name and (self.first_name or self.last_name):
            # Japanese order (family name first) reads naturally in both locales' cards.
            self.name = " ".join(p for p in (self.last_name, self.first_name) if p)
        return self

    def attributes(self) -> dict[str, Any]:
        extra = dict(self.model_extra or {})
        return {k: v for k, v in extra.items() if _json_safe(v)}


def _json_safe(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool, list, dict))


@dataclass
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "error": self.message}


@dataclass
class IntakeResult:
    index: int
    ok: bool
    lead_id: int | None = None
    external_id: str | None = None
    stage: str | None = None
    score: int | None = None
    owner: str | None = None
    created: bool = False
    errors: list[FieldError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        if not self.ok:
            return {"index": self.index, "ok": False, "errors": [e.as_dict() for e in self.errors]}
        return {
            "index": self.index,
            "ok": True,
            "id": self.lead_id,
            "external_id": self.external_id,
            "stage": self.stage,
            "score": self.score,
            "owner": self.owner,
            "created": self.created,
        }


def validation_errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(lead)"
        out.append(FieldError(loc, err["msg"].removeprefix("Value error, ")))
    return out


def parse_lead(raw: Any) -> LeadIn | list[FieldError]:
    if not isinstance(raw, dict):
        return [FieldError("(lead)", "must be a JSON object")]
    try:
        return LeadIn.model_validate(raw)
    except ValidationError as e:
        return validation_errors(e)


# -- intake ---------------------------------------------------------------------------------------


async def ingest(uow: UnitOfWork, items: list[Any], actor: str = "api") -> list[IntakeResult]:
    """Upsert a batch. Each item is its own savepoint: a bad item is reported, the others stand."""
    results = []
    for i, raw in enumerate(items):
        parsed = parse_lead(raw)
        if isinstance(parsed, list):
            results.append(IntakeResult(i, False, errors=parsed))
            continue
        for attempt in (1, 2):
            try:
                async with uow.savepoint():
                    results.append(await _upsert_one(uow, i, parsed, actor))
                break
            except IntegrityError:
                # Another request inserted the same external_id/email concurrently: now it's an update.
                if attempt == 2:
                    results.append(IntakeResult(i, False, errors=[FieldError("external_id", "conflict, retry")]))
    return results


async def find_lead(uow: UnitOfWork, external_id: str | None, email: str | None) -> Lead | None:
    s = uow.session
    if external_id:
        lead = await s.scalar(select(Lead).where(Lead.external_id == external_id))
        if lead:
            return lead
    if email:
        q = select(Lead).where(Lead.email == email).order_by(Lead.id)
        if external_id:  # fall back to email only for a lead not already known under another id
            q = q.where(Lead.external_id.is_(None))
        return await s.scalar(q.limit(1))
    return None


def _default_tz(config: AppConfig) -> ZoneInfo:
    return ZoneInfo(config.company.timezone)


async def _upsert_one(uow: UnitOfWork, index: int, data: LeadIn, actor: str) -> IntakeResult:
    s, now, config = uow.session, uow.now(), uow.config
    lead = await find_lead(uow, data.external_id, data.email)
    created = lead is None
    if lead is None:
        lead = Lead(created_at=now, updated_at=now, stage=Stage.lead)
        s.add(lead)
    for name in LEAD_FIELDS:
        value = getattr(data, name)
        if value is not None:
            setattr(lead, name, value)
    if data.attributes():
        lead.attributes = {**(lead.attributes or {}), **data.attributes()}
    lead.updated_at = now
    await s.flush()
    if created:
        await record_transition(uow, "lead", lead.id, None, Stage.lead, actor=actor, data={"source": lead.source})
    new_activities = await _add_activities(uow, lead, data.activities, _default_tz(config))
    await rescore_and_promote(uow, lead, actor=actor, force_mql=data.mql, new_activities=new_activities)
    return IntakeResult(
        index, True, lead.id, lead.external_id, lead.stage, lead.score, lead.owner_id or lead.assignee_id, created
    )


async def _add_activities(uow: UnitOfWork, lead: Lead, items: list[ActivityIn], tz: ZoneInfo) -> int:
    """Insert activities not seen before (same lead, type and moment); returns how many were new."""
    if not items:
        return 0
    now = uow.now()
    wanted = {}
    for a in items:
        at = a.at or now
        at = (at.replace(tzinfo=tz) if at.tzinfo is None else at).astimezone(UTC)
        wanted[(a.type, at)] = dict(a.model_extra or {})
    existing = await uow.session.execute(
        select(Activity.type, Activity.at).where(Activity.lead_id == lead.id, Activity.type.in_({k[0] for k in wanted}))
    )
    seen = {(t, as_utc(at)) for t, at in existing}
    fresh = [(k, v) for k, v in wanted.items() if k not in seen]
    for (kind, at), extra in fresh:
        uow.session.add(Activity(lead_id=lead.id, type=kind, at=at, data={k: v for k, v in extra.items() if _json_safe(v)}))
    await uow.session.flush()
    return len(fresh)


async def add_activities(uow: UnitOfWork, lead_id: int, raw: Any, actor: str = "api") -> IntakeResult | list[FieldError]:
    """`POST /api/leads/{id}/activities`: new behaviour may push an existing lead over the threshold."""
    lead = await uow.session.get(Lead, lead_id)
    if lead is None:
        return [FieldError("id", "no such lead")]
    items = raw.get("activities") if isinstance(raw, dict) else raw
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        return [FieldError("activities", "give a list of {type, at} objects")]
    parsed, errors = [], []
    for i, item in enumerate(items):
        try:
            parsed.append(ActivityIn.model_validate(item))
        except ValidationError as e:
            errors += [FieldError(f"activities.{i}.{err.field}", err.message) for err in validation_errors(e)]
    if errors:
        return errors
    new = await _add_activities(uow, lead, parsed, _default_tz(uow.config))
    await rescore_and_promote(uow, lead, actor=actor, new_activities=new)
    return IntakeResult(0, True, lead.id, lead.external_id, lead.stage, lead.score, lead.owner_id or lead.assignee_id)


def lead_record(lead: Lead, activity_types: list[str] | None = None) -> dict[str, Any]:
    """The flat view of a lead that config rules (scoring, routing, SLA) match against."""
    record = dict(lead.attributes or {})
    record.update({name: getattr(lead, name) for name in LEAD_FIELDS})
    record["stage"] = lead.stage
    record["score"] = lead.score
    record["activity"] = activity_types or []
    return record


async def rescore_and_promote(
    uow: UnitOfWork, lead: Lead, *, actor: str, force_mql: bool = False, new_activities: int = 0
) -> None:
    rows = await uow.session.execute(select(Activity.type, Activity.at).where(Activity.lead_id == lead.id))
    activities = [(t, as_utc(at)) for t, at in rows]
    record = lead_record(lead, [t for t, _ in activities])
    score = score_lead(record, activities, uow.config.scoring, uow.now())
    lead.score, lead.score_breakdown = score.total, score.breakdown()
    record["score"] = score.total
    qualifies = force_mql or score.total >= uow.config.scoring.threshold
    # A recycled lead comes back only through *new* behaviour, not because it was sent again.
    returning = lead.stage == Stage.recycled
    if qualifies and lead.stage in PROMOTABLE and (not returning or new_activities or force_mql):
        await promote_to_mql(uow, lead, record, actor=actor, returning=returning)


async def promote_to_mql(
    uow: UnitOfWork, lead: Lead, record: dict[str, Any], *, actor: str, returning: bool = False
) -> None:
    config, now = uow.config, uow.now()
    route = routing.choose_route(record, config)
    assignee = None
    if route.mode == "round_robin":
        assignee = await next_rep(uow, route.team_id)
    calendar = config.team_calendar(route.team_id)
    clock = sla.plan(config.sla.mql_response, record, calendar, now)
    from_stage = lead.stage
    lead.stage, lead.team_id, lead.assignee_id, lead.owner_id = Stage.mql, route.team_id, assignee, None
    lead.mql_at, lead.sla_due_at, lead.sla_policy = now, clock.due_at, clock.policy
    lead.rollup_id = None
    if returning:
        lead.is_returning = True
        lead.recycle_count += 1
        lead.recycle_at = None
    lead.updated_at = now
    await uow.session.flush()
    await sla.start(uow, f"lead:{lead.id}", clock)
    await record_transition(
        uow, "lead", lead.id, from_stage, Stage.mql, actor=actor, team_id=route.team_id,
        data={"score": lead.score, "route": route.rule_label, "mode": route.mode, "assignee": assignee,
              "sla_policy": clock.policy, "sla_due_at": clock.due_at.isoformat(), "returning": returning},
    )  # fmt: skip


async def open_mql_counts(uow: UnitOfWork, people: list[str]) -> dict[str, int]:
    rows = await uow.session.execute(
        select(Lead.assignee_id, func.count())
        .where(Lead.stage == Stage.mql, Lead.assignee_id.in_(people))
        .group_by(Lead.assignee_id)
    )
    return {pid: n for pid, n in rows}


def is_available(person: Person | None, today: date) -> bool:
    return person is not None and not person.is_away_on(today)


async def next_rep(uow: UnitOfWork, team_id: str, exclude: frozenset[str] = frozenset()) -> str | None:
    """Round robin among the team's reps, skipping those away or at capacity."""
    config = uow.config
    reps = routing.reps_of(config, team_id)
    if not reps:
        return None
    today = uow.now().astimezone(config.team_calendar(team_id).tz).date()
    counts = await open_mql_counts(uow, reps)
    away = await away_now(uow, reps)  # set at run time (person_status), on top of app.yaml `away`

    def eligible(pid: str) -> bool:
        p = config.person(pid)
        return (
            pid not in away
            and is_available(p, today)
            and (p.capacity is None or counts.get(pid, 0) < p.capacity)
        )

    cursor = await uow.session.get(RoutingCursor, team_id, with_for_update=True)
    chosen = routing.next_in_rotation(reps, cursor.last_person_id if cursor else None, eligible, exclude)
    if chosen:
        if cursor is None:
            uow.session.add(RoutingCursor(team_id=team_id, last_person_id=chosen))
        else:
            cursor.last_person_id = chosen
    return chosen


@dataclass(frozen=True)
class LeadReassigned:
    """An open MQL moved from one rep to another (SLA breach, rep away); announced for notifications."""

    lead_id: int
    from_person: str | None
    to_person: str
    reason: str  # sla_breach | away | manual
    actor: str
    team_id: str | None
    event_id: int | None = None  # the stage_events row that logs it


async def reassign(uow: UnitOfWork, lead: Lead, to_person: str, reason: str, actor: str = "system") -> StageEvent:
    """Move an open MQL to `to_person` and restart its SLA clock for them.

    Logged as a `stage_events` row mql → mql with reason ``reassigned`` and data {from, to, why};
    it is written directly rather than through `record_transition`, because it is not a stage
    change: `StageChanged(to_stage=mql)` would announce a new MQL. Funnel metrics counting MQL
    entries must therefore skip rows with from_stage = to_stage = mql.
    """
    now, config = uow.now(), uow.config
    subject = f"lead:{lead.id}"
    await sla.stop(uow, subject)
    rows = await uow.session.execute(select(Activity.type).where(Activity.lead_id == lead.id))
    record = lead_record(lead, [t for (t,) in rows])
    clock = sla.plan(config.sla.mql_response, record, config.team_calendar(lead.team_id), now)
    old = lead.assignee_id
    lead.assignee_id, lead.sla_due_at, lead.sla_policy, lead.updated_at = to_person, clock.due_at, clock.policy, now
    await uow.session.flush()
    await sla.start(uow, subject, clock)
    ev = StageEvent(
        entity_type="lead", entity_id=lead.id, from_stage=Stage.mql, to_stage=Stage.mql, at=now, actor=actor,
        team_id=lead.team_id, reason="reassigned",
        data={"from": old, "to": to_person, "why": reason, "sla_policy": clock.policy, "sla_due_at": clock.due_at.isoformat()},
    )  # fmt: skip
    uow.session.add(ev)
    await uow.session.flush()
    uow.emit(LeadReassigned(lead.id, old, to_person, reason, actor, lead.team_id, ev.id))
    return ev


# -- the MQL → SAL decision -------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    outcome: str  # accepted | rejected | closed | not_allowed | already_decided | not_found | bad_input
    lead: Lead | None = None
    decided_by: str | None = None  # who won when we lost the race
    previous_stage: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome in ("accepted", "rejected", "closed")


def may_decide(config: AppConfig, lead: Lead, person: Person | None) -> bool:
    """Members of the owning IS team (or only the assignee, per config); the team's manager always."""
    if person is None:
        return False
    team = config.team(lead.team_id)
    if team is None:
        return False
    if person.id == team.manager or person.id == lead.assignee_id:
        return True
    if config.handoff.who_may_decide == "assignee" and lead.assignee_id:
        return False
    return person.id in team.members


async def _decide(
    uow: UnitOfWork,
    lead_id: int,
    person: Person | None,
    to_stage: str,
    values: dict[str, Any],
) -> tuple[Decision, Lead | None]:
    lead = await uow.session.get(Lead, lead_id)
    if lead is None:
        return Decision("not_found"), None
    if lead.stage != Stage.mql:
        return await already_decided(uow, lead), None
    if not may_decide(uow.config, lead, person):
        return Decision("not_allowed", lead), None
    # The conditional update is the referee: of two simultaneous presses exactly one changes a row.
    result = await uow.session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.stage == Stage.mql)
        .values(stage=to_stage, updated_at=uow.now(), **values)
        .execution_options(synchronize_session=False)
    )
    if (result.rowcount or 0) != 1:
        await uow.session.refresh(lead)
        return await already_decided(uow, lead), None
    await uow.session.refresh(lead)
    return Decision("pending", lead), lead


async def already_decided(uow: UnitOfWork, lead: Lead) -> Decision:
    ev = await last_transition_from(uow, "lead", lead.id, Stage.mql)
    return Decision("already_decided", lead, decided_by=ev.actor if ev else None, previous_stage=lead.stage)


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
    return Decision("accepted", lead)


def validate_rejection(
    config: AppConfig, reason_id: str | None, note: str | None, recycle_at: date | None, today: date
) -> dict[str, str]:
    """Field → error key (a strings.yaml key), empty when the rejection may go ahead."""
    errors: dict[str, str] = {}
    reason = config.handoff.reason(reason_id or "")
    if reason is None:
        errors["reason"] = "errors.reason_required"
    elif reason.note_required and not (note or "").strip():
        errors["note"] = "errors.note_required"
    if recycle_at is not None and recycle_at <= today:
        errors["reapproach"] = "errors.date_not_future"
    return errors


def default_recycle_date(config: AppConfig, reason_id: str, today: date) -> date | None:
    reason = config.handoff.reason(reason_id)
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
    reason = config.handoff.reason(reason_id)
    team_tz = config.team_calendar((await uow.session.get(Lead, lead_id) or Lead()).team_id).tz
    today = uow.now().astimezone(team_tz).date()
    errors = validate_rejection(config, reason_id, note, recycle_at, today)
    if errors:
        return Decision("bad_input", errors=errors)
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
    return Decision("closed" if closing else "rejected", lead)
