"""Tests for bot.formatting: exact strings for ja and en."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.formatting import (
    format_date,
    format_datetime,
    format_duration,
    format_money,
    format_number,
    format_percent,
    format_time,
    tz_label,
)

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


# ---------------------------------------------------------------------------
# Money
# ---------------------------------------------------------------------------

JPY_CASES = [
    # amount, ja compact, en, ja full, en full — ja exact to the 万円 (under 1万円 in yen), en in yen
    (156_200_000, "1億5,620万円", "¥156,200,000", "156,200,000円", "¥156,200,000"),
    (120_000_000, "1億2,000万円", "¥120,000,000", "120,000,000円", "¥120,000,000"),
    (100_000_000, "1億円", "¥100,000,000", "100,000,000円", "¥100,000,000"),
    (1_200_000_000, "12億円", "¥1,200,000,000", "1,200,000,000円", "¥1,200,000,000"),
    (1_234_567_890, "12億3,457万円", "¥1,234,567,890", "1,234,567,890円", "¥1,234,567,890"),
    (150_000_000_000, "1,500億円", "¥150,000,000,000", "150,000,000,000円", "¥150,000,000,000"),
    (34_000_000, "3,400万円", "¥34,000,000", "34,000,000円", "¥34,000,000"),
    (12_345_678, "1,235万円", "¥12,345,678", "12,345,678円", "¥12,345,678"),
    (12_340_000, "1,234万円", "¥12,340,000", "12,340,000円", "¥12,340,000"),
    (250_000, "25万円", "¥250,000", "250,000円", "¥250,000"),
    (15_000, "2万円", "¥15,000", "15,000円", "¥15,000"),  # half up to the 万
    (14_999, "1万円", "¥14,999", "14,999円", "¥14,999"),
    (10_000, "1万円", "¥10,000", "10,000円", "¥10,000"),
    (9_800, "9,800円", "¥9,800", "9,800円", "¥9,800"),
    (0, "0円", "¥0", "0円", "¥0"),
    (99_999_999, "1億円", "¥99,999,999", "99,999,999円", "¥99,999,999"),
    (99_940_000, "9,994万円", "¥99,940,000", "99,940,000円", "¥99,940,000"),
    (100_005_000, "1億1万円", "¥100,005,000", "100,005,000円", "¥100,005,000"),
    (9_999.6, "1万円", "¥10,000", "10,000円", "¥10,000"),
    (Decimal("1234.5"), "1,235円", "¥1,235", "1,235円", "¥1,235"),  # yen has no decimals; half-up
    (-120_000_000, "-1億2,000万円", "-¥120,000,000", "-120,000,000円", "-¥120,000,000"),
    (-9_800, "-9,800円", "-¥9,800", "-9,800円", "-¥9,800"),
    (-0.4, "0円", "¥0", "0円", "¥0"),
]


@pytest.mark.parametrize(("amount", "ja", "en", "ja_full", "en_full"), JPY_CASES)
def test_format_money_jpy(amount: float, ja: str, en: str, ja_full: str, en_full: str) -> None:
    assert format_money(amount) == ja
    assert format_money(amount, "JPY", "en") == en
    assert format_money(amount, compact=False) == ja_full
    assert format_money(amount, "JPY", "en", compact=False) == en_full


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (1234.5, "USD", "ja", "$1,234.50"),
        (1234.5, "USD", "en", "$1,234.50"),
        (1_200_000, "USD", "ja", "$1,200,000.00"),  # compact only applies to JPY
        (-1234.5, "USD", "en", "-$1,234.50"),
        (Decimal("99.99"), "eur", "en", "€99.99"),
        (1234.5, "USD", "ja_JP", "$1,234.50"),
        (120_000_000, "JPY", "en-US", "¥120,000,000"),
    ],
)
def test_format_money_other(amount: float, currency: str, locale: str, expected: str) -> None:
    assert format_money(amount, currency, locale) == expected


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"amount": 1, "locale": "fr"}, ValueError),
        ({"amount": 1, "currency": "XYZ"}, ValueError),
        ({"amount": float("nan")}, ValueError),
        ({"amount": float("inf")}, ValueError),
        ({"amount": True}, TypeError),
    ],
)
def test_format_money_errors(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        format_money(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Numbers and percentages
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "locale", "expected"),
    [
        (1234567, "ja", "1,234,567"),
        (1234567, "en", "1,234,567"),
        (-9800, "en", "-9,800"),
        (1234.5, "ja", "1,234.5"),
        (0, "ja", "0"),
    ],
)
def test_format_number(n: float, locale: str, expected: str) -> None:
    assert format_number(n, locale) == expected


@pytest.mark.parametrize(
    ("ratio", "locale", "digits", "expected"),
    [
        (0.253, "ja", 0, "25%"),
        (0.253, "en", 0, "25%"),
        (0.253, "ja", 1, "25.3%"),
        (0.253, "en", 2, "25.30%"),
        (1.5, "en", 0, "150%"),
        (12.345, "ja", 0, "1,235%"),  # half up, as docs/metrics.md says (not half to even)
        (0.625, "ja", 0, "63%"),
        (0.0625, "en", 1, "6.3%"),
        (-0.1, "en", 0, "-10%"),
        (0, "ja", 1, "0.0%"),
    ],
)
def test_format_percent(ratio: float, locale: str, digits: int, expected: str) -> None:
    assert format_percent(ratio, locale, digits) == expected


def test_format_percent_rejects_negative_digits_and_locale() -> None:
    with pytest.raises(ValueError):
        format_percent(0.5, "ja", -1)
    with pytest.raises(ValueError):
        format_percent(0.5, "de")


# ---------------------------------------------------------------------------
# Dates and times
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "locale", "today", "expected"),
    [
        (date(2026, 11, 24), "ja", None, "11月24日(火)"),
        (date(2026, 11, 24), "en", None, "Tue, Nov 24"),
        (date(2026, 11, 24), "ja", date(2026, 1, 1), "11月24日(火)"),
        (date(2027, 1, 4), "ja", date(2026, 12, 28), "2027年1月4日(月)"),
        (date(2027, 1, 4), "en", date(2026, 12, 28), "Mon, Jan 4, 2027"),
        (date(2026, 5, 3), "ja", None, "5月3日(日)"),
        (date(2026, 5, 2), "en", None, "Sat, May 2"),
        (datetime(2026, 11, 24, 23, 0), "ja", None, "11月24日(火)"),  # a datetime is used as-is
    ],
)
def test_format_date(d: date, locale: str, today: date | None, expected: str) -> None:
    assert format_date(d, locale, today=today) == expected


@pytest.mark.parametrize(
    ("dt", "locale", "tz", "today", "expected"),
    [
        (datetime(2026, 11, 24, 14, 35, tzinfo=TOKYO), "ja", TOKYO, None, "11月24日(火) 14:35"),
        (datetime(2026, 11, 24, 14, 35, tzinfo=TOKYO), "en", "Asia/Tokyo", None, "Tue, Nov 24 14:35"),
        # Converted to tz first: 05:35 UTC = 14:35 JST.
        (datetime(2026, 11, 24, 5, 35, tzinfo=UTC), "ja", TOKYO, None, "11月24日(火) 14:35"),
        # ... which is 00:35 EST the same day, but 15:35 UTC is the next day in Tokyo.
        (datetime(2026, 11, 24, 5, 35, tzinfo=UTC), "en", NEW_YORK, None, "Tue, Nov 24 00:35"),
        (datetime(2026, 11, 24, 15, 35, tzinfo=UTC), "ja", TOKYO, None, "11月25日(水) 00:35"),
        # On `today` (in tz) only the time is shown.
        (datetime(2026, 11, 24, 5, 35, tzinfo=UTC), "ja", TOKYO, date(2026, 11, 24), "14:35"),
        (datetime(2026, 11, 24, 5, 35, tzinfo=UTC), "en", TOKYO, date(2026, 11, 24), "14:35"),
        (datetime(2026, 11, 24, 15, 35, tzinfo=UTC), "ja", TOKYO, date(2026, 11, 24), "11月25日(水) 00:35"),
        # `today` as an aware datetime is taken in tz: 2026-11-24 20:00 UTC is the 25th in Tokyo.
        (datetime(2026, 11, 24, 15, 35, tzinfo=UTC), "ja", TOKYO, datetime(2026, 11, 24, 20, 0, tzinfo=UTC), "00:35"),
        # Another year: the year is shown.
        (datetime(2027, 1, 4, 9, 15, tzinfo=TOKYO), "ja", TOKYO, date(2026, 12, 28), "2027年1月4日(月) 09:15"),
        (datetime(2027, 1, 4, 9, 15, tzinfo=TOKYO), "en", TOKYO, date(2026, 12, 28), "Mon, Jan 4, 2027 09:15"),
    ],
)
def test_format_datetime(dt: datetime, locale: str, tz: ZoneInfo | str, today: date | None, expected: str) -> None:
    assert format_datetime(dt, locale, tz, today=today) == expected


@pytest.mark.parametrize(
    ("dt", "locale", "tz", "expected"),
    [
        (datetime(2026, 11, 24, 5, 35, tzinfo=UTC), "ja", TOKYO, "14:35"),
        (datetime(2026, 11, 24, 5, 35, tzinfo=UTC), "en", "America/New_York", "00:35"),
        (datetime(2026, 7, 1, 13, 5, tzinfo=UTC), "en", NEW_YORK, "09:05"),  # EDT
    ],
)
def test_format_time(dt: datetime, locale: str, tz: ZoneInfo | str, expected: str) -> None:
    assert format_time(dt, locale, tz) == expected


def test_datetime_errors() -> None:
    naive = datetime(2026, 11, 24, 14, 35)
    with pytest.raises(ValueError, match="timezone-aware"):
        format_datetime(naive, "ja", TOKYO)
    with pytest.raises(ValueError, match="timezone-aware"):
        format_time(naive, "en", TOKYO)
    with pytest.raises(ValueError, match="unknown timezone"):
        format_time(datetime(2026, 11, 24, tzinfo=UTC), "ja", "Mars/Base")
    with pytest.raises(ValueError, match="unsupported locale"):
        format_date(date(2026, 11, 24), "zh")


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("td", "ja", "en"),
    [
        (timedelta(minutes=12), "12分", "12 min"),
        (timedelta(hours=1, minutes=5), "1時間5分", "1 h 5 min"),
        (timedelta(days=2, hours=3), "2日3時間", "2 d 3 h"),
        (timedelta(days=2, hours=3, minutes=59), "2日3時間", "2 d 3 h"),  # two largest units
        (timedelta(hours=1), "1時間", "1 h"),
        (timedelta(days=1), "1日", "1 d"),
        (timedelta(days=1, minutes=30), "1日", "1 d"),
        (timedelta(minutes=59, seconds=59), "59分", "59 min"),  # truncated, not rounded
        (timedelta(seconds=59), "1分未満", "<1 min"),
        (timedelta(0), "1分未満", "<1 min"),
        (timedelta(minutes=-12), "-12分", "-12 min"),  # overdue
        (timedelta(hours=-1, minutes=-5), "-1時間5分", "-1 h 5 min"),
    ],
)
def test_format_duration(td: timedelta, ja: str, en: str) -> None:
    assert format_duration(td, "ja") == ja
    assert format_duration(td, "en") == en


# ---------------------------------------------------------------------------
# Time-zone labels
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "at", "expected"),
    [
        (TOKYO, datetime(2026, 11, 24, tzinfo=UTC), "JST"),
        ("America/New_York", datetime(2026, 1, 15, 12, tzinfo=UTC), "EST"),
        ("America/New_York", datetime(2026, 7, 15, 12, tzinfo=UTC), "EDT"),
        # 2026-03-08 07:00 UTC is the first instant of EDT.
        ("America/New_York", datetime(2026, 3, 8, 6, 59, tzinfo=UTC), "EST"),
        ("America/New_York", datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "EDT"),
        ("Asia/Kolkata", datetime(2026, 11, 24, tzinfo=UTC), "IST"),
        ("UTC", datetime(2026, 11, 24, tzinfo=UTC), "UTC"),
        # zoneinfo has only numeric names for some zones.
        ("Asia/Dubai", datetime(2026, 11, 24, tzinfo=UTC), "UTC+4"),
        ("America/Sao_Paulo", datetime(2026, 11, 24, tzinfo=UTC), "UTC-3"),
        ("Asia/Kathmandu", datetime(2026, 11, 24, tzinfo=UTC), "UTC+5:45"),
    ],
)
def test_tz_label(tz: ZoneInfo | str, at: datetime, expected: str) -> None:
    assert tz_label(tz, at, "ja") == expected
    assert tz_label(tz, at, "en") == expected
