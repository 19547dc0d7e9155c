"""Qualify / Disqualify on the SAL follow-up: open the modal (or say why this person cannot)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.relay import may_work_sal
from bot.models import Lead, Stage
from bot.notify.common import team_locale_tz
from bot.slack.delivery import enqueue
from handlers.common import action_int, actor, baton_of, locale_for, tell


def opener(action_id: str, template: str):  # noqa: ANN201
    async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
        baton = baton_of(context)
        user, person = actor(baton, body)
        lead_id = action_int(body)
        msgs = baton.ctx.messages
        async with baton.ctx.uow() as uow:
            lead = await uow.session.get(Lead, lead_id) if lead_id is not None else None
            locale = locale_for(baton, person, lead.team_id if lead else None)
            if lead is None:
                await tell(uow, body, user, msgs.text(locale, "lead_not_found"))
            elif lead.stage != Stage.sal:
                await tell(uow, body, user, msgs.text(locale, "relay.already_handled"))
            elif not may_work_sal(baton.config, lead, person):
                await tell(uow, body, user, msgs.text(locale, "relay.not_sal_owner"))
            else:
                _, tz = team_locale_tz(baton.config, lead.team_id)
                view = msgs.view(template, locale, tz, lead=lead, reasons=baton.config.handoff.reject_reasons)
                await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})
        await ack()  # after the commit: the modal (or the refusal) is queued before Slack hears back

    return handle


def register(app: AsyncApp) -> None:
    app.action("sal_qualify")(opener("sal_qualify", "sal_qualify_modal"))
