"""SLA compliance of the MQL response, for digests: per rep, team or source.

Read only from `stage_events`: the decision rows mql → sal | recycled | closed, whose `data` holds
`response_business_seconds` and `within_sla` (written by accept_mql / reject_mql).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select

from bot.context import UnitOfWork
from bot.models import Lead, Stage, StageEvent

GroupBy = Literal["rep", "team", "source"]
ANSWERS = (Stage.sal, Stage.recycled, Stage.closed)


@dataclass(frozen=True)
class Row:
    group: str | None
    answered: int  # decisions in the period
    measured: int  # of which had an SLA deadline (within_sla true or false)
    within_sla: int  # of which were answered by the deadline
    median_business_minutes: float | None
    p90_business_minutes: float | None

    @property
    def within_sla_pct(self) -> float | None:
        """Share of the measured answers made in time, 0..100 (None when nothing was measured)."""
        return None if self.measured == 0 else 100.0 * self.within_sla / self.measured


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default, PERCENTILE_CONT in SQL)."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


async def compliance(uow: UnitOfWork, since: datetime, until: datetime, group_by: GroupBy = "team") -> list[Row]:
    """Per group: answered, within SLA (count, %), median and p90 response in business minutes.

    The period is [since, until) on the decision time. "rep" is the assignee when the lead had one
    (round robin), otherwise whoever answered (claim mode). Filtering and grouping happen in SQL;
    the percentiles are computed in Python over the filtered numbers, because PERCENTILE_CONT
    exists on PostgreSQL but not on SQLite.
    """
    ev = StageEvent
    data = ev.data
    seconds = data["response_business_seconds"].as_integer()
    within = data["within_sla"].as_boolean()
    if group_by == "rep":
        group = func.coalesce(data["assignee"].as_string(), ev.actor)
    elif group_by == "team":
        group = ev.team_id
    elif group_by == "source":
        group = Lead.source
    else:
        raise ValueError(f"group_by must be rep, team or source, not {group_by!r}")
    stmt = select(group.label("g"), seconds.label("s"), within.label("w")).where(
        ev.entity_type == "lead",
        ev.from_stage == Stage.mql,
        ev.to_stage.in_(ANSWERS),
        ev.at >= since,
        ev.at < until,
    )
    if group_by == "source":
        stmt = stmt.join(Lead, Lead.id == ev.entity_id)
    rows = (await uow.session.execute(stmt)).all()

    groups: dict[str | None, list[tuple[int | None, bool | None]]] = {}
    for g, s, w in rows:
        groups.setdefault(g, []).append((s, w))
    out = []
    for g, items in groups.items():
        minutes = [s / 60 for s, _ in items if s is not None]
        measured = [w for _, w in items if w is not None]
        out.append(
            Row(
                group=g,
                answered=len(items),
                measured=len(measured),
                within_sla=sum(1 for w in measured if w),
                median_business_minutes=percentile(minutes, 0.5),
                p90_business_minutes=percentile(minutes, 0.9),
            )
        )
    return sorted(out, key=lambda r: (r.group is None, r.group or ""))
