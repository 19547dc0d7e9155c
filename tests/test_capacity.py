"""Capacity planning: revenue per rep, reps needed with ramp-up, IS capacity vs MQL volume, next quarter's pipeline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.domain.capacity import plan, ramp_fte
from bot.models import Opportunity, StageEvent
from tests.conftest import T0
from tests.oracle_format import yen

JST = ZoneInfo("Asia/Tokyo")


async def _seed(harness, won=()):
    async with harness.baton.ctx.uow() as uow:
        s = uow.session
        # 36 MQLs in the last 28 days (18 working days: 11-03 and 11-23 are holidays) → 2.0 per working day.
        for i in range(36):
            s.add(StageEvent(entity_type="lead", entity_id=i + 1, from_stage="lead", to_stage="mql",
                             at=T0 - timedelta(days=1 + i % 20, hours=1), actor="system", team_id="is_ent"))  # fmt: skip
        for amount in (100_000_000, 60_000_000):  # pipeline created in the last 90 days (its creation event dates it)
            opp = Opportunity(name="新規", owner_id="kato", team_id="fs", amount=Decimal(amount), created_at=T0 - timedelta(days=30), updated_at=T0)
            s.add(opp)
            await s.flush()
            s.add(StageEvent(entity_type="opportunity", entity_id=opp.id, from_stage=None, to_stage="phase_1", at=T0, occurred_at=T0 - timedelta(days=30), actor="api"))
        for i, amount in enumerate(won):
            s.add(Opportunity(name=f"受注{i}", owner_id="kato", team_id="fs", amount=Decimal(amount), status="won",
                              closed_at=T0 - timedelta(days=40 + i), created_at=T0 - timedelta(days=100), updated_at=T0))  # fmt: skip


def test_ramp_up_arithmetic():
    assert ramp_fte(12, 3) == 10.5 / 12  # a hire starting now: 1.5 months lost to ramp-up
    assert ramp_fte(10, 3) == 8.5 / 12
    assert ramp_fte(2, 4) == (4 / 8) / 12  # still ramping at the horizon
    assert ramp_fte(6, 0) == 0.5


async def test_capacity_from_config_fallbacks(harness):
    await _seed(harness)
    async with harness.baton.ctx.uow() as uow:
        c = await plan(uow)
    assert not c.average_from_history and not c.deals_from_history
    assert c.revenue_per_rep == Decimal(50_000_000)  # 5,000,000 × 10 deals a year
    assert c.target == Decimal(400_000_000) and c.reps_needed == 8.0
    # kato (1 rep) + the hire starting 2027-01-01: active 10 of the next 12 months, 3 months ramp → 8.5/12.
    assert abs(c.effective_reps - (1 + 8.5 / 12)) < 1e-9
    assert c.hires_needed == 8  # ceil((8 − 1.7083) ÷ 0.875)
    assert c.is_reps == 3 and c.is_capacity_per_day == 60  # takahashi is away in November
    assert c.mqls_per_day == 2.0 and abs(c.is_load - 2 / 60) < 1e-9
    assert c.next_quarter.key == "FY2026-Q4" and c.win_rate == 0.25
    assert c.required_next == Decimal(480_000_000) and c.created_pace == Decimal(160_000_000)
    assert abs(c.pace_ratio - 1 / 3) < 1e-9


async def test_thin_history_is_not_annualised(harness):
    # Three deals won 40–42 days ago: not 3 × 12/12 a year (nor the 12-month window): the
    # configured rates, and the plan says why.
    await _seed(harness, won=(10_000_000, 20_000_000, 30_000_000))
    async with harness.baton.ctx.uow() as uow:
        c = await plan(uow)
    assert not c.average_from_history and not c.deals_from_history
    assert c.deals_per_rep_year == 10 and c.won_deals == 3 and c.closed_deals == 3
    assert abs(c.history_months - 42 / (365.25 / 12)) < 1e-9
    await harness.emu.slash(harness.person("sato"), "/capacity", "", "C0FS")
    await harness.deliver()
    [reply] = [m for m in harness.emu.messages if m.get("ephemeral_user") == harness.person("sato")]
    assert "実績が最低基準に満たないため設定値で計算（実績 1.4か月・完了 3件 ／ 最低 3か月・10件）" in str(reply["blocks"])


async def test_capacity_from_history_and_command(harness):
    # 12 deals of ¥10M won every 15 days over the last 180 days: the span is 180 days, not the 12-month window.
    won = [10_000_000] * 12
    async with harness.baton.ctx.uow() as uow:
        for i, amount in enumerate(won):
            uow.session.add(Opportunity(name=f"受注{i}", owner_id="kato", team_id="fs", amount=Decimal(amount), status="won",
                                        closed_at=T0 - timedelta(days=15 * i + 15), created_at=T0 - timedelta(days=300), updated_at=T0))  # fmt: skip
    await _seed(harness)
    async with harness.baton.ctx.uow() as uow:
        c = await plan(uow)
    months = 180 / (365.25 / 12)
    per_rep = 12 / 1 * 12 / months  # one FS rep (kato)
    assert c.average_from_history and c.deals_from_history
    assert c.average_deal == Decimal(10_000_000) and abs(c.deals_per_rep_year - per_rep) < 1e-9
    revenue = (Decimal(10_000_000) * Decimal(str(c.deals_per_rep_year))).quantize(Decimal(1))
    assert c.revenue_per_rep == revenue
    assert abs(c.reps_needed - float(Decimal(400_000_000) / revenue)) < 1e-9

    await harness.emu.slash(harness.person("kato"), "/capacity", "", "C0FS")
    await harness.deliver()
    assert any("マネージャーのみ" in t for t in harness.ephemerals("kato"))
    await harness.emu.slash(harness.person("sato"), "/capacity", "", "C0FS")
    await harness.deliver()
    [reply] = [m for m in harness.emu.messages if m.get("ephemeral_user") == harness.person("sato")]
    text = str(reply["blocks"])
    shown = f"{round(c.reps_needed, 1)}人"
    assert yen(revenue) in text and shown in text and "4億8,000万円" in text and "⚠️ 不足" in text
