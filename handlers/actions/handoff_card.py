"""The FS hand-off card's buttons: Accept hand-off, and Send back (its reason modal)."""

from __future__ import annotations

from bot.domain import relay
from bot.slack.ids import Action, View
from handlers.common import button_decision, modal_opener

ACTIONS = {
    Action.HANDOFF_ACCEPT: button_decision(relay.accept_handoff),
    Action.HANDOFF_SEND_BACK: modal_opener(
        relay.check_send_back, View.HANDOFF_SENDBACK,
        lambda it, check: {"opp": check.opportunity, "reasons": it.baton.config.relay.sendback_reasons},
    ),
}
