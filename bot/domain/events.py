"""The stage-event log and the domain events announced inside a unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.context import UnitOfWork
from bot.models import StageEvent


@dataclass(frozen=True)
class StageChanged:
    """Announced for every transition; notifications subscribe to the ones they care about."""

    entity_type: str
    entity_id: int
    from_stage: str | None
    to_stage: str
    actor: str
    team_id: str | None = None
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def check_occurred(uow: UnitOfWork, when: datetime | date | None) -> str | None:
    """Why a business time given by the API or an import cannot be taken (None: it can). A fact
    cannot have happened later than now plus `company.clock_skew_minutes` (the sender's clock may run
    a little ahead), nor before `company.earliest_date` (a typo'd year would restate old periods)."""
    if when is None:
        return None
    company = uow.config.company
    tz = uow.config.calendar(None).tz
    if isinstance(when, datetime):
        if when.tzinfo is None:
            return "needs a time zone (e.g. 2026-04-01T10:00:00+09:00)"
        day = when.astimezone(tz).date()
        if when > uow.now() + timedelta(minutes=company.clock_skew_minutes):
            return "is in the future"
    else:
        day = when
        if day > uow.now().astimezone(tz).date():
            return "is in the future"
    if company.earliest_date and day < company.earliest_date:
        return f"is before the earliest date accepted ({company.earliest_date.isoformat()}, company.earliest_date)"
    return None


def occurred_on(uow: UnitOfWork, day: date) -> datetime:
    """The instant a fact known only by its date is taken to have happened: now if the day is today
    (in the company zone), else the start of that day."""
    tz = uow.config.calendar(None).tz
    now = uow.now()
    if day >= now.astimezone(tz).date():
        return now
    return datetime.combine(day, datetime.min.time(), tz)


async def record_transition(
    uow: UnitOfWork,
    entity_type: str,
    entity_id: int,
    from_stage: str | None,
    to_stage: str,
    *,
    actor: str,
    team_id: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> StageEvent:
    """One stage change. `occurred_at`: when it happened, if earlier than now (already validated
    by the caller with `check_occurred`); by default it happened as Baton recorded it."""
    now = uow.now()
    ev = StageEvent(
        entity_type=entity_type,
        entity_id=entity_id,
        from_stage=from_stage,
        to_stage=to_stage,
        at=now,
        occurred_at=occurred_at or now,
        actor=actor,
        team_id=team_id,
        reason=reason,
        note=note,
        data=data or {},
    )
    uow.session.add(ev)
    uow.emit(StageChanged(entity_type, entity_id, from_stage, to_stage, actor, team_id, reason, data or {}))
    return ev


async def history(uow: UnitOfWork, entity_type: str, entity_id: int) -> list[StageEvent]:
    rows = await uow.session.execute(
        select(StageEvent)
        .where(StageEvent.entity_type == entity_type, StageEvent.entity_id == entity_id)
        .order_by(StageEvent.id)
    )
    return list(rows.scalars())


async def last_transition_from(uow: UnitOfWork, entity_type: str, entity_id: int, from_stage: str) -> StageEvent | None:
    row = await uow.session.execute(
        select(StageEvent)
        .where(
            StageEvent.entity_type == entity_type,
            StageEvent.entity_id == entity_id,
            StageEvent.from_stage == from_stage,
        )
        .order_by(StageEvent.id.desc())
        .limit(1)
    )
    return row.scalars().first()
