"""The relay's lead decisions asked for by a CRM through the API (`POST /api/leads/{id}/stage`): the
same domain decisions and permission rules as the Slack buttons, acting as the app.yaml person the
CRM names in `by` — MQL → SAL (accept), SAL → SQL (qualify: the hand-off deal), SQL → opportunity
(the FS rep accepts the hand-off)."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import leads, mql, opportunities, relay
from bot.domain.outcomes import Outcome, Result
from bot.models import Lead

STAGES = ("sal", "sql", "opportunity")
QUALIFY_FIELDS = ("budget", "authority", "need", "timing", "amount", "notes")


async def move(uow: UnitOfWork, ref: str, raw: Any) -> tuple[Result, Lead | None]:
    """One stage forward; the Result says what happened (a refusal changed nothing)."""
    lead = await leads.find(uow, ref)
    if lead is None:
        return Result(Outcome.NOT_FOUND, subject="lead"), None
    if not isinstance(raw, dict) or raw.get("stage") not in STAGES:
        return Result(Outcome.BAD_INPUT, errors={"stage": f"one of {', '.join(STAGES)}"}), lead
    person = uow.config.person(str(raw.get("by") or "")) or uow.config.person_by_slack(str(raw.get("by") or ""))
    if person is None:
        return Result(Outcome.BAD_INPUT, errors={"by": "the person (app.yaml id or Slack id) who decided"}), lead
    stage = raw["stage"]
    if stage == "sal":
        return await mql.accept_mql(uow, lead.id, person), lead
    if stage == "sql":
        values = {k: (str(raw[k]) if raw.get(k) is not None else None) for k in QUALIFY_FIELDS}
        return await relay.qualify(uow, lead.id, person, values), lead
    deal = await opportunities.handoff_deal(uow, lead.id)
    if deal is None:
        return Result(Outcome.ALREADY_DECIDED, subject="handoff", state=lead.stage), lead
    return await relay.accept_handoff(uow, deal.id, person), lead
