"""The churn and upsell modals submitted: churned with a reason (the recycle loop takes it), or a
phase-1 upsell deal handed to Field Sales."""

from __future__ import annotations

from typing import Any

from bot.domain import accounts
from bot.slack.ids import View
from bot.slack.payloads import Ref
from handlers.common import Interaction, ModalInput


async def churn(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    account_id, reason, note = (m.meta(Ref) or Ref(0)).id, m.option("reason") or "", m.text("note")
    await it.submit(ack, lambda uow: accounts.mark_churned(uow, account_id, it.person, reason, note))


async def upsell(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    it, m = Interaction.of(body, context), ModalInput(view)
    account_id, name, amount, notes = (m.meta(Ref) or Ref(0)).id, m.text("name"), m.text("amount"), m.text("notes")
    await it.submit(ack, lambda uow: accounts.request_upsell(uow, account_id, it.person, name, amount, notes))


VIEWS = {View.CHURN: churn, View.UPSELL: upsell}
