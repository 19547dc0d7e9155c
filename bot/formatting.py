"""Locale-aware formatting of money, numbers, dates and durations (ja / en).

Japanese sales teams read amounts in 万/億, so JPY gets a hand-written compact
form; other currencies go through babel.  Dates use fixed tables rather than
CLDR patterns so Slack messages stay byte-for-byte stable across babel
upgrades.
"""

from __future__ import annotations


from datetime import date, datetime, timedelta
from collections.abc import Iterable, Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import numbers as babel_numbers

__all__ = [
    "apportion",
    "format_money_parts",
    "format_waterfall",
    "money_unit",
    "to_unit",
    "format_date",
    "format_datetime",
    "format_duration",
    "format_money",
    "format_number",
    "format_percent",
    "format_time",
    "tz_label",
]

_BABEL_LOCALES = {"ja": "ja_JP", "en": "en_US"}
_JA_WEEKDAYS = ("月", "火", "水", "木", "金", "土", "日")
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _lang(locale: str) -> str:
    """Normalise "ja", "ja_JP", "en-US" … to "ja" / "en"; anything else is an error."""
    key = str(locale).replace("-", "_").split("_")[0].lower()
    if key not in _BABEL_LOCALES:
        raise ValueError(f"unsupported locale '{locale}': use ja or en")
    return key


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone '{tz}'") from None


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware, got naive {dt.isoformat()}")
    return dt


# --------------------------------------------------------------------------
# Money and numbers
# --------------------------------------------------------------------------


def _to_decimal(amount: int | float | Decimal) -> Decimal:
    if isinstance(amount, bool):
        raise TypeError("amount must be a number, not bool")
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise ValueError(f"bad amount {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"amount must be finite, got {amount!r}")
    return value


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _group(value: Decimal) -> str:
    """Thousands separators; a whole number loses its ".0"."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,}"


_ONE = Decimal(1)
MAN = Decimal(10**4)
OKU = Decimal(10**8)


def _ja_jpy(magnitude: Decimal) -> str:
    """Exact to the 万円 ("1億5,620万円", "3,400万円"), in yen under 1万円 ("9,800円")."""
    yen = _round(magnitude, 0)
    if yen < MAN:
        return _group(yen)
    man = int(_round(yen / MAN, 0))
    oku, rest = divmod(man, 10**4)
    if not oku:
        return f"{rest:,}万"
    return f"{oku:,}億" + (f"{rest:,}万" if rest else "")


def money_unit(locale: str, values: Iterable[int | float | Decimal] = ()) -> Decimal:
    """The unit amounts are shown to: ja 1万円 once any of `values` reaches it (else 1円), en 1円."""
    if _lang(locale) == "ja" and any(_round(abs(_to_decimal(v)), 0) >= MAN for v in values):
        return MAN
    return _ONE


def to_unit(amount: int | float | Decimal, unit: Decimal) -> Decimal:
    """`amount` rounded half-up (away from zero) to a multiple of `unit`: what `format_money` shows."""
    v = _to_decimal(amount)
    q = _round(abs(v) / unit, 0) * unit
    return -q if v < 0 else q


def apportion(parts: Sequence[int | float | Decimal], total: int | float | Decimal, unit: Decimal) -> list[Decimal]:
    """Parts rounded to multiples of `unit` that add up exactly to `total` rounded to `unit`
    (largest remainder: every part is its floor or its floor + one unit, the ones with the largest
    remainders go up). Parts may be negative (a waterfall's steps); `total` should be their sum
    give or take the rounding of the figures around them (a waterfall's now − start)."""
    vals = [_to_decimal(p) / unit for p in parts]
    target = to_unit(total, unit) / unit
    floors = [v.to_integral_value(rounding=ROUND_FLOOR) for v in vals]
    extra = int(target - sum(floors, Decimal(0)))
    order = sorted(range(len(vals)), key=lambda i: (-(vals[i] - floors[i]), i))
    out = list(floors)
    if 0 <= extra <= len(vals):
        for i in order[:extra]:
            out[i] += 1
    else:  # `total` far from the parts' sum: nothing to reconcile, round each
        out = [_round(v, 0) for v in vals]
    return [o * unit for o in out]


def format_money(
    amount: int | float | Decimal,
    currency: str = "JPY",
    locale: str = "ja",
    *,
    compact: bool = True,
) -> str:
    """ja: "1億5,620万円", "3,400万円", "9,800円" (exact to the 万円, in yen under 1万円); en:
    "¥156,200,000" (every yen, as docs/configuration.md documents); other currencies via babel.

    ``compact`` only affects ja JPY (``False``: every yen, "156,200,000円"). Other currencies are
    always shown in full (e.g. "$1,234.50"), since 万/億 scaling of dollars confuses readers.
    Parts of a total shown together are first made to add up with `apportion`.
    """
    lang = _lang(locale)
    code = str(currency).strip().upper()
    if not babel_numbers.is_currency(code):
        raise ValueError(f"unknown currency '{currency}': use an ISO 4217 code such as JPY or USD")
    value = _to_decimal(amount)
    if code != "JPY":
        return babel_numbers.format_currency(value, code, locale=_BABEL_LOCALES[lang])

    magnitude = abs(value)
    body = _ja_jpy(magnitude) if compact and lang == "ja" else _group(_round(magnitude, 0))
    # Sign from the rounded figure, so -0.4 yen is "0円" not "-0円".
    sign = "-" if value < 0 and body.strip("0") else ""
    return f"{sign}{body}円" if lang == "ja" else f"{sign}¥{body}"


def format_money_parts(
    parts: Sequence[int | float | Decimal], locale: str, total: int | float | Decimal | None = None
) -> tuple[list[str], str]:
    """Parts of a total and the total, shown so that the shown parts add up to the shown total
    (JPY). `total` defaults to the parts' sum."""
    exact = sum((_to_decimal(p) for p in parts), Decimal(0)) if total is None else _to_decimal(total)
    unit = money_unit(locale, [*parts, exact])
    shown = apportion(parts, exact, unit)
    return [format_money(v, "JPY", locale) for v in shown], format_money(to_unit(exact, unit), "JPY", locale)


def format_waterfall(start: Decimal, steps: Sequence[Decimal], now: Decimal, locale: str) -> tuple[str, list[str], str]:
    """A waterfall's start, steps and end shown so that start + Σ steps = end on screen (JPY)."""
    unit = money_unit(locale, [start, *steps, now])
    s, n = to_unit(start, unit), to_unit(now, unit)
    shown = apportion(steps, n - s, unit)
    return format_money(s, "JPY", locale), [format_money(v, "JPY", locale) for v in shown], format_money(n, "JPY", locale)


@lru_cache(maxsize=4096)  # babel re-reads the locale's pattern per call; a card shows several numbers
def format_number(n: int | float | Decimal, locale: str) -> str:
    """Thousands separators per locale (ja and en both use "1,234,567")."""
    return babel_numbers.format_decimal(n, locale=_BABEL_LOCALES[_lang(locale)])


def format_average(v: int | float | Decimal, locale: str) -> str:
    """An average or a rate of a count (MQLs per day, deals per rep per year, people, months): at most
    one decimal, half up, no trailing ".0" — 20, 0.6, 1.7, 1,234.5 (docs/metrics.md, display rules)."""
    d = Decimal(str(v))
    if d.is_finite():
        d = d.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return babel_numbers.format_decimal(d, format="#,##0.#", locale=_BABEL_LOCALES[_lang(locale)])


def format_percent(ratio: float, locale: str, digits: int = 0) -> str:
    """0.253 -> "25%"; digits=1 -> "25.3%"."""
    if digits < 0:
        raise ValueError(f"digits must be >= 0, got {digits}")
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    # Half up, as docs/metrics.md says (babel would round half to even: 62.5% → 62%); rounded here
    # first so babel has nothing left to round.
    shown = Decimal(str(ratio))
    if shown.is_finite():
        shown = (shown * 100).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP) / 100
    return babel_numbers.format_percent(shown, format=pattern, locale=_BABEL_LOCALES[_lang(locale)])


# --------------------------------------------------------------------------
# Dates and times
# --------------------------------------------------------------------------


def _today_in(today: date | datetime | None, tz: ZoneInfo) -> date | None:
    if isinstance(today, datetime):
        return _aware(today).astimezone(tz).date()
    return today


def format_date(d: date, locale: str, today: date | None = None) -> str:
    """ja "11月24日(火)", en "Tue, Nov 24"; the year is added when ``today`` is in another year."""
    lang = _lang(locale)
    if isinstance(d, datetime):
        d = d.date()
    with_year = today is not None and today.year != d.year
    if lang == "ja":
        year = f"{d.year}年" if with_year else ""
        return f"{year}{d.month}月{d.day}日({_JA_WEEKDAYS[d.weekday()]})"
    year = f", {d.year}" if with_year else ""
    return f"{_EN_WEEKDAYS[d.weekday()]}, {_EN_MONTHS[d.month - 1]} {d.day}{year}"


def format_time(dt: datetime, locale: str, tz: ZoneInfo | str) -> str:
    """24-hour "14:35" in ``tz`` (same for ja and en)."""
    _lang(locale)
    local = _aware(dt).astimezone(_zone(tz))
    return f"{local.hour:02d}:{local.minute:02d}"


def format_datetime(
    dt: datetime,
    locale: str,
    tz: ZoneInfo | str,
    today: date | datetime | None = None,
) -> str:
    """ja "11月24日(火) 14:35", en "Tue, Nov 24 14:35"; only "14:35" when on ``today`` (in tz)."""
    zone = _zone(tz)
    local = _aware(dt).astimezone(zone)
    day = _today_in(today, zone)
    clock = format_time(local, locale, zone)
    if day is not None and local.date() == day:
        return clock
    return f"{format_date(local.date(), locale, day)} {clock}"


# Largest unit first; each duration shows at most its two leading units.
_DURATION_UNITS = {
    "ja": (("日", ""), ("時間", ""), ("分", "")),
    "en": ((" d", " "), (" h", " "), (" min", " ")),
}
_UNDER_A_MINUTE = {"ja": "1分未満", "en": "<1 min"}


def format_duration(td: timedelta, locale: str) -> str:
    """ja "12分", "1時間5分", "2日3時間"; en "12 min", "1 h 5 min", "2 d 3 h".

    Truncates to whole minutes (an SLA with 59m59s left reads "59分") and keeps
    the two largest units.  Negative values (overdue) get a leading "-".
    """
    lang = _lang(locale)
    total_minutes = int(abs(td).total_seconds() // 60)
    if total_minutes == 0:
        return _UNDER_A_MINUTE[lang]
    days, rem = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rem, 60)
    values = [days, hours, minutes]
    first = next(i for i, v in enumerate(values) if v)
    parts = [
        f"{values[i]}{_DURATION_UNITS[lang][i][0]}"
        for i in range(first, min(first + 2, 3))
        if values[i]
    ]
    joiner = _DURATION_UNITS[lang][0][1]
    return ("-" if td < timedelta(0) else "") + joiner.join(parts)


def tz_label(tz: ZoneInfo | str, at: datetime, locale: str) -> str:
    """Abbreviation in force at ``at``: "JST", "EST"/"EDT"; numeric zones become "UTC+4"."""
    _lang(locale)
    local = _aware(at).astimezone(_zone(tz))
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    # zoneinfo has no letters for many zones ("+04", "-0330"): spell the offset out.
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    hours, rem = divmod(int(abs(offset).total_seconds()), 3600)
    return f"UTC{sign}{hours}" + (f":{rem // 60:02d}" if rem else "")


