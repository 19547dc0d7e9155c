"""`pipeline:` — opportunities, deal hygiene, targets, digests, bottleneck, capacity (issue 5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.config_sections.base import Section
from bot.periods import parse_period

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
        parse_period(v)
        return v

    @model_validator(mode="after")
    def _one_owner(self) -> Target:
        if (self.team is None) == (self.person is None):
            raise ValueError("a target is for exactly one of 'team' or 'person'")
        return self


class Digest(Section):
    """One daily pipeline digest: a channel, a local time (the team's zone, working days only), a scope."""

    channel: str = Field(pattern=r"^[CGD][A-Z0-9]{2,}$")
    time: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    scope: Literal["team", "company"] = "team"
    team: str | None = None  # the team it reads (scope team) and whose calendar/zone it follows
    locale: Literal["ja", "en"] | None = None
    attention_cap: int = Field(12, ge=1, le=40)  # most deals listed under "needs attention"
    chart: bool = True

    @model_validator(mode="after")
    def _team_for_scope(self) -> Digest:
        if self.scope == "team" and not self.team:
            raise ValueError("a digest with scope 'team' names its 'team'")
        return self


class Bottleneck(Section):
    """The weekly one-bottleneck alert: a recent window against the baseline window before it."""

    recent_days: int = Field(28, ge=7, le=180)
    baseline_days: int = Field(84, ge=7, le=365)
    worsen_threshold: float = Field(0.2, gt=0, le=5)  # re-alert when revenue at stake grows by this share
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    time: str = Field("08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    managers: list[str] = []  # person ids DMed (default: every manager/CRO of app.yaml)
    channel: str | None = Field(None, pattern=r"^[CGD][A-Z0-9]{2,}$")  # default: the management team's channel
    snooze_days: int = Field(7, ge=1, le=90)


class Hire(Section):
    person: str | None = None  # a person of app.yaml, or just a name for a planned hire
    name: str | None = None
    start: date
    role: Literal["fs", "is"] = "fs"


class Capacity(Section):
    deals_won_per_rep_per_year: float = Field(12, gt=0)  # fallback when history is thin
    average_deal_size: Decimal | None = Field(None, gt=0)  # fallback when nothing was won yet
    ramp_months: int = Field(3, ge=0, le=24)  # a new hire reaches full productivity after this
    hires: list[Hire] = []
    is_mqls_per_rep_per_day: float = Field(20, gt=0)
    history_months: int = Field(12, ge=1, le=36)
    # Below either minimum the plan uses the configured rates (and says so): a few months or a
    # handful of closed deals annualise into nonsense.
    min_history_months: int = Field(3, ge=1, le=36)
    min_closed_deals: int = Field(10, ge=1)


class PipelineConfig(Section):
    # THE MODEL's phases: 1 beyond lead · 2 problem recognised · 3 evaluation · 4 negotiation · 5 approval.
    phase_categories: dict[int, ForecastCategory] = Field(
        default_factory=lambda: {1: "pipeline", 2: "pipeline", 3: "best_case", 4: "commit", 5: "commit"}
    )
    fs_team: str | None = None  # the Field Sales team that receives SQL hand-offs and upsells (default: the first)
    win_rate_fallback: float = Field(0.25, gt=0, le=1)
    # Fallback win rate from each phase for a team without history.
    win_rate_fallback_by_phase: dict[int, float] = Field(
        default_factory=lambda: {1: 0.25, 2: 0.35, 3: 0.5, 4: 0.7, 5: 0.9}
    )
    targets: list[Target] = []
    win_rate_window_months: int = Field(6, ge=1, le=36)  # history behind win rates
    win_rate_min_closed: int = Field(10, ge=1)  # fewer closed deals than this: use the fallback
    # Days without a phase change before a deal counts as stalled, per phase.
    stalled_days: dict[int, int] = Field(default_factory=lambda: {1: 14, 2: 21, 3: 30, 4: 21, 5: 14})
    digests: list[Digest] = []
    bottleneck: Bottleneck = Bottleneck()
    capacity: Capacity = Capacity()

    @field_validator("stalled_days")
    @classmethod
    def _phases(cls, v: dict[int, int]) -> dict[int, int]:
        bad = [k for k in v if k not in (1, 2, 3, 4, 5)]
        if bad or any(d < 1 for d in v.values()):
            raise ValueError("stalled_days maps phases 1–5 to a number of days ≥ 1")
        return v


def problems(section: PipelineConfig, config: Any) -> list[str]:
    out = []
    if section.fs_team and not config.team(section.fs_team):
        out.append(f"fs_team: unknown team '{section.fs_team}'")
    for i, t in enumerate(section.targets):
        if t.team and not config.team(t.team):
            out.append(f"targets[{i}].team: unknown team '{t.team}'")
        if t.person and not config.person(t.person):
            out.append(f"targets[{i}].person: unknown person '{t.person}'")
    for i, d in enumerate(section.digests):
        if d.team and not config.team(d.team):
            out.append(f"digests[{i}].team: unknown team '{d.team}'")
    for m in section.bottleneck.managers:
        if not config.person(m):
            out.append(f"bottleneck.managers: unknown person '{m}'")
    for i, h in enumerate(section.capacity.hires):
        if h.person and not config.person(h.person):
            out.append(f"capacity.hires[{i}].person: unknown person '{h.person}'")
    return out
