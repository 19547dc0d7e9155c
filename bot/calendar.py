"""Business-hours calendar arithmetic for SLA timers.

All arithmetic is done on UTC instants: Python's aware-datetime subtraction
within one tzinfo is *wall-clock* arithmetic, which silently gains or loses
an hour across DST switches.  Local wall times are only used to build the
working periods, and results are converted back to the calendar's zone.

A working period belongs to the working day on which it *opens*; when
``closes <= opens`` it ends on the following calendar day (e.g. 22:00–06:00).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

__all__ = ["BusinessCalendar", "Duration", "parse_duration"]

_DAY = timedelta(days=1)
# Guard against calendars with no reachable working day (e.g. every date an
# extra holiday): give up after this many consecutive closed days.
_MAX_CLOSED_RUN = 800


# --------------------------------------------------------------------------
# Duration
# --------------------------------------------------------------------------

_DURATION_RE = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


@dataclass(frozen=True)
class Duration:
    """An SLA length from config: whole working days plus business seconds."""

    days: int = 0  # working days
    seconds: int = 0  # business seconds

    def __post_init__(self) -> None:
        if self.days < 0 or self.seconds < 0:
            raise ValueError(f"duration cannot be negative: days={self.days}, seconds={self.seconds}")

    def to_timedelta_24x7(self) -> timedelta:
        """Length when every moment counts (a working day is 24 real hours)."""
        return timedelta(days=self.days, seconds=self.seconds)

    def __str__(self) -> str:
        # Canonical form: largest units first, zero units omitted ("90s" -> "1m30s").
        h, rem = divmod(self.seconds, 3600)
        m, s = divmod(rem, 60)
        parts = [f"{v}{u}" for v, u in ((self.days, "d"), (h, "h"), (m, "m"), (s, "s")) if v]
        return "".join(parts) or "0s"


def parse_duration(text: str) -> Duration:
    """Parse "90s", "30m", "4h", "2d", "1h30m", "1d4h" (whitespace tolerated)."""
    error = ValueError(f"bad duration '{text}': use e.g. 90s, 30m, 4h, 2d")
    if not isinstance(text, str):
        raise error
    compact = re.sub(r"\s+", "", text).lower()
    match = _DURATION_RE.fullmatch(compact)
    if not compact or match is None:
        raise error
    d, h, m, s = (int(g) if g else 0 for g in match.groups())
    duration = Duration(days=d, seconds=h * 3600 + m * 60 + s)
    if duration.days == 0 and duration.seconds == 0:
        raise error
    return duration


# --------------------------------------------------------------------------
# Config parsing helpers
# --------------------------------------------------------------------------

_WEEKDAYS: dict[str, int] = {}
for _i, _name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")):
    _WEEKDAYS[_name] = _WEEKDAYS[_name[:3]] = _i

_HOURS_RE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_MD_RE = re.compile(r"(\d{1,2})-(\d{1,2})")
_YMD_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _parse_weekdays(spec: str | Iterable[str]) -> frozenset[int]:
    """Accept ("mon", "tue"), "mon,tue", "mon-fri" or full names, any case."""
    items = re.split(r"[,\s]+", spec) if isinstance(spec, str) else list(spec)
    result: set[int] = set()
    for raw in items:
        item = str(raw).strip().lower()
        if not item:
            continue
        if "-" in item:  # a range such as "mon-fri" (may wrap: "sat-mon")
            lo, _, hi = item.partition("-")
            a, b = _weekday(lo, raw), _weekday(hi, raw)
            result.update((a + k) % 7 for k in range((b - a) % 7 + 1))
        else:
            result.add(_weekday(item, raw))
    if not result:
        raise ValueError("working_days is empty: list at least one day, e.g. mon-fri")
    return frozenset(result)


def _weekday(name: str, raw: object) -> int:
    try:
        return _WEEKDAYS[name.strip()]
    except KeyError:
        raise ValueError(f"unknown weekday '{raw}': use mon, tue, wed, thu, fri, sat, sun") from None


def _parse_hours(spec: str) -> tuple[time, time]:
    """"09:00-18:00"; "22:00-06:00" crosses midnight; "24:00" only as a close."""
    error = ValueError(f"bad hours '{spec}': use HH:MM-HH:MM, e.g. 09:00-18:00")
    match = _HOURS_RE.fullmatch(spec.strip()) if isinstance(spec, str) else None
    if match is None:
        raise error
    oh, om, ch, cm = map(int, match.groups())
    if oh > 23 or om > 59 or cm > 59 or ch > 24 or (ch == 24 and cm != 0):
        raise error
    return time(oh, om), time(0 if ch == 24 else ch, cm)


def _parse_zone(name: str | ZoneInfo) -> ZoneInfo:
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown timezone '{name}': use an IANA name such as Asia/Tokyo") from None


def _md(month: int, day: int, raw: str) -> tuple[int, int]:
    try:
        date(2000, month, day)  # leap year, so "02-29" is accepted
    except ValueError:
        raise ValueError(f"bad extra holiday '{raw}': no such month-day") from None
    return month, day


def _ymd(y: int, m: int, d: int, raw: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise ValueError(f"bad extra holiday '{raw}': no such date") from None


@dataclass(frozen=True)
class _ExtraHolidays:
    """Pre-parsed extra_holidays so lookups are set/tuple checks, not regexes."""

    dates: frozenset[date] = frozenset()
    month_days: frozenset[tuple[int, int]] = frozenset()
    date_ranges: tuple[tuple[date, date], ...] = ()
    md_ranges: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()

    @classmethod
    def parse(cls, specs: Iterable[str]) -> _ExtraHolidays:
        dates: set[date] = set()
        mds: set[tuple[int, int]] = set()
        date_ranges: list[tuple[date, date]] = []
        md_ranges: list[tuple[tuple[int, int], tuple[int, int]]] = []
        for raw in specs:
            spec = str(raw).strip()
            lo, sep, hi = spec.partition("..")
            lo, hi = lo.strip(), hi.strip()
            if sep:
                if (a := _YMD_RE.fullmatch(lo)) and (b := _YMD_RE.fullmatch(hi)):
                    start = _ymd(*map(int, a.groups()), spec)
                    end = _ymd(*map(int, b.groups()), spec)
                    if end < start:
                        raise ValueError(f"bad extra holiday '{spec}': range ends before it starts")
                    date_ranges.append((start, end))
                    continue
                if (a := _MD_RE.fullmatch(lo)) and (b := _MD_RE.fullmatch(hi)):
                    md_ranges.append((_md(*map(int, a.groups()), spec), _md(*map(int, b.groups()), spec)))
                    continue
            elif m := _YMD_RE.fullmatch(spec):
                dates.add(_ymd(*map(int, m.groups()), spec))
                continue
            elif m := _MD_RE.fullmatch(spec):
                mds.add(_md(*map(int, m.groups()), spec))
                continue
            raise ValueError(
                f"bad extra holiday '{spec}': use MM-DD, YYYY-MM-DD or a range like 12-29..01-03"
            )
        return cls(frozenset(dates), frozenset(mds), tuple(date_ranges), tuple(md_ranges))

    def __contains__(self, d: date) -> bool:
        if d in self.dates:
            return True
        md = (d.month, d.day)
        if md in self.month_days:
            return True
        if any(lo <= d <= hi for lo, hi in self.date_ranges):
            return True
        for lo, hi in self.md_ranges:
            # A recurring range with lo > hi wraps the year end ("12-29..01-03").
            if (lo <= md <= hi) if lo <= hi else (md >= lo or md <= hi):
                return True
        return False


@lru_cache(maxsize=None)
def _supported_countries() -> frozenset[str]:
    return frozenset(holidays_lib.list_supported_countries())


@lru_cache(maxsize=256)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    # One `holidays` computation per (country, year); the package already
    # includes JP substitute holidays (振替休日) and 国民の休日.
    return frozenset(holidays_lib.country_holidays(country, years=year).keys())


def _require_aware(at: datetime, name: str = "datetime") -> datetime:
    if not isinstance(at, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {at.isoformat()}")
    return at.astimezone(UTC)


# --------------------------------------------------------------------------
# BusinessCalendar
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessCalendar:
    tz: ZoneInfo
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday=0
    opens: time = time(9)
    closes: time = time(18)  # <= opens: the period crosses midnight
    holiday_country: str | None = "JP"
    extra_holidays: tuple[str, ...] = ()
    always_open: bool = False  # "24x7"
    _extra: _ExtraHolidays = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen dataclass: normalise fields once here
        set_(self, "tz", _parse_zone(self.tz))
        set_(self, "working_days", frozenset(self.working_days))
        if not self.working_days <= frozenset(range(7)):
            raise ValueError(
                f"working_days must be weekday numbers 0-6 (Monday=0), got {sorted(self.working_days)}"
            )
        if not self.working_days and not self.always_open:
            raise ValueError("working_days is empty: list at least one day, e.g. mon-fri")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens/closes must be naive local times")
        if self.holiday_country is not None:
            code = self.holiday_country.upper()
            if code not in _supported_countries():
                raise ValueError(
                    f"unknown holiday country '{self.holiday_country}': use an ISO code such as JP or US, or none"
                )
            set_(self, "holiday_country", code)
        if isinstance(self.extra_holidays, str):  # a lone "12-29" is a common config slip
            set_(self, "extra_holidays", (self.extra_holidays,))
        set_(self, "extra_holidays", tuple(self.extra_holidays))
        set_(self, "_extra", _ExtraHolidays.parse(self.extra_holidays))

    @classmethod
    def from_config(
        cls,
        *,
        timezone: str = "Asia/Tokyo",
        working_days: str | Iterable[str] = ("mon", "tue", "wed", "thu", "fri"),
        hours: str = "09:00-18:00",
        holidays: str | None = "JP",
        extra_holidays: Iterable[str] = (),
        mode: str = "business",
    ) -> BusinessCalendar:
        mode_key = str(mode).strip().lower()
        if mode_key not in ("business", "24x7"):
            raise ValueError(f"unknown calendar mode '{mode}': use business or 24x7")
        opens, closes = _parse_hours(hours)
        country: str | None = str(holidays).strip() if holidays is not None else ""
        if country.lower() in ("", "none"):
            country = None
        if isinstance(extra_holidays, str):
            extra_holidays = [extra_holidays]
        return cls(
            tz=_parse_zone(timezone),
            working_days=_parse_weekdays(working_days),
            opens=opens,
            closes=closes,
            holiday_country=country,
            extra_holidays=tuple(extra_holidays),
            always_open=mode_key == "24x7",
        )

    # -- days ------------------------------------------------------------

    def is_holiday(self, d: date) -> bool:
        """Public (country) or configured extra holiday; independent of mode."""
        if isinstance(d, datetime):
            d = d.date()
        if self.holiday_country and d in _public_holidays(self.holiday_country, d.year):
            return True
        return d in self._extra

    def is_working_day(self, d: date) -> bool:
        if self.always_open:
            return True
        if isinstance(d, datetime):
            d = d.date()
        return d.weekday() in self.working_days and not self.is_holiday(d)

    def working_day_length(self) -> timedelta:
        """Nominal length of one working period (ignores DST-shortened days)."""
        if self.always_open:
            return _DAY
        span = datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)
        return span if span > timedelta(0) else span + _DAY

    # -- periods (UTC internally) -----------------------------------------

    def _period(self, d: date) -> tuple[datetime, datetime]:
        """UTC bounds of the working period that opens on working day ``d``."""
        start = datetime.combine(d, self.opens, tzinfo=self.tz)
        end_day = d if self.closes > self.opens else d + _DAY
        end = datetime.combine(end_day, self.closes, tzinfo=self.tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    def _working_days_from(self, d: date) -> Iterator[date]:
        closed_run = 0
        while True:
            if self.is_working_day(d):
                closed_run = 0
                yield d
            else:
                closed_run += 1
                if closed_run > _MAX_CLOSED_RUN:
                    raise ValueError(f"calendar has no working day within {_MAX_CLOSED_RUN} days of {d}")
            d += _DAY

    def _periods_from(self, at_utc: datetime) -> Iterator[tuple[date, datetime, datetime]]:
        """Working periods (day, start, end) in order, starting with the first that ends after ``at``."""
        # A period containing `at` opened on `at`'s local date or the day before.
        first = at_utc.astimezone(self.tz).date() - _DAY
        for d in self._working_days_from(first):
            start, end = self._period(d)
            if end > at_utc and end > start:  # end <= start only in freak DST overlaps
                yield d, start, end

    def is_open(self, at: datetime) -> bool:
        at_utc = _require_aware(at, "at")
        if self.always_open:
            return True
        _, start, _ = next(self._periods_from(at_utc))
        return start <= at_utc

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself (in self.tz) if open, else the next opening moment."""
        at_utc = _require_aware(at, "at")
        if self.always_open:
            return at_utc.astimezone(self.tz)
        _, start, _ = next(self._periods_from(at_utc))
        return max(start, at_utc).astimezone(self.tz)

    def periods(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business periods clipped to [start, end), as aware datetimes in self.tz."""
        lo, hi = _require_aware(start, "start"), _require_aware(end, "end")
        if hi <= lo:
            return
        if self.always_open:
            yield lo.astimezone(self.tz), hi.astimezone(self.tz)
            return
        for _, p_start, p_end in self._periods_from(lo):
            if p_start >= hi:
                return
            yield max(p_start, lo).astimezone(self.tz), min(p_end, hi).astimezone(self.tz)

    # -- arithmetic --------------------------------------------------------

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time elapsed from a to b (zero if b <= a)."""
        lo, hi = _require_aware(a, "a"), _require_aware(b, "b")
        if hi <= lo:
            return timedelta(0)
        if self.always_open:
            return hi - lo
        total = timedelta(0)
        for _, p_start, p_end in self._periods_from(lo):
            if p_start >= hi:
                break
            total += min(p_end, hi) - max(p_start, lo)
        return total

    def add(self, start: datetime, duration: Duration | timedelta) -> datetime:
        """Deadline after ``duration`` of business time from ``start``, in self.tz.

        ``Duration.days`` moves to the same business moment N working days
        later; the remaining seconds are then counted as business time.
        A deadline that lands exactly on a closing time is returned as that
        closing time (e.g. 17:30 + 30m -> 18:00), not the next opening.
        """
        at = _require_aware(start, "start")
        if isinstance(duration, Duration):
            days, rest = duration.days, timedelta(seconds=duration.seconds)
        elif isinstance(duration, timedelta):
            if duration < timedelta(0):
                raise ValueError(f"duration cannot be negative: {duration}")
            days, rest = 0, duration
        else:
            raise TypeError(f"duration must be Duration or timedelta, got {type(duration).__name__}")

        if self.always_open:
            return (at + timedelta(days=days) + rest).astimezone(self.tz)

        periods = self._periods_from(at)
        _, p_start, p_end = next(periods)
        at = max(at, p_start)  # normalise to next_open
        if days:
            offset = at - p_start
            for _ in range(days):
                _, p_start, p_end = next(periods)
            # Same offset into the target period; if a DST-shortened period is
            # too short for it, the overflow is carried as business time.
            length = p_end - p_start
            at = p_start + min(offset, length)
            rest += max(offset - length, timedelta(0))

        while True:
            available = p_end - at
            if rest <= available:
                return (at + rest).astimezone(self.tz)
            rest -= available
            _, p_start, p_end = next(periods)
            at = p_start
