"""Tests for bot.calendar: SLA deadlines over business hours, holidays, DST."""

from __future__ import annotations

import time as wall_clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import calendar as cal_mod
from bot.calendar import BusinessCalendar, Duration, parse_duration

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")

JP = BusinessCalendar.from_config()  # Asia/Tokyo, Mon-Fri 09:00-18:00, JP holidays
JP_YEAR_END = BusinessCalendar.from_config(extra_holidays=["12-29..01-03"])
NY = BusinessCalendar.from_config(timezone="America/New_York", hours="09:00-17:00", holidays="US")
NY_24X7 = BusinessCalendar.from_config(timezone="America/New_York", mode="24x7")
KOLKATA_NIGHT = BusinessCalendar.from_config(timezone="Asia/Kolkata", hours="22:00-06:00", holidays=None)
LA_NIGHT = BusinessCalendar.from_config(timezone="America/Los_Angeles", hours="22:00-06:00", holidays="none")
# Every day, so some night periods straddle the DST switches (Sunday 02:00).
LA_NIGHT_DAILY = BusinessCalendar.from_config(
    timezone="America/Los_Angeles", working_days="mon-sun", hours="22:00-06:00", holidays="none"
)


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


def at(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=tz, fold=fold)


# ---------------------------------------------------------------------------
# parse_duration / Duration
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("90s", Duration(seconds=90), "1m30s"),
        ("30m", Duration(seconds=1800), "30m"),
        ("4h", Duration(seconds=4 * 3600), "4h"),
        ("2d", Duration(days=2), "2d"),
        ("1h30m", Duration(seconds=5400), "1h30m"),
        ("1d4h", Duration(days=1, seconds=4 * 3600), "1d4h"),
        (" 1h 30m ", Duration(seconds=5400), "1h30m"),
        ("60m", Duration(seconds=3600), "1h"),
        ("1d2h3m4s", Duration(days=1, seconds=7384), "1d2h3m4s"),
    ],
)
def test_parse_duration_valid(text: str, expected: Duration, canonical: str) -> None:
    parsed = parse_duration(text)
    assert parsed == expected
    assert str(parsed) == canonical
    assert parse_duration(str(parsed)) == parsed  # round trip


@pytest.mark.parametrize("text", ["", "  ", "0", "0m", "0d0h", "-4h", "4", "4x", "h", "1.5h", "30m1h", "1h1h", "4 hours", "d"])
def test_parse_duration_invalid(text: str) -> None:
    with pytest.raises(ValueError, match=r"bad duration '.*': use e.g. 90s, 30m, 4h, 2d"):
        parse_duration(text)


def test_duration_to_timedelta_24x7_and_validation() -> None:
    assert parse_duration("1d4h").to_timedelta_24x7() == timedelta(hours=28)
    assert parse_duration("90s").to_timedelta_24x7() == timedelta(seconds=90)
    with pytest.raises(ValueError):
        Duration(days=-1)


# ---------------------------------------------------------------------------
# Deadlines (table-driven examples from the spec)
# ---------------------------------------------------------------------------

ADD_CASES = [
    # (id, calendar, start, duration, expected)
    ("friday-close-to-holiday-monday", JP, jst(2026, 11, 20, 17, 50), "30m", jst(2026, 11, 24, 9, 20)),
    ("friday-close-plain-weekend", JP, jst(2026, 11, 13, 17, 50), "30m", jst(2026, 11, 16, 9, 20)),
    ("golden-week-substitute-holiday", JP, jst(2026, 5, 1, 17, 30), "1h", jst(2026, 5, 7, 9, 30)),
    ("year-end-range", JP_YEAR_END, jst(2026, 12, 28, 17, 45), "30m", jst(2027, 1, 4, 9, 15)),
    ("before-opening", JP, jst(2026, 11, 24, 7, 0), "30m", jst(2026, 11, 24, 9, 30)),
    ("arrival-on-holiday", JP, jst(2026, 11, 23, 10, 0), "30m", jst(2026, 11, 24, 9, 30)),
    ("ends-exactly-at-close", JP, jst(2026, 11, 20, 17, 30), "30m", jst(2026, 11, 20, 18, 0)),
    ("after-close-same-day", JP, jst(2026, 11, 24, 19, 0), "1h", jst(2026, 11, 25, 10, 0)),
    ("2d-wed-to-fri", JP, jst(2026, 11, 18, 10, 0), "2d", jst(2026, 11, 20, 10, 0)),
    ("1d-fri-to-next-working-day", JP, jst(2026, 11, 13, 10, 0), "1d", jst(2026, 11, 16, 10, 0)),
    ("1d-fri-over-holiday-monday", JP, jst(2026, 11, 20, 10, 0), "1d", jst(2026, 11, 24, 10, 0)),
    ("1d-from-before-opening", JP, jst(2026, 11, 24, 7, 0), "1d", jst(2026, 11, 25, 9, 0)),
    ("1d4h-days-then-hours", JP, jst(2026, 11, 19, 15, 0), "1d4h", jst(2026, 11, 24, 10, 0)),
    ("9h-is-a-full-day", JP, jst(2026, 11, 24, 9, 0), "9h", jst(2026, 11, 24, 18, 0)),
    ("kokumin-no-kyujitsu", JP, jst(2026, 9, 18, 17, 0), "2h", jst(2026, 9, 24, 10, 0)),
    ("ny-dst-weekend", NY, at(NEW_YORK, 2026, 3, 6, 16, 30), "1h", at(NEW_YORK, 2026, 3, 9, 9, 30)),
    ("ny-fall-back-weekend", NY, at(NEW_YORK, 2026, 10, 30, 16, 30), "1h", at(NEW_YORK, 2026, 11, 2, 9, 30)),
    # Night shift: Friday's period runs 22:00 Fri -> 06:00 Sat.
    ("kolkata-night-fri-into-sat", KOLKATA_NIGHT, at(KOLKATA, 2026, 11, 20, 23, 0), "6h", at(KOLKATA, 2026, 11, 21, 5, 0)),
    ("kolkata-night-sat-morning-to-mon", KOLKATA_NIGHT, at(KOLKATA, 2026, 11, 21, 5, 30), "1h", at(KOLKATA, 2026, 11, 23, 22, 30)),
    ("kolkata-night-morning-gap", KOLKATA_NIGHT, at(KOLKATA, 2026, 11, 20, 5, 0), "2h", at(KOLKATA, 2026, 11, 20, 23, 0)),
    ("kolkata-night-1d", KOLKATA_NIGHT, at(KOLKATA, 2026, 11, 21, 2, 0), "1d", at(KOLKATA, 2026, 11, 24, 2, 0)),
    # Event recorded in JST, calendar in LA: Sat 13:00 JST = Fri 20:00 PST (closed until 22:00).
    ("jst-event-la-night", LA_NIGHT, jst(2026, 11, 21, 13, 0), "1h", at(LA, 2026, 11, 20, 23, 0)),
    ("utc-input", JP, datetime(2026, 11, 20, 8, 50, tzinfo=UTC), "30m", jst(2026, 11, 24, 9, 20)),
    # 24x7: plain absolute-time addition, also across DST.
    ("24x7-spring-forward", NY_24X7, at(NEW_YORK, 2026, 3, 8, 1, 30), "1h", at(NEW_YORK, 2026, 3, 8, 3, 30)),
    ("24x7-fall-back-first", NY_24X7, at(NEW_YORK, 2026, 11, 1, 0, 30), "1h", at(NEW_YORK, 2026, 11, 1, 1, 30)),
    ("24x7-fall-back-second", NY_24X7, at(NEW_YORK, 2026, 11, 1, 0, 30), "2h", at(NEW_YORK, 2026, 11, 1, 1, 30, fold=1)),
    ("24x7-day-is-24h", NY_24X7, at(NEW_YORK, 2026, 3, 7, 12, 0), "1d", at(NEW_YORK, 2026, 3, 8, 13, 0)),
]


@pytest.mark.parametrize(("calendar", "start", "duration", "expected"), [c[1:] for c in ADD_CASES], ids=[c[0] for c in ADD_CASES])
def test_add(calendar: BusinessCalendar, start: datetime, duration: str, expected: datetime) -> None:
    due = calendar.add(start, parse_duration(duration))
    assert due == expected
    # Same instant is not enough: the wall time/offset shown must be the calendar's.
    assert due.tzinfo == calendar.tz
    assert due.utcoffset() == expected.astimezone(calendar.tz).utcoffset()
    assert due.replace(tzinfo=None) == expected.astimezone(calendar.tz).replace(tzinfo=None)


def test_add_timedelta_is_business_time() -> None:
    assert JP.add(jst(2026, 11, 20, 17, 0), timedelta(hours=2)) == jst(2026, 11, 24, 10, 0)
    assert JP.add(jst(2026, 11, 23, 12, 0), timedelta(0)) == jst(2026, 11, 24, 9, 0)  # zero -> next open
    with pytest.raises(ValueError):
        JP.add(jst(2026, 11, 20, 17, 0), timedelta(hours=-1))


def test_24x7_add_is_plain_timedelta_addition() -> None:
    start = datetime(2026, 3, 7, 20, 0, tzinfo=UTC)
    for td in (timedelta(minutes=1), timedelta(hours=30), timedelta(days=40, seconds=7)):
        due = NY_24X7.add(start, td)
        assert due == start + td
        assert due.tzinfo == NEW_YORK


def test_midnight_period_shortened_by_dst_carries_overflow() -> None:
    # Fri+Sat+Sun nights in LA; Saturday's period 22:00 PST -> 06:00 PDT is 7 real hours.
    cal = BusinessCalendar.from_config(timezone="America/Los_Angeles", working_days="fri-sun", hours="22:00-06:00", holidays=None)
    assert cal.between(at(LA, 2026, 3, 7, 22, 0), at(LA, 2026, 3, 8, 6, 0)) == timedelta(hours=7)
    # 7h into Friday's period -> exactly the end of Saturday's (short) one.
    a = at(LA, 2026, 3, 7, 5, 0)
    assert cal.add(a, parse_duration("1d")) == at(LA, 2026, 3, 8, 6, 0)
    # 7.5h in: the half hour that does not fit is carried into Sunday night.
    b = at(LA, 2026, 3, 7, 5, 30)
    due = cal.add(b, parse_duration("1d"))
    assert due == at(LA, 2026, 3, 8, 22, 30)
    assert cal.between(b, due) == timedelta(hours=8)


# ---------------------------------------------------------------------------
# Days, holidays, openness
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "holiday", "working"),
    [
        (date(2026, 5, 1), False, True),
        (date(2026, 5, 2), False, False),  # Saturday
        (date(2026, 5, 3), True, False),  # 憲法記念日 (Sunday)
        (date(2026, 5, 4), True, False),
        (date(2026, 5, 5), True, False),
        (date(2026, 5, 6), True, False),  # 振替休日
        (date(2026, 5, 7), False, True),
        (date(2026, 9, 22), True, False),  # 国民の休日
        (date(2026, 11, 23), True, False),  # 勤労感謝の日
        (date(2026, 12, 29), False, True),  # no extra holidays on the plain JP calendar
    ],
)
def test_jp_holidays(d: date, holiday: bool, working: bool) -> None:
    assert JP.is_holiday(d) is holiday
    assert JP.is_working_day(d) is working


def test_extra_holiday_formats() -> None:
    cal = BusinessCalendar.from_config(
        holidays=None, extra_holidays=["12-29..01-03", "2026-05-01", "08-13", "2026-07-27..2026-07-29"]
    )
    yes = [date(2026, 12, 29), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 3), date(2025, 12, 30),
           date(2026, 5, 1), date(2026, 8, 13), date(2027, 8, 13), date(2026, 7, 28)]
    no = [date(2026, 12, 28), date(2027, 1, 4), date(2027, 5, 1), date(2026, 7, 30), date(2026, 11, 23)]
    assert all(cal.is_holiday(d) for d in yes)
    assert not any(cal.is_holiday(d) for d in no)


@pytest.mark.parametrize(
    ("calendar", "moment", "is_open"),
    [
        (JP, jst(2026, 11, 24, 9, 0), True),
        (JP, jst(2026, 11, 24, 17, 59, 59), True),
        (JP, jst(2026, 11, 24, 18, 0), False),  # periods are half-open
        (JP, jst(2026, 11, 24, 8, 59), False),
        (JP, jst(2026, 11, 23, 12, 0), False),  # holiday
        (JP, datetime(2026, 11, 24, 0, 30, tzinfo=UTC), True),  # 09:30 JST
        (KOLKATA_NIGHT, at(KOLKATA, 2026, 11, 21, 5, 0), True),  # Saturday morning, Friday's period
        (KOLKATA_NIGHT, at(KOLKATA, 2026, 11, 21, 22, 0), False),  # Saturday night
        (KOLKATA_NIGHT, at(KOLKATA, 2026, 11, 23, 0, 30), False),  # Sunday's period does not exist
        (KOLKATA_NIGHT, jst(2026, 11, 21, 8, 30), True),  # = Sat 05:00 IST
        (KOLKATA_NIGHT, at(KOLKATA, 2026, 11, 20, 12, 0), False),
        (NY_24X7, at(NEW_YORK, 2026, 12, 25, 3, 0), True),
    ],
)
def test_is_open(calendar: BusinessCalendar, moment: datetime, is_open: bool) -> None:
    assert calendar.is_open(moment) is is_open


def test_next_open() -> None:
    assert JP.next_open(jst(2026, 11, 24, 10, 0)) == jst(2026, 11, 24, 10, 0)
    assert JP.next_open(jst(2026, 11, 20, 18, 0)) == jst(2026, 11, 24, 9, 0)
    # 23:30 JST Friday = 20:00 IST: opens at 22:00 IST.
    got = KOLKATA_NIGHT.next_open(jst(2026, 11, 20, 23, 30))
    assert got == at(KOLKATA, 2026, 11, 20, 22, 0)
    assert got.tzinfo == KOLKATA
    assert LA_NIGHT.next_open(at(LA, 2026, 11, 21, 6, 0)) == at(LA, 2026, 11, 23, 22, 0)


def test_periods() -> None:
    got = list(JP.periods(jst(2026, 11, 20, 12, 0), jst(2026, 11, 24, 12, 0)))
    assert got == [(jst(2026, 11, 20, 12, 0), jst(2026, 11, 20, 18, 0)), (jst(2026, 11, 24, 9, 0), jst(2026, 11, 24, 12, 0))]
    assert all(p.tzinfo == TOKYO for pair in got for p in pair)
    # The period that opens Friday 22:00 runs to Saturday 06:00.
    night = list(LA_NIGHT.periods(at(LA, 2026, 11, 20, 0, 0), at(LA, 2026, 11, 24, 0, 0)))
    assert night == [
        (at(LA, 2026, 11, 20, 0, 0), at(LA, 2026, 11, 20, 6, 0)),  # tail of Thursday's
        (at(LA, 2026, 11, 20, 22, 0), at(LA, 2026, 11, 21, 6, 0)),
        (at(LA, 2026, 11, 23, 22, 0), at(LA, 2026, 11, 24, 0, 0)),
    ]
    assert list(JP.periods(jst(2026, 11, 24, 12, 0), jst(2026, 11, 24, 12, 0))) == []


# ---------------------------------------------------------------------------
# between()
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "a", "b", "expected"),
    [
        (JP, jst(2026, 11, 20, 17, 50), jst(2026, 11, 24, 9, 20), timedelta(minutes=30)),
        (JP, jst(2026, 11, 24, 9, 20), jst(2026, 11, 20, 17, 50), timedelta(0)),  # b <= a
        (JP, jst(2026, 5, 1, 0, 0), jst(2026, 5, 8, 0, 0), timedelta(hours=18)),  # Golden Week
        # Business hours, not wall hours, across spring-forward (a full week = 5 x 8h).
        (NY, at(NEW_YORK, 2026, 3, 6, 9, 0), at(NEW_YORK, 2026, 3, 13, 9, 0), timedelta(hours=40)),
        (NY, at(NEW_YORK, 2026, 3, 6, 16, 30), at(NEW_YORK, 2026, 3, 9, 9, 30), timedelta(hours=1)),
        (NY, at(NEW_YORK, 2026, 10, 30, 9, 0), at(NEW_YORK, 2026, 11, 6, 9, 0), timedelta(hours=40)),
        # 24x7 counts real time: 01:30 EST -> 03:30 EDT is one hour.
        (NY_24X7, at(NEW_YORK, 2026, 3, 8, 1, 30), at(NEW_YORK, 2026, 3, 8, 3, 30), timedelta(hours=1)),
        # Fall-back: 00:30 EDT -> 02:30 EST is three hours.
        (NY_24X7, at(NEW_YORK, 2026, 11, 1, 0, 30), at(NEW_YORK, 2026, 11, 1, 2, 30), timedelta(hours=3)),
        (NY_24X7, at(NEW_YORK, 2026, 11, 1, 1, 30), at(NEW_YORK, 2026, 11, 1, 1, 30, fold=1), timedelta(hours=1)),
        # Night periods straddling the switches: 7h in spring, 9h in autumn.
        (LA_NIGHT_DAILY, at(LA, 2026, 3, 7, 22, 0), at(LA, 2026, 3, 8, 6, 0), timedelta(hours=7)),
        (LA_NIGHT_DAILY, at(LA, 2026, 10, 31, 22, 0), at(LA, 2026, 11, 1, 6, 0), timedelta(hours=9)),
        (KOLKATA_NIGHT, jst(2026, 11, 20, 0, 0), jst(2026, 11, 23, 0, 0), timedelta(hours=16)),  # Thu 20:30 IST .. Sun 20:30 IST: two nights
    ],
)
def test_between(calendar: BusinessCalendar, a: datetime, b: datetime, expected: timedelta) -> None:
    assert calendar.between(a, b) == expected


def test_working_day_length() -> None:
    assert JP.working_day_length() == timedelta(hours=9)
    assert KOLKATA_NIGHT.working_day_length() == timedelta(hours=8)
    assert NY_24X7.working_day_length() == timedelta(hours=24)
    assert BusinessCalendar.from_config(hours="00:00-24:00").working_day_length() == timedelta(hours=24)
    assert BusinessCalendar.from_config(hours="00:00-00:00").working_day_length() == timedelta(hours=24)


@pytest.mark.parametrize("method", ["is_open", "next_open"])
def test_naive_datetime_rejected(method: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        getattr(JP, method)(datetime(2026, 11, 24, 10, 0))


def test_naive_datetime_rejected_by_arithmetic() -> None:
    naive = datetime(2026, 11, 24, 10, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        JP.add(naive, timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        JP.between(naive, jst(2026, 11, 25, 10, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        list(JP.periods(naive, jst(2026, 11, 25, 10, 0)))


# ---------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------


def test_from_config_defaults_and_variants() -> None:
    assert JP.tz == TOKYO
    assert JP.working_days == frozenset(range(5))
    assert (JP.opens, JP.closes) == (time(9), time(18))
    assert JP.holiday_country == "JP"
    assert not JP.always_open
    assert BusinessCalendar.from_config(working_days="mon-fri").working_days == frozenset(range(5))
    assert BusinessCalendar.from_config(working_days=["Monday", "SAT"]).working_days == frozenset({0, 5})
    assert BusinessCalendar.from_config(working_days="sat-mon").working_days == frozenset({5, 6, 0})
    assert BusinessCalendar.from_config(holidays="none").holiday_country is None
    assert BusinessCalendar.from_config(holidays="us").holiday_country == "US"
    assert NY_24X7.always_open


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"working_days": ["mon", "funday"]}, "unknown weekday 'funday'"),
        ({"working_days": []}, "working_days is empty"),
        ({"hours": "25:00-18:00"}, "bad hours '25:00-18:00'"),
        ({"hours": "09:60-18:00"}, "bad hours"),
        ({"hours": "9-18"}, "bad hours"),
        ({"hours": "09:00-24:30"}, "bad hours"),
        ({"holidays": "XX"}, "unknown holiday country 'XX'"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown timezone 'Mars/Olympus_Mons'"),
        ({"timezone": "../etc/passwd"}, "unknown timezone"),
        ({"mode": "sometimes"}, "unknown calendar mode 'sometimes'"),
        ({"extra_holidays": ["13-45"]}, "bad extra holiday '13-45'"),
        ({"extra_holidays": ["christmas"]}, "bad extra holiday 'christmas'"),
        ({"extra_holidays": ["2026-05-03..2026-05-01"]}, "ends before it starts"),
    ],
)
def test_bad_config(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        BusinessCalendar.from_config(**kwargs)  # type: ignore[arg-type]


def test_direct_construction_validates() -> None:
    with pytest.raises(ValueError, match="weekday numbers"):
        BusinessCalendar(TOKYO, working_days=frozenset({7}))
    with pytest.raises(ValueError, match="unknown holiday country"):
        BusinessCalendar(TOKYO, holiday_country="ZZ")


# ---------------------------------------------------------------------------
# Efficiency
# ---------------------------------------------------------------------------


def test_add_walks_days_not_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    original = BusinessCalendar._period

    def counting(self: BusinessCalendar, d: date) -> tuple[datetime, datetime]:
        nonlocal calls
        calls += 1
        return original(self, d)

    monkeypatch.setattr(BusinessCalendar, "_period", counting)
    start = jst(2026, 12, 1, 10, 0)
    # 30 working days, skipping 2027-01-01 (元日) and 2027-01-11 (成人の日).
    assert JP.add(start, parse_duration("30d")) == jst(2027, 1, 14, 10, 0)
    assert calls <= 35  # one per working day, not per minute
    calls = 0
    assert JP.add(start, timedelta(hours=9 * 30)) == jst(2027, 1, 14, 10, 0)
    assert calls <= 35


def test_holiday_lookup_is_cached() -> None:
    cal_mod._public_holidays.cache_clear()
    for _ in range(3):
        JP.add(jst(2026, 1, 5, 10, 0), parse_duration("30d"))
    info = cal_mod._public_holidays.cache_info()
    assert info.misses == 1  # one `holidays` computation for 2026
    assert info.hits > 50
    began = wall_clock.perf_counter()
    for _ in range(200):
        JP.add(jst(2026, 1, 5, 10, 0), parse_duration("30d"))
    assert wall_clock.perf_counter() - began < 2.0


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

PROPERTY_CALENDARS = {
    "jp": JP_YEAR_END,
    "new_york": NY,
    "la_night_daily": LA_NIGHT_DAILY,  # crosses midnight and, some nights, DST
    "kolkata_night": KOLKATA_NIGHT,
}
ANY_ZONE = st.sampled_from([UTC, TOKYO, NEW_YORK, LA, KOLKATA])
STARTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=ANY_ZONE, allow_imaginary=False
)


@settings(max_examples=150, deadline=None, database=None)
@given(name=st.sampled_from(sorted(PROPERTY_CALENDARS)), start=STARTS, data=st.data())
def test_property_between_inverts_add(name: str, start: datetime, data: st.DataObject) -> None:
    cal = PROPERTY_CALENDARS[name]
    limit = int(cal.working_day_length().total_seconds()) * 30
    seconds = data.draw(st.integers(min_value=0, max_value=limit), label="seconds")
    due = cal.add(start, timedelta(seconds=seconds))
    assert due.tzinfo == cal.tz
    assert due >= start
    assert cal.between(start, due) == timedelta(seconds=seconds)
    if seconds:
        # The deadline lies inside business time (or exactly at a close).
        assert cal.is_open(due - timedelta(microseconds=1))


@settings(max_examples=100, deadline=None, database=None)
@given(
    name=st.sampled_from(["jp", "new_york", "kolkata_night"]),  # no period straddles a DST switch
    start=STARTS,
    days=st.integers(min_value=0, max_value=30),
    seconds=st.integers(min_value=0, max_value=8 * 3600),
)
def test_property_working_days_are_full_days(name: str, start: datetime, days: int, seconds: int) -> None:
    cal = PROPERTY_CALENDARS[name]
    due = cal.add(start, Duration(days=days, seconds=seconds))
    assert cal.between(start, due) == cal.working_day_length() * days + timedelta(seconds=seconds)
