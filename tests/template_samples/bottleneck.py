from decimal import Decimal

KIND = "message"


def _stage(stage, at_stake, **kw):
    """A stage as notify.pipeline.stage_view hands it over (a dict, the windows' conversion precomputed)."""
    base = {"stage": stage, "recent": {"arrivals": 12, "conversion": 0.25, "median_days": 9.25}, "baseline": {"arrivals": 40, "conversion": 0.4, "median_days": 6.0},
            "wip": 1234, "wip_growth": 7, "load": 1.3, "downstream_yield": 0.183, "at_stake": Decimal(at_stake)}
    return {**base, **kw}


_COMMON = {"recent_days": 28, "baseline_days": 91, "average_deal": Decimal("4500000"), "team_name": None}

SAMPLES = [
    # a new bottleneck, with buttons
    {**_COMMON, "b": _stage("phase3", "32000000"), "watch": [_stage("mql_to_sal", "9000000"), _stage("sal_to_sql", "1200000")], "alert_id": 5, "state_line": None},
    # after Acknowledge: a state line instead of buttons; conversion and median unknown, WIP shrinking, no load
    {**_COMMON, "b": _stage("sql_to_opportunity", "500000", recent={"arrivals": 0, "conversion": None, "median_days": None},
                             wip_growth=-3, load=None), "watch": [], "alert_id": 5, "state_line": "Acknowledged by <@U0MGR>."},
    # the weekly summary without an alert
    {**_COMMON, "b": _stage("mql_to_sal", "100"), "watch": [], "alert_id": None, "state_line": None},
    # nothing got worse
    {**_COMMON, "b": None, "watch": [], "alert_id": None, "state_line": None},
    # `/bottleneck team`: one team's
    {**_COMMON, "b": _stage("mql_to_sal", "100"), "watch": [], "alert_id": None, "state_line": None, "team_name": "IS <east>"},
]
