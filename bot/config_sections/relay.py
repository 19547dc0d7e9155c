"""`relay:` — SAL → SQL qualification, the FS hand-off and the recycle loop (issue 4)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from bot.calendar import Duration
from bot.config_sections.base import Issue, Section, duration, problem, unknown_id

NEXT_FISCAL_YEAR = "next_fiscal_year"


class SendBackReason(Section):
    """Why FS sends a hand-off back: to the IS owner as an SAL again, or into the loop for N days."""

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="The reason's id (lowercase, digits, _), shown with its label from the catalogue (relay.sendback.<id>).", examples=["no_budget"])
    action: Literal["back_to_sal", "recycle"] = Field("back_to_sal", description="back_to_sal: the lead returns to its IS owner as an SAL; recycle: it enters the recycle loop.", examples=["recycle"])
    recycle_days: int | None = Field(None, ge=1, le=3650, description="With action recycle: days until the lead is due for another approach.", examples=["180"])


class RelayConfig(Section):
    fs_team: str | None = Field(None, description="The FS team that receives SQL hand-offs (default: pipeline.fs_team, else the first field_sales team).", examples=["field_sales"])
    handoff_within: Duration = Field(Duration(seconds=8 * 3600), description="Business time (team calendar) for the FS rep to accept or send back a hand-off, e.g. 8h.", examples=["1d"])
    handoff_warn_at: float = Field(0.75, gt=0, lt=1, description="Share of handoff_within after which the FS rep is warned (0–1, e.g. 0.75).", examples=["0.75"])
    escalate_to_manager: bool = Field(True, description="On a hand-off breach, DM the FS team's manager with working Accept / Send back buttons.", examples=["true"])
    sal_reminder_after_days: int = Field(5, ge=1, le=365, description="An SAL with no progress this many days: its owner is reminded in the card's thread.", examples=["5"])
    sal_reminder_hour: int = Field(9, ge=0, le=23, description="Hour of the day (team zone) the SAL reminders go out.", examples=["9"])
    nudge_hour: int = Field(9, ge=0, le=23, description="Hour (team zone, working days) of the daily recycle nudge in each IS / marketing channel.", examples=["9"])
    nudge_minute: int = Field(30, ge=0, le=59, description="Minute of the daily recycle nudge.", examples=["30"])
    nudge_max_items: int = Field(8, ge=1, le=15, description='Items shown in the nudge; the rest behind "Show all" (1–15).', examples=["8"])
    snooze_days: list[int] = Field(default_factory=lambda: [30, 60, 90], min_length=1, max_length=5, description="The choices of the nudge's Snooze menu, in days (a date on a non-working day moves to the next working day).", examples=["[30, 60, 90]"])
    # Lost deals: reason → days until re-approach, or "next_fiscal_year" (the customer's next FY start).
    lost_rules: dict[str, int | str] = Field(
        default_factory=lambda: {"timing": 90, "budget": NEXT_FISCAL_YEAR, "competitor": 180},
        description="Lost deal reason → days until re-approach, or next_fiscal_year (the next fiscal year start).", examples=["{timing: 90, budget: next_fiscal_year, competitor: 180}"],
    )
    lost_default_days: int = Field(90, ge=1, le=3650, description="Days until re-approach for a lost reason not in lost_rules.", examples=["90"])
    churn_days: int = Field(180, ge=1, le=3650, description="Days after a churn until the customer is due for another approach.", examples=["180"])
    sendback_reasons: list[SendBackReason] = Field(
        default_factory=lambda: [
            SendBackReason(id="not_qualified", action="back_to_sal"),
            SendBackReason(id="missing_info", action="back_to_sal"),
            SendBackReason(id="no_budget", action="recycle", recycle_days=180),
            SendBackReason(id="bad_timing", action="recycle", recycle_days=90),
        ],
        min_length=1,
        description="The reasons FS can give to send a hand-off back, and what each does.", examples=["[{id: not_qualified, action: back_to_sal}, {id: no_budget, action: recycle, recycle_days: 180}]"],
    )
    close_reasons: list[str] = Field(
        default_factory=lambda: ["no_longer_relevant", "do_not_contact", "duplicate", "other"], min_length=1,
        description="Reason ids offered when an item leaves the recycle loop for good (labels: relay.close_reasons.<id>).", examples=["[no_longer_relevant, do_not_contact, duplicate, other]"],
    )

    _dur = field_validator("handoff_within", mode="before")(duration)

    @field_validator("lost_rules")
    @classmethod
    def _rules(cls, v: dict[str, int | str]) -> dict[str, int | str]:
        for reason, rule in v.items():
            if isinstance(rule, str) and rule != NEXT_FISCAL_YEAR or isinstance(rule, int) and not 1 <= rule <= 3650:
                raise problem("lost_rule", f"lost_rules.{reason}: days between 1 and 3650 or '{NEXT_FISCAL_YEAR}'", reason=reason, value=str(rule))
        return v

    def sendback(self, reason_id: str) -> SendBackReason | None:
        return next((r for r in self.sendback_reasons if r.id == reason_id), None)


def problems(section: RelayConfig, config: Any) -> list[Issue]:
    if section.fs_team and not config.team(section.fs_team):
        return [unknown_id("fs_team", "team", section.fs_team, [t.id for t in config.teams])]
    return []
