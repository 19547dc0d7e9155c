"""`/bottleneck [team]` and `/capacity [target|period]` (managers): the one bottleneck now (the
company's or one team's), and the capacity plan (revenue per rep, reps needed with ramp-up, IS
capacity, next quarter's pipeline) for this fiscal year, another one, or a target typed in —
privately; others are refused privately; a wrong argument gets the usage line."""

from __future__ import annotations

import re
from typing import Any

from bot.config import AppConfig
from bot.context import UnitOfWork
from bot.domain import bottleneck, capacity, permissions
from bot.domain.amounts import parse_amount
from bot.domain.outcomes import Outcome, Result
from bot.notify.commands import usage
from bot.notify.pipeline import capacity_message, render_bottleneck
from bot.periods import parse_period
from bot.slack.ids import Command
from handlers.common import Interaction

_YEAR = re.compile(r"^(?:FY)?(\d{4})$", re.IGNORECASE)


def _bottleneck_args(words: list[str], config: AppConfig) -> dict[str, Any] | None:
    """`[team]`: a team's id or its name."""
    if not words:
        return {}
    word = " ".join(words)
    team = config.team(word) or next((t for t in config.teams if t.name == word), None)
    return {"team": team.id} if team else None


def _capacity_args(words: list[str], config: AppConfig) -> dict[str, Any] | None:
    """`[target|period]`: a fiscal year (`FY2027`, `2027`) or a yen amount (`5億`, `300000000`)."""
    if len(words) > 1:
        return None
    if not words:
        return {}
    if m := _YEAR.match(words[0]):
        return {"period": parse_period(f"FY{m.group(1)}", config.company.fiscal_year_start_month)}
    try:
        target = parse_amount(words[0])
    except ValueError:
        return None
    return {"target": target} if target else None


async def _bottleneck(uow: UnitOfWork, locale: str, args: dict[str, Any]) -> dict[str, Any]:
    return render_bottleneck(uow, await bottleneck.analyse(uow, **args), locale)


async def _capacity(uow: UnitOfWork, locale: str, args: dict[str, Any]) -> dict[str, Any]:
    return capacity_message(uow, await capacity.plan(uow, **args), locale)


REPORTS = {Command.BOTTLENECK: (_bottleneck_args, _bottleneck), Command.CAPACITY: (_capacity_args, _capacity)}


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    command = Command(body.get("command"))
    parse, report = REPORTS[command]
    args = parse((body.get("text") or "").split(), it.baton.config)

    async def answer(uow: UnitOfWork) -> Result | None:
        if not permissions.allows("manager.commands", it.baton.config, it.person, None):
            return Result(Outcome.NOT_ALLOWED, subject="manager")
        if args is None:
            await it.tell(uow, usage(uow, it.locale(), command))
            return None
        await it.tell(uow, await report(uow, it.locale(), args))
        return None

    await it.report(ack, answer)


COMMANDS = dict.fromkeys(REPORTS, handle)
