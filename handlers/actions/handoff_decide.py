"""Accept hand-off / Send back on the FS hand-off card."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import relay
from bot.models import Opportunity
from bot.notify.common import team_locale_tz
from bot.slack.delivery import enqueue
from handlers.common import action_int, actor, baton_of, locale_for, tell


def refusal(baton: Any, locale: str, outcome: str) -> str:
    key = {"not_allowed": "relay.not_handoff_owner"}.get(outcome, "relay.already_handled")
    return baton.ctx.messages.text(locale, key)


async def accept(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    opp_id = action_int(body)
    async with baton.ctx.uow() as uow:
        result = await relay.accept_handoff(uow, opp_id or 0, person)
        if not result.ok:
            await tell(uow, body, user, refusal(baton, locale_for(baton, person), result.outcome))
    await ack()


async def send_back(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    opp_id = action_int(body)
    async with baton.ctx.uow() as uow:
        opp = await uow.session.get(Opportunity, opp_id) if opp_id else None
        locale = locale_for(baton, person, opp.team_id if opp else None)
        if opp is None or opp.handoff_state != "pending":
            await tell(uow, body, user, refusal(baton, locale, "already_decided"))
        elif not relay.may_decide_handoff(baton.config, opp, person):
            await tell(uow, body, user, refusal(baton, locale, "not_allowed"))
        else:
            _, tz = team_locale_tz(baton.config, opp.team_id)
            view = baton.ctx.messages.view("handoff_sendback_modal", locale, tz, opp=opp, reasons=baton.config.relay.sendback_reasons)
            await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})
    await ack()


def register(app: AsyncApp) -> None:
    app.action("handoff_accept")(accept)
    app.action("handoff_send_back")(send_back)
