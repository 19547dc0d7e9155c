"""The Close modal of a recycle: reason (+ note) → the record leaves the loop for good."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import recycle as loop
from bot.notify.recycle import announce
from handlers.common import ModalInput, actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    m = ModalInput(view)
    reason, note = m.option("reason"), m.text("note")
    rid, _, where = m.metadata.partition(":")
    channel, _, ts = where.partition(":")
    async with baton.ctx.uow() as uow:
        result = await loop.close(uow, int(rid) if rid.isdecimal() else 0, person, reason or "", note)
        if result.outcome == "bad_input":
            await ack(response_action="errors", errors={f: baton.ctx.messages.text(locale, k) for f, k in (result.errors or {}).items()})
            return
        if result.ok:
            await announce(uow, result, channel or None, ts or None)
        else:
            await tell(uow, body, user, baton.ctx.messages.text(locale, "relay.already_handled"))
    await ack()


def register(app: AsyncApp) -> None:
    app.view("recycle_close_modal")(handle)
