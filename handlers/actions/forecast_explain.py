"""Explain changes (on a forecast-meeting prompt): open the form asking about each significant change."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import forecast_meetings as fm
from bot.notify import forecast as nf
from bot.slack.ids import Action
from bot.slack.payloads import Explain
from handlers.common import Interaction


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    # Prompts sent before migration 0008 carry the prompt timer's id, which the occurrence kept.
    asked = it.value(Explain) or Explain(0, "")

    async def decide(uow: UnitOfWork) -> fm.PromptDiff:
        form = await fm.explain_form(uow, asked.occurrence_id, it.person.id, asked.rep)
        if form.ok:
            await it.open_view(uow, await nf.explain_modal(uow, it.locale(), form, asked.occurrence_id, asked.rep))
        return form

    await it.decide(ack, decide)


ACTIONS = {Action.FORECAST_EXPLAIN: handle}
