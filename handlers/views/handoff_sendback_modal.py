"""The Send back modal's submission: reason + note → back to the IS owner (SAL) or into the loop."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import relay
from handlers.actions.handoff_decide import refusal
from handlers.common import ModalInput, actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    m = ModalInput(view)
    reason, note, opp_id = m.option("reason"), m.text("note"), m.metadata_int() or 0
    async with baton.ctx.uow() as uow:
        result = await relay.send_back(uow, opp_id, person, reason or "", note)
        if result.outcome == "bad_input":
            await ack(response_action="errors", errors={f: baton.ctx.messages.text(locale, k) for f, k in result.errors.items()})
            return
        if not result.ok:
            await tell(uow, body, user, refusal(baton, locale, result.outcome))
    await ack()


def register(app: AsyncApp) -> None:
    app.view("handoff_sendback_modal")(handle)
