"""The Send back modal's submission: reason + note → back to the IS owner (SAL) or into the loop."""

from __future__ import annotations

from typing import Any

from bot.domain import relay
from bot.slack.ids import View
from bot.slack.payloads import Ref
from handlers.common import Interaction, ModalInput


async def handle(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    opp_id, reason, note = (m.meta(Ref) or Ref(0)).id, m.option("reason") or "", m.text("note")
    await it.submit(ack, lambda uow: relay.send_back(uow, opp_id, it.person, reason, note))


VIEWS = {View.HANDOFF_SENDBACK: handle}
