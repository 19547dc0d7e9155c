"""`/baton [help | away | back]`: help, your open hand-offs, and the same away switch as App Home."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import routing
from bot.domain.home import home_data
from bot.notify.commands import help_lines
from bot.notify.home import has_opened_home, publish_home
from bot.slack.ids import Command
from handlers.common import Interaction


async def _away(uow: UnitOfWork, it: Interaction) -> str:
    moved = await routing.set_away(uow, it.person.id, actor=it.person.id)
    return it.text("home.cmd_away", n=len(moved))


async def _back(uow: UnitOfWork, it: Interaction) -> str:
    await routing.set_back(uow, it.person.id, actor=it.person.id)
    return it.text("home.cmd_back")


async def _help(uow: UnitOfWork, it: Interaction) -> str:
    d = await home_data(uow, it.person.id)
    mine = it.text("home.cmd_help", mqls=d.waiting_mqls.total, sals=d.sals.total, deals=d.deals.total, away=d.away)
    return f"{mine}\n\n{help_lines(uow, it.locale())}"


WORDS = {"help": _help, "away": _away, "back": _back}


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    word = (body.get("text") or "").strip().lower()

    async def decide(uow: UnitOfWork) -> None:
        await it.tell(uow, await WORDS.get(word, _help)(uow, it))
        if word in ("away", "back") and await has_opened_home(uow, it.person.id):
            await publish_home(uow, it.person.id)

    await it.decide(ack, decide)


COMMANDS = {Command.BATON: handle}
