"""`pipeline:` — opportunities, deal hygiene, targets, digests, bottleneck, capacity (issue 5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.config_sections.base import Issue, Section, period as period_key, problem, unknown_id

ForecastCategory = Literal["commit", "best_case", "pipeline", "omitted"]


class Target(Section):
    """A revenue target: `period` is 2026-11, FY2026-Q3 or FY2026; for a `team` or a `person`."""

    period: str = Field(description="The period: FY2026 (fiscal year), FY2026-Q3 (quarter) or 2026-11 (month).", examples=["FY2026-Q3"])
    team: str | None = Field(None, description="The team the target is for (omit both team and person: the company).", examples=["field_sales"])
    person: str | None = Field(None, description="The person the target is for.", examples=["kato"])
    amount: Decimal = Field(gt=0, description="The target in company currency (booked revenue of won deals).", examples=["300000000"])

    _period = field_validator("period")(period_key)

    @model_validator(mode="after")
    def _one_owner(self) -> Target:
        if (self.team is None) == (self.person is None):
            raise problem("target_owner", "a target is for exactly one of 'team' or 'person'")
        return self


class Digest(Section):
    """One daily pipeline digest: a channel, a local time (the team's zone, working days only), a scope."""

    channel: str = Field(pattern=r"^[CGD][A-Z0-9]{2,}$", description="Slack channel ID (C…/G…) the digest is posted to.", examples=["C0FIELDSALES"])
    time: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Time of day (HH:MM, the team's zone), working days only.", examples=["\"08:30\""])
    scope: Literal["team", "company"] = Field("team", description="team: the team's own population (IS: its leads and the deals it sourced; FS: its deals; CS: its CSMs' accounts and their upsells — docs/metrics.md, Team scope); company: everything.", examples=["company"])
    team: str | None = Field(None, description="The team it reads (scope team) and whose calendar and zone it follows.", examples=["field_sales"])
    locale: Literal["ja", "en"] | None = Field(None, description="Language of the digest (default: the team's, else the company's).", examples=["en"])
    attention_cap: int = Field(12, ge=1, le=40, description='Most deals listed under "needs attention".', examples=["12"])
    chart: bool = Field(True, description="Attach the pipeline chart.", examples=["false"])

    @model_validator(mode="after")
    def _team_for_scope(self) -> Digest:
        if self.scope == "team" and not self.team:
            raise problem("digest_team", "a digest with scope 'team' names its 'team'")
        return self


class Bottleneck(Section):
    """The weekly one-bottleneck alert: a recent window against the baseline window before it."""

    recent_days: int = Field(28, ge=7, le=180, description="The recent window compared (days).", examples=["28"])
    baseline_days: int = Field(84, ge=7, le=365, description="The baseline window before it (days).", examples=["84"])
    worsen_threshold: float = Field(0.2, gt=0, le=5, description="Alert again when the revenue at stake grew by this share (0.2 = 20 %).", examples=["0.2"])
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = Field("mon", description="Day of the weekly check.", examples=["mon"])
    time: str = Field("08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Time of the weekly check (HH:MM, company zone).", examples=["\"08:00\""])
    managers: list[str] = Field([], description="Person ids DMed with an alert (default: every manager and the CRO).", examples=["[nakamura, sato]"])
    channel: str | None = Field(None, pattern=r"^[CGD][A-Z0-9]{2,}$", description="Managers' channel ID for the weekly summary (default: the management team's channel).", examples=["C0MANAGERS"])
    snooze_days: int = Field(7, ge=1, le=90, description="Days a snoozed alert stays quiet unless the bottleneck changes.", examples=["7"])


class Hire(Section):
    person: str | None = Field(None, description="A person of app.yaml who was hired (ramping), or leave out for a planned hire.", examples=["kato"])
    name: str | None = Field(None, description="Name of a planned hire (shown in the capacity plan).", examples=["FS採用予定（1名）"])
    start: date = Field(description="Start date (YYYY-MM-DD).", examples=["2027-01-04"])
    role: Literal["fs", "is"] = Field("fs", description="fs (Field Sales) or is (Inside Sales).", examples=["fs"])


class Capacity(Section):
    deals_won_per_rep_per_year: float = Field(12, gt=0, description="Deals an FS rep wins per year, used while history is thinner than min_history_months / min_closed_deals.", examples=["12"])
    average_deal_size: Decimal | None = Field(None, gt=0, description="Average won deal, used while nothing (or too little) was won.", examples=["8000000"])
    ramp_months: int = Field(3, ge=0, le=24, description="Months until a new hire reaches full productivity (linear ramp).", examples=["4"])
    hires: list[Hire] = Field([], description="Hires made or planned, counted with their ramp-up.", examples=["[{name: FS採用予定（1名）, start: 2027-01-04, role: fs}]"])
    is_mqls_per_rep_per_day: float = Field(20, gt=0, description="MQLs one IS rep can work per working day (IS capacity).", examples=["25"])
    history_months: int = Field(12, ge=1, le=36, description="How far back won and lost deals are read.", examples=["12"])
    # Below either minimum the plan uses the configured rates (and says so): a few months or a
    # handful of closed deals annualise into nonsense.
    min_history_months: int = Field(3, ge=1, le=36, description="Months of history needed before history replaces the configured rates.", examples=["3"])
    min_closed_deals: int = Field(10, ge=1, description="Closed deals needed before history replaces the configured rates.", examples=["10"])


class PipelineConfig(Section):
    # THE MODEL's phases: 1 beyond lead · 2 problem recognised · 3 evaluation · 4 negotiation · 5 approval.
    phase_categories: dict[int, ForecastCategory] = Field(
        default_factory=lambda: {1: "pipeline", 2: "pipeline", 3: "best_case", 4: "commit", 5: "commit"},
        description="Phase (1–5) → default forecast category of a deal in it (a rep may override per deal).", examples=["{1: pipeline, 2: pipeline, 3: best_case, 4: commit, 5: commit}"],
    )
    fs_team: str | None = Field(None, description="The Field Sales team that receives SQL hand-offs and upsells (default: the first field_sales team).", examples=["field_sales"])
    win_rate_fallback: float = Field(0.25, gt=0, le=1, description="Overall win rate used while history is too thin (win_rate_min_closed).", examples=["0.25"])
    # Fallback win rate from each phase for a team without history.
    win_rate_fallback_by_phase: dict[int, float] = Field(
        default_factory=lambda: {1: 0.25, 2: 0.35, 3: 0.5, 4: 0.7, 5: 0.9},
        description="Per-phase win rate used while history is too thin.", examples=["{1: 0.25, 2: 0.35, 3: 0.5, 4: 0.7, 5: 0.9}"],
    )
    targets: list[Target] = Field([], description="Revenue targets by period, for the company, a team or a person.", examples=["[{period: FY2026, team: field_sales, amount: 1200000000}]"])
    win_rate_window_months: int = Field(6, ge=1, le=36, description="Months of closed deals behind the win rates.", examples=["6"])
    win_rate_min_closed: int = Field(10, ge=1, description="Fewer closed deals than this in the window: the fallback rates are used.", examples=["10"])
    # Days without a phase change before a deal counts as stalled, per phase.
    stalled_days: dict[int, int] = Field(default_factory=lambda: {1: 14, 2: 21, 3: 30, 4: 21, 5: 14}, description="Phase → days without an update after which a deal is listed as stalled.", examples=["{1: 14, 2: 21, 3: 30, 4: 21, 5: 14}"])
    digests: list[Digest] = Field([], description="Daily pipeline digests, one per channel.", examples=["[{channel: C0FIELDSALES, time: \"08:30\", scope: team, team: field_sales}]"])
    bottleneck: Bottleneck = Field(Bottleneck(), description="The weekly bottleneck check (one constraint, its evidence, the lever).", examples=["{weekday: mon, time: \"08:00\", channel: C0MANAGERS}"])
    capacity: Capacity = Field(Capacity(), description="Capacity planning: reps needed for the target, ramp-up, IS capacity (/capacity).", examples=["{average_deal_size: 8000000, ramp_months: 4}"])

    @field_validator("stalled_days")
    @classmethod
    def _phases(cls, v: dict[int, int]) -> dict[int, int]:
        bad = [k for k in v if k not in (1, 2, 3, 4, 5)]
        if bad or any(d < 1 for d in v.values()):
            raise problem("stalled_days", "stalled_days maps phases 1–5 to a number of days ≥ 1")
        return v


def problems(section: PipelineConfig, config: Any) -> list[Issue]:
    teams, people = [t.id for t in config.teams], [p.id for p in config.people]
    out = []
    if section.fs_team and not config.team(section.fs_team):
        out.append(unknown_id("fs_team", "team", section.fs_team, teams))
    for i, t in enumerate(section.targets):
        if t.team and not config.team(t.team):
            out.append(unknown_id(f"targets[{i}].team", "team", t.team, teams))
        if t.person and not config.person(t.person):
            out.append(unknown_id(f"targets[{i}].person", "person", t.person, people))
    for i, d in enumerate(section.digests):
        if d.team and not config.team(d.team):
            out.append(unknown_id(f"digests[{i}].team", "team", d.team, teams))
    for i, m in enumerate(section.bottleneck.managers):
        if not config.person(m):
            out.append(unknown_id(f"bottleneck.managers[{i}]", "person", m, people))
    for i, h in enumerate(section.capacity.hires):
        if h.person and not config.person(h.person):
            out.append(unknown_id(f"capacity.hires[{i}].person", "person", h.person, people))
    return out
