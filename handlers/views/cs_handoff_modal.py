"""The kickoff modal's submission: the CSM accepts the new customer (onboarding starts)."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import cs_handoff
from bot.slack.ids import View
from bot.slack.payloads import Ref
from handlers.common import Interaction, ModalInput


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    account_id = (m.meta(Ref) or Ref(0)).id

    async def then(uow: UnitOfWork, result: cs_handoff.CsHandoffResult) -> None:
        await it.tell(uow, it.text("cs_handoff.accepted_done", name=result.account.name))

    await it.submit(ack, lambda uow: cs_handoff.accept(uow, account_id, it.person, m.picked_date("kickoff_on")), then)


VIEWS = {View.CS_HANDOFF: handle}
