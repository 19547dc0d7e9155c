"""People at run time: who is away now (on top of `away` in app.yaml).

`person_status` is read and written here; `bot.domain.routing.set_away` / `set_back` (App Home,
`/baton away`) record it and move the person's open MQLs on, and routing reads it, so an away rep
gets no new MQLs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from bot.clock import as_utc
from bot.context import UnitOfWork
from bot.models import PersonStatus


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


async def record_status(uow: UnitOfWork, person_id: str, away: bool, until: datetime | None, actor: str) -> None:
    row = await uow.session.get(PersonStatus, person_id, with_for_update=True)
    if row is None:
        row = PersonStatus(person_id=person_id)
        uow.session.add(row)
    row.away, row.away_until, row.set_at, row.set_by = away, as_utc(until), uow.now(), actor
    await uow.session.flush()
