"""Submissions of the Qualify and Disqualify modals (errors shown in the modal, nothing half-written)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import relay
from bot.slack.ids import View
from bot.slack.payloads import Ref
from handlers.common import Interaction, ModalInput
from handlers.views.mql_reject_modal import BLOCK_OF, company_today, parse


async def qualify(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    lead_id, values = (m.meta(Ref) or Ref(0)).id, {k: m.text(k) for k in (*relay.BANT, "amount", "notes")}
    await it.submit(ack, lambda uow: relay.qualify(uow, lead_id, it.person, values))


async def disqualify(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    lead_id, reason, note, when = parse(view, company_today(it))
    await it.submit(ack, lambda uow: relay.disqualify(uow, lead_id, it.person, reason, note, when), block_of=BLOCK_OF)


def register(app: AsyncApp) -> None:
    app.view(View.SAL_QUALIFY)(qualify)
    app.view(View.SAL_DISQUALIFY)(disqualify)
