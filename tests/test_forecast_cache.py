"""Baton's forecast reads the deal log in full once per process, then only the events added since
(`forecast_model.load`): a repeated /forecast is cheap, and never stale."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from sqlalchemy import func, select

from bot.config_sections.forecast import ForecastModel
from bot.domain import forecast_model as fm
from bot.models import Opportunity, StageEvent
from bot.periods import period_of
from tests.test_forecast_flow import change, ephemerals, forecast_config, make_deal, slash, text_of


@pytest.fixture
def config_path(tmp_path):
    path = forecast_config(tmp_path, meetings=False)
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg["forecast"]["model"] = {"min_phase_deals": 1, "min_rep_deals": 1}  # one closed deal already moves the rates
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


async def test_a_new_deal_event_changes_a_repeated_forecast(harness):
    """/forecast twice with nothing new answers from the cache (the same log, not read again); a deal
    closed in between (a new stage event) changes the answer, to exactly what a process reading the
    whole log afresh answers; so does an event committed late under an id below those already read
    (PostgreSQL hands out ids before commit), and the log an earlier reader holds never changes."""
    h = harness
    for ext in ("H1", "H2"):
        await make_deal(h, ext, "kato", 3_000_000, "2026-12-20", phase=4)
    await change(h, "H1", status="won")
    await make_deal(h, "A", "kato", 8_000_000, "2026-12-10", phase=4)
    derived = h.baton.ctx.derived

    async def shown(fresh: bool = False) -> list[str]:
        if fresh:
            derived.clear()
        await slash(h, "kato", "")
        text = text_of(ephemerals(h, "kato")[-1])
        return [part.split("·")[0] for part in text.split("*Baton*: ")[1:]]

    first = await shown()
    assert len(first) == 2  # month and quarter
    before = derived["forecast_model.log"]
    assert await shown() == first and derived["forecast_model.log"].log is before.log
    await change(h, "H2", status="lost", lost_reason="price")
    after = await shown()
    assert after != first  # phase 4 won 1 of 2 now, not 1 of 1: deal A is worth less
    async with h.baton.ctx.uow() as uow:
        h2 = await uow.session.scalar(select(Opportunity.id).where(Opportunity.external_id == "H2"))
        top = await uow.session.scalar(select(func.max(StageEvent.id)))
    assert derived["forecast_model.log"].log.deals[h2].outcome == "lost" and before.log.deals[h2].outcome is None
    assert after == await shown(fresh=True)

    def event(id_, deal, to, **kw):
        at = h.clock.now() - timedelta(days=3)
        return StageEvent(id=id_, entity_type="opportunity", entity_id=deal, to_stage=to, at=at, occurred_at=at, actor="import",
                          data={"owner": "kato", "amount": "1000000"}, **kw)  # fmt: skip

    async with h.baton.ctx.uow() as uow:  # read next: the cache's watermark moves to top + 100
        uow.session.add(event(top + 100, 900_001, "phase_2"))
    assert await shown() == after and derived["forecast_model.log"].upto == top + 100
    async with h.baton.ctx.uow() as uow:  # committed late, below the watermark: a phase-4 deal lost
        uow.session.add_all([event(top + 50, 900_002, "phase_4"), event(top + 60, 900_002, "lost", reason="price")])
    late = await shown()
    assert late != after and late == await shown(fresh=True)


@pytest.mark.parametrize("seed", range(8))
def test_a_log_folded_on_estimates_exactly_as_one_read_afresh(seed):
    """The cache's pieces without a database: random deal histories (reopened, re-amounted,
    re-categorised, lost, sent back, won) fed in chunks — each chunk folded on from the last log,
    whose tallies are carried over — give the same parameters and forecast as the whole history
    folded at once."""
    rnd = random.Random(seed)
    t = datetime(2024, 4, 1, tzinfo=UTC)
    rows, last_phase = [], {}
    for _ in range(600):
        t += timedelta(hours=rnd.randint(1, 40))
        deal = rnd.randint(1, 60)
        data = {"owner": rnd.choice(["r1", "r2", "r3"]), "amount": str(rnd.randint(1, 90) * 100_000)} if rnd.random() < 0.5 else {}
        roll = rnd.random()
        if roll < 0.45 or deal not in last_phase:
            last_phase[deal] = min(5, last_phase.get(deal, rnd.randint(0, 2)) + 1)
            rows.append(("opportunity", deal, f"phase_{last_phase[deal]}", t, None, data))
        elif roll < 0.6:
            rows.append(("opportunity.category", deal, rnd.choice(["pipeline", "best_case", "commit"]), t, None, data))
        elif roll < 0.8:
            rows.append(("opportunity", deal, "won", t, None, data))
        else:
            rows.append(("opportunity", deal, "lost", t, rnd.choice(["price", "sent_back"]), data))
    ctx = fm.Context(ForecastModel(min_phase_deals=3, min_category_deals=3, min_rep_deals=3, min_history_months=3, min_new_periods=1),
                     {k: 0.1 * k for k in range(1, 6)}, {"month": 7, "quarter": 14}, UTC, 4)  # fmt: skip
    cutoff = t + timedelta(days=1)
    target = period_of("quarter", cutoff.date(), 4)

    def estimate(log):
        return fm.estimate(log, {"r1", "r2"}, {"r1", "r2", "r3"}, "quarter", target, cutoff, ctx), fm.seasonality(log, None, cutoff, ctx)

    fresh_fold = fm.DealFold({}, {}).feed(rows)
    fresh = fm.Log(fresh_fold.deals, [], min(d.created for d in fresh_fold.deals.values()), last_closed=fresh_fold.last_closed)
    cuts = sorted(rnd.sample(range(1, len(rows)), 5))
    fold = fm.DealFold({}, {}).feed(rows[: cuts[0]])
    log = fm.Log(fold.deals, [], min(d.created for d in fold.deals.values()), last_closed=fold.last_closed)
    estimate(log)  # works out the tallies the next logs carry over
    for a, b in zip(cuts, [*cuts[1:], len(rows)]):
        fold = fold.branch().feed(rows[a:b])
        log = fm.Log(fold.deals, [], min(d.created for d in fold.deals.values()), parent=log, changed=fold.changed(), last_closed=fold.last_closed)
        estimate(log)
    assert estimate(log) == estimate(fresh)
    # A cutoff before some closes (a backtest's lock point) counts only the deals closed before it.
    closes = sorted(d.closed for d in fresh.deals.values() if d.outcome)
    mid = closes[len(closes) // 2]
    phase, _, _ = fm.estimate_common(log, mid, ctx)
    before = [d for d in fresh.deals.values() if d.outcome and d.closed < mid]
    assert 0 < len(before) < len(closes)
    assert [phase[k].sample for k in range(1, 6)] == [sum(d.entry_phase <= k <= max(d.phases) for d in before) for k in range(1, 6)]
    for name in ("closed", ("won_new", "month", UTC, 4, timedelta(days=7)), ("won_new", "quarter", UTC, 4, timedelta(days=14))):
        assert {k: v for k, v in log.cache[name].items() if v} == {k: v for k, v in fresh.cache[name].items() if v}, name
