"""The Explain-changes modal: answers are kept with the meeting occurrence for the managers' summary."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from sqlalchemy import select

from bot.models import Timer
from bot.slack.delivery import enqueue
from handlers.common import ModalInput, actor, baton_of, locale_for


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    m = ModalInput(view)
    meta = m.metadata_json()
    answers = {block: text[:1000] for block in m.blocks() if (text := m.text(block))}
    if not answers:
        await ack(response_action="errors", errors={"note": baton.ctx.messages.text(locale, "forecast.explain.empty")})
        return
    async with baton.ctx.uow() as uow:
        timer = await uow.session.scalar(select(Timer).where(Timer.id == int(meta["timer"]) if str(meta.get("timer")).isdecimal() else 0).with_for_update())
        if timer is not None and person is not None and person.id == meta.get("rep"):
            data = dict(timer.data or {})
            explanations = dict(data.get("explanations") or {})
            explanations[person.id] = answers
            data["explanations"] = explanations
            timer.data = data
            await enqueue(uow, "chat.postMessage", {"channel": user, "text": baton.ctx.messages.text(locale, "forecast.explain.saved")})
    await ack()


def register(app: AsyncApp) -> None:
    app.view("forecast_explain_modal")(handle)
