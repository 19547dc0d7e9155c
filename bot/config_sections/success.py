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
from bot.config_sections.base import Issue, Section, duration, problem, unknown_id

Missing = Literal["ignore", "zero", "last_known"]


class Threshold(Section):
    min: float | None = Field(None, description="The band applies when the value is at least this.", examples=["4"])
    max: float | None = Field(None, description="The band applies when the value is at most this.", examples=["7"])
    points: float = Field(ge=0, le=100, description="Points (0–100) given in this band.", examples=["60"])


class Linear(Section):
    from_: float = Field(alias="from", description="The value that scores 0 points.", examples=["5"])
    to: float = Field(description="The value that scores 100 points (in between: linear).", examples=["0"])

    @model_validator(mode="after")
    def _distinct(self) -> Linear:
        if self.from_ == self.to:
            raise problem("linear_same", "linear: 'from' and 'to' must differ")
        return self


class Measure(Section):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,49}$", description="The measure's id (lowercase).", examples=["logins"])
    label: str | None = Field(None, description="Its name in alerts and App Home.", examples=["ログイン/席"])
    signal: str = Field(pattern=r"^[a-z][a-z0-9_.]{0,49}$", description="The usage signal it reads (the name sent to POST /api/accounts/{id}/signals).", examples=["logins"])
    aggregate: Literal["sum", "avg", "max", "latest"] = Field("sum", description="How the window's values combine: sum, avg, max or latest.", examples=["max"])
    window_days: int = Field(7, ge=1, le=366, description="Days of signals read.", examples=["30"])
    per_seat: bool = Field(False, description="Divide by the account's seats.", examples=["true"])
    linear: Linear | None = Field(None, description="Score linearly between from (0 points) and to (100).", examples=["{from: 0, to: 5}"])
    thresholds: list[Threshold] = Field([], description="Or score by bands (first match wins).", examples=["[{min: 8, points: 100}, {min: 4, points: 60}, {points: 20}]"])
    weight: float = Field(1.0, gt=0, description="Its weight in the health score.", examples=["3"])
    missing: Missing | None = Field(None, description="What a missing value means for this measure (overrides health.missing).", examples=["last_known"])
    min_value: float = Field(0, description="the smallest value the API and import accept for the signal (counts are never negative; NPS: -100)", examples=["-100"])
    max_value: float = Field(1e9, description="the largest value the API and import accept for the signal (NPS: 100)", examples=["100"])
    unit: Literal["number", "percent"] = Field("number", description="How its value reads in alerts: number (8) or percent (0.76 as 76 %).", examples=["percent"])

    @model_validator(mode="after")
    def _one_mapping(self) -> Measure:
        if (self.linear is None) == (not self.thresholds):
            raise problem("one_scoring", f"measure '{self.id}': give exactly one of 'linear' or 'thresholds'", id=self.id)
        if self.min_value > self.max_value:
            raise problem("min_above_max", f"measure '{self.id}': min_value must not be above max_value", id=self.id)
        return self


class Bands(Section):
    green: float = Field(70, ge=0, le=100, description="Score at or above this is green.", examples=["70"])
    yellow: float = Field(40, ge=0, le=100, description="Score at or above this is yellow; below, red.", examples=["40"])

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.yellow > self.green:
            raise problem("bands_order", "bands: yellow must not be above green")
        return self


class Health(Section):
    measures: list[Measure] = Field([], description="The measures of the health score.", examples=["[{id: logins, label: ログイン/席, signal: logins, per_seat: true, linear: {from: 0, to: 5}, weight: 3}]"])
    bands: Bands = Field(Bands(), description="Score bands (green / yellow / red).", examples=["{green: 70, yellow: 40}"])
    missing: Missing = Field("ignore", description="A missing value: ignore (renormalise the weights), zero, or last_known (the last known value).", examples=["ignore"])

    @field_validator("measures")
    @classmethod
    def _unique(cls, v: list[Measure]) -> list[Measure]:
        ids = [m.id for m in v]
        if len(set(ids)) != len(ids):
            raise problem("duplicate_id", "measure ids must be unique", ids=", ".join(sorted({i for i in ids if ids.count(i) > 1})))
        return v


class Collapse(Section):
    percent: float = Field(50, gt=0, le=100, description="A measure fell by at least this percentage …", examples=["50"])
    days: int = Field(7, ge=1, le=90, description="… versus this many days earlier.", examples=["7"])
    measures: list[str] = Field([], description="Which measures are watched (empty: all).", examples=["[logins, active_users]"])


class Alerts(Section):
    enabled: bool = Field(True, description="Health alerts to the CS channel on or off.", examples=["true"])
    drop_points: float | None = Field(15, gt=0, description="Alert when the score fell by at least this many points … (empty: off).", examples=["15"])
    drop_days: int = Field(7, ge=1, le=90, description="… versus this many days ago.", examples=["7"])
    band_downgrade: bool = Field(True, description="Alert when the band gets worse (green → yellow → red).", examples=["true"])
    collapse: Collapse | None = Field(Collapse(), description="Alert when one measure collapses (empty: off).", examples=["{percent: 50, days: 7, measures: [logins, active_users]}"])
    acknowledge_within: Duration = Field(Duration(days=1), description="Business time (CS calendar) for the CSM to acknowledge, then the CS manager is told.", examples=["1d"])
    snooze: Duration = Field(Duration(days=3), description="How long Snooze holds an alert.", examples=["3d"])

    _dur = field_validator("acknowledge_within", "snooze", mode="before")(duration)


class Renewals(Section):
    offsets: list[int] = Field(default_factory=lambda: [90, 60, 30], description="Days before the renewal date when the CSM and AE are reminded.", examples=["[90, 60, 30]"])
    deliver: Literal["dm", "channel"] = Field("dm", description="dm: to the CSM and AE; channel: in the CS channel.", examples=["channel"])
    falling_points: float = Field(10, gt=0, description="Flag at risk when red, or the score fell this many points …", examples=["10"])
    falling_days: int = Field(30, ge=1, le=365, description="… over these days.", examples=["30"])
    term_months: int = Field(12, ge=1, le=120, description="A won deal's first term (renewal date = start + term).", examples=["12"])
    hour: int = Field(9, ge=0, le=23, description="Hour of the day (company zone) of the reminders.", examples=["9"])

    @field_validator("offsets")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if any(o <= 0 for o in v):
            raise problem("offsets_positive", "offsets are days before renewal and must be positive")
        return sorted(set(v), reverse=True)


class CsHandoff(Section):
    """A won deal handed to Customer Success: the CSM accepts (and schedules the kickoff) within this
    business time in the CS team's calendar; a warning before, the CS manager told on a breach."""

    within: Duration = Field(Duration(seconds=8 * 3600), description="Business time (CS calendar) for the CS team to accept a won deal's hand-off.", examples=["8h"])
    warn_at: float = Field(0.75, gt=0, lt=1, description="Share of within after which the assignee is warned (0–1).", examples=["0.75"])
    escalate_to_manager: bool = Field(True, description="On a breach, DM the CS manager.", examples=["true"])

    _dur = field_validator("within", mode="before")(duration)


class SuccessConfig(Section):
    cs_team: str | None = Field(None, description="The Customer Success team (default: the first customer_success team).", examples=["customer_success"])
    health: Health = Field(Health(), description="The health score: measures, weights, bands.", examples=["{missing: ignore, bands: {green: 70, yellow: 40}, measures: [{id: logins, signal: logins, linear: {from: 0, to: 5}}]}"])
    alerts: Alerts = Field(Alerts(), description="When a health drop alerts the CS channel.", examples=["{drop_points: 15, drop_days: 7, acknowledge_within: 1d}"])
    renewals: Renewals = Field(Renewals(), description="Renewal reminders.", examples=["{offsets: [90, 60, 30], deliver: dm}"])
    handoff: CsHandoff = Field(CsHandoff(), description="The FS → CS hand-off clock.", examples=["{within: 8h, warn_at: 0.75}"])
    churn_reasons: list[str] = Field(
        default_factory=lambda: ["low_adoption", "budget", "competitor", "champion_left", "acquired", "other"],
        description="Reason ids offered when a customer churns (labels in the catalogue).", examples=["[low_adoption, budget, competitor, champion_left, acquired, other]"],
    )
    health_check_hour: int = Field(7, ge=0, le=23, description="Hour of the daily health recompute (company zone).", examples=["7"])
    who_may_act: list[Literal["csm", "ae", "cs_manager", "cs_team", "cro", "admin"]] = Field(
        default_factory=lambda: ["csm", "cs_manager", "cro"],
        min_length=1,
        description="who may acknowledge, snooze or escalate a customer's health alert: the account's `csm` or `ae`, "
        "a `cs_manager` (manager of a Customer Success team or the role), anyone in the `cs_team`, a `cro`, an `admin`", examples=["[csm, cs_manager, cro]"],
    )


def problems(section: SuccessConfig, config: Any) -> list[Issue]:
    out = []
    if section.cs_team and not config.team(section.cs_team):
        out.append(unknown_id("cs_team", "team", section.cs_team, [t.id for t in config.teams]))
    ids = [m.id for m in section.health.measures]
    if section.alerts.collapse:
        for i, m in enumerate(section.alerts.collapse.measures):
            if m not in ids:
                out.append(unknown_id(f"alerts.collapse.measures[{i}]", "measure", m, ids))
    return out
