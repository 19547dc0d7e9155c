"""`app.yaml` (what the RevOps admin edits) and the environment (secrets), validated on load.

Errors name the key path and the line in the file, and the bot refuses to start on any of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.calendar import BusinessCalendar, Duration, parse_duration
from bot import config_checks
from bot.config_checks import Problem
from bot.config_sections import forecast, integrations, notifications, pipeline, relay, success
from bot.config_sections.forecast import ForecastConfig
from bot.config_sections.integrations import InboundSource, RecordLinks, Webhook
from bot.config_sections.notifications import NotificationsConfig
from bot.config_sections.pipeline import PipelineConfig
from bot.config_sections.relay import RelayConfig
from bot.config_sections.success import SuccessConfig
from bot.rules import check_condition

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


def _duration(v: Any) -> Duration:
    if isinstance(v, Duration):
        return v
    return parse_duration(str(v))


def _condition(v: Any) -> dict[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise ValueError("a condition must be a mapping of field: test")
    check_condition(v)
    return v


class Company(_Model):
    name: str
    locale: Locale = "ja"
    timezone: str = "Asia/Tokyo"
    currency: str = "JPY"
    fiscal_year_start_month: int = Field(4, ge=1, le=12)
    # Facts given with a business time (a close date, `occurred_at`) before this day are refused.
    earliest_date: date | None = None
    # How far ahead of Baton's clock a sender's business time may be (its clock may run fast).
    clock_skew_minutes: int = Field(10, ge=0, le=1440)


class CalendarConfig(_Model):
    mode: Literal["business", "24x7"] = "business"
    timezone: str | None = None
    working_days: list[str] = ["mon", "tue", "wed", "thu", "fri"]
    hours: str = "09:00-18:00"
    holidays: str | None = "JP"
    extra_holidays: list[str] = []


class AwayPeriod(_Model):
    from_: date = Field(alias="from")
    to: date

    @model_validator(mode="after")
    def _ordered(self) -> AwayPeriod:
        if self.to < self.from_:
            raise ValueError("'to' is before 'from'")
        return self


class Person(_Model):
    id: str
    name: str
    slack_id: str = Field(pattern=r"^[UW][A-Z0-9]{2,}$")
    roles: list[Role] = Field(min_length=1)
    capacity: int | None = Field(None, ge=1, description="most open MQLs this rep holds at once")
    away: list[AwayPeriod] | bool = False
    locale: Locale | None = None
    timezone: str | None = None

    def is_away_on(self, day: date) -> bool:
        if isinstance(self.away, bool):
            return self.away
        return any(p.from_ <= day <= p.to for p in self.away)

    @property
    def is_manager(self) -> bool:
        return bool(MANAGER_ROLES.intersection(self.roles))


class Team(_Model):
    id: str
    name: str
    function: TeamFunction
    channel: str = Field(pattern=r"^[CGD][A-Z0-9]{2,}$")
    manager: str | None = None
    members: list[str] = []
    calendar: str | None = None
    locale: Locale | None = None


class AttributeRule(_Model):
    label: str
    when: dict[str, Any]
    points: int

    _check = field_validator("when", mode="before")(_condition)


class BehaviourRule(_Model):
    label: str
    activity: str
    points: int
    max_count: int | None = Field(None, ge=1)


class Scoring(_Model):
    threshold: int
    behaviour_half_life: Duration | None = None
    attributes: list[AttributeRule] = []
    behaviours: list[BehaviourRule] = []

    _dur = field_validator("behaviour_half_life", mode="before")(lambda v: None if v is None else _duration(v))


class RoutingRule(_Model):
    label: str | None = None
    when: dict[str, Any] = {}
    team: str
    mode: Literal["round_robin", "claim"] = "round_robin"

    _check = field_validator("when", mode="before")(_condition)


class Routing(_Model):
    rules: list[RoutingRule] = Field(min_length=1)


class Burst(_Model):
    threshold: int = Field(5, ge=1)
    window: Duration = Duration(seconds=600)

    _dur = field_validator("window", mode="before")(_duration)


class RejectReason(_Model):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    action: Literal["recycle", "close"]
    recycle_after: Duration | None = None
    note_required: bool = False

    _dur = field_validator("recycle_after", mode="before")(lambda v: None if v is None else _duration(v))

    @model_validator(mode="after")
    def _recycle_needs_date(self) -> RejectReason:
        if self.action == "recycle" and self.recycle_after is None:
            raise ValueError("a 'recycle' reason needs 'recycle_after' (e.g. 90d)")
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

    who_may_decide: Literal["team", "assignee"] = "team"
    burst: Burst = Burst()
    reject_reasons: list[RejectReason] = Field(default_factory=lambda: list(DEFAULT_REJECT_REASONS), min_length=1)

    def reason(self, reason_id: str) -> RejectReason | None:
        return next((r for r in self.reject_reasons if r.id == reason_id), None)


class SlaPolicy(_Model):
    label: str | None = None
    when: dict[str, Any] = {}
    within: Duration

    _check = field_validator("when", mode="before")(_condition)
    _dur = field_validator("within", mode="before")(_duration)


class SlaClock(_Model):
    warn_at: float = Field(0.75, gt=0, lt=1)
    escalate_to_manager: bool = True
    reassign_after_breach: Duration | None = None
    policies: list[SlaPolicy] = Field(min_length=1)

    _dur = field_validator("reassign_after_breach", mode="before")(lambda v: None if v is None else _duration(v))


class Sla(_Model):
    mql_response: SlaClock = SlaClock(policies=[SlaPolicy(within=Duration(seconds=4 * 3600))])


class ApiKey(_Model):
    """A REST API key: its value comes from the environment variable `env`, never from this file."""

    name: str
    env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    scope: Literal["read", "write"] = "write"


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
        problems: list[str] = []
        ids = [p.id for p in self.people]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            problems.append(f"people: duplicate id {sorted(dupes)}")
        slack_ids = [p.slack_id for p in self.people]
        if len(set(slack_ids)) != len(slack_ids):
            problems.append("people: two people share a slack_id")
        known = set(ids)
        team_ids = [t.id for t in self.teams]
        if len(set(team_ids)) != len(team_ids):
            problems.append("teams: duplicate team id")
        for t in self.teams:
            for m in t.members:
                if m not in known:
                    problems.append(f"teams.{t.id}.members: unknown person '{m}'")
            if t.manager and t.manager not in known:
                problems.append(f"teams.{t.id}.manager: unknown person '{t.manager}'")
            if t.calendar and t.calendar not in self.calendars:
                problems.append(f"teams.{t.id}.calendar: unknown calendar '{t.calendar}'")
        for i, r in enumerate(self.routing.rules):
            if r.team not in team_ids:
                problems.append(f"routing.rules[{i}].team: unknown team '{r.team}'")
        for name in self.calendars:
            try:
                self.calendar(name)
            except ValueError as e:
                problems.append(f"calendars.{name}: {e}")
        for section, check in SECTION_CHECKS.items():
            problems += [f"{section}.{p}" for p in check(getattr(self, section), self)]
        if problems:
            raise ValueError("; ".join(problems))
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
    except yaml.YAMLError as e:
        raise ConfigError(path, [Problem("", None, "not_yaml", {"detail": str(e)}, f"not valid YAML: {e}")]) from None
    if not isinstance(data, dict):
        raise ConfigError(path, [Problem("", None, "not_mapping", {}, "the file must be a mapping with company, people, teams, scoring, routing …")])
    locale = _raw_locale(data)
    # Ids that point nowhere, from the file itself: reported with the schema's problems, on their own line.
    refs = [Problem(_where(loc), _line_for(loc, lines), key, values, english) for loc, key, values, english in config_checks.references(data)]
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as e:
        problems = [*refs]
        for err in e.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            # pydantic reports union members separately (e.g. away: list | bool); the first is enough.
            loc = tuple(p for p in loc if p not in ("list[AwayPeriod]", "bool"))
            if not loc and err["type"] == "value_error":  # the whole-file checks: each located by its own path
                problems += [p for p in config_checks.located(err["msg"].removeprefix("Value error, "), data, lines) if p.key != "reference"]
                continue
            problems.append(config_checks.from_pydantic(err, loc, _line_for(loc, lines), _where(loc), RENAMED.get(loc), AppConfig))
        raise ConfigError(path, list({str(p): p for p in problems}.values()), locale) from None
    except Exception as e:  # a validator that failed in an unexpected way: still one line, no traceback
        raise ConfigError(path, [*refs, Problem("", None, "unexpected", {"detail": type(e).__name__}, f"could not check: {type(e).__name__}")], locale) from None
    if refs:
        raise ConfigError(path, refs, locale)
    return config


def _raw_locale(data: dict[str, Any]) -> str | None:
    company = data.get("company")
    locale = company.get("locale") if isinstance(company, dict) else None
    return locale if locale in ("ja", "en") else None


def load_config(path: str | os.PathLike[str] | None = None) -> AppConfig:
    p = Path(path or os.environ.get("BATON_CONFIG") or "app.yaml")
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(str(p), [f"cannot read: {e.strerror}"]) from None
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
