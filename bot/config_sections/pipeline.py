"""`pipeline:` — opportunities, deal hygiene, targets, digests, bottleneck, capacity (issue 5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.config_sections.base import Section

ForecastCategory = Literal["commit", "best_case", "pipeline", "omitted"]


class Target(Section):
    """A revenue target: `period` is 2026-11, FY2026-Q3 or FY2026; for a `team` or a `person`."""

    period: str
    team: str | None = None
    person: str | None = None
    amount: Decimal = Field(gt=0)

    @field_validator("period")
    @classmethod
    def _period(cls, v: str) -> str:
        from bot.periods import parse_period

        parse_period(v)
        return v

    @model_validator(mode="after")
    def _one_owner(self) -> Target:
        if (self.team is None) == (self.person is None):
            raise ValueError("a target is for exactly one of 'team' or 'person'")
        return self


class PipelineConfig(Section):
    # THE MODEL's phases: 1 beyond lead · 2 problem recognised · 3 evaluation · 4 negotiation · 5 approval.
    phase_categories: dict[int, ForecastCategory] = Field(
        default_factory=lambda: {1: "pipeline", 2: "pipeline", 3: "best_case", 4: "commit", 5: "commit"}
    )
    fs_team: str | None = None  # the Field Sales team that receives SQL hand-offs and upsells (default: the first)
    win_rate_fallback: float = Field(0.25, gt=0, le=1)
    targets: list[Target] = []


def problems(section: PipelineConfig, config: Any) -> list[str]:
    out = []
    if section.fs_team and not config.team(section.fs_team):
        out.append(f"fs_team: unknown team '{section.fs_team}'")
    for i, t in enumerate(section.targets):
        if t.team and not config.team(t.team):
            out.append(f"targets[{i}].team: unknown team '{t.team}'")
        if t.person and not config.person(t.person):
            out.append(f"targets[{i}].person: unknown person '{t.person}'")
    return out
