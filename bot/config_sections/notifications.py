"""`notifications:` — per-kind defaults, quiet hours, the personal digest (issue 8).

Every DM goes through `bot.notify.preferences.notify_person`, which reads these defaults and each
person's own choices (App Home).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

from bot.calendar import _parse_hours  # noqa: PLC2701 - the one "HH:MM-HH:MM" parser
from bot.config_checks import suggest
from bot.config_sections.base import Issue, Section, problem

Mode = Literal["immediate", "digest", "off"]


@dataclass(frozen=True)
class Kind:
    """One kind of direct message Baton sends: the choices a person has (the first is the default
    unless app.yaml says otherwise), the roles that receive it (and so see it in App Home), whether
    a digest or a hold for working hours applies, and why a fixed kind cannot be changed."""

    modes: tuple[str, ...]
    receivers: frozenset[str]
    timely: bool = False  # its moment is set in app.yaml: sent then, never held or rolled into a digest

    @property
    def fixed(self) -> bool:
        return len(self.modes) == 1


_IS = frozenset({"is_rep", "is_manager"})
_MANAGERS = frozenset({"is_manager", "fs_manager", "cs_manager", "manager", "cro"})

# The one table of DM kinds: App Home offers each person the kinds of their roles, notify_person
# applies the choice, docs/runbook.md shows it. New MQLs and recycle nudges are channel posts, not DMs.
KIND_TABLE: dict[str, Kind] = {
    "sla_warning": Kind(("immediate", "digest", "off"), frozenset({"is_rep"})),
    # An SLA escalation to a manager cannot be switched off or delayed: it is the last safety net.
    "sla_escalation": Kind(("immediate",), frozenset({"is_manager", "manager", "cro"})),
    "handover": Kind(("immediate", "digest", "off"), _IS),
    "forecast_prompt": Kind(("immediate", "off"), frozenset({"fs_rep", "fs_manager", "cro"}), timely=True),
    "health_alert": Kind(("immediate", "digest", "off"), frozenset({"cs_manager", "manager", "cro"})),
    "renewal": Kind(("immediate", "digest", "off"), frozenset({"csm", "cs_manager", "fs_rep"})),
    "bottleneck": Kind(("immediate", "digest", "off"), _MANAGERS),
    # The personal digest itself: whoever chose "digest" for anything receives it.
    "digest": Kind(("immediate", "off"), frozenset()),
}
KINDS: dict[str, tuple[str, ...]] = {k: v.modes for k, v in KIND_TABLE.items()}
TIMELY = frozenset(k for k, v in KIND_TABLE.items() if v.timely)
# Kinds earlier versions offered that were never sent as DMs: app.yaml naming them is told why.
NOT_DM_KINDS = {"new_mql": "a new MQL is a card in the team's channel", "recycle_nudge": "recycle nudges are posted in the team's channel"}


def kinds_for(roles: list[str] | tuple[str, ...]) -> list[str]:
    """The kinds a person with these roles receives (the digest: everyone)."""
    have = set(roles)
    return [k for k, v in KIND_TABLE.items() if not v.receivers or have & v.receivers]


class NotificationsConfig(Section):
    defaults: dict[str, Mode] = Field(
        default_factory=dict,
        description="Default mode per kind of DM (immediate | digest | off) for people who have not chosen one "
        f"in App Home. Kinds: {', '.join(KINDS)}. An SLA escalation to a manager is always immediate.", examples=["{bottleneck: digest, renewal: \"off\"}"],
    )
    working_hours: str = Field(
        "09:00-18:00",
        description="Quiet hours are outside these local hours (and on weekends / holidays of the company "
        "calendar): a DM waits for the person's working hours in their own time zone. A person may pick "
        "other hours in App Home.", examples=["\"09:00-18:00\""],
    )
    quiet_hour_choices: list[str] = Field(
        default_factory=lambda: ["08:00-17:00", "09:00-18:00", "10:00-19:00", "08:00-20:00"],
        description="The working-hours options offered in App Home.", examples=["[\"08:00-17:00\", \"09:00-18:00\", \"10:00-19:00\"]"],
    )
    digest_time: str = Field(
        "08:30",
        description="When the personal daily digest (the DMs people chose to receive as a digest) is sent, "
        "HH:MM in the company time zone, on working days.", examples=["\"08:30\""],
    )

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        return _hours(v)

    @field_validator("quiet_hour_choices")
    @classmethod
    def _choices(cls, v: list[str]) -> list[str]:
        for h in v:
            _hours(h)
        return v

    @field_validator("digest_time")
    @classmethod
    def _digest_time(cls, v: str) -> str:
        try:
            hh, mm = (int(x) for x in v.split(":"))
        except (ValueError, AttributeError):
            raise problem("bad_time", "digest_time must be HH:MM, e.g. 08:30", value=v) from None
        if not (0 <= hh < 24 and 0 <= mm < 60):
            raise problem("bad_time", "digest_time must be HH:MM, e.g. 08:30", value=v)
        return v

    def default_mode(self, kind: str) -> str:
        allowed = KINDS.get(kind, ("immediate",))
        mode = self.defaults.get(kind)
        return mode if mode in allowed else allowed[0]


def _hours(v: str) -> str:
    try:
        _parse_hours(v)
    except (ValueError, AttributeError):
        raise problem("bad_hours", f"bad hours '{v}': use HH:MM-HH:MM, e.g. 09:00-18:00", value=str(v)) from None
    return v


def problems(section: NotificationsConfig, config: Any) -> list[Issue]:
    out = []
    kinds = ", ".join(KINDS)
    for kind, mode in section.defaults.items():
        if kind in NOT_DM_KINDS:
            out.append(Issue(f"defaults.{kind}", "not_dm_kind", {"kinds": kinds}, f"not a kind of DM ({NOT_DM_KINDS[kind]}); kinds: {kinds}"))
        elif kind not in KINDS:
            hint = suggest(kind, KINDS)
            out.append(Issue(f"defaults.{kind}", "unknown_kind", {"kinds": kinds, "hint": hint}, f"unknown kind (known: {kinds})"))
        elif mode not in KINDS[kind]:
            allowed = ", ".join(KINDS[kind])
            out.append(Issue(f"defaults.{kind}", "mode_not_allowed", {"value": mode, "allowed": allowed}, f"'{mode}' is not allowed for this kind (allowed: {allowed})"))
    return out
