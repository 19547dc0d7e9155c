"""`success:` — health score, drop alerts, renewals, upsell, churn (issue 7).

A health score is a weighted mean of measures, each turned into 0–100 points by `linear` (value at
`from` → 0, at `to` → 100, clamped; `from` > `to` means "fewer is better") or by `thresholds`
(the first entry whose `min`/`max` bounds hold gives the points; none → 0). A measure's value is
its `signal` aggregated over the last `window_days` days (`sum`, `avg`, `max` or `latest`),
optionally divided by the account's licensed seats (`per_seat`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.calendar import Duration
from bot.config_sections.base import Section, duration

Missing = Literal["ignore", "zero", "last_known"]


class Threshold(Section):
    min: float | None = None  # value >= min
    max: float | None = None  # value <= max
    points: float = Field(ge=0, le=100)


class Linear(Section):
    from_: float = Field(alias="from")
    to: float

    @model_validator(mode="after")
    def _distinct(self) -> Linear:
        if self.from_ == self.to:
            raise ValueError("linear: 'from' and 'to' must differ")
        return self


class Measure(Section):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")
    label: str | None = None
    signal: str = Field(pattern=r"^[a-z][a-z0-9_.]{0,49}$")
    aggregate: Literal["sum", "avg", "max", "latest"] = "sum"
    window_days: int = Field(7, ge=1, le=366)
    per_seat: bool = False
    linear: Linear | None = None
    thresholds: list[Threshold] = []
    weight: float = Field(1.0, gt=0)
    missing: Missing | None = None  # overrides health.missing for this measure
    min_value: float = Field(0, description="the smallest value the API and import accept for the signal (counts are never negative; NPS: -100)")
    max_value: float = Field(1e9, description="the largest value the API and import accept for the signal (NPS: 100)")
    unit: Literal["number", "percent"] = "number"  # how its value reads in alerts: 8, or 0.76 as 76%

    @model_validator(mode="after")
    def _one_mapping(self) -> Measure:
        if (self.linear is None) == (not self.thresholds):
            raise ValueError(f"measure '{self.id}': give exactly one of 'linear' or 'thresholds'")
        if self.min_value > self.max_value:
            raise ValueError(f"measure '{self.id}': min_value must not be above max_value")
        return self


class Bands(Section):
    green: float = Field(70, ge=0, le=100)  # score >= green → green
    yellow: float = Field(40, ge=0, le=100)  # score >= yellow → yellow, else red

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.yellow > self.green:
            raise ValueError("bands: yellow must not be above green")
        return self


class Health(Section):
    measures: list[Measure] = []
    bands: Bands = Bands()
    missing: Missing = "ignore"  # ignore & renormalise | count as 0 | last known value

    @field_validator("measures")
    @classmethod
    def _unique(cls, v: list[Measure]) -> list[Measure]:
        ids = [m.id for m in v]
        if len(set(ids)) != len(ids):
            raise ValueError("measure ids must be unique")
        return v


class Collapse(Section):
    percent: float = Field(50, gt=0, le=100)  # a measure's value fell by at least this much …
    days: int = Field(7, ge=1, le=90)  # … versus this many days earlier (week over week)
    measures: list[str] = []  # which measures (empty: all)


class Alerts(Section):
    enabled: bool = True
    drop_points: float | None = Field(15, gt=0)  # score fell by >= N points …
    drop_days: int = Field(7, ge=1, le=90)  # … versus M days ago (None points: off)
    band_downgrade: bool = True
    collapse: Collapse | None = Collapse()
    acknowledge_within: Duration = Duration(days=1)  # business time in the CS team's calendar, then escalation
    snooze: Duration = Duration(days=3)

    _dur = field_validator("acknowledge_within", "snooze", mode="before")(duration)


class Renewals(Section):
    offsets: list[int] = Field(default_factory=lambda: [90, 60, 30])  # days before the renewal date
    deliver: Literal["dm", "channel"] = "dm"  # to the CSM and AE by DM, or in the CS channel
    falling_points: float = Field(10, gt=0)  # at risk when red, or the score fell this much …
    falling_days: int = Field(30, ge=1, le=365)  # … over these days
    term_months: int = Field(12, ge=1, le=120)  # a won deal's first term (renewal = start + term)
    hour: int = Field(9, ge=0, le=23)

    @field_validator("offsets")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if any(o <= 0 for o in v):
            raise ValueError("offsets are days before renewal and must be positive")
        return sorted(set(v), reverse=True)


class CsHandoff(Section):
    """A won deal handed to Customer Success: the CSM accepts (and schedules the kickoff) within this
    business time in the CS team's calendar; a warning before, the CS manager told on a breach."""

    within: Duration = Duration(seconds=8 * 3600)
    warn_at: float = Field(0.75, gt=0, lt=1)
    escalate_to_manager: bool = True

    _dur = field_validator("within", mode="before")(duration)


class SuccessConfig(Section):
    cs_team: str | None = None  # the Customer Success team (default: the first customer_success team)
    health: Health = Health()
    alerts: Alerts = Alerts()
    renewals: Renewals = Renewals()
    handoff: CsHandoff = CsHandoff()
    churn_reasons: list[str] = Field(
        default_factory=lambda: ["low_adoption", "budget", "competitor", "champion_left", "acquired", "other"]
    )
    health_check_hour: int = Field(7, ge=0, le=23)
    who_may_act: list[Literal["csm", "ae", "cs_manager", "cs_team", "cro", "admin"]] = Field(
        default_factory=lambda: ["csm", "cs_manager", "cro"],
        min_length=1,
        description="who may acknowledge, snooze or escalate a customer's health alert: the account's `csm` or `ae`, "
        "a `cs_manager` (manager of a Customer Success team or the role), anyone in the `cs_team`, a `cro`, an `admin`",
    )


def problems(section: SuccessConfig, config: Any) -> list[str]:
    out = []
    if section.cs_team and not config.team(section.cs_team):
        out.append(f"cs_team: unknown team '{section.cs_team}'")
    ids = {m.id for m in section.health.measures}
    if section.alerts.collapse:
        for m in section.alerts.collapse.measures:
            if m not in ids:
                out.append(f"alerts.collapse.measures: unknown measure '{m}'")
    return out
