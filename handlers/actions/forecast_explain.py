"""Explain changes (on a meeting prompt): a modal with one answer per significant change, or one note."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import forecast as fc
from bot.domain import forecast_meetings as fm
from bot.notify import forecast as nf
from bot.slack.delivery import enqueue
from handlers.commands.forecast import text_msg
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    # The button's value: "<occurrence id>:<rep>" (prompts sent before the tables existed carry the
    # prompt timer's id, which migration 0008 gave to the occurrence).
    occurrence, _, rep = ((body.get("actions") or [{}])[0].get("value") or "").partition(":")
    try:
        await _work(baton, body, user, person, locale, int(occurrence) if occurrence.isdecimal() else 0, rep)
    finally:
        await ack()


async def _work(baton: Any, body: dict[str, Any], user: str, person: Any, locale: str, occurrence_id: int, rep: str) -> None:
    """Decide and queue the modal (or a refusal) — committed before the ack."""
    async with baton.ctx.uow() as uow:
        form = await fm.explain_form(uow, occurrence_id, person.id if person else None, rep)
        if form.outcome == "over":
            await tell(uow, body, user, text_msg(uow, locale, "forecast.explain.over"))
            return
        if form.diff is None:
            await tell(uow, body, user, text_msg(uow, locale, "forecast.refused_other"))
            return
        questions = [
            {"id": str(c.id), "label": uow.ctx.messages.text(locale, "forecast.explain.deal", name=c.name, change=" · ".join(nf.change_parts(uow, locale, c)))}
            for c in nf.significant(form.diff.diff, 10)
        ]  # fmt: skip
        view = uow.ctx.messages.view(
            "forecast_explain_modal", locale, fc.tz(uow), questions=questions,
            metadata=json.dumps({"occurrence": occurrence_id, "rep": rep}),
        )  # fmt: skip
        await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})


def register(app: AsyncApp) -> None:
    app.action("forecast_explain")(handle)
