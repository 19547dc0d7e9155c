"""Mark churned / Upsell to FS (on the account card, a health alert or a renewal reminder): open
their modal, or say why not."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import accounts
from bot.slack.ids import Action, View
from handlers.common import Interaction

MODALS = {Action.CHURN_MARK: View.CHURN, Action.UPSELL_HANDOFF: View.UPSELL}


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    view = MODALS[Action(it.action.get("action_id"))]
    reasons = it.baton.config.success.churn_reasons
    await it.open_checked(
        ack, lambda uow: accounts.check_account(uow, it.ref(), it.person), view,
        lambda check: {"account": check.account, "reasons": reasons},
    )  # fmt: skip


def register(app: AsyncApp) -> None:
    for action_id in MODALS:
        app.action(action_id)(handle)
