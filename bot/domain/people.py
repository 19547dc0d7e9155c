"""People at run time: who is away now (on top of `away` in app.yaml), and what happens to their
open MQLs when they go away.

`person_status` is written here (App Home will call `set_away` / `set_back`) and read by routing
(`bot.domain.routing.next_rep`), so an away rep gets no new MQLs and their open ones move on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from bot.clock import as_utc
from bot.context import UnitOfWork
from bot.models import Lead, PersonStatus, Stage


def _is_away(row: PersonStatus | None, now: datetime) -> bool:
    if row is None or not row.away:
        return False
    until = as_utc(row.away_until)
    return until is None or until > now


async def away_now(uow: UnitOfWork, person_ids: Iterable[str]) -> set[str]:
    """Those of `person_ids` marked away in `person_status` at this moment."""
    ids = list(person_ids)
    if not ids:
        return set()
    rows = await uow.session.execute(select(PersonStatus).where(PersonStatus.person_id.in_(ids)))
    now = uow.now()
    return {r.person_id for r in rows.scalars() if _is_away(r, now)}


async def status(uow: UnitOfWork, person_id: str) -> PersonStatus | None:
    return await uow.session.get(PersonStatus, person_id)


async def _write(uow: UnitOfWork, person_id: str, away: bool, until: datetime | None, actor: str) -> None:
    row = await uow.session.get(PersonStatus, person_id, with_for_update=True)
    if row is None:
        row = PersonStatus(person_id=person_id)
        uow.session.add(row)
    row.away, row.away_until, row.set_at, row.set_by = away, as_utc(until), uow.now(), actor
    await uow.session.flush()


async def set_away(uow: UnitOfWork, person_id: str, until: datetime | None = None, *, actor: str | None = None) -> list[int]:
    """Mark `person_id` away (until `until`, or until `set_back` when None) and move their open MQLs
    to the next eligible rep of the lead's team. Returns the ids of the leads that moved; a lead
    for which nobody is eligible stays where it is (its SLA clock keeps running and escalates)."""
    from bot.domain.routing import next_rep, reassign  # routing reads this module

    if uow.config.person(person_id) is None:
        raise ValueError(f"unknown person '{person_id}'")
    await _write(uow, person_id, True, until, actor or person_id)
    open_leads = (
        await uow.session.execute(
            select(Lead).where(Lead.stage == Stage.mql, Lead.assignee_id == person_id).order_by(Lead.id)
        )
    ).scalars()
    moved = []
    for lead in list(open_leads):
        to = await next_rep(uow, lead.team_id, exclude=frozenset({person_id}))
        if to is None:
            continue
        await reassign(uow, lead, to, reason="away", actor=actor or "system")
        moved.append(lead.id)
    return moved


async def set_back(uow: UnitOfWork, person_id: str, *, actor: str | None = None) -> None:
    await _write(uow, person_id, False, None, actor or person_id)
