"""Marketing sees what came back and why: rejection / recycle reasons and returns, by source and
campaign over a period, aggregated in SQL from `stage_events` (for the digest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bot.context import UnitOfWork
from bot.models import Lead, Stage, StageEvent

PATH_BY_STAGE = {Stage.mql: "rejected", Stage.sal: "disqualified", Stage.sql: "sent_back"}


@dataclass(frozen=True)
class ReasonRow:
    source: str | None
    campaign: str | None
    path: str  # rejected | disqualified | sent_back | lost | churned | closed
    reason: str | None
    count: int


@dataclass(frozen=True)
class ReturnRow:
    source: str | None
    campaign: str | None
    count: int  # leads that came back to MQL from the loop


async def reasons_by_source(uow: UnitOfWork, start: datetime, end: datetime) -> list[ReasonRow]:
    """Leads that left the funnel in [start, end), grouped by source, campaign, path and reason."""
    n = func.count().label("n")
    rows = await uow.session.execute(
        select(Lead.source, Lead.campaign, StageEvent.from_stage, StageEvent.to_stage, StageEvent.reason, n)
        .join(Lead, Lead.id == StageEvent.entity_id)
        .where(StageEvent.entity_type == "lead", StageEvent.to_stage.in_((Stage.recycled, Stage.closed)),
               StageEvent.occurred_at >= start, StageEvent.occurred_at < end)
        .group_by(Lead.source, Lead.campaign, StageEvent.from_stage, StageEvent.to_stage, StageEvent.reason)
        .order_by(n.desc())
    )  # fmt: skip
    out = []
    for source, campaign, from_stage, to_stage, reason, count in rows:
        if from_stage in PATH_BY_STAGE:
            path = PATH_BY_STAGE[from_stage]
        elif source in ("lost", "churned"):
            path = source
        else:
            path = "closed" if to_stage == Stage.closed else "lost"
        out.append(ReasonRow(source, campaign, path, reason, count))
    return out


async def returns_by_source(uow: UnitOfWork, start: datetime, end: datetime) -> list[ReturnRow]:
    """Recycled leads that became MQLs again in [start, end) (re-engaged or by new behaviour)."""
    n = func.count().label("n")
    rows = await uow.session.execute(
        select(Lead.source, Lead.campaign, n)
        .join(Lead, Lead.id == StageEvent.entity_id)
        .where(StageEvent.entity_type == "lead", StageEvent.from_stage == Stage.recycled, StageEvent.to_stage == Stage.mql,
               StageEvent.occurred_at >= start, StageEvent.occurred_at < end)
        .group_by(Lead.source, Lead.campaign).order_by(n.desc())
    )  # fmt: skip
    return [ReturnRow(s, c, k) for s, c, k in rows]
