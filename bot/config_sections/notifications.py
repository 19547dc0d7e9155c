"""`notifications:` — per-kind defaults, quiet hours, the personal digest (issue 8).

Every DM goes through `bot.notify.preferences.notify_person`, which reads these defaults and each
person's own choices (App Home).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from bot.calendar import _parse_hours  # noqa: PLC2701 - the one "HH:MM-HH:MM" parser
from bot.config_sections.base import Section

Mode = Literal["immediate", "digest", "off"]

# kind → the modes a person may choose (the first is the default unless app.yaml says otherwise).
# An SLA escalation to a manager cannot be switched off or delayed: it is the last safety net.
KINDS: dict[str, tuple[str, ...]] = {
    "new_mql": ("immediate", "digest", "off"),
    "sla_warning": ("immediate", "digest", "off"),
    "sla_escalation": ("immediate",),
    "handover": ("immediate", "digest"),
    "recycle_nudge": ("immediate", "digest", "off"),
    "digest": ("immediate", "off"),
    "forecast_prompt": ("immediate", "off"),
    "health_alert": ("immediate", "digest", "off"),
    "renewal": ("immediate", "digest", "off"),
    "bottleneck": ("immediate", "digest", "off"),
}

# Kinds whose moment is set in app.yaml (a prompt before a forecast meeting): sent at that moment,
# not held for working hours, and never rolled into a later digest.
TIMELY = frozenset({"forecast_prompt"})


class NotificationsConfig(Section):
    defaults: dict[str, Mode] = Field(
        default_factory=dict,
        description="Default mode per kind of DM (immediate | digest | off) for people who have not chosen one "
        f"in App Home. Kinds: {', '.join(KINDS)}. An SLA escalation to a manager is always immediate.",
    )
    working_hours: str = Field(
        "09:00-18:00",
        description="Quiet hours are outside these local hours (and on weekends / holidays of the company "
        "calendar): a DM waits for the person's working hours in their own time zone. A person may pick "
        "other hours in App Home.",
    )
    quiet_hour_choices: list[str] = Field(
        default_factory=lambda: ["08:00-17:00", "09:00-18:00", "10:00-19:00", "08:00-20:00"],
        description="The working-hours options offered in App Home.",
    )
    digest_time: str = Field(
        "08:30",
        description="When the personal daily digest (the DMs people chose to receive as a digest) is sent, "
        "HH:MM in the company time zone, on working days.",
    )

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        _parse_hours(v)
        return v

    @field_validator("quiet_hour_choices")
    @classmethod
    def _choices(cls, v: list[str]) -> list[str]:
        for h in v:
            _parse_hours(h)
        return v

    @field_validator("digest_time")
    @classmethod
    def _digest_time(cls, v: str) -> str:
        try:
            hh, mm = (int(x) for x in v.split(":"))
        except ValueError:
            raise ValueError("digest_time must be HH:MM, e.g. 08:30") from None
        if not (0 <= hh < 24 and 0 <= mm < 60):
            raise ValueError("digest_time must be HH:MM, e.g. 08:30")
        return v

    def default_mode(self, kind: str) -> str:
        allowed = KINDS.get(kind, ("immediate",))
        mode = self.defaults.get(kind)
        return mode if mode in allowed else allowed[0]


def problems(section: NotificationsConfig, config: Any) -> list[str]:
    out = []
    for kind, mode in section.defaults.items():
        if kind not in KINDS:
            out.append(f"defaults.{kind}: unknown kind (known: {', '.join(KINDS)})")
        elif mode not in KINDS[kind]:
            out.append(f"defaults.{kind}: '{mode}' is not allowed for this kind (allowed: {', '.join(KINDS[kind])})")
    return out
