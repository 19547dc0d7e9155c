"""Reject on an MQL card: open the reason modal (or say why this person cannot decide)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.mql import Decision, already_decided, may_decide
from bot.models import Lead, Stage
from bot.notify.common import team_locale_tz
from bot.slack.delivery import enqueue
from handlers.common import action_int, actor, baton_of, commit_then_ack, locale_for, refusal_text, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    lead_id = action_int(body)
    # Ack once the modal (or the refusal) is queued, as Accept does: then a press answered 200 has
    # always left its trace, and one that cannot get its turn in time is told to retry.
    await commit_then_ack(ack, baton, body, user, person, lambda wait: _decide(baton, body, user, person, lead_id, wait))


async def _decide(baton: Any, body: dict[str, Any], user: str, person: Any, lead_id: int | None, wait: float) -> None:
    async with baton.ctx.uow(wait=wait) as uow:
        lead = await uow.session.get(Lead, lead_id) if lead_id is not None else None
        if lead is None:
            decision = Decision("not_found")
        elif lead.stage != Stage.mql:
            decision = await already_decided(uow, lead)
        elif not may_decide(baton.config, lead, person):
            decision = Decision("not_allowed", lead)
        else:
            locale = locale_for(baton, person, lead.team_id)
            _, tz = team_locale_tz(baton.config, lead.team_id)
            view = baton.ctx.messages.view("mql_reject_modal", locale, tz, lead=lead, reasons=baton.config.handoff.reject_reasons)
            # trigger_id lives 3 s: the outbox worker is kicked on commit and sends it at once.
            await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})
            return
        await tell(uow, body, user, refusal_text(baton, locale_for(baton, person), decision, user))


def register(app: AsyncApp) -> None:
    app.action("mql_reject")(handle)
