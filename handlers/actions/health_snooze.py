"""Snooze on a health alert: quiet for the configured time; the escalation clock restarts after it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.health_alerts import snooze
from bot.notify.success import refusal_text
from handlers.common import action_int, actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    async with baton.ctx.uow() as uow:
        d = await snooze(uow, action_int(body) or 0, person)
        if d.outcome != "ok":
            await tell(uow, body, user, refusal_text(uow, locale_for(baton, person), d.outcome, d.alert.state if d.alert else None))
    await ack()


def register(app: AsyncApp) -> None:
    app.action("health_snooze")(handle)
