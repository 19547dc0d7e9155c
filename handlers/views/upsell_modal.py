"""Upsell modal submitted: a phase-1 upsell opportunity linked to the account, routed to an FS rep."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.accounts import handoff_upsell
from bot.domain.health_alerts import may_act
from bot.domain.relay import parse_amount
from bot.models import Account
from bot.notify.success import refusal_text
from handlers.common import ModalInput, actor, baton_of, locale_for, tell


def _amount(text: str | None) -> Decimal | None:
    try:
        return parse_amount(text)
    except ValueError:
        return None


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    m = ModalInput(view)
    name, amount, notes = m.text("name"), _amount(m.text("amount")), m.text("notes")
    msgs = baton.ctx.messages
    errors = {}
    if not name:
        errors["name"] = msgs.text(locale, "success.errors.name_required")
    if amount is None:
        errors["amount"] = msgs.text(locale, "success.errors.amount_invalid")
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    account_id = m.metadata_int() or 0
    async with baton.ctx.uow() as uow:
        acc = await uow.session.get(Account, account_id)
        outcome = "not_found" if acc is None else ("churned" if acc.churned else ("ok" if may_act(uow, person, acc) else "not_allowed"))
        if outcome == "ok":
            await handoff_upsell(uow, acc, by=person.id, name=name, amount=amount, notes=notes)
        else:
            await tell(uow, body, user, refusal_text(uow, locale, outcome))
    await ack()


def register(app: AsyncApp) -> None:
    app.view("upsell_modal")(handle)
