"""The submit modal: validate the amounts, store the submission with its deal snapshot."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import forecast as fc
from bot.notify import forecast as nf
from bot.slack.delivery import enqueue
from handlers.common import actor, baton_of, locale_for


def _value(values: dict[str, Any], block: str) -> str | None:
    return ((values.get(block) or {}).get("value") or {}).get("value")


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    values = (view.get("state") or {}).get("values") or {}
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    kind, team = meta.get("kind") or "quarter", meta.get("team")
    async with baton.ctx.uow() as uow:
        result = await fc.submit(
            uow, person.id if person else "", kind, commit=_value(values, "commit"), best_case=_value(values, "best_case"),
            note=_value(values, "note"), scope="team" if team else "rep", team_id=team,
        )  # fmt: skip
        if not result.ok:
            errors = {f if f in ("commit", "best_case") else "commit": baton.ctx.messages.text(locale, key) for f, key in result.errors.items()}
            await ack(response_action="errors", errors=errors)
            return
        sub = result.submission
        p = fc.period_from(sub.period_kind, sub.period_start, fc.fiscal_start(uow))
        text = baton.ctx.messages.text(
            locale, "forecast.submitted", period=nf.period_label(uow, locale, p), commit=nf.money(locale, sub.commit_amount),
            best=nf.money(locale, sub.best_case_amount), deals=len(sub.snapshot),
        )  # fmt: skip
        await enqueue(uow, "chat.postMessage", {"channel": user, "text": text})
    await ack()


def register(app: AsyncApp) -> None:
    app.view("forecast_submit_modal")(handle)
