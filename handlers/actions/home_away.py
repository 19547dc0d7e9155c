"""App Home → "Go away" / "I'm back": routing skips an away rep and their open MQLs move on."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.routing import set_away, set_back
from bot.notify.home import publish_home
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    value = ((body.get("actions") or [{}])[0]).get("value")
    async with baton.ctx.uow() as uow:
        if person is None:
            await tell(uow, body, user, baton.ctx.messages.text(locale_for(baton, None), "not_in_config", user=f"<@{user}>"))
        else:
            if value == "back":
                await set_back(uow, person.id, actor=person.id)
            else:
                await set_away(uow, person.id, actor=person.id)
            await publish_home(uow, person.id)
    await ack()


def register(app: AsyncApp) -> None:
    app.action("home_away")(handle)
