"""Update deal: open the deal modal (from a deal message or App Home; value = opportunity id)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import opportunities as opps
from bot.slack.ids import Action, View
from handlers.common import Interaction


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    await it.open_checked(
        ack, lambda uow: opps.check_edit(uow, it.ref(), it.person), View.DEAL_EDIT,
        lambda check: {"opp": check.opportunity, "phase_names": _phase_names(it, check.opportunity.team_id)},
    )  # fmt: skip


def _phase_names(it: Interaction, team_id: str | None) -> dict[int, str]:
    return {n: it.text(f"pl_phase_name.{n}", team_id) for n in (1, 2, 3, 4, 5)}


def register(app: AsyncApp) -> None:
    app.action(Action.DEAL_EDIT)(handle)
