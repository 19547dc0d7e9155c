"""`/baton [help | away | back]`: help, your open hand-offs, and the same away switch as App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.home import home_data
from bot.domain.routing import set_away, set_back
from bot.notify.home import has_opened_home, publish_home
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    msgs = baton.ctx.messages
    word = (body.get("text") or "").strip().lower()
    async with baton.ctx.uow() as uow:
        if person is None:
            await tell(uow, body, user, msgs.text(locale, "not_in_config", user=f"<@{user}>"))
        elif word == "away":
            moved = await set_away(uow, person.id, actor=person.id)
            await tell(uow, body, user, msgs.text(locale, "home.cmd_away", n=len(moved)))
        elif word == "back":
            await set_back(uow, person.id, actor=person.id)
            await tell(uow, body, user, msgs.text(locale, "home.cmd_back"))
        else:
            d = await home_data(uow, person.id)
            await tell(uow, body, user, msgs.text(
                locale, "home.cmd_help", mqls=d.waiting_mqls.total, sals=d.sals.total, deals=d.deals.total,
                away=d.away,
            ))  # fmt: skip
        if person is not None and word in ("away", "back") and await has_opened_home(uow, person.id):
            await publish_home(uow, person.id)
    await ack()


def register(app: AsyncApp) -> None:
    app.command("/baton")(handle)
