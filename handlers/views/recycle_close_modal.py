"""The Close modal of a recycle: reason (+ note) → the record leaves the loop for good."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import recycle as loop
from bot.notify.recycle import announce
from bot.slack.ids import View
from bot.slack.payloads import RecycleClose
from handlers.common import Interaction, ModalInput


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    meta = m.meta(RecycleClose) or RecycleClose(0, None, None)
    reason, note = m.option("reason") or "", m.text("note")

    async def then(uow: UnitOfWork, result: loop.RecycleResult) -> None:
        await announce(uow, result, meta.channel, meta.ts)  # in the nudge's thread it came from

    await it.submit(ack, lambda uow: loop.close(uow, meta.recycle_id, it.person, reason, note), then)


VIEWS = {View.RECYCLE_CLOSE: handle}
