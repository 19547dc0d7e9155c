"""Qualify / Disqualify on the SAL follow-up (buttons or the overflow menu): open the modal, or say
why this person cannot."""

from __future__ import annotations

from typing import Any

from bot.domain import relay
from bot.slack.ids import Action, View
from bot.slack.payloads import SalChoice
from handlers.common import Interaction

MODAL = {"qualify": View.SAL_QUALIFY, "disqualify": View.SAL_DISQUALIFY}


async def open_sal_modal(ack: Any, it: Interaction, lead_id: int, view: View) -> None:
    reasons = it.baton.config.mql.reject_reasons
    await it.open_checked(
        ack, lambda uow: relay.check_sal(uow, lead_id, it.person), view,
        lambda check: {"lead": check.lead, "reasons": reasons},
    )  # fmt: skip


async def qualify(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    await open_sal_modal(ack, it, it.ref(), View.SAL_QUALIFY)


async def disqualify(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    await open_sal_modal(ack, it, it.ref(), View.SAL_DISQUALIFY)


async def menu(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    choice = it.value(SalChoice) or SalChoice("qualify", 0)
    await open_sal_modal(ack, it, choice.lead_id, MODAL.get(choice.choice, View.SAL_QUALIFY))


ACTIONS = {Action.SAL_QUALIFY: qualify, Action.SAL_DISQUALIFY: disqualify, Action.SAL_MENU: menu}
