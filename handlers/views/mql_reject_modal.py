"""The Reject modal's submission: reason, note and re-approach date → recycled (or closed)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.mql import reject_mql
from handlers.common import ModalInput, actor, baton_of, locale_for, refusal_text, tell


def parse(view: dict[str, Any], today: date) -> tuple[int | None, str | None, str | None, date | None]:
    m = ModalInput(view)
    lead_id, reason, note = m.metadata_int(), m.option("reason"), m.text("note")
    picked, preset = m.picked_date("reapproach_date"), m.option("reapproach")
    when = None
    if picked:
        try:
            when = date.fromisoformat(picked)
        except ValueError:
            when = today  # rejected by validation as "not in the future"
    elif preset and preset.isdecimal() and len(preset) <= 4:
        when = today + timedelta(days=int(preset))
    return lead_id, reason, note, when


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    today = baton.ctx.now().astimezone(baton.config.calendar(None).tz).date()
    lead_id, reason, note, when = parse(view, today)
    async with baton.ctx.uow() as uow:
        decision = await reject_mql(uow, lead_id or 0, person, reason or "", note, when)
        if decision.outcome == "bad_input":
            block_of = {"reapproach": "reapproach_date"}
            errors = {block_of.get(f, f): baton.ctx.messages.text(locale, key) for f, key in decision.errors.items()}
            await ack(response_action="errors", errors=errors)
            return
        if not decision.ok:
            await tell(uow, body, user, refusal_text(baton, locale, decision, user))
    await ack()


def register(app: AsyncApp) -> None:
    app.view("mql_reject_modal")(handle)
