"""Shared helpers for notification subscribers: who is who in Slack, which locale and zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.config import AppConfig


def slack_id(config: AppConfig, person_id: str | None) -> str | None:
    p = config.person(person_id)
    return p.slack_id if p else None


def team_locale_tz(config: AppConfig, team_id: str | None) -> tuple[str, ZoneInfo]:
    return config.locale_of(team_id), config.team_calendar(team_id).tz


def person_locale(config: AppConfig, person_id: str | None, team_id: str | None = None) -> str:
    p = config.person(person_id)
    return (p.locale if p and p.locale else None) or config.locale_of(team_id)


def people_view(config: AppConfig, ids: list[str | None]) -> list[dict[str, Any]]:
    return [{"id": i, "slack_id": slack_id(config, i), "name": (config.person(i).name if config.person(i) else i)} for i in ids]
