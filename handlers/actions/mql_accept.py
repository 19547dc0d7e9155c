"""Accept on an MQL card: the lead becomes an SAL owned by the clicker (one winner on a double press)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.mql import Decision, accept_mql
from handlers.common import action_int, actor, baton_of, commit_then_ack, locale_for, refusal_text, tell

async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    lead_id = action_int(body)

    async def decide(wait: float) -> None:
        async with baton.ctx.uow(wait=wait) as uow:
            decision = await accept_mql(uow, lead_id, person) if lead_id is not None else Decision("not_found")
            if not decision.ok:
                await tell(uow, body, user, refusal_text(baton, locale_for(baton, person), decision, user))

    await commit_then_ack(ack, baton, body, user, person, decide)


def register(app: AsyncApp) -> None:
    app.action("mql_accept")(handle)
