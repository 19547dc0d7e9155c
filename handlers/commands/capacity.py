"""`/capacity` (managers): revenue per rep, reps needed with ramp-up, IS capacity, next quarter's pipeline."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import permissions
from bot.domain.capacity import plan
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    async with baton.ctx.uow() as uow:
        if not permissions.allows("manager.commands", baton.config, person, None):
            await tell(uow, body, user, baton.ctx.messages.text(locale, "pl_not_manager"))
        else:
            c = await plan(uow)
            cap = baton.config.pipeline.capacity
            msg = baton.ctx.messages.message(
                "capacity", locale, baton.config.calendar(None).tz, c=c, ramp=cap.ramp_months, per_day=cap.is_mqls_per_rep_per_day
            )
            await tell(uow, body, user, msg)
    await ack()


def register(app: AsyncApp) -> None:
    app.command("/capacity")(handle)
