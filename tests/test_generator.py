"""The one history generator: deterministic for a seed, realistic shapes, a planted constraint."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.demo.generator import generate
from bot.models import Lead, Opportunity, StageEvent


async def _counts(harness):
    async with harness.baton.ctx.uow() as uow:
        rows = (await uow.session.execute(select(StageEvent.to_stage, func.count()).group_by(StageEvent.to_stage))).all()
        leads = await uow.session.scalar(select(func.count()).select_from(Lead))
        opps = await uow.session.scalar(select(func.count()).select_from(Opportunity))
    return dict(rows), leads, opps


async def test_generator_writes_a_consistent_history(harness):
    async with harness.baton.ctx.uow() as uow:
        h = await generate(uow, seed=7, months=6, leads_per_day=20)
    by_stage, leads, opps = await _counts(harness)
    assert leads == h.leads > 1500 and opps == h.opportunities > 50
    # Every funnel stage appears, and the funnel narrows.
    assert by_stage["lead"] == leads
    assert by_stage["mql"] > by_stage["sal"] > by_stage["sql"] > by_stage["opportunity"] > by_stage["won"] > 0
    assert by_stage["phase_1"] == opps
    async with harness.baton.ctx.uow() as uow:
        names = (await uow.session.execute(select(Lead.company).limit(5))).scalars().all()
        won = await uow.session.scalar(select(func.count()).select_from(Opportunity).where(Opportunity.status == "won"))
    assert all(n.endswith("株式会社") for n in names)
    assert won == h.won == by_stage["won"]


async def test_generator_is_deterministic_for_a_seed(harness):
    async with harness.baton.ctx.uow() as uow:
        a = await generate(uow, seed=3, months=2, leads_per_day=10, plant="phase3", id_prefix="a")
    async with harness.baton.ctx.uow() as uow:
        b = await generate(uow, seed=3, months=2, leads_per_day=10, plant="phase3", id_prefix="b")
        names = (await uow.session.execute(select(Lead.external_id, Lead.company, Lead.stage).order_by(Lead.id))).all()
    half = len(names) // 2
    assert [n[1:] for n in names[:half]] == [n[1:] for n in names[half:]]
    assert (a.leads, a.opportunities, a.events, a.won) == (b.leads, b.opportunities, b.events, b.won)
