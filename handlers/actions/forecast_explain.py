"""Explain changes (on a meeting prompt): a modal with one answer per significant change, or one note."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import forecast as fc
from bot.models import Timer
from bot.notify import forecast as nf
from bot.slack.delivery import enqueue
from handlers.commands.forecast import text_msg
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    timer_id, _, rep = ((body.get("actions") or [{}])[0].get("value") or "").partition(":")
    try:
        await _work(baton, body, user, person, locale, timer_id, rep)
    finally:
        await ack()


async def _work(baton: Any, body: dict[str, Any], user: str, person: Any, locale: str, timer_id: str, rep: str) -> None:
    """Decide and queue the modal (or a refusal) — committed before the ack."""
    async with baton.ctx.uow() as uow:
        timer = await uow.session.get(Timer, int(timer_id)) if timer_id.isdecimal() else None
        if person is None or timer is None or person.id != rep:
            await tell(uow, body, user, text_msg(uow, locale, "forecast.refused_other"))
            return
        data = timer.data or {}
        at = (data.get("baseline_at") or {}).get(rep)
        res = await fc.diff_for(uow, [rep], data.get("period") or "quarter", baseline=(data.get("baselines") or {}).get(rep, []),
                                baseline_at=datetime.fromisoformat(at) if at else None)  # fmt: skip
        questions = [
            {"id": str(c.id), "label": uow.ctx.messages.text(locale, "forecast.explain.deal", name=c.name, change=" · ".join(nf.change_parts(uow, locale, c)))}
            for c in nf.significant(res.diff, 10)
        ]  # fmt: skip
        view = uow.ctx.messages.view(
            "forecast_explain_modal", locale, fc.tz(uow), questions=questions,
            metadata=json.dumps({"timer": timer.id, "rep": rep}),
        )  # fmt: skip
        await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})


def register(app: AsyncApp) -> None:
    app.action("forecast_explain")(handle)
