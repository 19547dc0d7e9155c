"""`/bottleneck` and `/capacity` (managers): the one bottleneck now, and the capacity plan (revenue
per rep, reps needed with ramp-up, IS capacity, next quarter's pipeline) — privately; others are
refused privately."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import bottleneck, capacity, permissions
from bot.domain.outcomes import Outcome, Result
from bot.notify.pipeline import capacity_message, render_bottleneck
from bot.slack.ids import Command
from handlers.common import Interaction


async def _bottleneck(uow: UnitOfWork, locale: str) -> dict[str, Any]:
    return render_bottleneck(uow, await bottleneck.analyse(uow), locale)


async def _capacity(uow: UnitOfWork, locale: str) -> dict[str, Any]:
    return capacity_message(uow, await capacity.plan(uow), locale)


REPORTS = {Command.BOTTLENECK: _bottleneck, Command.CAPACITY: _capacity}


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    report = REPORTS[Command(body.get("command"))]

    async def answer(uow: UnitOfWork) -> Result | None:
        if not permissions.allows("manager.commands", it.baton.config, it.person, None):
            return Result(Outcome.NOT_ALLOWED, subject="manager")
        await it.tell(uow, await report(uow, it.locale()))
        return None

    await it.report(ack, answer)


COMMANDS = dict.fromkeys(REPORTS, handle)
