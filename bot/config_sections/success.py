"""`success:` — health score, drop alerts, renewals, upsell, churn (issue 7)."""

from __future__ import annotations

from bot.config_sections.base import Section


class SuccessConfig(Section):
    pass
