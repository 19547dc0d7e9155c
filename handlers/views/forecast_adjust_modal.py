"""The adjust modal submitted: a manager's adjusted number and reason for a rep or the team
(bad input → errors under the fields, nothing written; not theirs to adjust → refused)."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import forecast_adjust as fa
from bot.notify import forecast_adjust as adjust_view
from bot.slack.ids import View
from bot.slack.payloads import AdjustTarget
from handlers.common import Interaction, ModalInput


async def submit(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    t = m.meta(AdjustTarget) or AdjustTarget("", "", "")
    by = it.person.id if it.person else ""

    async def then(uow: UnitOfWork, result: fa.AdjustResult) -> None:
        await it.tell(uow, adjust_view.saved_text(uow, it.locale(), result.adjustment))

    await it.submit(ack, lambda uow: fa.adjust(uow, by, t.period, t.scope, t.subject, amount=m.text("amount"), reason=m.text("reason"), start=t.start), then)


VIEWS = {View.FORECAST_ADJUST: submit}
