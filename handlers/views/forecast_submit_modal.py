"""The submit modal: validate the amounts, store the submission with its deal snapshot."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import forecast as fc
from bot.notify import forecast as nf
from bot.slack.delivery import enqueue
from handlers.common import ModalInput, actor, baton_of, locale_for


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    m = ModalInput(view)
    meta = m.metadata_json()
    kind, team = meta.get("kind") or "quarter", meta.get("team")
    kind, team = (kind if isinstance(kind, str) else "quarter"), (team if isinstance(team, str) else None)
    async with baton.ctx.uow() as uow:
        result = await fc.submit(
            uow, person.id if person else "", kind, commit=m.text("commit"), best_case=m.text("best_case"),
            note=m.text("note"), scope="team" if team else "rep", team_id=team,
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
