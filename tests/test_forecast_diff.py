"""The forecast diff as a pure function: every change kind, a waterfall that adds up, periods at boundaries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.forecast_diff import STEPS, forecast_diff
from bot.periods import month_of, parse_period, quarter_of, shift

Q3 = parse_period("FY2026-Q3")  # Oct–Dec 2026 with an April fiscal year
RATES = {"USD": Decimal(150)}


def deal(i, amount=1_000_000, close="2026-12-10", phase=3, category="best_case", status="open", owner="kato", currency="JPY", won_on=None, **kw):
    return {"id": i, "name": f"deal {i}", "owner": owner, "amount": str(amount), "currency": currency, "close_date": close,
            "phase": phase, "category": category, "status": status, "won_on": won_on, **kw}  # fmt: skip


def by_id(diff):
    return {c.id: c for c in diff.changes}


def test_every_change_kind_is_classified_and_the_waterfall_adds_up():
    before = [
        deal(1, 5_000_000),  # amount up
        deal(2, 4_000_000),  # amount down
        deal(3, 3_000_000),  # slips to next quarter
        deal(4, 2_000_000),  # lost
        deal(5, 6_000_000, category="commit", phase=4),  # won
        deal(6, 1_000_000),  # deleted / gone from the CRM
        deal(7, 2_500_000),  # moved to yoshida
        deal(8, 1_500_000, close="2027-02-01"),  # pulled into the quarter
        deal(9, 7_000_000, phase=2, category="pipeline"),  # phase and category move, same amount
        deal(11, 10_000, currency="USD"),  # a USD deal whose amount goes up
    ]
    after = [
        deal(1, 6_000_000),
        deal(2, 3_000_000),
        deal(3, 3_000_000, close="2027-01-15"),
        deal(4, 2_000_000, status="lost", won_on="2026-11-20"),
        deal(5, 6_500_000, category="commit", phase=4, status="won", won_on="2026-11-23"),
        deal(7, 2_500_000, owner="yoshida"),
        deal(8, 1_500_000, close="2026-12-20"),
        deal(9, 7_000_000, phase=4, category="commit"),
        deal(10, 900_000),  # new
        deal(11, 12_000, currency="USD"),
    ]
    diff = forecast_diff(before, after, Q3, owners=["kato"], rates=RATES)
    c = by_id(diff)
    assert c[1].kinds == ("amount_up",) and c[1].step == "increased" and c[1].delta == 1_000_000
    assert c[2].kinds == ("amount_down",) and c[2].step == "decreased"
    assert c[3].kinds == ("slipped",) and c[3].step == "slipped" and c[3].delta == -3_000_000
    assert c[4].kinds == ("lost",) and c[4].step == "lost"
    # Won: the won step is its value now (what the message lists as won); its baseline value leaves the open forecast.
    assert c[5].kinds == ("won", "amount_up") and c[5].step == "won" and c[5].delta == 500_000
    assert c[5].parts == {"won": 6_500_000, "category": -6_000_000}
    assert c[6].kinds == ("removed",) and c[6].step == "category"
    assert c[7].kinds == ("moved_out",) and c[7].step == "category" and c[7].after["owner"] == "yoshida"
    assert c[8].kinds == ("pulled_in",) and c[8].step == "pulled_in" and c[8].delta == 1_500_000
    assert c[9].kinds == ("phase", "category") and c[9].step is None and c[9].delta == 0
    assert c[10].kinds == ("new",) and c[10].step == "new"
    # USD 10,000 → 12,000 at 150 JPY: ¥1.5M → ¥1.8M
    assert c[11].kinds == ("amount_up",) and (c[11].before_value, c[11].after_value) == (1_500_000, 1_800_000)
    assert c[11].currency == "USD"
    s = diff.steps
    assert (s["new"], s["pulled_in"], s["increased"], s["decreased"], s["slipped"], s["lost"], s["won"], s["category"]) == (
        900_000, 1_500_000, 1_300_000, -1_000_000, -3_000_000, -2_000_000, 6_500_000, -(6_000_000 + 1_000_000 + 2_500_000))
    assert s["won"] == sum(Decimal(d["amount"]) for d in after if d["status"] == "won")
    assert diff.adds_up()
    assert diff.start == sum(Decimal(d["amount"]) for d in before if d["id"] not in (8, 11)) + 1_500_000


def test_moves_inside_a_team_are_listed_but_do_not_change_the_team_total():
    before = [deal(1, 5_000_000, owner="kato")]
    after = [deal(1, 5_000_000, owner="yoshida")]
    team = forecast_diff(before, after, Q3, owners=["kato", "yoshida"])
    assert [c.kinds for c in team.changes] == [("moved",)] and team.start == team.now == 5_000_000
    joiner = forecast_diff([], after, Q3, owners=["yoshida"])  # from yoshida's side it moved in... without history it is new
    assert joiner.changes[0].kinds == ("new",)
    gained = forecast_diff(before, after, Q3, owners=["yoshida"])
    assert gained.changes[0].kinds == ("moved_in",) and gained.steps["category"] == 5_000_000 and gained.steps["new"] == 0


def test_deals_outside_the_period_or_omitted_do_not_count():
    before = [deal(1, 5_000_000, close="2027-03-01"), deal(2, 1_000_000)]
    after = [deal(1, 9_000_000, close="2027-03-02"), deal(2, 1_000_000, category="omitted")]
    diff = forecast_diff(before, after, Q3)
    assert [c.id for c in diff.changes] == [2] and diff.steps["category"] == -1_000_000 and diff.now == 0


def test_a_won_deal_counts_in_the_period_it_was_won():
    before = [deal(1, 5_000_000, close="2026-12-20")]
    after = [deal(1, 5_000_000, close="2026-12-20", status="won", won_on="2026-09-30")]  # won early, last quarter
    diff = forecast_diff(before, after, Q3)
    assert diff.changes[0].kinds == ("won_outside",) and diff.now == 0 and diff.steps["won"] == 0 and diff.steps["category"] == -5_000_000
    assert diff.adds_up()


_deal = st.fixed_dictionaries({
    "id": st.integers(1, 12),
    "owner": st.sampled_from(["kato", "yoshida"]),
    "amount": st.integers(0, 50).map(lambda x: str(x * 100_000)),
    "currency": st.sampled_from(["JPY", "JPY", "USD"]),
    "close_date": st.sampled_from(["2026-09-30", "2026-10-01", "2026-12-31", "2027-01-01", None]),
    "won_on": st.sampled_from([None, "2026-11-01", "2027-01-05"]),
    "phase": st.integers(1, 5),
    "category": st.sampled_from(["commit", "best_case", "pipeline", "omitted"]),
    "status": st.sampled_from(["open", "open", "won", "lost"]),
    "name": st.just("x"),
})  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_deal, max_size=10, unique_by=lambda d: d["id"]), st.lists(_deal, max_size=10, unique_by=lambda d: d["id"]),
       st.sampled_from([None, ["kato"], ["kato", "yoshida"]]))  # fmt: skip
def test_waterfall_always_adds_up(before, after, owners):
    diff = forecast_diff(before, after, Q3, owners=owners, rates=RATES)
    assert set(diff.steps) == set(STEPS)
    assert diff.adds_up()
    assert sum((c.delta for c in diff.changes), Decimal(0)) == diff.now - diff.start
    for c in diff.changes:
        assert sum(c.parts.values(), Decimal(0)) == c.delta
    # The won step is exactly the value of the deals listed as won in the period.
    won_listed = sum((c.after_value for c in diff.changes if "won" in c.kinds), Decimal(0))  # every deal listed as won
    assert diff.steps["won"] == won_listed
    # Each step is one kind of move: nothing else lands in new, lost or won.
    for c in diff.changes:
        assert ("lost" in c.parts) <= ("lost" in c.kinds) and ("won" in c.parts) <= ("won" in c.kinds)
        assert ("new" in c.parts) <= ("new" in c.kinds)


def test_fiscal_periods_at_year_and_quarter_boundaries():
    # April start: March 31 is the last day of FY2025-Q4, April 1 opens FY2026-Q1.
    assert quarter_of(date(2027, 3, 31)).key == "FY2026-Q4" and quarter_of(date(2027, 4, 1)).key == "FY2027-Q1"
    assert quarter_of(date(2026, 12, 31)).key == "FY2026-Q3" and quarter_of(date(2027, 1, 1)).key == "FY2026-Q4"
    q4 = quarter_of(date(2027, 2, 14))
    assert (q4.start, q4.end) == (date(2027, 1, 1), date(2027, 4, 1)) and shift(q4, 1).key == "FY2027-Q1"
    # January start: the fiscal year is the calendar year.
    assert quarter_of(date(2026, 12, 31), 1).key == "FY2026-Q4" and quarter_of(date(2027, 1, 1), 1).key == "FY2027-Q1"
    # A deal closing on the last day of a quarter is in it; the next day slipped out.
    d = forecast_diff([deal(1, close="2026-12-31")], [deal(1, close="2027-01-01")], quarter_of(date(2026, 11, 1)))
    assert d.changes[0].kinds == ("slipped",)
    d = forecast_diff([deal(1, close="2026-11-30")], [deal(1, close="2026-12-01")], month_of(date(2026, 11, 1)))
    assert d.changes[0].kinds == ("slipped",)
