"""Leads: intake (upsert + activities + scoring) and promotion to MQL with routing and SLA.

Input models and validation are in `lead_input`, rotation and reassignment in `routing`, the
Accept/Reject decision on an MQL in `mql`. Functions take a unit of work and plain values and
return plain results; Slack is not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc
from bot.config import AppConfig
from bot.context import UnitOfWork
from bot.domain import routing, sla, timers
from bot.domain.events import check_occurred, occurred_on, record_transition
from bot.domain.lead_input import (
    LEAD_FIELDS,
    MAX_ACTIVITIES,
    ActivityIn,
    FieldError,
    find_by_ref,
    LeadIn,
    _json_safe,
    lead_record,
    parse_lead,
    validation_errors,
)
from bot.domain.routing import Rotation
from bot.domain.scoring import score_lead
from bot.models import Activity, Lead, Stage, StageEvent

# Stages from which new interest makes a lead an MQL (a closed lead stays closed).
PROMOTABLE = (Stage.lead, Stage.recycled)


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
        if not isinstance(parsed, list) and (bad := time_errors(uow, parsed)):
            parsed = bad
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


# -- business time: when a lead came in / became an MQL, as the sender says (docs/metrics.md) -----


def _aware(at: datetime, tz: ZoneInfo) -> datetime:
    """An activity time: one without a zone is read in the company's zone."""
    return (at.replace(tzinfo=tz) if at.tzinfo is None else at).astimezone(UTC)


def _activity_time_errors(uow: UnitOfWork, items: list[ActivityIn], where: str) -> list[FieldError]:
    tz = _default_tz(uow.config)
    out = []
    for j, a in enumerate(items):
        if a.at is not None and (problem := check_occurred(uow, _aware(a.at, tz))):
            out.append(FieldError(f"{where}.{j}.at", problem))
    return out


def time_errors(uow: UnitOfWork, data: LeadIn) -> list[FieldError]:
    """A lead's `occurred_at` and its activities' `at` bounded like every business time (422, nothing written)."""
    problem = check_occurred(uow, data.occurred_at)
    return ([FieldError("occurred_at", problem)] if problem else []) + _activity_time_errors(uow, data.activities, "activities")


def lead_time(uow: UnitOfWork, data: LeadIn) -> datetime | None:
    """When the lead came in, if the sender says so (a day: its start in the company zone, today = now)."""
    v = data.occurred_at
    if v is None or isinstance(v, datetime):
        return v
    return occurred_on(uow, v)


async def _promotion_time(uow: UnitOfWork, lead: Lead, when: datetime | None, came_in: bool) -> datetime | None:
    """When a promotion happened: `when` (None: now), but never before the lead's previous stage
    change (an activity back-dated before the lead came in, or before it was recycled). `came_in`:
    the lead was created by this request, at `when` — nothing happened to it before."""
    if came_in or when is None or when >= uow.now():
        return when
    last = await uow.session.scalar(
        select(func.max(StageEvent.occurred_at)).where(StageEvent.entity_type == "lead", StageEvent.entity_id == lead.id)
    )
    return max(when, as_utc(last)) if last is not None else when


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
    for _, data, lead, created in touched:
        if created:
            await record_transition(
                uow, "lead", lead.id, None, Stage.lead, actor=actor, data={"source": lead.source}, occurred_at=lead_time(uow, data)
            )
    activity = await _add_activities_many(
        uow, [(lead, data.activities, created) for _, data, lead, created in touched], _default_tz(uow.config)
    )
    promotions = Promotions()
    for _, data, lead, created in touched:
        listed, fresh = activity[lead.id]
        # A promotion now happened when the lead came in (`occurred_at`); an update's, at its newest activity.
        when = lead_time(uow, data)
        if when is None and not created and fresh:
            when = max(fresh)
        await rescore_and_promote(
            uow, lead, actor=actor, force_mql=data.mql, new_activities=len(fresh), activities=listed, promotions=promotions,
            occurred_at=when, came_in=created,
        )  # fmt: skip
    await promotions.finish(uow)
    return [
        IntakeResult(index, True, lead.id, lead.external_id, lead.stage, lead.score, lead.owner_id or lead.assignee_id, created)
        for index, _, lead, created in touched
    ]


Activities = list[tuple[str, datetime]]


async def _add_activities_many(
    uow: UnitOfWork, batch: list[tuple[Lead, list[ActivityIn], bool]], tz: ZoneInfo
) -> dict[int, tuple[Activities, list[datetime]]]:
    """Insert activities not seen before (same lead, type and moment). Returns, per lead, all its
    activities and the times of the new ones."""
    now = uow.now()
    existing: dict[int, Activities] = {lead.id: [] for lead, _, _ in batch}
    old_ids = sorted(lead.id for lead, _, created in batch if not created)
    for chunk in _chunks(old_ids):
        rows = await uow.session.execute(select(Activity.lead_id, Activity.type, Activity.at).where(Activity.lead_id.in_(chunk)))
        for lead_id, kind, at in rows:
            existing[lead_id].append((kind, as_utc(at)))
    fresh_rows: list[dict[str, Any]] = []
    out: dict[int, tuple[Activities, list[datetime]]] = {}
    for lead, items, _ in batch:
        seen = set(existing[lead.id])
        wanted: dict[tuple[str, datetime], dict[str, Any]] = {}
        for a in items:
            at = _aware(a.at or now, tz)
            wanted[(a.type, at)] = dict(a.model_extra or {})
        fresh = [(k, v) for k, v in wanted.items() if k not in seen]
        fresh_rows += [
            {"lead_id": lead.id, "type": kind, "at": at, "data": {k: v for k, v in extra.items() if _json_safe(v)}}
            for (kind, at), extra in fresh
        ]
        out[lead.id] = (existing[lead.id] + [k for k, _ in fresh], [at for (_, at), _ in fresh])
    if fresh_rows:
        await uow.session.execute(insert(Activity), fresh_rows)
    return out


async def find(uow: UnitOfWork, ref: str) -> Lead | None:
    """A lead named in a URL: Baton id (digits) or external id (`ext:<id>`, or any id not all digits)."""
    return await find_by_ref(uow, Lead, ref)


async def add_activities(uow: UnitOfWork, lead_ref: int | str, raw: Any, actor: str = "api") -> IntakeResult | list[FieldError]:
    """`POST /api/leads/{id}/activities`: new behaviour may push an existing lead over the threshold."""
    lead = await uow.session.get(Lead, lead_ref) if isinstance(lead_ref, int) else await find(uow, lead_ref)
    if lead is None:
        return [FieldError("id", "no such lead")]
    # {"activities": [...]}, a list, or one activity object {"type": ..., "at": ...}
    items = raw.get("activities") if isinstance(raw, dict) and "activities" in raw else raw
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        return [FieldError("activities", 'send {"activities": [{"type": ..., "at": ...}]}, a list, or one {"type": ..., "at": ...}')]
    if len(items) > MAX_ACTIVITIES:
        return [FieldError("activities", f"at most {MAX_ACTIVITIES} activities per request")]
    parsed, errors = [], []
    for i, item in enumerate(items):
        try:
            parsed.append(ActivityIn.model_validate(item))
        except ValidationError as e:
            errors += [FieldError(f"activities.{i}.{err.field}", err.message) for err in validation_errors(e)]
    if errors or (errors := _activity_time_errors(uow, parsed, "activities")):
        return errors
    listed, fresh = (await _add_activities_many(uow, [(lead, parsed, False)], _default_tz(uow.config)))[lead.id]
    # A promotion these activities cause happened at the newest of them (its `at`; default now).
    when = max(fresh) if fresh else None
    await rescore_and_promote(uow, lead, actor=actor, new_activities=len(fresh), activities=listed, occurred_at=when)
    return IntakeResult(0, True, lead.id, lead.external_id, lead.stage, lead.score, lead.owner_id or lead.assignee_id)


async def rescore_and_promote(
    uow: UnitOfWork,
    lead: Lead,
    *,
    actor: str,
    force_mql: bool = False,
    new_activities: int = 0,
    activities: Activities | None = None,
    promotions: Promotions | None = None,
    occurred_at: datetime | None = None,
    came_in: bool = False,
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
        await promote_to_mql(
            uow, lead, record, actor=actor, returning=returning, promotions=promotions,
            occurred_at=await _promotion_time(uow, lead, occurred_at, came_in),
        )  # fmt: skip


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
    occurred_at: datetime | None = None,
) -> None:
    """`occurred_at`: when it became an MQL in the business (validated by the caller; None: now).
    The SLA clock runs from now all the same: it times Baton's own hand-off."""
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
        occurred_at=occurred_at,
    )  # fmt: skip
    if promotions is None:
        await batch.finish(uow)
