"""Acknowledge modal submitted: next step + date → the alert is acknowledged, its SLA clock stops."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.accounts import today
from bot.domain.health_alerts import acknowledge
from bot.notify.success import refusal_text
from handlers.common import ModalInput, actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    m = ModalInput(view)
    step, picked, alert_id = m.text("next_step") or "", m.picked_date("due"), m.metadata_int() or 0
    async with baton.ctx.uow() as uow:
        errors = {}
        due = None
        if not step:
            errors["next_step"] = uow.ctx.messages.text(locale, "success.errors.next_step_required")
        try:
            due = date.fromisoformat(picked) if picked else None
        except ValueError:
            due = None
        if due is None or due < today(uow):
            errors["due"] = uow.ctx.messages.text(locale, "success.errors.date_not_past")
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        d = await acknowledge(uow, alert_id, person, step, due)
        if d.outcome != "ok":
            await tell(uow, body, user, refusal_text(uow, locale, d.outcome, d.alert.state if d.alert else None))
    await ack()


def register(app: AsyncApp) -> None:
    app.view("health_ack_modal")(handle)
