"""The one source of "now". Production uses the system clock; tests and the sandbox move time by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, sandbox time travel)."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kw: float) -> datetime:
        self._now += delta or timedelta(**kw)
        return self._now

    def set(self, at: datetime) -> datetime:
        self._now = at.astimezone(UTC)
        return self._now


def as_utc(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes even for timezone-aware columns; we always store UTC."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
