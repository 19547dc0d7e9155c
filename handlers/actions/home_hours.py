"""App Home → working hours: DMs outside them wait until the person's day starts (their own zone)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.notify.home import publish_home
from bot.notify.preferences import set_working_hours
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    hours = (((body.get("actions") or [{}])[0]).get("selected_option") or {}).get("value") or ""
    async with baton.ctx.uow() as uow:
        if person is None:
            await tell(uow, body, user, baton.ctx.messages.text(locale_for(baton, None), "not_in_config", user=f"<@{user}>"))
        else:
            if hours in baton.config.notifications.quiet_hour_choices:
                await set_working_hours(uow, person.id, hours)
            await publish_home(uow, person.id)
    await ack()


def register(app: AsyncApp) -> None:
    app.action("home_hours")(handle)
