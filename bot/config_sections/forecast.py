"""`forecast:` — periods, meetings, lock points, tolerance (issue 6)."""

from __future__ import annotations

from bot.config_sections.base import Section


class ForecastConfig(Section):
    pass
