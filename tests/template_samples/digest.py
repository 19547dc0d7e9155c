from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

KIND = "message"

FUNNEL = ("lead", "mql", "sal", "sql", "opportunity", "won")
# Words the caller takes from the catalogue (pl_funnel.*, reasons.*); fixed here, any locale.
STAGE_NAMES = {"lead": "Leads", "mql": "MQL", "sal": "SAL", "sql": "SQL", "opportunity": "Opportunity", "won": "Won"}


def _coverage(**kw):
    base = dict(period=SimpleNamespace(key="FY2026-Q3"), target=Decimal("150000000"), won=Decimal("42000000"), remaining=Decimal("108000000"),
                win_rate=0.234, win_rate_from_history=True, required=Decimal("461538462"), pipeline=Decimal("380000000"), ratio=0.8233)
    return SimpleNamespace(**{**base, **kw})


def _digest(**kw):
    base = dict(
        day=date(2026, 11, 24), since=datetime(2026, 11, 22, 15, 0, tzinfo=UTC), team_name="Inside Sales & <Co>",
        flow={"leads": 1234, "mqls": 56, "sals": 20, "rejects": 9, "sqls": 8, "opportunities": 4, "created": 5,
              "won": (2, Decimal("9000000")), "lost": (1, Decimal("3000000"))},
        sla=[{"team": "IS <East>", "answered": 18, "pct": 88.9, "median": 42.5}, {"team": "IS West", "answered": 0, "pct": None, "median": None}],
        pipeline=[{"phase": p, "n": p * 3, "amount": Decimal(p * 12000000)} for p in (1, 2, 3, 4, 5)],
        coverage=_coverage(),
        funnel=[{"stage": s, "n": n, "rate": r} for s, n, r in zip(FUNNEL, (400, 120, 60, 30, 20, 6), (None, 0.3, 0.5, 0.5, 0.667, 0.3), strict=True)],
        funnel_period="FY2026-Q3",
        trends=[{"kpi": "leads", "last": 402.0, "dir3": "up", "dir6": "flat", "money": False, "ratio": False},
                {"kpi": "bookings", "last": 31000000.0, "dir3": "down", "dir6": "up", "money": True, "ratio": False},
                {"kpi": "win_rate", "last": 0.25, "dir3": "flat", "dir6": "down", "money": False, "ratio": True}],
        attention=[
            {"owner": "tanaka", "slack_id": "U0TANAKA", "name": "Tanaka", "deals": [
                {"id": 11, "name": "Big <deal> & co", "amount": Decimal("12000000"), "flags": ["past_close", "overdue_action", "stalled", "missing"],
                 "missing": ["key_person", "risks"], "stalled_days": 45, "phase": 3},
                {"id": 12, "name": "Small deal", "amount": Decimal(0), "flags": ["missing"], "missing": ["amount"], "stalled_days": None, "phase": 1}]},
            {"owner": "ghost", "slack_id": None, "name": "ghost", "deals": [
                {"id": 13, "name": "Orphan", "amount": Decimal("500000"), "flags": ["past_close"], "missing": [], "stalled_days": None, "phase": 2}]},
        ],
        more=4,
        cs=None,
    )
    return SimpleNamespace(**{**base, **kw})


SAMPLES = [
    {"d": _digest(), "reasons_shown": [{"label": "Not a fit", "n": 5}, {"label": "Spam", "n": 3}], "stage_names": STAGE_NAMES, "win_window": 12, "backtest": None},
    # the company digest: no target, nothing answered, nothing rejected, no deal needing attention
    {"d": _digest(team_name=None, sla=[], coverage=_coverage(target=None, remaining=None, required=None, ratio=None, win_rate_from_history=False),
                  attention=[], more=0, flow={"leads": 0, "mqls": 0, "sals": 0, "rejects": 0, "sqls": 0, "opportunities": 0, "created": 0,
                                              "won": (0, Decimal(0)), "lost": (0, Decimal(0))}),
     "reasons_shown": [], "stage_names": STAGE_NAMES, "win_window": 12, "backtest": None},
    # a target but the configured win rate, no required pipeline yet (coverage unknown)
    {"d": _digest(coverage=_coverage(win_rate_from_history=False, required=None, ratio=None), more=0),
     "reasons_shown": [{"label": "Other", "n": 1}], "stage_names": STAGE_NAMES, "win_window": 6, "backtest": None},
    # the first digest of a month: the backtest line
    {"d": _digest(), "reasons_shown": [], "stage_names": STAGE_NAMES, "win_window": 12,
     "backtest": "*Backtest Month 2026-10*: actual ¥10,000,000 · Baton ¥9,600,000 (−4.0%) · call ¥12,000,000 (+20.0%) · commit sum ¥8,000,000 "
                 "(−20.0%) — running MAPE over 5 periods: Baton 6.2% · call 14.0% · commit sum 22.9%"},
]

# a CS team's digest: its accounts instead of leads, SLA, coverage and funnel
_CS = SimpleNamespace(accounts=12, arr=Decimal("98765000"), bands={"green": 7, "yellow": 3, "red": 1, "none": 1},
                      renewals=(4, Decimal("31000000")), churned=(1, Decimal("2400000")), churned_day=(0, Decimal(0)), upsell_won=(2, Decimal("5500000")))
SAMPLES.append({"d": _digest(team_name="CS <East>", sla=[], funnel=[], cs=_CS), "reasons_shown": [], "stage_names": STAGE_NAMES, "win_window": 12, "backtest": None})
