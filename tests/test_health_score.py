"""The health score against hand-computed figures: linear and threshold mappings, weights, bands,
and each way missing data can count."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config_sections.success import Health
from bot.domain.health import score
from bot.domain.renewals import due_offset, reminder_day

BASE = {
    "bands": {"green": 70, "yellow": 40},
    "measures": [
        {"id": "logins", "signal": "logins", "linear": {"from": 0, "to": 5}, "weight": 2},
        {"id": "features", "signal": "features_used", "thresholds": [{"min": 8, "points": 100}, {"min": 4, "points": 60}, {"min": 1, "points": 30}]},
        {"id": "nps", "signal": "nps", "thresholds": [{"min": 30, "points": 100}, {"min": 0, "points": 60}, {"points": 20}]},
    ],
}  # fmt: skip


def cfg(**over) -> Health:
    return Health.model_validate({**BASE, **over})


def test_weighted_mean_of_linear_and_threshold_points():
    # logins 2.5 → 50 pts (×2), features 5 → 60, nps 40 → 100: (100 + 60 + 100) / 4 = 65
    s, band, per = score({"logins": 2.5, "features": 5, "nps": 40}, cfg())
    assert (s, band) == (65, "yellow")
    assert per["logins"]["points"] == 50 and per["features"]["points"] == 60 and per["nps"]["points"] == 100


def test_clamping_no_threshold_match_and_green_band():
    # logins 7 → clamped 100 (×2), features 0 → no threshold → 0, nps −5 → 20: (200 + 0 + 20) / 4 = 55
    assert score({"logins": 7, "features": 0, "nps": -5}, cfg())[:2] == (55, "yellow")
    # logins 4 → 80 (×2), features 9 → 100, nps 30 → 100: (160 + 100 + 100) / 4 = 90
    assert score({"logins": 4, "features": 9, "nps": 30}, cfg())[:2] == (90, "green")


def test_missing_ignore_renormalises_the_weights():
    # nps missing: (2×50 + 60) / 3 = 53.33 → 53
    s, band, per = score({"logins": 2.5, "features": 5}, cfg(missing="ignore"))
    assert (s, band) == (53, "yellow") and per["nps"]["status"] == "missing"


def test_missing_counts_as_zero():
    # (2×50 + 60 + 0) / 4 = 40 → exactly the yellow edge
    assert score({"logins": 2.5, "features": 5, "nps": None}, cfg(missing="zero"))[:2] == (40, "yellow")
    # (2×50 + 0 + 0) / 4 = 25 → red
    assert score({"logins": 2.5}, cfg(missing="zero"))[:2] == (25, "red")


def test_missing_uses_last_known_value_or_is_ignored_without_one():
    # nps last known −10 → 20: (100 + 60 + 20) / 4 = 45
    s, _, per = score({"logins": 2.5, "features": 5}, cfg(missing="last_known"), {"nps": -10})
    assert s == 45 and per["nps"]["status"] == "last_known"
    assert score({"logins": 2.5, "features": 5}, cfg(missing="last_known"), {})[0] == 53


def test_per_measure_missing_rule_overrides_the_default():
    measures = [dict(m) for m in BASE["measures"]]
    measures[2]["missing"] = "zero"
    # features ignored, nps counted as 0: (2×50 + 0) / 3 = 33.33 → 33, red
    assert score({"logins": 2.5}, cfg(measures=measures, missing="ignore"))[:2] == (33, "red")


def test_reversed_linear_means_fewer_is_better_and_rounding_half_up():
    c = Health.model_validate({"measures": [
        {"id": "support", "signal": "support_high", "linear": {"from": 5, "to": 0}},
        {"id": "logins", "signal": "logins", "linear": {"from": 0, "to": 4}},
    ]})  # fmt: skip
    # support 1 → 80, logins 1.8 → 45: 62.5 → 63 (default bands 70/40 → yellow)
    assert score({"support": 1, "logins": 1.8}, c)[:2] == (63, "yellow")
    assert score({"support": 9}, c)[:2] == (0, "red")


def test_no_data_at_all_gives_no_score():
    assert score({}, cfg())[:2] == (None, None)


def test_config_refuses_a_measure_without_exactly_one_mapping():
    with pytest.raises(ValueError, match="exactly one of 'linear' or 'thresholds'"):
        Health.model_validate({"measures": [{"id": "x", "signal": "x"}]})


def test_renewal_offsets_across_month_ends():
    assert reminder_day(date(2027, 3, 31), 30) == date(2027, 3, 1)
    assert reminder_day(date(2027, 3, 1), 30) == date(2027, 1, 30)
    assert reminder_day(date(2028, 3, 31), 30) == date(2028, 3, 1)  # leap year: Feb has 29 days
    offsets = [90, 60, 30]
    assert due_offset(date(2027, 3, 31), offsets, date(2027, 2, 28)) == 60
    assert due_offset(date(2027, 3, 31), offsets, date(2027, 3, 1)) == 30
    assert due_offset(date(2027, 3, 31), offsets, date(2026, 12, 30)) is None
    assert due_offset(date(2027, 3, 31), offsets, date(2027, 3, 31)) is None
