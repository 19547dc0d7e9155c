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
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc
from bot.config import AppConfig, Person
from bot.context import UnitOfWork
from bot.domain import permissions, routing, sla, timers
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
#
# A batch is worked set-wise: one lookup of the leads it names, one INSERT of the new ones, one read
# of their activities, each team's rotation read once, one executemany of the SLA timers. Results
# are exactly those of taking the items one by one; when that cannot be guaranteed (the same lead
# twice in a batch, or a concurrent insert of the same lead), the batch is redone item by item.


class _Sequential(Exception):
    """The batch path cannot promise one-by-one results: redo the batch item by item."""


async def ingest(uow: UnitOfWork, items: list[Any], actor: str = "api") -> list[IntakeResult]:
    """Upsert a batch. A bad item is reported and writes nothing; the others stand."""
    results: dict[int, IntakeResult] = {}
    good: list[tuple[int, LeadIn]] = []
    for i, raw in enumerate(items):
        parsed = parse_lead(raw)
        if isinstance(parsed, list):
            results[i] = IntakeResult(i, False, errors=parsed)
        else:
            good.append((i, parsed))
    try:
        async with uow.savepoint():
            done = await _upsert_batch(uow, good, actor)
    except (_Sequential, IntegrityError):
        done = [await _upsert_alone(uow, i, parsed, actor) for i, parsed in good]
    results.update((r.index, r) for r in done)
    return [results[i] for i in range(len(items))]


async def _upsert_alone(uow: UnitOfWork, index: int, data: LeadIn, actor: str) -> IntakeResult:
    for attempt in (1, 2):
        try:
            async with uow.savepoint():
                return (await _upsert_batch(uow, [(index, data)], actor))[0]
        except IntegrityError:
            # Another request inserted the same external_id concurrently: the retry finds it (an update).
            if attempt == 2:
                return IntakeResult(index, False, errors=[FieldError("external_id", "conflict, retry")])
    raise AssertionError("unreachable")


@dataclass
class _Known:
    """The leads a batch names, indexed by identity — external_id first; else email, and then only a
    lead not known under another external_id — kept current as the batch creates and changes leads."""

    by_external_id: dict[str, Lead]
    by_email: dict[str, list[Lead]]  # oldest first: the first created wins

    @classmethod
    async def load(cls, uow: UnitOfWork, items: list[LeadIn]) -> _Known:
        ids = {d.external_id for d in items if d.external_id}
        emails = {d.email for d in items if d.email}
        leads: dict[int, Lead] = {}
        for col, values in ((Lead.external_id, ids), (Lead.email, emails)):
            for chunk in _chunks(sorted(values)):
                leads.update((lead.id, lead) for lead in (await uow.session.scalars(select(Lead).where(col.in_(chunk)))))
        known = cls({}, {})
        for lead in sorted(leads.values(), key=lambda lead: lead.id):
            known.put(lead, (None, None))
        return known

    def find(self, external_id: str | None, email: str | None) -> Lead | None:
        if external_id and external_id in self.by_external_id:
            return self.by_external_id[external_id]
        for lead in self.by_email.get(email or "", ()):
            if not external_id or lead.external_id is None:
                return lead
        return None

    def put(self, lead: Lead, was: tuple[str | None, str | None]) -> None:
        old_id, old_email = was
        if old_id != lead.external_id:
            self.by_external_id.pop(old_id or "", None)
        if lead.external_id:
            self.by_external_id[lead.external_id] = lead
        if old_email != lead.email and old_email in self.by_email:
            self.by_email[old_email].remove(lead)
        if lead.email and lead not in self.by_email.setdefault(lead.email, []):
            self.by_email[lead.email].append(lead)


def _chunks(values: list[Any], size: int = 500) -> list[list[Any]]:
    # Bound the IN lists: SQLite allows 32k parameters, and long lists stop using the index well.
    return [values[i : i + size] for i in range(0, len(values), size)]


def _default_tz(config: AppConfig) -> ZoneInfo:
    return ZoneInfo(config.company.timezone)


async def _upsert_batch(uow: UnitOfWork, items: list[tuple[int, LeadIn]], actor: str) -> list[IntakeResult]:
    s, now = uow.session, uow.now()
    known = await _Known.load(uow, [d for _, d in items])
    touched: list[tuple[int, LeadIn, Lead, bool]] = []
    seen: set[int] = set()
    for index, data in items:
        lead = known.find(data.external_id, data.email)
        if lead is not None and id(lead) in seen:
            raise _Sequential  # the same lead twice: its second item must see the first's promotion
        created = lead is None
        if lead is None:
            lead = Lead(created_at=now, updated_at=now, stage=Stage.lead)
            s.add(lead)
        was = (lead.external_id, lead.email)
        for name in LEAD_FIELDS:
            value = getattr(data, name)
            if value is not None:
                setattr(lead, name, value)
        if data.attributes():
            lead.attributes = {**(lead.attributes or {}), **data.attributes()}
        lead.updated_at = now
        known.put(lead, was)
        seen.add(id(lead))
        touched.append((index, data, lead, created))
    await s.flush()  # one INSERT for the new leads (their ids), UPDATEs for the known ones
    uow.held += [lead for _, _, lead, _ in touched]
    for _, _, lead, created in touched:
        if created:
            await record_transition(uow, "lead", lead.id, None, Stage.lead, actor=actor, data={"source": lead.source})
    activity = await _add_activities_many(
        uow, [(lead, data.activities, created) for _, data, lead, created in touched], _default_tz(uow.config)
    )
    promotions = Promotions()
    for _, data, lead, _ in touched:
        listed, new = activity[lead.id]
        await rescore_and_promote(
            uow, lead, actor=actor, force_mql=data.mql, new_activities=new, activities=listed, promotions=promotions
        )
    await promotions.finish(uow)
    return [
        IntakeResult(index, True, lead.id, lead.external_id, lead.stage, lead.score, lead.owner_id or lead.assignee_id, created)
        for index, _, lead, created in touched
    ]


Activities = list[tuple[str, datetime]]


async def _add_activities_many(
    uow: UnitOfWork, batch: list[tuple[Lead, list[ActivityIn], bool]], tz: ZoneInfo
) -> dict[int, tuple[Activities, int]]:
    """Insert activities not seen before (same lead, type and moment). Returns, per lead, all its
    activities and how many were new."""
    now = uow.now()
    existing: dict[int, Activities] = {lead.id: [] for lead, _, _ in batch}
    old_ids = sorted(lead.id for lead, _, created in batch if not created)
    for chunk in _chunks(old_ids):
        rows = await uow.session.execute(select(Activity.lead_id, Activity.type, Activity.at).where(Activity.lead_id.in_(chunk)))
        for lead_id, kind, at in rows:
            existing[lead_id].append((kind, as_utc(at)))
    fresh_rows: list[dict[str, Any]] = []
    out: dict[int, tuple[Activities, int]] = {}
    for lead, items, _ in batch:
        seen = set(existing[lead.id])
        wanted: dict[tuple[str, datetime], dict[str, Any]] = {}
        for a in items:
            at = a.at or now
            at = (at.replace(tzinfo=tz) if at.tzinfo is None else at).astimezone(UTC)
            wanted[(a.type, at)] = dict(a.model_extra or {})
        fresh = [(k, v) for k, v in wanted.items() if k not in seen]
        fresh_rows += [
            {"lead_id": lead.id, "type": kind, "at": at, "data": {k: v for k, v in extra.items() if _json_safe(v)}}
            for (kind, at), extra in fresh
        ]
        out[lead.id] = (existing[lead.id] + [k for k, _ in fresh], len(fresh))
    if fresh_rows:
        await uow.session.execute(insert(Activity), fresh_rows)
    return out


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
    listed, new = (await _add_activities_many(uow, [(lead, parsed, False)], _default_tz(uow.config)))[lead.id]
    await rescore_and_promote(uow, lead, actor=actor, new_activities=new, activities=listed)
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
    uow: UnitOfWork,
    lead: Lead,
    *,
    actor: str,
    force_mql: bool = False,
    new_activities: int = 0,
    activities: Activities | None = None,
    promotions: Promotions | None = None,
) -> None:
    if activities is None:
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
        await promote_to_mql(uow, lead, record, actor=actor, returning=returning, promotions=promotions)


@dataclass
class Promotions:
    """What promotions in one batch share: each team's rotation read once, SLA timers armed in one
    statement by `finish`."""

    rotations: dict[str, Rotation] = field(default_factory=dict)
    timers: list[timers.TimerRow] = field(default_factory=list)

    async def rotation(self, uow: UnitOfWork, team_id: str) -> Rotation:
        if team_id not in self.rotations:
            self.rotations[team_id] = await Rotation.load(uow, team_id)
        return self.rotations[team_id]

    async def finish(self, uow: UnitOfWork) -> None:
        await timers.schedule_many(uow, self.timers)
        self.timers = []


async def promote_to_mql(
    uow: UnitOfWork,
    lead: Lead,
    record: dict[str, Any],
    *,
    actor: str,
    returning: bool = False,
    promotions: Promotions | None = None,
) -> None:
    batch = promotions or Promotions()
    config, now = uow.config, uow.now()
    route = routing.choose_route(record, config)
    assignee = None
    if route.mode == "round_robin":
        assignee = (await batch.rotation(uow, route.team_id)).next()
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
    batch.timers += sla.timer_rows(f"lead:{lead.id}", clock)
    await record_transition(
        uow, "lead", lead.id, from_stage, Stage.mql, actor=actor, team_id=route.team_id,
        data={"score": lead.score, "route": route.rule_label, "mode": route.mode, "assignee": assignee,
              "sla_policy": clock.policy, "sla_due_at": clock.due_at.isoformat(), "returning": returning},
    )  # fmt: skip
    if promotions is None:
        await batch.finish(uow)


async def open_mql_counts(uow: UnitOfWork, people: list[str]) -> dict[str, int]:
    rows = await uow.session.execute(
        select(Lead.assignee_id, func.count())
        .where(Lead.stage == Stage.mql, Lead.assignee_id.in_(people))
        .group_by(Lead.assignee_id)
    )
    return {pid: n for pid, n in rows}


def is_available(person: Person | None, today: date) -> bool:
    return person is not None and not person.is_away_on(today)


@dataclass
class Rotation:
    """A team's round robin as of now: who is away or at capacity, and whose turn is next. Read
    once (the cursor row locked), then `next()` per assignment keeps the open-MQL counts current."""

    uow: UnitOfWork
    team_id: str
    reps: list[str]
    today: date
    counts: dict[str, int]
    away: set[str]
    cursor: RoutingCursor | None

    @classmethod
    async def load(cls, uow: UnitOfWork, team_id: str) -> Rotation:
        config = uow.config
        reps = routing.reps_of(config, team_id)
        today = uow.now().astimezone(config.team_calendar(team_id).tz).date()
        if not reps:
            return cls(uow, team_id, [], today, {}, set(), None)
        counts = await open_mql_counts(uow, reps)
        away = await away_now(uow, reps)  # set at run time (person_status), on top of app.yaml `away`
        cursor = await uow.session.get(RoutingCursor, team_id, with_for_update=True)
        return cls(uow, team_id, reps, today, counts, set(away), cursor)

    def eligible(self, pid: str) -> bool:
        p = self.uow.config.person(pid)
        return (
            pid not in self.away
            and is_available(p, self.today)
            and (p.capacity is None or self.counts.get(pid, 0) < p.capacity)
        )

    def next(self, exclude: frozenset[str] = frozenset()) -> str | None:
        """Round robin among the team's reps, skipping those away or at capacity."""
        if not self.reps:
            return None
        last = self.cursor.last_person_id if self.cursor else None
        chosen = routing.next_in_rotation(self.reps, last, self.eligible, exclude)
        if chosen:
            if self.cursor is None:
                self.cursor = RoutingCursor(team_id=self.team_id, last_person_id=chosen)
                self.uow.session.add(self.cursor)
            else:
                self.cursor.last_person_id = chosen
            self.counts[chosen] = self.counts.get(chosen, 0) + 1
        return chosen


async def next_rep(uow: UnitOfWork, team_id: str, exclude: frozenset[str] = frozenset()) -> str | None:
    """Round robin among the team's reps, skipping those away or at capacity."""
    return (await Rotation.load(uow, team_id)).next(exclude)


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
        return Decision("not_found"), None
    if lead.stage != Stage.mql:
        return await already_decided(uow, lead), None
    if not may_decide(uow.config, lead, person):
        return Decision("not_allowed", lead), None
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
    return Decision("pending", won), won


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
