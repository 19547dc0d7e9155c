"""The Update deal modal's submission: validated by the opportunity core; errors shown in the modal.

An empty field means "unchanged" (Slack sends the initial values back, so only what the owner
edited differs from the deal)."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import opportunities as opps
from bot.domain.relay import parse_amount
from bot.models import Opportunity
from handlers.actions.deal_edit import may_edit
from handlers.common import ModalInput, actor, baton_of, locale_for, tell

TEXT_FIELDS = ("next_action", "key_person", "competitors", "risks")
DATE_FIELDS = ("close_date", "next_action_due")


def parse(view: dict[str, Any], opp: Opportunity) -> tuple[dict[str, Any], str | None, dict[str, str]]:
    """(changes, reason, parse errors by block id)."""
    m = ModalInput(view)
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    phase = m.option("phase")
    if phase and phase.isdecimal() and int(phase) != opp.phase:
        changes["phase"] = int(phase)
    for f in DATE_FIELDS:
        picked = m.picked_date(f)
        if picked:
            try:
                d = date.fromisoformat(picked)
            except ValueError:
                errors[f] = "invalid"
                continue
            if d != getattr(opp, f):
                changes[f] = d
    try:
        amount = parse_amount(m.text("amount"))  # "1200万", "1.2億", "¥12,000,000"; None when left empty
    except ValueError:
        errors["amount"] = "amount"
    else:
        if amount is not None and amount != opp.amount:
            changes["amount"] = amount
    for f in TEXT_FIELDS:
        v = m.text(f)
        if v and v != (getattr(opp, f) or ""):
            changes[f] = v
    reason = m.text("phase_reason")
    return changes, reason, errors


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    msgs = baton.ctx.messages
    opp_id = ModalInput(view).metadata_int()
    async with baton.ctx.uow() as uow:
        opp = await uow.session.get(Opportunity, opp_id) if opp_id is not None else None
        locale = locale_for(baton, person, opp.team_id if opp else None)
        if opp is None or not may_edit(opp, person, baton.config):
            await tell(uow, body, user, msgs.text(locale, "pl_deal_not_found" if opp is None else "pl_deal_not_owner"))
        else:
            changes, reason, bad = parse(view, opp)
            if bad:
                await ack(response_action="errors", errors={b: msgs.text(locale, "pl_err_amount") for b in bad})
                return
            errors = await opps.update(uow, opp, changes, actor=person.id, reason=reason) if changes else []
            if errors:
                shown = {}
                for e in errors:
                    if e.field == "close_date":
                        shown["close_date"] = msgs.text(locale, "pl_err_past_close")
                    elif e.field == "phase":
                        shown["phase_reason"] = msgs.text(locale, "pl_err_back_reason")
                    else:
                        shown[e.field if e.field in ("amount", "next_action_due") else "phase"] = msgs.text(locale, "pl_err_generic", message=e.message)
                await ack(response_action="errors", errors=shown)
                return
            await tell(uow, body, user, msgs.text(locale, "pl_deal_updated", name=opp.name))
    await ack()


def register(app: AsyncApp) -> None:
    app.view("deal_edit_modal")(handle)
