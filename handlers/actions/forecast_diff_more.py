"""Show all: the rest of a capped diff (same permission checks as /forecast diff)."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import forecast as fc
from bot.domain import forecast_meetings as fm
from bot.notify import forecast as nf
from handlers.commands.forecast import show_diff, text_msg
from handlers.common import actor, baton_of, locale_for, tell

REST = 200  # changes listed by "show all" (chunked into sections)


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    parts = ((body.get("actions") or [{}])[0].get("value") or "").split("|")
    cap = baton.config.forecast.diff_cap
    async with baton.ctx.uow() as uow:
        if person is None:
            await tell(uow, body, user, text_msg(uow, locale, "forecast.not_in_config"))
        elif len(parts) == 4 and parts[0] == "s":
            _, subj, kind, since = parts
            subject = "team" if subj.startswith("team=") else subj
            try:
                since_d = date.fromisoformat(since) if since else None
            except ValueError:
                since_d = None
            await show_diff(uow, body, user, locale, person.id, subject, kind, since_d, offset=cap, limit=REST)
        elif len(parts) == 3 and parts[0] == "p" and parts[1].isdecimal():  # a meeting prompt: p|<occurrence>|<rep>
            rep = parts[2]
            res = await fm.prompt_diff(uow, int(parts[1]), rep) if fc.may_view(uow, person.id, rep) else None
            if res is None:
                await tell(uow, body, user, text_msg(uow, locale, "forecast.refused_other"))
            else:
                await tell(uow, body, user, nf.diff_message(uow, locale, res, nf.who(uow, rep), offset=cap, limit=REST))
        else:
            await tell(uow, body, user, text_msg(uow, locale, "forecast.usage"))
    await ack()


def register(app: AsyncApp) -> None:
    app.action("forecast_diff_more")(handle)
