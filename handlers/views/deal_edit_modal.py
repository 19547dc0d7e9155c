"""The Update deal modal's submission: validated by the opportunity core; errors shown in the modal."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import opportunities as opps
from bot.slack.ids import View
from bot.slack.payloads import Ref
from handlers.common import Interaction, ModalInput


def parse(view: dict[str, Any]) -> tuple[int, opps.DealForm]:
    m = ModalInput(view)
    return (m.meta(Ref) or Ref(0)).id, opps.DealForm(
        phase=m.option("phase"), close_date=m.picked_date("close_date"), next_action_due=m.picked_date("next_action_due"),
        amount=m.text("amount"), texts={f: m.text(f) for f in opps.FORM_TEXTS}, phase_reason=m.text("phase_reason"),
    )  # fmt: skip


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    opp_id, form = parse(view)

    async def then(uow: UnitOfWork, result: opps.DealResult) -> None:
        await it.tell(uow, it.text("pl_deal_updated", result.opportunity.team_id, name=result.opportunity.name))

    await it.submit(ack, lambda uow: opps.edit(uow, opp_id, it.person, form), then)


VIEWS = {View.DEAL_EDIT: handle}
