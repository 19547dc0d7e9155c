"""Baton's forecast reads the deal log in full once per process, then only the events added since
(`forecast_model.load`): a repeated /forecast is cheap, and never stale."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from sqlalchemy import func, select

from bot.models import Opportunity, StageEvent
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
