"""Mark churned (on the account card or a renewal reminder): open the reason modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.health_alerts import may_act
from bot.models import Account
from bot.notify.common import team_locale_tz
from bot.notify.success import refusal_text
from bot.slack.delivery import enqueue
from handlers.common import action_int, actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    await ack()
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    async with baton.ctx.uow() as uow:
        acc = await uow.session.get(Account, action_int(body) or 0)
        outcome = "not_found" if acc is None else ("churned" if acc.churned else ("ok" if may_act(uow, person, acc) else "not_allowed"))
        if outcome != "ok":
            await tell(uow, body, user, refusal_text(uow, locale, outcome))
            return
        _, tz = team_locale_tz(baton.config, None)
        view = baton.ctx.messages.view("churn_modal", locale, tz, account=acc, reasons=baton.config.success.churn_reasons)
        await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})


def register(app: AsyncApp) -> None:
    app.action("churn_mark")(handle)
