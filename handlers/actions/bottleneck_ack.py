"""Acknowledge on a bottleneck alert: recorded on the alert (who, when); every copy shows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import permissions
from bot.formatting import format_date
from bot.models import Alert
from bot.notify.pipeline import update_bottleneck_messages
from handlers.common import action_int, actor, baton_of, locale_for, tell


async def decide(ack: Any, body: dict[str, Any], context: dict[str, Any], snooze: bool) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    alert_id = action_int(body)
    async with baton.ctx.uow() as uow:
        alert = await uow.session.get(Alert, alert_id) if alert_id is not None else None
        if not permissions.allows("manager.commands", baton.config, person, None):
            await tell(uow, body, user, baton.ctx.messages.text(locale, "pl_not_manager"))
        elif alert is not None:
            now = uow.now()
            who = f"<@{user}>"
            if snooze:
                until = now + timedelta(days=baton.config.pipeline.bottleneck.snooze_days)
                alert.state, alert.snoozed_until = "snoozed", until
                kw = {"who": who, "until": format_date(until.astimezone(baton.config.calendar(None).tz).date(), locale)}
                key = "pl_snoozed"
            else:
                alert.state, alert.acknowledged_by, alert.acknowledged_at = "acknowledged", person.id, now
                kw, key = {"who": who}, "pl_ack_done"
            alert.updated_at = now
            message = body.get("message") or {}
            await update_bottleneck_messages(uow, list((alert.data or {}).get("keys") or []), message, key, **kw)
    await ack()


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    await decide(ack, body, context, snooze=False)


def register(app: AsyncApp) -> None:
    app.action("bottleneck_ack")(handle)
