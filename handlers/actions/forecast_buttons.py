"""The forecast messages' buttons: Show diff (overview), Show all (under a diff or a meeting prompt),
Submit (a rep's call) and Submit team call (a manager's)."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain import forecast_meetings as fm
from bot.domain.outcomes import Outcome
from bot.notify import forecast as nf
from bot.slack.ids import Action
from bot.slack.payloads import PromptDiffMore, RepPeriod, ShownDiffMore, TeamPeriod
from handlers.common import Interaction

REST = 200  # changes listed by "show all" (chunked into sections)


async def show_diff(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    asked = it.value(RepPeriod) or RepPeriod("", "quarter")

    async def decide(uow: UnitOfWork) -> fc.Scope:
        scope = fc.view_scope(uow, it.person.id, asked.rep or None)
        if scope.ok:
            kind = asked.period if asked.period in fc.KINDS else "quarter"
            await it.tell(uow, await nf.diff_reply(uow, it.locale(), scope, kind, None))
        return scope

    await it.report(ack, decide)


async def show_all(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    shown, prompt = it.value(ShownDiffMore), it.value(PromptDiffMore)
    cap, locale = it.baton.config.forecast.diff_cap, it.locale()

    async def decide(uow: UnitOfWork) -> fc.Scope | None:
        if shown is not None:
            scope = fc.view_scope(uow, it.person.id, shown.subject)
            if scope.ok:
                await it.tell(uow, await nf.diff_reply(uow, locale, scope, shown.kind, shown.since, offset=cap, limit=REST))
            return scope
        scope = fc.view_scope(uow, it.person.id, prompt.rep) if prompt else fc.Scope(Outcome.NOT_FOUND)
        res = await fm.prompt_diff(uow, prompt.occurrence_id, prompt.rep) if scope.ok else None
        if res is None:
            return fc.Scope(Outcome.NOT_ALLOWED)
        await it.tell(uow, nf.diff_message(uow, locale, res, nf.name_of(uow, prompt.rep), offset=cap, limit=REST))
        return None

    await it.report(ack, decide)


async def submit(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    raw = it.action.get("value")
    choice = TeamPeriod.decode(raw) if it.action.get("action_id") == Action.FORECAST_SUBMIT_TEAM else TeamPeriod(raw or "quarter", "")

    async def decide(uow: UnitOfWork) -> fc.Scope:
        kind, team_id = (choice.period, choice.team_id or None) if choice else ("", "")
        scope = fc.submit_scope(uow, it.person.id, kind, team_id)
        if scope.ok:
            await it.open_view(uow, await nf.submit_modal(uow, it.locale(), it.person.id, kind, team_id=team_id))
        return scope

    await it.decide(ack, decide)


ACTIONS = {Action.FORECAST_DIFF_SHOW: show_diff, Action.FORECAST_DIFF_MORE: show_all, Action.FORECAST_SUBMIT: submit, Action.FORECAST_SUBMIT_TEAM: submit}
