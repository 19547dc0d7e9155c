"""Lead scoring: attribute fit + behaviour with time decay, with a breakdown a rep can read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import as_utc
from bot.config import Scoring
from bot.rules import matches


@dataclass(frozen=True)
class ScoreLine:
    label: str
    points: int
    kind: str  # attribute | behaviour
    count: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "points": self.points, "kind": self.kind, "count": self.count}


@dataclass(frozen=True)
class Score:
    total: int
    lines: tuple[ScoreLine, ...]

    def breakdown(self) -> list[dict[str, Any]]:
        return [line.as_dict() for line in self.lines]


def score_lead(
    record: Mapping[str, Any],
    activities: Iterable[tuple[str, datetime]],
    rules: Scoring,
    now: datetime,
) -> Score:
    """Score a lead. `activities` are (type, at); newer ones count first towards `max_count`."""
    lines: list[ScoreLine] = [
        ScoreLine(r.label, r.points, "attribute") for r in rules.attributes if matches(r.when, record)
    ]
    by_type: dict[str, list[datetime]] = defaultdict(list)
    for kind, at in activities:
        by_type[kind].append(as_utc(at))
    half_life = rules.behaviour_half_life.to_timedelta_24x7().total_seconds() if rules.behaviour_half_life else None
    for rule in rules.behaviours:
        moments = sorted(by_type.get(rule.activity, ()), reverse=True)[: rule.max_count or None]
        if not moments:
            continue
        points = 0.0
        for at in moments:
            age = max(0.0, (now - at).total_seconds())
            points += rule.points * (0.5 ** (age / half_life) if half_life else 1.0)
        lines.append(ScoreLine(rule.label, round(points), "behaviour", len(moments)))
    lines = [ln for ln in lines if ln.points != 0]
    return Score(total=sum(ln.points for ln in lines), lines=tuple(lines))
