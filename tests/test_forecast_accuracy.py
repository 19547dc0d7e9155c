"""Accuracy and bias on a generated history with known answers, shown in /forecast team."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from bot.domain import forecast_accuracy as acc
from bot.models import ForecastSubmission, StageEvent
from tests.conftest import JST
from tests.test_forecast_flow import ephemerals, forecast_config, slash, text_of

MONTHS = [date(2026, m, 1) for m in range(4, 10)]  # FY2026 Q1 and Q2


@pytest.fixture
def config_path(tmp_path):
    return forecast_config(tmp_path, meetings=False)


def at(d: date, day: int, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, day, hour, tzinfo=JST)


def sub(person, kind, start, commit, when, scope="rep", team="fs"):
    return ForecastSubmission(person_id=person, scope=scope, team_id=team, period_kind=kind, period_start=start,
                              commit_amount=Decimal(commit), best_case_amount=Decimal(commit), submitted_at=when, snapshot=[])  # fmt: skip


def won(i, owner, amount, when, currency="JPY"):
    return StageEvent(entity_type="opportunity", entity_id=i, from_stage="phase_4", to_stage="won", at=when, actor=owner,
                      team_id="fs", data={"amount": str(amount), "currency": currency, "owner": owner})  # fmt: skip


async def seed(h):
    rows = []
    i = 1000
    for n, m in enumerate(MONTHS):
        # bookings: kato ¥10M a month; yoshida ¥2M + $20,000 (¥3M at 150) = ¥5M
        rows += [won(i, "kato", 10_000_000, at(m, 15)), won(i + 1, "yoshida", 2_000_000, at(m, 16)), won(i + 2, "yoshida", 20_000, at(m, 17), "USD")]
        i += 3
        rows.append(sub("kato", "month", m, 12_000_000 if n < 3 else 10_500_000, at(m, 3)))
        rows.append(sub("kato", "month", m, 99_000_000, at(m, 20)))  # after the lock point: does not count
        rows.append(sub("yoshida", "month", m, 4_000_000, at(m, 2)))
    q1, q2 = date(2026, 4, 1), date(2026, 7, 1)
    rows += [
        sub("kato", "quarter", q1, 31_200_000, at(q1, 3)), sub("kato", "quarter", q2, 36_000_000, at(q2, 10)),
        sub("kato", "quarter", q2, 1, at(q2, 20)),  # after the 14-day lock
        sub("yoshida", "quarter", q1, 15_000_000, at(q1, 3)), sub("yoshida", "quarter", q2, 12_000_000, at(q2, 3)),
        sub("nakamura", "quarter", q1, 45_000_000, at(q1, 5), scope="team"), sub("nakamura", "quarter", q2, 50_000_000, at(q2, 5), scope="team"),
        sub("kato", "quarter", date(2026, 10, 1), 5_000_000, at(date(2026, 10, 1), 3)),  # the open quarter: not in the history
    ]  # fmt: skip
    # Per-phase history: 10 deals reached phase 3; 8 won, 2 lost.
    for d in range(10):
        e = 5000 + d
        rows += [StageEvent(entity_type="opportunity", entity_id=e, from_stage=None, to_stage="phase_1", at=at(MONTHS[0], 1), actor="kato"),
                 StageEvent(entity_type="opportunity", entity_id=e, from_stage="phase_1", to_stage="phase_3", at=at(MONTHS[0], 2), actor="kato"),
                 StageEvent(entity_type="opportunity", entity_id=e, from_stage="phase_3", to_stage="won" if d < 8 else "lost", at=at(MONTHS[1], 2), actor="kato",
                            data={"amount": "0", "owner": "kato"})]  # fmt: skip
    async with h.baton.ctx.uow() as uow:
        uow.session.add_all(rows)


async def test_accuracy_history_and_bias_have_the_known_answers(harness):
    h = harness
    await seed(h)
    async with h.baton.ctx.uow() as uow:
        records = await acc.history(uow)
        phase_rates = await acc.phase_win_rates(uow)
    by = {(r.scope, r.subject, r.period_key): r for r in records}
    assert len([r for r in records if r.kind == "month"]) == 12 and len([r for r in records if r.kind == "quarter"]) == 6
    apr = by[("rep", "kato", "2026-04")]
    assert (apr.submitted, apr.actual, round(apr.error, 4), apr.inside) == (12_000_000, 10_000_000, 0.2, False)
    jul = by[("rep", "kato", "2026-07")]
    assert (jul.submitted, round(jul.error, 4), jul.inside, jul.tolerance) == (10_500_000, 0.05, True, 0.10)
    assert by[("rep", "yoshida", "2026-05")].actual == 5_000_000  # the USD booking converted at 150
    assert round(by[("rep", "yoshida", "2026-05")].error, 4) == -0.2
    q1, q2 = by[("rep", "kato", "FY2026-Q1")], by[("rep", "kato", "FY2026-Q2")]
    assert (round(q1.error, 4), q1.inside, q1.tolerance) == (0.04, True, 0.05)
    assert (q2.submitted, round(q2.error, 4), q2.inside) == (36_000_000, 0.2, False)  # the post-lock call is ignored
    t1, t2 = by[("team", "fs", "FY2026-Q1")], by[("team", "fs", "FY2026-Q2")]
    assert (t1.actual, t1.error, t1.inside) == (45_000_000, 0.0, True)
    assert (round(t2.error, 4), t2.inside) == (0.1111, False)
    assert not any(r.period_key == "FY2026-Q3" for r in records)
    kato, yoshida = acc.bias_of(records, "kato"), acc.bias_of(records, "yoshida")
    assert (kato.label, kato.ratio, kato.sample) == ("optimistic", Decimal("1.12375"), 8)  # (3×1.2 + 3×1.05 + 1.04 + 1.2) / 8, exact
    assert (yoshida.label, yoshida.ratio, yoshida.sample) == ("pessimistic", Decimal("0.825"), 8)
    p = {r.phase: r for r in phase_rates}
    assert (p[3].won, p[3].lost, p[3].rate, p[3].differs) == (8, 2, 0.8, True) and p[4].rate is None and not p[4].differs


async def test_team_view_shows_bias_and_adjusted_expectation(harness):
    h = harness
    await seed(h)
    async with h.baton.ctx.uow() as uow:
        uow.session.add(sub("kato", "quarter", date(2026, 10, 1), 11_237_500, h.clock.now()))
        uow.session.add(sub("yoshida", "quarter", date(2026, 10, 1), 4_125_000, h.clock.now()))
    await slash(h, "nakamura", "team")
    t = text_of(ephemerals(h, "nakamura")[-1])
    assert "optimistic ×1.12 (n=8)" in t and "pessimistic ×0.83 (n=8)" in t  # two decimals, half up (0.825 → 0.83)
    # Exact yen, by the exact ratio (not the one shown): kato 11,237,500 ÷ 1.12375 = ¥10M; yoshida
    # 4,125,000 ÷ 0.825 = ¥5M; the team total is the sum of the rows as shown.
    assert "submitted ¥11,237,500 / system ¥0 · optimistic" in t and "expect ¥10,000,000" in t and "expect ¥5,000,000" in t
    assert "bias-adjusted ¥15,000,000" in t
    assert "phase 3: 80% (8/10) vs default 35%" in t
    assert "inside tolerance" in t


async def test_a_phase_history_exactly_five_points_from_its_default_is_shown(harness):
    """10 closed deals that reached phase 3, 3 won: 30 % against the 35 % default — 5 points apart
    exactly, which a float comparison (0.35 − 0.3 = 0.04999…) used to hide."""
    async with harness.baton.ctx.uow() as uow:
        for i in range(10):
            when = at(date(2026, 9, 1), 1 + i)
            uow.session.add(StageEvent(entity_type="opportunity", entity_id=2000 + i, from_stage="phase_2", to_stage="phase_3", at=when,
                                       actor="kato", team_id="fs", data={"owner": "kato"}))  # fmt: skip
            uow.session.add(StageEvent(entity_type="opportunity", entity_id=2000 + i, from_stage="phase_3", to_stage="won" if i < 3 else "lost",
                                       at=when, actor="kato", team_id="fs", data={"amount": "1000000", "currency": "JPY", "owner": "kato"}))  # fmt: skip
    await slash(harness, "nakamura", "team")
    text = text_of(ephemerals(harness, "nakamura")[-1])
    assert "phase 3: 30% (3/10) vs default 35%" in text, text
