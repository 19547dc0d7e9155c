"""Accept on an MQL card: the lead becomes an SAL owned by the clicker (one winner on a double press)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.leads import Decision, accept_mql
from handlers.common import action_int, actor, baton_of, locale_for, refusal_text, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    lead_id = action_int(body)
    # The decision is committed (with its card update queued) before we ack: a crash after the ack
    # cannot lose it. It is one short transaction, far inside Slack's 3 seconds.
    async with baton.ctx.uow() as uow:
        decision = await accept_mql(uow, lead_id, person) if lead_id is not None else Decision("not_found")
        if not decision.ok:
            await tell(uow, body, user, refusal_text(baton, locale_for(baton, person), decision, user))
    await ack()


def register(app: AsyncApp) -> None:
    app.action("mql_accept")(handle)
