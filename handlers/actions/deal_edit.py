"""Update deal: open the deal modal (from a deal message or App Home; value = opportunity id)."""

from __future__ import annotations

from typing import Any

from bot.domain import opportunities as opps
from bot.slack.ids import Action, View
from handlers.common import Interaction, modal_opener


def _values(it: Interaction, check: opps.DealResult) -> dict[str, Any]:
    team_id = check.opportunity.team_id
    return {"opp": check.opportunity, "phase_names": {n: it.text(f"pl_phase_name.{n}", team_id) for n in (1, 2, 3, 4, 5)}}


ACTIONS = {Action.DEAL_EDIT: modal_opener(opps.check_edit, View.DEAL_EDIT, _values)}
