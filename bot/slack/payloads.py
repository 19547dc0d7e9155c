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
from typing import Any, ClassVar, Self, get_type_hints

SEP = ":"
MAX_ID = 2**63 - 1  # the largest id any supported database stores
_TOKEN = re.compile(r"^[A-Za-z0-9_.\-:]{1,200}$")


def _read(kind: Any, raw: str) -> Any:
    if kind is int:
        if not (raw.isascii() and raw.isdecimal()) or len(raw) > 19 or int(raw) > MAX_ID:
            raise ValueError(raw)
        return int(raw)
    if kind is date:
        return date.fromisoformat(raw)
    if kind == str | None:
        return _read(str, raw) if raw else None
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

    _hints: ClassVar[dict[str, Any]]

    def encode(self) -> str:
        return SEP.join(_write(getattr(self, f.name)) for f in fields(self))  # type: ignore[arg-type]

    def __str__(self) -> str:  # templates write `value: payload` directly
        return self.encode()

    @classmethod
    def decode(cls, raw: Any) -> Self | None:
        if not isinstance(raw, str) or not raw or len(raw) > 3000:
            return None
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        parts = raw.split(SEP, len(names) - 1)
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
