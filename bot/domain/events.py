"""The stage-event log and the domain events announced inside a unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
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
) -> StageEvent:
    ev = StageEvent(
        entity_type=entity_type,
        entity_id=entity_id,
        from_stage=from_stage,
        to_stage=to_stage,
        at=uow.now(),
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
