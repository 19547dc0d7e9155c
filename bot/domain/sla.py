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


async def start(uow: UnitOfWork, subject: str, sla: SlaStart, data: dict[str, Any] | None = None) -> None:
    await timers.schedule(uow, WARN, subject, sla.warn_at, data)
    await timers.schedule(uow, BREACH, subject, sla.due_at, data)


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
