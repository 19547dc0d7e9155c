"""What changed (on /forecast): the caller's diff since their last submission."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.commands.forecast import show_diff, text_msg
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    rep, _, kind = ((body.get("actions") or [{}])[0].get("value") or "").partition(":")
    async with baton.ctx.uow() as uow:
        if person is None:
            await tell(uow, body, user, text_msg(uow, locale, "forecast.not_in_config"))
        else:
            await show_diff(uow, body, user, locale, person.id, rep or None, kind if kind in ("month", "quarter") else "quarter", None)
    await ack()


def register(app: AsyncApp) -> None:
    app.action("forecast_diff_show")(handle)
