"""Accept on an MQL card: the lead becomes an SAL owned by the clicker (one winner on a double press)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from sqlalchemy.exc import TimeoutError as QueueTimeout

from bot.domain.leads import Decision, accept_mql
from handlers.common import action_int, actor, baton_of, locale_for, refusal_text, tell

# Slack gives an interaction 3 s. The decision waits at most this long for its turn to write (on
# SQLite writers queue), so the ack always comes in time: committed, or plainly not done.
TURN_WAIT_SECONDS = 2.0


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    lead_id = action_int(body)
    # The decision is committed (with its card update queued) before we ack: a crash after the ack
    # cannot lose it. A press that cannot get its turn in time changes nothing and is told to retry,
    # instead of Slack showing an error for a decision that then lands anyway.
    try:
        async with baton.ctx.uow(wait=TURN_WAIT_SECONDS) as uow:
            decision = await accept_mql(uow, lead_id, person) if lead_id is not None else Decision("not_found")
            if not decision.ok:
                await tell(uow, body, user, refusal_text(baton, locale_for(baton, person), decision, user))
    except QueueTimeout:
        await ack()
        async with baton.ctx.uow() as uow:
            await tell(uow, body, user, refusal_text(baton, locale_for(baton, person), Decision("busy"), user))
        return
    await ack()


def register(app: AsyncApp) -> None:
    app.action("mql_accept")(handle)
