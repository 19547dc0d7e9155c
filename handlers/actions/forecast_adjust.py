"""`/forecast team`'s "Adjust a number…" select: a manager picks the team's number or a rep's, and
the adjust modal opens once the domain says they may."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import forecast_adjust as fa
from bot.notify import forecast_adjust as adjust_view
from bot.slack.ids import Action
from bot.slack.payloads import AdjustTarget
from handlers.common import Interaction


async def open_adjust(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    target = it.value(AdjustTarget) or AdjustTarget("", "", "")
    by = it.person.id if it.person else ""

    async def decide(uow: UnitOfWork) -> fa.AdjustResult:
        result = fa.check(uow, by, target.period, target.scope, target.subject)
        if result.ok:
            await it.open_view(uow, await adjust_view.modal(uow, it.locale(), target))
        return result

    await it.decide(ack, decide)


ACTIONS = {Action.FORECAST_ADJUST: open_adjust}
