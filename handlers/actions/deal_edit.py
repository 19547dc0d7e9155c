"""Update deal: open the deal modal (from a deal message or App Home; value = opportunity id)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.config import AppConfig, Person
from bot.domain import permissions
from bot.models import Opportunity
from bot.notify.common import team_locale_tz
from bot.slack.delivery import enqueue
from handlers.common import action_int, actor, baton_of, locale_for, tell


def may_edit(opp: Opportunity, person: Person | None, config: AppConfig) -> bool:
    return permissions.allows("deal.edit", config, person, opp)


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    await ack()
    baton = baton_of(context)
    user, person = actor(baton, body)
    opp_id = action_int(body)
    async with baton.ctx.uow() as uow:
        opp = await uow.session.get(Opportunity, opp_id) if opp_id is not None else None
        locale = locale_for(baton, person, opp.team_id if opp else None)
        if opp is None:
            await tell(uow, body, user, baton.ctx.messages.text(locale, "pl_deal_not_found"))
        elif not may_edit(opp, person, baton.config):
            await tell(uow, body, user, baton.ctx.messages.text(locale, "pl_deal_not_owner"))
        else:
            _, tz = team_locale_tz(baton.config, opp.team_id)
            names = {n: baton.ctx.messages.text(locale, f"pl_phase_name.{n}") for n in (1, 2, 3, 4, 5)}
            view = baton.ctx.messages.view("deal_edit_modal", locale, tz, opp=opp, phase_names=names)
            # trigger_id lives 3 s: the outbox worker is kicked on commit and sends it at once.
            await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})


def register(app: AsyncApp) -> None:
    app.action("deal_edit")(handle)
