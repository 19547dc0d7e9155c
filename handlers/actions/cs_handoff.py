"""The new-customer card's Accept & schedule kickoff: opens the kickoff modal once the CSM (or a CS
manager) may accept it."""

from __future__ import annotations

from bot.domain import cs_handoff
from bot.slack.ids import Action, View
from handlers.common import modal_opener

ACTIONS = {Action.CS_HANDOFF_ACCEPT: modal_opener(cs_handoff.check_accept, View.CS_HANDOFF, lambda it, check: {"account": check.account})}
