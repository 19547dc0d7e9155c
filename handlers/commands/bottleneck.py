"""`/bottleneck` (managers): the one bottleneck now, privately; others are refused ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import bottleneck as bn
from bot.domain import permissions
from bot.notify.pipeline import render_bottleneck
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    async with baton.ctx.uow() as uow:
        if not permissions.allows("manager.commands", baton.config, person, None):
            await tell(uow, body, user, baton.ctx.messages.text(locale, "pl_not_manager"))
        else:
            analysis = await bn.analyse(uow)
            msg = render_bottleneck(uow, analysis, locale)
            await tell(uow, body, user, msg)
    await ack()


def register(app: AsyncApp) -> None:
    app.command("/bottleneck")(handle)
