"""Churn modal submitted: reason + note → the stage event `churned` (the recycle loop takes it)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.accounts import churn
from bot.domain.health_alerts import may_act
from bot.models import Account
from bot.notify.success import refusal_text
from handlers.common import ModalInput, actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    m = ModalInput(view)
    reason, note = m.option("reason"), m.text("note")
    if not reason:
        await ack(response_action="errors", errors={"reason": baton.ctx.messages.text(locale, "success.errors.reason_required")})
        return
    account_id = m.metadata_int() or 0
    async with baton.ctx.uow() as uow:
        acc = await uow.session.get(Account, account_id)
        outcome = "not_found" if acc is None else ("churned" if acc.churned else ("ok" if may_act(uow, person, acc) else "not_allowed"))
        if outcome == "ok":
            errs = await churn(uow, acc, reason, actor=person.id, note=note)
            if errs:
                await ack(response_action="errors", errors={"reason": errs[0].message})
                return
        else:
            await tell(uow, body, user, refusal_text(uow, locale, outcome))
    await ack()


def register(app: AsyncApp) -> None:
    app.view("churn_modal")(handle)
