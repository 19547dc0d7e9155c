"""Shared pieces for section models: the strict base, the field parsers (durations, conditions,
time zones, periods) and `problem` / `Issue`, the two ways a check names a mistake so check-config
can say it in the company's language (`cli.config.<key>`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from bot.calendar import Duration, parse_duration
from bot.config_checks import suggest
from bot.periods import parse_period
from bot.rules import OPERATORS, unknown_operators


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def problem(key: str, english: str, **values: Any) -> PydanticCustomError:
    """A validation error check-config can say in the company's words: `cli.config.<key>` with
    `values` (the English text is for logs and `ConfigError.problems`)."""
    return PydanticCustomError("baton", english.replace("{", "(").replace("}", ")"), {"key": key, **values})


@dataclass(frozen=True)
class Issue:
    """A finding of a whole-file check (ids pointing nowhere, duplicates …): the dotted path inside
    the file, `cli.config.<key>` with its values, and the English for logs and tests."""

    path: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)
    text: str = ""

    def under(self, prefix: str) -> Issue:
        path = f"{prefix}.{self.path}" if self.path and not self.path.startswith("[") else prefix + self.path
        return Issue(path, self.key, self.values, self.text)

    def __str__(self) -> str:
        return f"{self.path}: {self.text}"


def unknown_id(path: str, what: str, value: Any, known: Any) -> Issue:
    """`what` is person, team, calendar or measure: 'unknown <what> 'x'' with a "did you mean"."""
    hint = suggest(value, known)
    english = f"unknown {what} '{value}'" + (f" (did you mean '{hint}'?)" if hint else "")
    return Issue(path, f"unknown_{what}", {"id": str(value), "hint": hint}, english)


def duration(v: Any) -> Duration:
    if isinstance(v, Duration):
        return v
    try:
        return parse_duration(str(v))
    except ValueError:
        raise problem("bad_duration", f"bad duration '{v}': use e.g. 90s, 30m, 4h, 2d", value=str(v)) from None


def optional_duration(v: Any) -> Duration | None:
    return None if v is None else duration(v)


def condition(v: Any) -> dict[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise problem("condition_mapping", "a condition must be a mapping of field: test", value=v if isinstance(v, (str, int, float)) else "")
    for name, op in unknown_operators(v):
        known = ", ".join(OPERATORS)
        raise problem(
            "unknown_operator", f"unknown operator '{op}' for field '{name}' (use one of: {known})",
            op=str(op), field=str(name), known=known, hint=suggest(op, OPERATORS),
        )  # fmt: skip
    return v


def zone(v: Any) -> Any:
    """An IANA time zone name (Asia/Tokyo); a misspelt one gets the closest real one."""
    if v is None:
        return v
    try:
        ZoneInfo(str(v))
    except Exception:  # ZoneInfoNotFoundError, ValueError for odd paths …
        raise problem("bad_timezone", f"unknown timezone '{v}': use an IANA name such as Asia/Tokyo", value=str(v), hint=suggest(v, available_timezones())) from None
    return v


def period(v: Any) -> Any:
    try:
        parse_period(v)
    except ValueError:
        raise problem("bad_period", f"bad period '{v}': use 2026-11, FY2026-Q3 or FY2026", value=str(v)) from None
    return v
