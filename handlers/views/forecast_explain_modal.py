"""The Explain-changes modal: the rep's answers are kept with the meeting occurrence for the
managers' summary (bot/domain/forecast_meetings.py decides; this only reads the form and answers)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import forecast_meetings as fm
from handlers.common import ModalInput, actor, baton_of, locale_for, tell

SAID = {"saved": "forecast.explain.saved", "over": "forecast.explain.over", "not_found": "forecast.explain.not_found"}


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    m = ModalInput(view)
    meta = m.metadata_json()
    # "timer": a modal opened before migration 0008, whose occurrence kept the prompt timer's id.
    ref = meta.get("occurrence", meta.get("timer"))
    answers = {block: text for block in m.blocks() if (text := m.text(block))}
    async with baton.ctx.uow() as uow:
        r = await fm.record_explanation(uow, ref if isinstance(ref, int) else None, person.id if person else None, answers)
        if r.outcome == "empty":
            await ack(response_action="errors", errors={"note": uow.ctx.messages.text(locale, "forecast.explain.empty")})
            return
        key = "forecast.explain.saved_late" if r.late else SAID.get(r.outcome, "forecast.explain.not_yours")
        await tell(uow, body, user, uow.ctx.messages.text(locale, key))
    await ack()


def register(app: AsyncApp) -> None:
    app.view("forecast_explain_modal")(handle)
