"""`app.yaml` (what the RevOps admin edits) and the environment (secrets), validated on load.

Errors name the key path and the line in the file, and the bot refuses to start on any of them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from bot.calendar import BusinessCalendar, Duration, _ExtraHolidays, _parse_hours, _parse_weekdays, _supported_countries  # noqa: PLC2701 - the calendar's own parsers
from bot import config_checks
from bot.config_checks import Problem, suggest
from bot.config_sections.base import Issue, condition, duration, optional_duration, problem, unknown_id, zone
from bot.config_sections import forecast, integrations, notifications, pipeline, relay, success
from bot.config_sections.forecast import ForecastConfig
from bot.config_sections.integrations import InboundSource, RecordLinks, Webhook
from bot.config_sections.notifications import NotificationsConfig
from bot.config_sections.pipeline import PipelineConfig
from bot.config_sections.relay import RelayConfig
from bot.config_sections.success import SuccessConfig

# Each flow's section checks its own cross-references: section key → its `problems(section, config)`.
SECTION_CHECKS = {
    "relay": relay.problems, "pipeline": pipeline.problems, "forecast": forecast.problems,
    "success": success.problems, "notifications": notifications.problems, "webhooks": integrations.problems,
    "inbound": integrations.inbound_problems,
}  # fmt: skip

Locale = Literal["ja", "en"]
Role = Literal[
    "marketing", "is_rep", "is_manager", "fs_rep", "fs_manager", "csm", "cs_manager", "manager", "cro", "admin"
]
TeamFunction = Literal["marketing", "inside_sales", "field_sales", "customer_success", "management"]
MANAGER_ROLES = frozenset({"is_manager", "fs_manager", "cs_manager", "manager", "cro"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_duration, _condition = duration, condition
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Company(_Model):
    name: str = Field(examples=["株式会社ミライクラウド"])
    locale: Locale = Field("ja", examples=["ja"])
    timezone: str = Field("Asia/Tokyo", examples=["Asia/Tokyo"])
    currency: str = Field("JPY", examples=["JPY"])
    fiscal_year_start_month: int = Field(4, ge=1, le=12, examples=["4"])
    # Facts given with a business time (a close date, `occurred_at`) before this day are refused.
    earliest_date: date | None = Field(None, examples=["2020-04-01"])
    # How far ahead of Baton's clock a sender's business time may be (its clock may run fast).
    clock_skew_minutes: int = Field(10, ge=0, le=1440, examples=["10"])

    _tz = field_validator("timezone")(zone)


class CalendarConfig(_Model):
    mode: Literal["business", "24x7"] = Field("business", examples=["24x7"])
    timezone: str | None = Field(None, examples=["Asia/Tokyo"])
    working_days: list[str] = Field(["mon", "tue", "wed", "thu", "fri"], examples=["[mon, tue, wed, thu, fri]"])
    hours: str = Field("09:00-18:00", examples=["\"09:30-18:30\""])
    holidays: str | None = Field("JP", examples=["JP"])
    extra_holidays: list[str] = Field([], examples=["[\"12-29..01-03\", \"08-13..08-15\"]"])

    _tz = field_validator("timezone")(zone)

    @field_validator("working_days")
    @classmethod
    def _days(cls, v: list[str]) -> list[str]:
        if not v:
            raise problem("no_working_days", "working_days is empty: list at least one day, e.g. mon-fri")
        for day in v:
            try:
                _parse_weekdays([day])
            except ValueError:
                hint = suggest(str(day).lower()[:3], WEEKDAYS)
                raise problem("bad_weekday", f"unknown weekday '{day}': use mon, tue, wed, thu, fri, sat, sun", value=str(day), hint=hint) from None
        return v

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        return hours(v)

    @field_validator("holidays")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is not None and v.strip().lower() not in ("", "none") and v.strip().upper() not in _supported_countries():
            raise problem("bad_holiday_country", f"unknown holiday country '{v}': use an ISO code such as JP or US, or none", value=v)
        return v

    @field_validator("extra_holidays")
    @classmethod
    def _extra(cls, v: list[str]) -> list[str]:
        for spec in v:
            try:
                _ExtraHolidays.parse([spec])
            except ValueError:
                raise problem("bad_extra_holiday", f"bad extra holiday '{spec}': use MM-DD, YYYY-MM-DD or a range like 12-29..01-03", value=str(spec)) from None
        return v


def hours(v: str) -> str:
    """"09:00-18:00" (local hours; "22:00-06:00" crosses midnight)."""
    try:
        _parse_hours(v)
    except (ValueError, AttributeError):
        raise problem("bad_hours", f"bad hours '{v}': use HH:MM-HH:MM, e.g. 09:00-18:00", value=str(v)) from None
    return v


class AwayPeriod(_Model):
    from_: date = Field(alias="from", examples=["2026-12-24"])
    to: date = Field(examples=["2027-01-05"])

    @model_validator(mode="after")
    def _ordered(self) -> AwayPeriod:
        if self.to < self.from_:
            raise problem("dates_reversed", "'to' is before 'from'")
        return self


class Person(_Model):
    id: str = Field(examples=["tanaka"])
    name: str = Field(examples=["田中 彩"])
    slack_id: str = Field(pattern=r"^[UW][A-Z0-9]{2,}$", examples=["U0ISE0001"])
    roles: list[Role] = Field(min_length=1, examples=["[is_rep]"])
    capacity: int | None = Field(None, ge=1, description="most open MQLs this rep holds at once", examples=["25"])
    away: list[AwayPeriod] | bool = Field(False, examples=["[{from: 2026-12-24, to: 2027-01-05}]"])
    locale: Locale | None = Field(None, examples=["en"])
    timezone: str | None = Field(None, examples=["America/Los_Angeles"])

    _tz = field_validator("timezone")(zone)

    def is_away_on(self, day: date) -> bool:
        if isinstance(self.away, bool):
            return self.away
        return any(p.from_ <= day <= p.to for p in self.away)

    @property
    def is_manager(self) -> bool:
        return bool(MANAGER_ROLES.intersection(self.roles))


class Team(_Model):
    id: str = Field(examples=["is_enterprise"])
    name: str = Field(examples=["IS エンタープライズ"])
    function: TeamFunction = Field(examples=["inside_sales"])
    channel: str = Field(pattern=r"^[CGD][A-Z0-9]{2,}$", examples=["C0IS0ENTERPRISE"])
    manager: str | None = Field(None, examples=["sato"])
    members: list[str] = Field([], examples=["[tanaka, suzuki, takahashi]"])
    calendar: str | None = Field(None, examples=["tokyo_office"])
    locale: Locale | None = Field(None, examples=["en"])


class AttributeRule(_Model):
    label: str = Field(examples=["従業員1000名以上"])
    when: dict[str, Any] = Field(examples=["{employees: {gte: 1000}}"])
    points: int = Field(examples=["25"])

    _check = field_validator("when", mode="before")(_condition)


class BehaviourRule(_Model):
    label: str = Field(examples=["料金ページ閲覧"])
    activity: str = Field(examples=["pricing_view"])
    points: int = Field(examples=["10"])
    max_count: int | None = Field(None, ge=1, examples=["3"])


class Scoring(_Model):
    threshold: int = Field(examples=["60"])
    behaviour_half_life: Duration | None = Field(None, examples=["30d"])
    attributes: list[AttributeRule] = Field([], examples=["[{label: 従業員1000名以上, when: {employees: {gte: 1000}}, points: 25}]"])
    behaviours: list[BehaviourRule] = Field([], examples=["[{label: デモ依頼, activity: demo_request, points: 50}]"])

    _dur = field_validator("behaviour_half_life", mode="before")(optional_duration)


class RoutingRule(_Model):
    label: str | None = Field(None, examples=["エンタープライズ"])
    when: dict[str, Any] = Field({}, examples=["{region: {in: [関東, 東京都]}, employees: {gte: 100}}"])
    team: str = Field(examples=["is_enterprise"])
    mode: Literal["round_robin", "claim"] = Field("round_robin", examples=["claim"])

    _check = field_validator("when", mode="before")(_condition)


class Routing(_Model):
    rules: list[RoutingRule] = Field(min_length=1, examples=["[{label: エンタープライズ, when: {employees: {gte: 500}}, team: is_enterprise}]"])


class Burst(_Model):
    threshold: int = Field(5, ge=1, examples=["5"])
    window: Duration = Field(Duration(seconds=600), examples=["10m"])

    _dur = field_validator("window", mode="before")(_duration)


class RejectReason(_Model):
    id: str = Field(pattern=r"^[a-z0-9_]+$", examples=["no_interest_now"])
    action: Literal["recycle", "close"] = Field(examples=["recycle"])
    recycle_after: Duration | None = Field(None, examples=["90d"])
    note_required: bool = Field(False, examples=["true"])

    _dur = field_validator("recycle_after", mode="before")(optional_duration)

    @model_validator(mode="after")
    def _recycle_needs_date(self) -> RejectReason:
        if self.action == "recycle" and self.recycle_after is None:
            raise problem("recycle_needs_after", "a 'recycle' reason needs 'recycle_after' (e.g. 90d)")
        return self


DEFAULT_REJECT_REASONS = [
    RejectReason(id="not_a_fit", action="recycle", recycle_after=Duration(days=180)),
    RejectReason(id="no_interest_now", action="recycle", recycle_after=Duration(days=90)),
    RejectReason(id="bad_contact", action="recycle", recycle_after=Duration(days=30)),
    RejectReason(id="competitor", action="recycle", recycle_after=Duration(days=180)),
    RejectReason(id="duplicate", action="close"),
    RejectReason(id="spam", action="close"),
    RejectReason(id="other", action="recycle", recycle_after=Duration(days=90), note_required=True),
]


class MqlDecision(_Model):
    """`mql:` — how an MQL is decided (Accept → SAL / Reject → recycle or close)."""

    who_may_decide: Literal["team", "assignee"] = Field("team", examples=["assignee"])
    burst: Burst = Field(Burst(), examples=["{threshold: 5, window: 10m}"])
    reject_reasons: list[RejectReason] = Field(default_factory=lambda: list(DEFAULT_REJECT_REASONS), min_length=1, examples=["[{id: not_a_fit, action: recycle, recycle_after: 180d}, {id: spam, action: close}]"])

    def reason(self, reason_id: str) -> RejectReason | None:
        return next((r for r in self.reject_reasons if r.id == reason_id), None)


class SlaPolicy(_Model):
    label: str | None = Field(None, examples=["デモ依頼"])
    when: dict[str, Any] = Field({}, examples=["{activity: demo_request}"])
    within: Duration = Field(examples=["30m"])

    _check = field_validator("when", mode="before")(_condition)
    _dur = field_validator("within", mode="before")(_duration)


class SlaClock(_Model):
    warn_at: float = Field(0.75, gt=0, lt=1, examples=["0.75"])
    escalate_to_manager: bool = Field(True, examples=["true"])
    reassign_after_breach: Duration | None = Field(None, examples=["2h"])
    policies: list[SlaPolicy] = Field(min_length=1, examples=["[{label: デモ依頼, when: {activity: demo_request}, within: 30m}, {label: 標準, within: 1d}]"])

    _dur = field_validator("reassign_after_breach", mode="before")(optional_duration)


class Sla(_Model):
    mql_response: SlaClock = Field(SlaClock(policies=[SlaPolicy(within=Duration(seconds=4 * 3600))]), examples=["{warn_at: 0.75, policies: [{within: 4h}]}"])


class ApiKey(_Model):
    """A REST API key: its value comes from the environment variable `env`, never from this file."""

    name: str = Field(examples=["hubspot"])
    env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", examples=["BATON_API_KEY_HUBSPOT"])
    scope: Literal["read", "write"] = Field("write", examples=["read"])


class AppConfig(_Model):
    company: Company
    calendars: dict[str, CalendarConfig] = {}
    people: list[Person] = Field(min_length=1)
    teams: list[Team] = Field(min_length=1)
    scoring: Scoring
    routing: Routing
    mql: MqlDecision = MqlDecision()
    sla: Sla = Sla()
    relay: RelayConfig = RelayConfig()
    pipeline: PipelineConfig = PipelineConfig()
    forecast: ForecastConfig = ForecastConfig()
    success: SuccessConfig = SuccessConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    api_keys: list[ApiKey] = []
    webhooks: list[Webhook] = []
    inbound: dict[str, InboundSource] = {}
    links: RecordLinks = Field(RecordLinks(), description="Where each record lives in the CRM: with a URL pattern for a record type, cards, DMs and App Home entries showing such a record link to it (replies in a card's thread do not repeat it); none, no link.")

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    @model_validator(mode="after")
    def _cross_references(self) -> AppConfig:
        issues = cross_references(self)
        if issues:  # one error carrying every finding, each with its own path (located by parse_config)
            raise PydanticCustomError("baton", "; ".join(map(str, issues)).replace("{", "(").replace("}", ")"), {"key": "issues", "issues": tuple(issues)})
        return self

    # -- lookups used everywhere (config is frozen, so these are cached) --------------------------
    @cached_property
    def _people_by_id(self) -> dict[str, Person]:
        return {p.id: p for p in self.people}

    @cached_property
    def _people_by_slack(self) -> dict[str, Person]:
        return {p.slack_id: p for p in self.people}

    @cached_property
    def _teams_by_id(self) -> dict[str, Team]:
        return {t.id: t for t in self.teams}

    @cached_property
    def _calendars(self) -> dict[str, BusinessCalendar]:
        return {}

    def person(self, person_id: str | None) -> Person | None:
        return self._people_by_id.get(person_id or "")

    def person_by_slack(self, slack_id: str | None) -> Person | None:
        return self._people_by_slack.get(slack_id or "")

    def team(self, team_id: str | None) -> Team | None:
        return self._teams_by_id.get(team_id or "")

    def teams_of(self, person_id: str) -> list[Team]:
        return [t for t in self.teams if person_id in t.members or t.manager == person_id]

    def calendar(self, name: str | None) -> BusinessCalendar:
        """The business calendar by name; a team without one uses the company zone, Mon–Fri 9–18, JP holidays."""
        key = name or ""
        cal = self._calendars.get(key)
        if cal is None:
            cfg = self.calendars.get(name) if name else None
            if cfg is None:
                cal = BusinessCalendar.from_config(timezone=self.company.timezone)
            else:
                cal = BusinessCalendar.from_config(
                    timezone=cfg.timezone or self.company.timezone,
                    working_days=tuple(cfg.working_days),
                    hours=cfg.hours,
                    holidays=cfg.holidays,
                    extra_holidays=tuple(cfg.extra_holidays),
                    mode=cfg.mode,
                )
            self._calendars[key] = cal
        return cal

    def team_calendar(self, team_id: str | None) -> BusinessCalendar:
        team = self.team(team_id)
        return self.calendar(team.calendar if team else None)

    def teams_by_function(self, function: str) -> list[Team]:
        return [t for t in self.teams if t.function == function]

    def fs_team(self) -> Team | None:
        """The Field Sales team that receives hand-offs (pipeline.fs_team, else the first FS team)."""
        return self.team(self.pipeline.fs_team) or next(iter(self.teams_by_function("field_sales")), None)

    def cs_team(self) -> Team | None:
        """The Customer Success team (success.cs_team, else the first customer_success team)."""
        return self.team(self.success.cs_team) or next(iter(self.teams_by_function("customer_success")), None)

    def locale_of(self, team_id: str | None = None) -> str:
        team = self.team(team_id)
        return (team.locale if team and team.locale else None) or self.company.locale


def _duplicates(values: list[str]) -> list[str]:
    return sorted({v for v in values if values.count(v) > 1})


def cross_references(config: AppConfig) -> list[Issue]:
    """Ids that point nowhere and duplicates, over the whole file (each section checks its own)."""
    out: list[Issue] = []
    people, team_ids = [p.id for p in config.people], [t.id for t in config.teams]
    if dupes := _duplicates(people):
        out.append(Issue("people", "duplicate_id", {"ids": ", ".join(dupes)}, f"duplicate id {dupes}"))
    if dupes := _duplicates([p.slack_id for p in config.people]):
        out.append(Issue("people", "duplicate_slack_id", {"ids": ", ".join(dupes)}, "two people share a slack_id"))
    if dupes := _duplicates(team_ids):
        out.append(Issue("teams", "duplicate_id", {"ids": ", ".join(dupes)}, "duplicate team id"))
    for t in config.teams:
        out += [unknown_id(f"teams.{t.id}.members", "person", m, people) for m in t.members if m not in people]
        if t.manager and t.manager not in people:
            out.append(unknown_id(f"teams.{t.id}.manager", "person", t.manager, people))
        if t.calendar and t.calendar not in config.calendars:
            out.append(unknown_id(f"teams.{t.id}.calendar", "calendar", t.calendar, list(config.calendars)))
    for i, r in enumerate(config.routing.rules):
        if r.team not in team_ids:
            out.append(unknown_id(f"routing.rules[{i}].team", "team", r.team, team_ids))
    for section, check in SECTION_CHECKS.items():
        out += [issue.under(section) for issue in check(getattr(config, section), config)]
    return out


@dataclass(frozen=True)
class _Ref:
    id: str


class _Ids:
    """What the section checks ask of a config (`team(id)`, `person(id)`, `teams`, `people`), read
    from the raw file: a section's ids are checked even while another part of the file does not validate."""

    def __init__(self, data: dict[str, Any]):
        self.people, self.teams = ([_Ref(str(x["id"])) for x in data.get(k) or [] if isinstance(x, dict) and "id" in x] if isinstance(data.get(k), list) else [] for k in ("people", "teams"))

    def team(self, team_id: str | None) -> _Ref | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def person(self, person_id: str | None) -> _Ref | None:
        return next((p for p in self.people if p.id == person_id), None)


def _section_issues(data: dict[str, Any], failed: set[Any]) -> list[Issue]:
    """The section checks of every section that validates on its own (the whole file did not)."""
    ids, out = _Ids(data), []
    for section, check in SECTION_CHECKS.items():
        if section in failed:
            continue
        field = AppConfig.model_fields[section]
        try:
            value = TypeAdapter(field.annotation).validate_python(data[section]) if section in data else field.get_default(call_default_factory=True)
            out += [issue.under(section) for issue in check(value, ids)]
        except (ValidationError, AttributeError, TypeError):  # its own problems are reported already
            continue
    return out


class ConfigError(Exception):
    """Every problem of a config file, each naming its key path and line."""

    def __init__(self, path: str, problems: list[str | Problem], locale: str | None = None):
        self.path = path
        self.items = [p if isinstance(p, Problem) else Problem("", None, "plain", {"text": p}, p) for p in problems]
        self.problems = [str(p) for p in self.items]
        self.locale = locale  # the company's, when the file says it (check-config speaks it)
        super().__init__(f"{path}: " + "; ".join(self.problems))

    def __str__(self) -> str:
        return "\n".join([f"{self.path}: {len(self.problems)} problem(s)"] + [f"  - {p}" for p in self.problems])


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that remembers the line of every key path, so errors can point at the file."""


def _load_with_lines(text: str) -> tuple[Any, dict[tuple, int]]:
    lines: dict[tuple, int] = {}
    node = yaml.compose(text, Loader=_LineLoader)
    if node is None:
        return None, lines

    def walk(n: yaml.Node, path: tuple) -> None:
        lines.setdefault(path, n.start_mark.line + 1)  # a key's own line, not its value's first line
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = k.value
                lines[path + (key,)] = k.start_mark.line + 1
                walk(v, path + (key,))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, path + (i,))

    walk(node, ())
    return yaml.load(text, Loader=yaml.SafeLoader), lines


def _line_for(loc: tuple, lines: dict[tuple, int]) -> int | None:
    loc = tuple("from" if p == "from_" else p for p in loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _where(loc: tuple) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out or "(top level)"


# Keys that had another name: the old name is refused with the new one (docs/configuration.md).
RENAMED: dict[tuple, str] = {
    ("handoff",): "mql",  # the MQL Accept/Reject settings; "hand-off" is IS → FS (relay:)
}


def parse_config(text: str, path: str = "app.yaml") -> AppConfig:
    try:
        data, lines = _load_with_lines(text)
    except (TypeError, RecursionError):  # a complex key (`? [a, b]`) or a self-referencing alias
        raise ConfigError(path, [Problem("", None, "not_yaml", {"line": "?"}, "not valid YAML")], _locale_in(text)) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark else None
        english = f"not valid YAML near line {line}" if line else "not valid YAML"
        raise ConfigError(path, [Problem("", None, "not_yaml", {"line": line or "?"}, english)], _locale_in(text)) from None
    if not isinstance(data, dict):
        raise ConfigError(path, [Problem("", None, "not_mapping", {}, "the file must be a mapping with company, people, teams, scoring, routing …")], _locale_in(text))
    locale = _raw_locale(data)
    # Ids that point nowhere, from the file itself: reported with the schema's problems, on their own line.
    refs = [Problem(_where(loc), _line_for(loc, lines), key, values, english) for loc, key, values, english in config_checks.references(data)]
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as e:
        problems = [*refs]
        failed: set[Any] = set()
        for err in e.errors():
            loc = config_checks.data_loc(err["loc"], data)
            ctx = err.get("ctx") or {}
            if not loc and ctx.get("key") == "issues":  # the whole-file checks: each located by its own path
                problems += config_checks.located(ctx["issues"], data, lines)
                continue
            failed.add(loc[0] if loc else None)
            if len(loc) < len([p for p in err["loc"] if not str(p).startswith("function-")]) and any(p.where.startswith(_where(loc)) for p in problems):
                continue  # a union (away: list | bool): its first member's complaint is enough
            problems.append(config_checks.from_pydantic(err, loc, _line_for(loc, lines), _where(loc), RENAMED.get(loc), AppConfig))
        if failed:  # the whole-file checks did not run: each section that validates still checks its ids
            problems += config_checks.located(_section_issues(data, failed), data, lines)
        raise ConfigError(path, _once(problems), locale) from None
    except Exception as e:  # a validator that failed in an unexpected way: still one line, no traceback
        raise ConfigError(path, [*refs, Problem("", None, "unexpected", {"detail": type(e).__name__}, f"could not check: {type(e).__name__}")], locale) from None
    if refs:
        raise ConfigError(path, refs, locale)
    return config


def _once(problems: list[Problem]) -> list[Problem]:
    """One line per place and kind of mistake (two checks may find the same one)."""
    seen: dict[tuple[str, str], Problem] = {}
    for p in problems:
        seen.setdefault((p.where, p.key), p)
    return sorted(seen.values(), key=lambda p: (p.line is None, p.line or 0))  # in the file's order


def _locale_in(text: str) -> str | None:
    """The company locale of a file that cannot be parsed (so its errors are still in that language)."""
    m = re.search(r"\blocale:\s*[\"']?(ja|en)\b", text)
    return m.group(1) if m else None


def _raw_locale(data: dict[str, Any]) -> str | None:
    company = data.get("company")
    locale = company.get("locale") if isinstance(company, dict) else None
    return locale if locale in ("ja", "en") else None


def load_config(path: str | os.PathLike[str] | None = None) -> AppConfig:
    p = Path(path or os.environ.get("BATON_CONFIG") or "app.yaml")
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(str(p), [Problem("", None, "cannot_read", {}, f"cannot read: {e.strerror}")]) from None
    except UnicodeDecodeError:  # e.g. saved as Shift_JIS
        raise ConfigError(str(p), [Problem("", None, "not_utf8", {}, "the file is not UTF-8")]) from None
    return parse_config(text, str(p))


# -- the environment: secrets and deployment settings, never in app.yaml -----------------------------
SLACK_DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = SLACK_DEFAULT_API_URL
    database_url: str = "sqlite+aiosqlite:///baton.db"
    config_path: str = "app.yaml"
    api_token: str | None = None
    # Slack allows ~1 chat.postMessage per second per channel; tests and the sandbox raise it.
    per_channel_per_second: float = 1.0
    # How often a follower process tries to take over the scheduler (bounds fail-over time).
    leader_retry_seconds: float = 5.0
    # The largest HTTP body accepted (Slack requests and the REST API); larger ones get 413.
    max_body_bytes: int = 4 * 1024 * 1024

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        api_url = env.get("SLACK_API_URL") or SLACK_DEFAULT_API_URL
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            database_url=normalise_database_url(env.get("DATABASE_URL") or "sqlite:///baton.db"),
            config_path=env.get("BATON_CONFIG") or "app.yaml",
            api_token=env.get("BATON_API_TOKEN") or None,
            per_channel_per_second=float(env.get("BATON_CHANNEL_RATE") or 1.0),
            leader_retry_seconds=float(env.get("BATON_LEADER_RETRY_SECONDS") or 5.0),
            max_body_bytes=int(env.get("BATON_MAX_BODY_BYTES") or 4 * 1024 * 1024),
        )


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://, sqlite:///) and pick the async drivers."""
    for prefix, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(prefix):
            return driver + url[len(prefix):]
    return url
