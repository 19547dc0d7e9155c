"""The one SLA engine: every hand-off (MQL response, and later SQL hand-off, health alerts) is timed here.

A clock has a policy (first matching rule), a deadline in the owning team's business calendar,
a warning timer at a fraction of the business duration and a breach timer at the deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.calendar import BusinessCalendar
from bot.clock import as_utc
from bot.config import SlaClock, SlaPolicy
from bot.context import UnitOfWork
from bot.domain import timers
from bot.rules import matches

WARN = "sla_warn"
BREACH = "sla_breach"
REASSIGN = "sla_reassign"


@dataclass(frozen=True)
class SlaFired:
    """A clock's warning / breach / reassign timer fired for `subject` (``lead:12``, ``opportunity:7`` …)."""

    subject: str
    kind: str

    @property
    def entity(self) -> tuple[str, int | None]:
        prefix, _, rest = self.subject.partition(":")
        return prefix, int(rest) if rest.isdecimal() else None


@dataclass(frozen=True)
class SlaStart:
    policy: str | None
    due_at: datetime
    warn_at: datetime
    business: timedelta


def choose_policy(clock: SlaClock, record: Mapping[str, Any]) -> SlaPolicy:
    return next((p for p in clock.policies if matches(p.when, record)), clock.policies[-1])


def plan(clock: SlaClock, record: Mapping[str, Any], calendar: BusinessCalendar, start: datetime) -> SlaStart:
    policy = choose_policy(clock, record)
    due = calendar.add(start, policy.within)
    business = calendar.between(start, due)
    warn = calendar.add(start, business * clock.warn_at)
    return SlaStart(policy.label, as_utc(due), as_utc(warn), business)


def timer_rows(subject: str, sla: SlaStart, data: dict[str, Any] | None = None) -> list[timers.TimerRow]:
    # Each timer remembers the deadline of its clock, so a handler can tell a stale timer (of a
    # clock since restarted or stopped) from the current one.
    data = {"due_at": sla.due_at.isoformat(), **(data or {})}
    return [timers.TimerRow(WARN, subject, sla.warn_at, data), timers.TimerRow(BREACH, subject, sla.due_at, data)]


async def start(uow: UnitOfWork, subject: str, sla: SlaStart, data: dict[str, Any] | None = None) -> None:
    await timers.schedule_many(uow, timer_rows(subject, sla, data))


def is_current(timer_data: Mapping[str, Any] | None, due_at: datetime | None) -> bool:
    """Does a fired timer belong to the clock now running (deadline `due_at`)?

    Timers from before this field existed carry no deadline and are taken as current.
    """
    if due_at is None:
        return False
    recorded = (timer_data or {}).get("due_at")
    if not recorded:
        return True
    return as_utc(datetime.fromisoformat(recorded)) == as_utc(due_at)


def remaining(calendar: BusinessCalendar, now: datetime, due_at: datetime) -> timedelta:
    """Business time left until the deadline (zero once past)."""
    return calendar.between(as_utc(now), as_utc(due_at))


async def schedule_reassign(
    uow: UnitOfWork, clock: SlaClock, subject: str, calendar: BusinessCalendar, due_at: datetime
) -> datetime | None:
    """After a breach: when `reassign_after_breach` is configured, move the lead after that much
    more business time. Returns when, or None when reassignment is off."""
    if clock.reassign_after_breach is None:
        return None
    at = as_utc(calendar.add(as_utc(due_at), clock.reassign_after_breach))
    await timers.schedule(uow, REASSIGN, subject, at, {"due_at": as_utc(due_at).isoformat()})
    return at


def subject_lead_id(subject: str) -> int | None:
    """`lead:12` → 12 (None for subjects of other hand-offs)."""
    kind, _, rest = subject.partition(":")
    return int(rest) if kind == "lead" and rest.isdecimal() else None


async def stop(uow: UnitOfWork, subject: str) -> None:
    await timers.cancel(uow, subject, (WARN, BREACH, REASSIGN))


@dataclass(frozen=True)
class ResponseTime:
    wall: timedelta
    business: timedelta
    within_sla: bool | None

    def as_data(self) -> dict[str, Any]:
        return {
            "response_seconds": int(self.wall.total_seconds()),
            "response_business_seconds": int(self.business.total_seconds()),
            "within_sla": self.within_sla,
        }


def response_time(calendar: BusinessCalendar, started: datetime, answered: datetime, due: datetime | None) -> ResponseTime:
    started, answered = as_utc(started), as_utc(answered)
    return ResponseTime(
        wall=answered - started,
        business=calendar.between(started, answered),
        within_sla=None if due is None else answered <= as_utc(due),
    )
