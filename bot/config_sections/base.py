"""Shared pieces for section models: the strict base and the duration/condition field parsers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from bot.calendar import Duration, parse_duration
from bot.rules import check_condition


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def problem(key: str, english: str, **values: str) -> PydanticCustomError:
    """A validation error check-config can say in the company's words: `cli.config.<key>` with
    `values` (the English text is for logs and `ConfigError.problems`)."""
    return PydanticCustomError("baton", english.replace("{", "(").replace("}", ")"), {"key": key, **values})


def duration(v: Any) -> Duration:
    return v if isinstance(v, Duration) else parse_duration(str(v))


def optional_duration(v: Any) -> Duration | None:
    return None if v is None else duration(v)


def condition(v: Any) -> dict[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise ValueError("a condition must be a mapping of field: test")
    check_condition(v)
    return v
