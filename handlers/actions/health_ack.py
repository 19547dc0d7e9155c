"""Acknowledge on a health alert: open the next-step modal (or say why not)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.health_alerts import load
from bot.models import Account
from bot.notify.common import team_locale_tz
from bot.notify.success import refusal_text
from bot.slack.delivery import enqueue
from handlers.common import action_int, actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    await ack()
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    async with baton.ctx.uow() as uow:
        d = await load(uow, action_int(body) or 0, person, ("open", "snoozed", "escalated"))
        if d.outcome != "ok":
            await tell(uow, body, user, refusal_text(uow, locale, d.outcome, d.alert.state if d.alert else None))
            return
        acc = await uow.session.get(Account, d.alert.data.get("account_id"))
        _, tz = team_locale_tz(baton.config, None)
        view = baton.ctx.messages.view("health_ack_modal", locale, tz, alert=d.alert, account=acc)
        await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})


def register(app: AsyncApp) -> None:
    app.action("health_ack")(handle)
