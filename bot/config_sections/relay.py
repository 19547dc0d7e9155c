"""`relay:` — SAL → SQL qualification, the FS hand-off and the recycle loop (issue 4)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from bot.calendar import Duration
from bot.config_sections.base import Section, duration

NEXT_FISCAL_YEAR = "next_fiscal_year"


class SendBackReason(Section):
    """Why FS sends a hand-off back: to the IS owner as an SAL again, or into the loop for N days."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    action: str = Field("back_to_sal", pattern=r"^(back_to_sal|recycle)$")
    recycle_days: int | None = Field(None, ge=1, le=3650)


class RelayConfig(Section):
    fs_team: str | None = None  # FS team that receives SQL hand-offs (default: pipeline.fs_team / the first FS team)
    handoff_within: Duration = Duration(seconds=8 * 3600)  # business time for the FS rep to accept or send back
    handoff_warn_at: float = Field(0.75, gt=0, lt=1)
    escalate_to_manager: bool = True
    sal_reminder_after_days: int = Field(5, ge=1, le=365)  # an SAL without progress this long → its owner is reminded
    sal_reminder_hour: int = Field(9, ge=0, le=23)
    nudge_hour: int = Field(9, ge=0, le=23)
    nudge_minute: int = Field(30, ge=0, le=59)
    nudge_max_items: int = Field(8, ge=1, le=15)  # items shown in the daily nudge; the rest behind "show more"
    snooze_days: list[int] = Field(default_factory=lambda: [30, 60, 90], min_length=1, max_length=5)
    # Lost deals: reason → days until re-approach, or "next_fiscal_year" (the customer's next FY start).
    lost_rules: dict[str, int | str] = Field(
        default_factory=lambda: {"timing": 90, "budget": NEXT_FISCAL_YEAR, "competitor": 180}
    )
    lost_default_days: int = Field(90, ge=1, le=3650)
    churn_days: int = Field(180, ge=1, le=3650)
    sendback_reasons: list[SendBackReason] = Field(
        default_factory=lambda: [
            SendBackReason(id="not_qualified", action="back_to_sal"),
            SendBackReason(id="missing_info", action="back_to_sal"),
            SendBackReason(id="no_budget", action="recycle", recycle_days=180),
            SendBackReason(id="bad_timing", action="recycle", recycle_days=90),
        ],
        min_length=1,
    )
    close_reasons: list[str] = Field(
        default_factory=lambda: ["no_longer_relevant", "do_not_contact", "duplicate", "other"], min_length=1
    )

    _dur = field_validator("handoff_within", mode="before")(duration)

    @field_validator("lost_rules")
    @classmethod
    def _rules(cls, v: dict[str, int | str]) -> dict[str, int | str]:
        for reason, rule in v.items():
            if isinstance(rule, str) and rule != NEXT_FISCAL_YEAR:
                raise ValueError(f"lost_rules.{reason}: a number of days or '{NEXT_FISCAL_YEAR}'")
            if isinstance(rule, int) and not 1 <= rule <= 3650:
                raise ValueError(f"lost_rules.{reason}: days between 1 and 3650")
        return v

    def sendback(self, reason_id: str) -> SendBackReason | None:
        return next((r for r in self.sendback_reasons if r.id == reason_id), None)


def problems(section: RelayConfig, config: Any) -> list[str]:
    out = []
    if section.fs_team:
        team = config.team(section.fs_team)
        if team is None:
            out.append(f"fs_team: unknown team '{section.fs_team}'")
    return out
