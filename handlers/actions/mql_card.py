"""The MQL card's buttons: Accept (the lead becomes an SAL owned by the clicker; one winner on a
double press) and Reject (the reason modal, or why this person cannot decide)."""

from __future__ import annotations

from bot.domain import mql
from bot.slack.ids import Action, View
from handlers.common import button_decision, modal_opener

ACTIONS = {
    Action.MQL_ACCEPT: button_decision(mql.accept_mql),
    # Reject acks once the modal (or the refusal) is queued, as Accept does: a press answered 200
    # has always left its trace, and one that cannot get its turn in time is told to retry.
    Action.MQL_REJECT: modal_opener(
        mql.check_reject, View.MQL_REJECT, lambda it, check: {"lead": check.lead, "reasons": it.baton.config.mql.reject_reasons}
    ),
}
