"""A deal's buttons (its accepted hand-off card, the digest, App Home's menu): Update deal, Close won,
Close lost — each opens its modal once the deal's owner or manager may act (value = opportunity id)."""

from __future__ import annotations

from typing import Any

from bot.domain import opportunities as opps
from bot.slack.ids import Action, View
from bot.slack.payloads import DealChoice
from handlers.common import Interaction, modal_opener


def _edit_values(it: Interaction, check: opps.DealResult) -> dict[str, Any]:
    team_id = check.opportunity.team_id
    return {"opp": check.opportunity, "phase_names": {n: it.text(f"pl_phase_name.{n}", team_id) for n in (1, 2, 3, 4, 5)}}


def _lost_values(it: Interaction, check: opps.DealResult) -> dict[str, Any]:
    msgs, locale = it.baton.ctx.messages, it.locale(check.opportunity.team_id)
    label = {r: msgs.text(locale, f"reasons.{r}") if msgs.has_text(locale, f"reasons.{r}") else r for r in opps.lost_reasons(it.baton.config)}
    return {"opp": check.opportunity, "reasons": list(label.items())}


OPENERS = {
    "edit": (opps.check_edit, View.DEAL_EDIT, _edit_values),
    "won": (opps.check_close, View.DEAL_WON, lambda it, check: {"opp": check.opportunity}),
    "lost": (opps.check_close, View.DEAL_LOST, _lost_values),
}


async def menu(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    choice = it.value(DealChoice) or DealChoice("edit", 0)
    check, view, values = OPENERS.get(choice.choice, OPENERS["edit"])
    await it.open_checked(ack, lambda uow: check(uow, choice.opp_id, it.person), view, lambda result: values(it, result))


ACTIONS = {
    Action.DEAL_EDIT: modal_opener(*OPENERS["edit"]),
    Action.DEAL_WON: modal_opener(*OPENERS["won"]),
    Action.DEAL_LOST: modal_opener(*OPENERS["lost"]),
    Action.DEAL_MENU: menu,
}
