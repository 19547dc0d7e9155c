"""The App Home's own controls: the Away switch, working hours and each notification kind's choice;
the tab is published again to show the result."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import routing
from bot.domain.outcomes import Result
from bot.notify import preferences
from bot.notify.home import publish_home
from bot.slack.ids import Action
from bot.slack.payloads import Preference
from handlers.common import Interaction


async def _away(uow: UnitOfWork, it: Interaction) -> None:
    switch = routing.set_back if it.action.get("value") == "back" else routing.set_away
    await switch(uow, it.person.id, actor=it.person.id)


async def _hours(uow: UnitOfWork, it: Interaction) -> None:
    hours = (it.action.get("selected_option") or {}).get("value") or ""
    if hours in it.baton.config.notifications.quiet_hour_choices:
        await preferences.set_working_hours(uow, it.person.id, hours)


async def _preference(uow: UnitOfWork, it: Interaction) -> Result | None:
    choice = it.value(Preference)
    return await preferences.choose(uow, it.person.id, choice.kind, choice.mode) if choice else None


CONTROLS = {Action.HOME_AWAY: _away, Action.HOME_HOURS: _hours, Action.HOME_PREF: _preference}


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    control = CONTROLS[Action(it.action.get("action_id"))]

    async def decide(uow: UnitOfWork) -> Result | None:
        result = await control(uow, it)
        await publish_home(uow, it.person.id)  # shows the truth, also after a refused (forged or stale) choice
        return result

    await it.decide(ack, decide)


ACTIONS = dict.fromkeys(CONTROLS, handle)
