"""Close won (amount, close date) and Close lost (reason, note) submissions: one domain call each;
errors shown in the modal, the result told privately."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import opportunities as opps
from bot.slack.ids import View
from bot.slack.payloads import Ref
from handlers.common import Interaction, ModalInput


def _told(it: Interaction, key: str) -> Any:
    async def then(uow: UnitOfWork, result: opps.DealResult) -> None:
        await it.tell(uow, it.text(key, result.opportunity.team_id, name=result.opportunity.name))

    return then


async def won(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    opp_id = (m.meta(Ref) or Ref(0)).id
    decide = lambda uow: opps.close_won(uow, opp_id, it.person, m.text("amount"), m.picked_date("close_date"))  # noqa: E731
    await it.submit(ack, decide, _told(it, "deals.won_done"))


async def lost(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    opp_id = (m.meta(Ref) or Ref(0)).id
    decide = lambda uow: opps.close_lost(uow, opp_id, it.person, m.option("reason"), m.text("note"))  # noqa: E731
    await it.submit(ack, decide, _told(it, "deals.lost_done"))


VIEWS = {View.DEAL_WON: won, View.DEAL_LOST: lost}
