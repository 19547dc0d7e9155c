"""Fiscal periods at year and quarter boundaries, and targets per period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.config_sections.pipeline import Target
from bot.periods import month_of, parse_period, quarter_of, shift, target_for, year_of


@pytest.mark.parametrize(
    ("day", "start_month", "quarter", "qstart", "year"),
    [
        (date(2026, 11, 24), 4, "FY2026-Q3", date(2026, 10, 1), "FY2026"),
        (date(2027, 3, 31), 4, "FY2026-Q4", date(2027, 1, 1), "FY2026"),
        (date(2027, 4, 1), 4, "FY2027-Q1", date(2027, 4, 1), "FY2027"),
        (date(2026, 1, 1), 1, "FY2026-Q1", date(2026, 1, 1), "FY2026"),
        (date(2026, 12, 31), 1, "FY2026-Q4", date(2026, 10, 1), "FY2026"),
        (date(2026, 9, 30), 10, "FY2025-Q4", date(2026, 7, 1), "FY2025"),
    ],
)
def test_quarters_and_years_follow_the_fiscal_start(day, start_month, quarter, qstart, year):
    q = quarter_of(day, start_month)
    assert (q.key, q.start) == (quarter, qstart) and q.contains(day) and not q.contains(q.end)
    assert year_of(day, start_month).key == year
    assert parse_period(quarter, start_month) == q


def test_shift_and_parse():
    assert shift(quarter_of(date(2027, 2, 1)), 1).key == "FY2027-Q1"
    assert shift(month_of(date(2026, 1, 15)), -1).key == "2025-12"
    assert parse_period("2026-02").days == 28
    for bad in ("2026-13", "Q3", "FY26-Q1", ""):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_targets_exact_pro_rata_and_summed():
    targets = [
        Target(period="FY2026-Q3", team="fs", amount=Decimal(90_000_000)),
        Target(period="2026-10", person="kato", amount=Decimal(10_000_000)),
        Target(period="2026-11", person="kato", amount=Decimal(12_000_000)),
        Target(period="2026-12", person="kato", amount=Decimal(14_000_000)),
    ]
    q3 = parse_period("FY2026-Q3")
    assert target_for(targets, q3, team="fs") == Decimal(90_000_000)
    assert target_for(targets, month_of(date(2026, 11, 5)), team="fs") == Decimal(30_000_000)
    assert target_for(targets, q3, person="kato") == Decimal(36_000_000)
    assert target_for(targets, parse_period("FY2026-Q4"), person="kato") is None
    with pytest.raises(ValueError):
        Target(period="FY2026-Q3", team="fs", person="kato", amount=1)
