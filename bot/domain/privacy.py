"""Data-subject requests: export everything Baton holds about one person (by e-mail), or erase it.

Erasure removes the personal fields and behaviour data but keeps the anonymous stage events, so
the funnel's numbers stay true. Each erased lead is announced (`LeadErased`) so that what Slack
shows of it is redacted too (bot/notify/mql.py re-renders its card).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update

from bot.context import UnitOfWork
from bot.models import Activity, Lead, StageEvent

PERSONAL_FIELDS = ("email", "name", "phone", "title", "external_id")


@dataclass(frozen=True)
class LeadErased:
    """A lead's personal data was erased; anything still showing it must be redacted."""

    lead_id: int


async def _leads(uow: UnitOfWork, email: str) -> list[Lead]:
    rows = await uow.session.execute(select(Lead).where(Lead.email == email.strip().lower()).order_by(Lead.id))
    return list(rows.scalars())


async def export_person(uow: UnitOfWork, email: str) -> dict[str, Any]:
    out = []
    for lead in await _leads(uow, email):
        acts = (await uow.session.execute(select(Activity).where(Activity.lead_id == lead.id).order_by(Activity.at))).scalars()
        events = (
            await uow.session.execute(
                select(StageEvent).where(StageEvent.entity_type == "lead", StageEvent.entity_id == lead.id).order_by(StageEvent.id)
            )
        ).scalars()
        out.append(
            {
                "lead": {k: v for k, v in lead.model_dump(mode="json").items()},
                "activities": [{"type": a.type, "at": a.at.isoformat(), "data": a.data} for a in acts],
                "history": [
                    {"at": e.at.isoformat(), "from": e.from_stage, "to": e.to_stage, "by": e.actor, "reason": e.reason, "note": e.note}
                    for e in events
                ],
            }
        )
    return {"email": email.strip().lower(), "leads": out}


async def erase_person(uow: UnitOfWork, email: str) -> int:
    """Erase one person's data; returns how many lead records were erased."""
    leads = await _leads(uow, email)
    for lead in leads:
        await uow.session.execute(delete(Activity).where(Activity.lead_id == lead.id))
        await uow.session.execute(
            update(StageEvent).where(StageEvent.entity_type == "lead", StageEvent.entity_id == lead.id).values(note=None)
        )
        for f in PERSONAL_FIELDS:
            setattr(lead, f, None)
        lead.attributes = {}
        lead.updated_at = uow.now()
        await uow.session.flush()
        uow.emit(LeadErased(lead.id))
    return len(leads)
