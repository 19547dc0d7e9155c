"""Which IS team and rep get an MQL: first matching rule, then round robin among eligible reps
(away or at capacity skipped); moving an open MQL to another rep, and a rep going away (their open
MQLs move on) or coming back."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from bot.config import AppConfig, Person, RoutingRule
from bot.context import UnitOfWork
from bot.domain import sla
from bot.domain.lead_input import lead_record
from bot.domain.people import away_now, record_status
from bot.models import Activity, Lead, RoutingCursor, Stage, StageEvent
from bot.rules import matches

REP_ROLES = frozenset({"is_rep", "fs_rep", "csm"})


@dataclass(frozen=True)
class Route:
    team_id: str
    mode: str  # round_robin | claim
    rule_label: str | None


def choose_route(record: Mapping[str, Any], config: AppConfig) -> Route:
    rule: RoutingRule | None = next((r for r in config.routing.rules if matches(r.when, record)), None)
    if rule is None:  # config validation cannot know every record; fall back to the last rule's team
        rule = config.routing.rules[-1]
    return Route(team_id=rule.team, mode=rule.mode, rule_label=rule.label)


def reps_of(config: AppConfig, team_id: str) -> list[str]:
    """Members of a team who work leads (managers receive escalations, not round robin)."""
    team = config.team(team_id)
    if team is None:
        return []
    return [m for m in team.members if (p := config.person(m)) and REP_ROLES.intersection(p.roles)]


def next_in_rotation(
    reps: Sequence[str], last: str | None, eligible: Callable[[str], bool], exclude: frozenset[str] = frozenset()
) -> str | None:
    """The next eligible rep after `last` in config order (wrapping), or None if nobody can take it."""
    if not reps:
        return None
    start = (reps.index(last) + 1) if last in reps else 0
    for i in range(len(reps)):
        candidate = reps[(start + i) % len(reps)]
        if candidate not in exclude and eligible(candidate):
            return candidate
    return None


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
        reps = reps_of(config, team_id)
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
        chosen = next_in_rotation(self.reps, last, self.eligible, exclude)
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


async def set_away(uow: UnitOfWork, person_id: str, until: datetime | None = None, *, actor: str | None = None) -> list[int]:
    """Mark `person_id` away (until `until`, or until `set_back` when None) and move their open MQLs
    to the next eligible rep of the lead's team. Returns the ids of the leads that moved; a lead
    for which nobody is eligible stays where it is (its SLA clock keeps running and escalates)."""
    if uow.config.person(person_id) is None:
        raise ValueError(f"unknown person '{person_id}'")
    await record_status(uow, person_id, True, until, actor or person_id)
    open_leads = (
        await uow.session.execute(
            select(Lead).where(Lead.stage == Stage.mql, Lead.assignee_id == person_id).order_by(Lead.id)
        )
    ).scalars()
    moved = []
    for lead in list(open_leads):
        to = await next_rep(uow, lead.team_id, exclude=frozenset({person_id}))
        if to is None:
            continue
        await reassign(uow, lead, to, reason="away", actor=actor or "system")
        moved.append(lead.id)
    return moved


async def set_back(uow: UnitOfWork, person_id: str, *, actor: str | None = None) -> None:
    await record_status(uow, person_id, False, None, actor or person_id)
