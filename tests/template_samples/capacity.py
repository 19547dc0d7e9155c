from datetime import date
from decimal import Decimal
from types import SimpleNamespace

KIND = "message"


def _plan(**kw):
    base = dict(
        year=SimpleNamespace(key="FY2026"), target=Decimal("600000000"), average_deal=Decimal("4500000"), average_from_history=True,
        won_deals=36, fs_reps=4, deals_per_rep_year=9.0, deals_from_history=True, revenue_per_rep=Decimal("40500000"),
        reps_needed=14.814814, effective_reps=4.5833333, hires=[{"name": "Suzuki <new>", "start": date(2027, 1, 4), "fte": 0.58333}],
        hires_needed=11, is_reps=3, is_capacity_per_day=24.0, mqls_per_day=30.4545, is_load=1.26894,
        next_quarter=SimpleNamespace(key="FY2026-Q4"), next_target=Decimal("150000000"), win_rate=0.234, required_next=Decimal("641025641"),
        created_pace=Decimal("480000000"), pace_ratio=0.7488, history_months=12.0, closed_deals=60, target_given=False,
    )
    return SimpleNamespace(**{**base, **kw})


SAMPLES = [
    {"c": _plan(), "ramp": 6, "per_day": 8, "min_months": 3, "min_closed": 10},
    # configured figures, on pace, no planned hires, no IS reps at work
    {"c": _plan(average_from_history=False, deals_from_history=False, hires=[], is_reps=0, is_capacity_per_day=0.0, is_load=None, pace_ratio=1.25,
                 history_months=2.9, closed_deals=1), "ramp": 3, "per_day": 8, "min_months": 3, "min_closed": 10},
    # no targets set
    {"c": _plan(target=None, reps_needed=None, hires_needed=None, next_target=None, required_next=None, pace_ratio=None), "ramp": 6, "per_day": 10, "min_months": 3, "min_closed": 10},
    # `/capacity 5億`: a target typed in
    {"c": _plan(target=Decimal("500000000"), target_given=True), "ramp": 6, "per_day": 8, "min_months": 3, "min_closed": 10},
]
