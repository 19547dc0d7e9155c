"""The one codec for what Baton puts in a button's `value` or a modal's `private_metadata`.

Each payload is a small frozen dataclass; `encode()` writes its fields joined by ":" (short, well
under Slack's 150-character option values, and the format earlier messages in Slack already carry,
so old buttons keep working), `decode(raw)` reads them back typed and bounded — anything else
(garbled, forged, out of range) is None, never an exception. The last field may contain ":".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date
from types import UnionType
from typing import Any, ClassVar, Self, get_args, get_type_hints

SEP = ":"
MAX_ID = 2**63 - 1  # the largest id any supported database stores
_TOKEN = re.compile(r"^[A-Za-z0-9_.=\-:]{1,200}$")


def _read(kind: Any, raw: str) -> Any:
    if kind is int:
        if not (raw.isascii() and raw.isdecimal()) or len(raw) > 19 or int(raw) > MAX_ID:
            raise ValueError(raw)
        return int(raw)
    if kind is date:
        return date.fromisoformat(raw)
    if isinstance(kind, UnionType) and type(None) in get_args(kind):  # optional: empty is None
        inner = next(k for k in get_args(kind) if k is not type(None))
        return _read(inner, raw) if raw else None
    if kind is str:
        if not _TOKEN.match(raw):
            raise ValueError(raw)
        return raw
    raise TypeError(kind)


def _write(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


class Payload:
    """Base of every payload: ``Ref(12).encode() == "12"``; ``Ref.decode("12") == Ref(12)``."""

    SEP: ClassVar[str] = SEP
    TAG: ClassVar[str] = ""  # a payload sharing an action with another kind says which it is

    def encode(self) -> str:
        parts = [_write(getattr(self, f.name)) for f in fields(self)]  # type: ignore[arg-type]
        return self.SEP.join([self.TAG, *parts] if self.TAG else parts)

    def __str__(self) -> str:  # templates write `value: payload` directly
        return self.encode()

    @classmethod
    def decode(cls, raw: Any) -> Self | None:
        if not isinstance(raw, str) or not raw or len(raw) > 3000:
            return None
        if cls.TAG:
            if not raw.startswith(cls.TAG + cls.SEP):
                return None
            raw = raw[len(cls.TAG) + len(cls.SEP) :]
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        parts = raw.split(cls.SEP, len(names) - 1)
        if len(parts) != len(names):
            return None
        hints = get_type_hints(cls)
        try:
            return cls(**{n: _read(hints[n], p) for n, p in zip(names, parts, strict=True)})
        except (ValueError, TypeError):
            return None


@dataclass(frozen=True)
class Ref(Payload):
    """A record's id: the lead, deal, alert, loop item or account a button acts on."""

    id: int


@dataclass(frozen=True)
class SalChoice(Payload):
    """The SAL overflow menu: `qualify` or `disqualify` a lead."""

    choice: str
    lead_id: int


@dataclass(frozen=True)
class DealChoice(Payload):
    """A deal's overflow menu (App Home): `edit`, `won` or `lost`."""

    choice: str
    opp_id: int


@dataclass(frozen=True)
class RecycleSnooze(Payload):
    recycle_id: int
    days: int


@dataclass(frozen=True)
class RecycleClose(Payload):
    """The close modal's metadata: the loop item and the nudge it came from (to update in place)."""

    recycle_id: int
    channel: str | None
    ts: str | None


@dataclass(frozen=True)
class ShowMore(Payload):
    """A nudge's "show all": the team's loop items due on a day."""

    team_id: str
    day: date


@dataclass(frozen=True)
class RepPeriod(Payload):
    """A rep's forecast for a period kind (`month` / `quarter`)."""

    rep: str
    period: str


@dataclass(frozen=True)
class TeamPeriod(Payload):
    """A team's forecast submission: the period kind and the team."""

    period: str
    team_id: str


@dataclass(frozen=True)
class ShownDiffMore(Payload):
    """"Show all" under a diff someone asked for: whose (a rep id, or team=<id>), the period kind, since when."""

    SEP: ClassVar[str] = "|"
    TAG: ClassVar[str] = "s"
    subject: str
    kind: str
    since: date | None


@dataclass(frozen=True)
class PromptDiffMore(Payload):
    """"Show all" under a forecast-meeting prompt: the occurrence and the rep it was for."""

    SEP: ClassVar[str] = "|"
    TAG: ClassVar[str] = "p"
    occurrence_id: int
    rep: str


@dataclass(frozen=True)
class Explain(Payload):
    """The prompt's Explain button and its modal: the meeting occurrence and the prompted rep."""

    occurrence_id: int
    rep: str


@dataclass(frozen=True)
class SubmitKind(Payload):
    """The forecast submit modal: the period kind, and the team for a manager's team call."""

    kind: str
    team_id: str | None


@dataclass(frozen=True)
class AdjustTarget(Payload):
    """A manager's adjustment (the select on /forecast team and its modal): the period kind, whose
    number (`rep` or `team`), the rep's or team's id, and the start of the period the message showed
    (a modal left open across the period's end must not adjust the next period)."""

    period: str
    scope: str
    subject: str
    start: date | None = None


@dataclass(frozen=True)
class Preference(Payload):
    """An App Home notification choice: the kind of notification and the chosen mode."""

    kind: str
    mode: str
