"""`notifications:` — per-kind defaults, quiet hours, channel locales (issue 8)."""

from __future__ import annotations

from bot.config_sections.base import Section


class NotificationsConfig(Section):
    pass
