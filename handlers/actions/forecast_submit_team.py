"""Submit the team's call (on /forecast team): managers only."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import forecast as fc
from bot.notify import forecast as nf
from bot.slack.delivery import enqueue
from handlers.commands.forecast import text_msg
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    kind, _, team_id = ((body.get("actions") or [{}])[0].get("value") or "").partition(":")
    try:
        await _work(baton, body, user, person, locale, kind, team_id)
    finally:
        await ack()


async def _work(baton: Any, body: dict[str, Any], user: str, person: Any, locale: str, kind: str, team_id: str) -> None:
    """Decide and queue the modal (or a refusal) — committed before the ack."""
    async with baton.ctx.uow() as uow:
        if person is None or team_id not in fc.teams_managed(uow, person.id) or kind not in fc.KINDS:
            await tell(uow, body, user, text_msg(uow, locale, "forecast.err.not_manager"))
            return
        view = await nf.submit_modal(uow, locale, person.id, kind, team_id=team_id)
        await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})


def register(app: AsyncApp) -> None:
    app.action("forecast_submit_team")(handle)
