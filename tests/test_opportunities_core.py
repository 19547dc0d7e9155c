"""The opportunity core every later flow builds on: create, validated updates, phase/category events, close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.domain import opportunities as opps
from bot.domain.events import history


async def test_create_update_close_record_events(harness):
    async with harness.baton.ctx.uow() as uow:
        result = await opps.upsert(uow, {"external_id": "CRM-1", "name": "大手製造 全社導入", "owner": "kato", "amount": 12_000_000, "close_date": "2026-12-20"})
        assert result.ok and result.created
        opp = result.opportunity
        assert (opp.owner_id, opp.phase, opp.forecast_category, opp.team_id) == ("kato", 1, "pipeline", "fs")
        assert opp.amount == Decimal(12_000_000)
        # Phase 4 defaults the category to commit; moving back needs a reason; a past close date is refused.
        assert await opps.update(uow, opp, {"phase": 4}, actor="kato") == []
        assert opp.forecast_category == "commit"
        errors = await opps.update(uow, opp, {"phase": 2, "close_date": date(2026, 1, 1)}, actor="kato")
        assert {e.field for e in errors} == {"phase", "close_date"} and opp.phase == 4
        assert await opps.update(uow, opp, {"phase": 3}, actor="kato", reason="予算再承認待ち") == []
        assert opps.missing_items(opp) == ["next_action", "key_person", "competitors", "risks"]
        assert await opps.close(uow, opp, "lost", actor="kato") != []  # needs a reason
        assert await opps.close(uow, opp, "lost", actor="kato", reason="competitor") == []
        events = await history(uow, "opportunity", opp.id)
        assert [(e.from_stage, e.to_stage) for e in events] == [(None, "phase_1"), ("phase_1", "phase_4"), ("phase_4", "phase_3"), ("phase_3", "lost")]
        again = await opps.upsert(uow, {"external_id": "CRM-1", "amount": 5})
        assert again.ok and not again.created and again.opportunity.id == opp.id


async def test_bad_opportunity_payloads_name_the_field(harness):
    async with harness.baton.ctx.uow() as uow:
        r = await opps.upsert(uow, {"external_id": "X", "phase": 7, "amount": -1, "colour": "red"})
        assert {e.field for e in r.errors} == {"phase", "amount", "colour"}
        r = await opps.upsert(uow, {"external_id": "Y"})
        assert [e.field for e in r.errors] == ["name"]
        r = await opps.upsert(uow, {"name": "x", "owner": "nobody"})
        assert [e.field for e in r.errors] == ["owner"]
