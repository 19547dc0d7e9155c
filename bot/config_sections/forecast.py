"""`forecast:` — meetings, lock points, tolerance, currencies, per-phase win-rate defaults (issue 6)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.config_sections.base import Issue, Section, duration, problem, unknown_id

PeriodKind = Literal["month", "quarter"]


def _minutes(v: Any) -> int:
    """`90m`, `2h`, `1h30m` or a number of minutes → minutes (24x7 time: a meeting is a wall-clock moment)."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    d = duration(v)
    return int(d.to_timedelta_24x7().total_seconds() // 60)


class Meeting(Section):
    """A recurring forecast meeting: an RFC 5545 rule (python-dateutil rrule) in the company zone."""

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="The meeting's id (lowercase, digits, _).", examples=["fs_weekly"])
    rrule: str = Field(description="When it recurs: an RFC 5545 rule in the company zone, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0 (not cron).", examples=["\"FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0\""])
    team: str | None = Field(None, description="The team whose managers read the summary (and whose members are the participants by default).", examples=["field_sales"])
    participants: list[str] = Field([], description="Person ids prompted before each meeting (default: the team's members).", examples=["[kato, yoshida]"])
    channel: str | None = Field(None, pattern=r"^[CGD][A-Z0-9]{2,}$", description="Channel ID of the managers' summary (default: forecast.managers_channel).", examples=["C0MANAGERS"])
    period: PeriodKind = Field("quarter", description="The forecast period discussed: quarter or month.", examples=["quarter"])
    lead_time: int = Field(90, description="Minutes (or 90m, 2h) before the meeting when each participant gets their diff with Explain / Submit.", examples=["90m"])
    summary_before: int = Field(30, description="Minutes before the meeting when the managers' summary is posted.", examples=["30m"])

    _mins = field_validator("lead_time", "summary_before", mode="before")(_minutes)

    @field_validator("rrule")
    @classmethod
    def _rule(cls, v: str) -> str:
        try:
            rule_set(v)
        except Exception:  # dateutil raises ValueError, TypeError … with messages about its internals
            raise problem("bad_rrule", "not an RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0", value=v) from None
        return v

    @model_validator(mode="after")
    def _order(self) -> Meeting:
        if self.lead_time <= 0 or self.summary_before < 0:
            raise problem("meeting_times", "lead_time must be positive and summary_before not negative")
        return self


_ANCHOR = datetime(2020, 1, 6, 0, 0)  # a Monday: rules without DTSTART count from here


def rule_set(rule: str, tz: Any = None) -> Any:
    from dateutil.rrule import rrulestr

    text = rule.strip()
    if "DTSTART" in text.upper():
        return rrulestr(text, forceset=True)
    return rrulestr(text, dtstart=_ANCHOR.replace(tzinfo=tz), forceset=True)


def occurrences(meeting: Meeting, tz: Any, after: datetime, before: datetime) -> list[datetime]:
    """The meeting's starts in (after, before], aware datetimes in `tz`."""
    rs = rule_set(meeting.rrule, tz)
    out = []
    for start in rs.xafter(after.astimezone(tz), inc=False):
        if start.tzinfo is None:
            start = start.replace(tzinfo=tz)
        if start > before:
            break
        out.append(start)
        if len(out) > 500:
            break
    return out


def previous_occurrence(meeting: Meeting, tz: Any, before: datetime) -> datetime | None:
    rs = rule_set(meeting.rrule, tz)
    found = rs.before(before.astimezone(tz), inc=False)
    if found is not None and found.tzinfo is None:
        found = found.replace(tzinfo=tz)
    return found


class ForecastModel(Section):
    """Baton's own forecast (`bot/domain/forecast_model.py`): below a minimum sample each parameter
    falls back to the value configured here, and the forecast says which parameters did."""

    min_phase_deals: int = Field(20, ge=1, description="Closed deals that must have reached a phase before its historical win rate replaces `forecast.phase_win_rates`.", examples=["20"])
    min_category_deals: int = Field(30, ge=1, description="Closed deals seen at a phase in a forecast category before that phase × category win rate is used (else the phase's).", examples=["30"])
    min_rep_deals: int = Field(15, ge=1, description="Closed deals of a rep before the rep's calibration (won ÷ expected from the phases) corrects their deals (else 1.0).", examples=["15"])
    min_slip_deals: int = Field(10, ge=1, description="Won deals seen in past forecast snapshots before the team's in-period close rate is used (else `close_in_period`).", examples=["10"])
    close_in_period: float = Field(0.8, gt=0, le=1, description="Fallback: share of deals due in a period that, when won, are won inside it.", examples=["0.8"])
    min_history_months: int = Field(12, ge=1, description="Months of deal history needed before a seasonality factor per fiscal month is applied (else 1.0).", examples=["12"])
    min_new_periods: int = Field(3, ge=1, description="Past periods needed before the run rate of deals created after the lock point and won inside the period is added (else 0).", examples=["3"])
    backtest_min_months: int = Field(12, ge=1, description="The backtest scores a period only when its lock point comes at least this many months after the first deal fact.", examples=["12"])
    interval: float = Field(0.8, gt=0, lt=1, description="Coverage of the forecast's range (0.8 = an 80 % interval).", examples=["0.8"])


class ForecastConfig(Section):
    managers_channel: str | None = Field(None, pattern=r"^[CGD][A-Z0-9]{2,}$", description="Channel ID for forecast summaries and roll-ups (default for meetings).", examples=["C0MANAGERS"])
    meetings: list[Meeting] = Field([], description="Recurring forecast meetings: prompts to reps, then a summary to managers.", examples=["[{id: fs_weekly, rrule: \"FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0\", team: field_sales}]"])
    # Lock point: the submission that counts for accuracy is the last one before start + N days.
    lock_days: dict[PeriodKind, int] = Field(default_factory=lambda: {"quarter": 14, "month": 7}, description="Period kind → days after its start after which a submitted forecast no longer counts for accuracy (the lock point).", examples=["{quarter: 14, month: 7}"])
    # THE MODEL: quarterly ±5 %, monthly ±10 % of the actual.
    tolerance: dict[PeriodKind, float] = Field(default_factory=lambda: {"quarter": 0.05, "month": 0.10}, description="Period kind → the accuracy band counted as on target (0.05 = ±5 %).", examples=["{quarter: 0.05, month: 0.10}"])
    # JPY per unit of each other currency deals may be in (deals are converted for every sum).
    currencies: dict[str, Decimal] = Field({}, description="Currency → rate to the company currency for deals in another currency.", examples=["{USD: 150, EUR: 160}"])
    # Default win rate per phase; history is shown next to these where it differs.
    phase_win_rates: dict[int, float] = Field(default_factory=lambda: {1: 0.05, 2: 0.15, 3: 0.35, 4: 0.6, 5: 0.85}, description="Phase → win rate behind the weighted pipeline while history is thin.", examples=["{1: 0.05, 2: 0.15, 3: 0.35, 4: 0.6, 5: 0.85}"])
    bias_min_sample: int = Field(3, ge=1, description="Past periods needed before a rep's bias adjusts the expectation.", examples=["3"])
    history_min_sample: int = Field(5, ge=1, description="Closed deals per phase before its historical win rate is shown.", examples=["5"])
    diff_cap: int = Field(15, ge=1, le=40, description='Deals listed per diff message before "show all".', examples=["15"])
    model: ForecastModel = Field(default_factory=ForecastModel, description="Baton's own forecast: minimum samples and fallbacks.", examples=["{min_phase_deals: 20, interval: 0.8}"])

    @field_validator("currencies")
    @classmethod
    def _rates(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        for code, rate in v.items():
            if len(code) != 3 or not code.isupper():
                raise problem("currency_code", f"currency '{code}': use a 3-letter code like USD", value=code)
            if rate <= 0:
                raise problem("currency_rate", f"currency '{code}': the rate must be positive", value=code)
        return v

    def meeting(self, meeting_id: str) -> Meeting | None:
        return next((m for m in self.meetings if m.id == meeting_id), None)

    def lock_at(self, kind: str, start: Any) -> Any:
        return start + timedelta(days=self.lock_days.get(kind, 14 if kind == "quarter" else 7))

    def tolerance_for(self, kind: str) -> float:
        """The accuracy band of a period kind (THE MODEL: quarter ±5 %, month ±10 %)."""
        return self.tolerance.get(kind, 0.05 if kind == "quarter" else 0.10)  # type: ignore[call-overload]


def problems(section: ForecastConfig, config: Any) -> list[Issue]:
    teams, people = [t.id for t in config.teams], [p.id for p in config.people]
    out = []
    ids = [m.id for m in section.meetings]
    if dupes := sorted({i for i in ids if ids.count(i) > 1}):
        out.append(Issue("meetings", "duplicate_id", {"ids": ", ".join(dupes)}, "duplicate meeting id"))
    for i, m in enumerate(section.meetings):
        if m.team and not config.team(m.team):
            out.append(unknown_id(f"meetings[{i}].team", "team", m.team, teams))
        for j, p in enumerate(m.participants):
            if not config.person(p):
                out.append(unknown_id(f"meetings[{i}].participants[{j}]", "person", p, people))
        if not (m.channel or section.managers_channel):
            out.append(Issue(f"meetings[{i}].channel", "no_managers_channel", {}, "no managers' channel (set it here or forecast.managers_channel)"))
        if not m.participants and not m.team:
            out.append(Issue(f"meetings[{i}]", "no_participants", {}, "no participants (list them or name a team)"))
    return out
