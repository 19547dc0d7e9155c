"""Data-subject requests: export everything Baton holds about one person (by e-mail), or erase it.

Erasure removes the personal fields and behaviour data but keeps the anonymous stage events, so
the funnel's numbers stay true. Each erased lead is announced (`LeadErased`, carrying the values it
had) so that every Slack message that printed them is redacted too (bot/notify/erasure.py): the
messages are found in the outbox by what they carried, whatever their kind.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update

from bot.context import UnitOfWork
from bot.models import Activity, Lead, OutboxMessage, SlackMessage, StageEvent

PERSONAL_FIELDS = ("email", "name", "phone", "title", "external_id", "company")
# What a message printed of the person. The company counts: the SAL follow-up, the hand-off card
# and the SLA notices name the lead by its company, so a message printing it printed them.
SHOWN = ("email", "name", "phone", "company")
MIN_LENGTH = 2  # a one-character "name" would match every message


@dataclass(frozen=True)
class ErasedValues:
    """The values a lead had (never in a repr: an event or a traceback must not log them)."""

    values: tuple[str, ...] = field(default=(), repr=False)

    @property
    def all(self) -> tuple[str, ...]:
        # Longest first: a value inside another (a name in the company) is replaced after it.
        return tuple(sorted(set(self.values), key=len, reverse=True))

    def found_in(self, payload: Any) -> bool:
        forms = _forms(self.values)
        return any(v in s for s in _strings(payload) for v in forms)


def values_of(lead: Lead) -> ErasedValues:
    return ErasedValues(tuple(v for v in (getattr(lead, f) for f in SHOWN) if isinstance(v, str) and len(v.strip()) >= MIN_LENGTH))


def _forms(values: tuple[str, ...]) -> list[str]:
    """A value as a template may have printed it: as is, or escaped for Slack's mrkdwn."""
    out = []
    for v in values:
        out += [v, html.escape(v, quote=False)]
    return list(dict.fromkeys(out))


def _strings(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:  # no recursion: a payload may be deep
        n = stack.pop()
        if isinstance(n, str):
            yield n
        elif isinstance(n, dict):
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)


def redacted(node: Any, values: ErasedValues, marker: str) -> Any:
    """A copy of a payload with every erased value (and its escaped form) replaced by `marker`."""
    forms = _forms(values.all)
    if isinstance(node, str):
        for v in forms:
            node = node.replace(v, marker)
        return node
    if isinstance(node, dict):
        return {k: redacted(v, values, marker) for k, v in node.items()}
    if isinstance(node, list):
        return [redacted(v, values, marker) for v in node]
    return node


@dataclass(frozen=True)
class LeadErased:
    """A lead's personal data was erased; anything still showing it must be redacted."""

    lead_id: int
    values: ErasedValues = field(default_factory=ErasedValues, repr=False)


async def messages_carrying(uow: UnitOfWork, values: ErasedValues, chunk: int = 500) -> list[OutboxMessage]:
    """Every outbox row (sent or not, any kind) whose payload printed the person, oldest first.
    Read in chunks by id so a large outbox is never loaded at once."""
    if not values.values:
        return []
    found: list[OutboxMessage] = []
    last = 0
    while True:
        rows = list(
            (await uow.session.execute(select(OutboxMessage).where(OutboxMessage.id > last).order_by(OutboxMessage.id).limit(chunk))).scalars()
        )
        if not rows:
            return found
        found += [r for r in rows if values.found_in(r.payload)]
        last = rows[-1].id or last


async def _leads(uow: UnitOfWork, email: str) -> list[Lead]:
    rows = await uow.session.execute(select(Lead).where(Lead.email == email.strip().lower()).order_by(Lead.id))
    return list(rows.scalars())


async def _messages_listed(uow: UnitOfWork, values: ErasedValues) -> list[dict[str, Any]]:
    rows = await messages_carrying(uow, values)
    keys = {r.key for r in rows if r.key} | {r.target_key for r in rows if r.target_key}
    where = {m.key: m for m in (await uow.session.execute(select(SlackMessage).where(SlackMessage.key.in_(keys)))).scalars()} if keys else {}
    out = []
    for r in rows:
        landed = where.get(r.key or r.target_key or "")
        out.append({
            "method": r.method, "status": r.status, "queued_at": r.created_at.isoformat(),
            "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            "channel": landed.channel if landed else r.channel, "ts": landed.ts if landed else None,
            "user": r.payload.get("user_id") or r.payload.get("user"),  # App Home, ephemerals
        })  # fmt: skip
    return out


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
                "slack_messages": await _messages_listed(uow, values_of(lead)),
            }
        )
    return {"email": email.strip().lower(), "leads": out}


async def erase_person(uow: UnitOfWork, email: str) -> int:
    """Erase one person's data; returns how many lead records were erased."""
    leads = await _leads(uow, email)
    for lead in leads:
        values = values_of(lead)
        await uow.session.execute(delete(Activity).where(Activity.lead_id == lead.id))
        await uow.session.execute(
            update(StageEvent).where(StageEvent.entity_type == "lead", StageEvent.entity_id == lead.id).values(note=None)
        )
        for f in PERSONAL_FIELDS:
            setattr(lead, f, None)
        lead.attributes = {}
        lead.updated_at = uow.now()
        await uow.session.flush()
        uow.emit(LeadErased(lead.id, values))
    return len(leads)
