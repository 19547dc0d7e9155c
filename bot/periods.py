"""Fiscal periods (THE MODEL teams think in months and quarters of a fiscal year; April start by
default in Japan) and revenue targets per team / rep / period.

A fiscal year is named by the calendar year it starts in: with April start, FY2026 runs
2026-04-01 → 2027-03-31 and its Q3 is October–December 2026.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from dateutil.relativedelta import relativedelta

Kind = Literal["month", "quarter", "year"]
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_KEY = re.compile(r"^(?:(?P<y>\d{4})-(?P<m>\d{2})|FY(?P<fy>\d{4})(?:-Q(?P<q>[1-4]))?)$")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # exclusive
    kind: Kind
    key: str

    def contains(self, d: date | None) -> bool:
        return d is not None and self.start <= d < self.end  # no date (a deal not yet dated): in no period

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def fiscal_year_start(d: date, start_month: int = 4) -> date:
    year = d.year if d.month >= start_month else d.year - 1
    return date(year, start_month, 1)


def month_of(d: date) -> Period:
    start = date(d.year, d.month, 1)
    return Period(start, start + relativedelta(months=1), "month", f"{d.year:04d}-{d.month:02d}")


def quarter_of(d: date, start_month: int = 4) -> Period:
    fy = fiscal_year_start(d, start_month)
    q = ((d.year - fy.year) * 12 + d.month - fy.month) // 3
    start = fy + relativedelta(months=3 * q)
    return Period(start, start + relativedelta(months=3), "quarter", f"FY{fy.year}-Q{q + 1}")


def year_of(d: date, start_month: int = 4) -> Period:
    fy = fiscal_year_start(d, start_month)
    return Period(fy, fy + relativedelta(years=1), "year", f"FY{fy.year}")


def period_of(kind: Kind, d: date, start_month: int = 4) -> Period:
    return {"month": lambda: month_of(d), "quarter": lambda: quarter_of(d, start_month), "year": lambda: year_of(d, start_month)}[kind]()


def parse_period(key: str, start_month: int = 4) -> Period:
    """"2026-11", "FY2026-Q3" or "FY2026"; ValueError naming the accepted forms otherwise."""
    m = _KEY.match(key.strip()) if isinstance(key, str) else None
    if not m:
        raise ValueError(f"bad period '{key}': use 2026-11, FY2026-Q3 or FY2026")
    if m["y"]:
        month = int(m["m"])
        if not 1 <= month <= 12:
            raise ValueError(f"bad period '{key}': month {month}")
        return month_of(date(int(m["y"]), month, 1))
    fy = date(int(m["fy"]), start_month, 1)
    if m["q"]:
        return quarter_of(fy + relativedelta(months=3 * (int(m["q"]) - 1)), start_month)
    return year_of(fy, start_month)


def shift(period: Period, n: int, start_month: int = 4) -> Period:
    """The period n steps later (negative: earlier) of the same kind."""
    return period_of(period.kind, period.start + relativedelta(months=_MONTHS[period.kind] * n), start_month)


def months_in(period: Period) -> int:
    return _MONTHS[period.kind]


def target_for(targets: list, period: Period, *, team: str | None = None, person: str | None = None, start_month: int = 4) -> Decimal | None:
    """The configured target for a team or person in a period.

    An exact entry wins. Otherwise a month takes its quarter's (or year's) target pro rata, a
    quarter adds up its three months (or takes a quarter of the year), and a year adds up its quarters.
    """

    def exact(p: Period) -> Decimal | None:
        found = [t.amount for t in targets if t.period == p.key and t.team == team and t.person == person]
        return sum(found, Decimal(0)) if found else None

    def total(parts: list[Decimal | None]) -> Decimal | None:
        return sum(parts, Decimal(0)) if parts and all(p is not None for p in parts) else None  # type: ignore[arg-type]

    def month(p: Period) -> Decimal | None:
        return exact(p)

    def quarter(p: Period, use_year: bool = True) -> Decimal | None:
        found = exact(p)
        if found is None:
            found = total([month(month_of(p.start + relativedelta(months=i))) for i in range(3)])
        if found is None and use_year and (y := exact(year_of(p.start, start_month))) is not None:
            found = (y / 4).quantize(Decimal("1"))
        return found

    if period.kind == "year":
        return exact(period) or total([quarter(quarter_of(period.start + relativedelta(months=3 * i), start_month), False) for i in range(4)])
    if period.kind == "quarter":
        return quarter(period)
    found = exact(period)
    if found is None and (q := exact(quarter_of(period.start, start_month))) is not None:
        found = (q / 3).quantize(Decimal("1"))
    if found is None and (y := exact(year_of(period.start, start_month))) is not None:
        found = (y / 12).quantize(Decimal("1"))
    return found
