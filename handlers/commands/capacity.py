"""`/capacity` (managers): revenue per rep, reps needed with ramp-up, IS capacity, next quarter's pipeline."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.capacity import plan
from bot.slack.delivery import enqueue
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    async with baton.ctx.uow() as uow:
        if person is None or not person.is_manager:
            await tell(uow, body, user, baton.ctx.messages.text(locale, "pl_not_manager"))
        else:
            c = await plan(uow)
            cap = baton.config.pipeline.capacity
            msg = baton.ctx.messages.message(
                "capacity", locale, baton.config.calendar(None).tz, c=c, ramp=cap.ramp_months, per_day=cap.is_mqls_per_rep_per_day
            )
            await enqueue(uow, "chat.postEphemeral", {"channel": body.get("channel_id") or user, "user": user, **msg})
    await ack()


def register(app: AsyncApp) -> None:
    app.command("/capacity")(handle)
