"""Mark churned / Upsell to FS (on the account card, a health alert or a renewal reminder): open
their modal, or say why not."""

from __future__ import annotations

from bot.domain import accounts
from bot.slack.ids import Action, View
from handlers.common import modal_opener

MODALS = {Action.CHURN_MARK: View.CHURN, Action.UPSELL_HANDOFF: View.UPSELL}


ACTIONS = {
    action_id: modal_opener(
        accounts.check_account, view, lambda it, check: {"account": check.account, "reasons": it.baton.config.success.churn_reasons}
    )
    for action_id, view in MODALS.items()
}
