"""`app_home_opened`: publish the person's App Home (through the outbox), caching their Slack time zone
(users.info) so DMs wait for their working hours in their own zone."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.notify.home import mark_opened, publish_home
from bot.notify.preferences import remember_slack_tz

log = logging.getLogger(__name__)


async def _slack_tz(client: Any, user: str) -> str | None:
    """The zone of the Slack profile (a read; writes only ever go through the outbox)."""
    try:
        res = await asyncio.wait_for(client.users_info(user=user), timeout=1.0)
        return (res.get("user") or {}).get("tz")
    except Exception:  # noqa: BLE001 - the home still publishes with the configured zone
        log.info("users.info failed for the App Home of %s; using the configured time zone", user)
        return None


async def handle(ack: Any, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any], client: Any) -> None:
    if event.get("tab", "home") != "home":
        await ack()
        return
    baton = context["baton"]
    user = event.get("user") or ""
    person = baton.config.person_by_slack(user)
    if person is None:
        await ack()
        return
    tz = None if person.timezone else await _slack_tz(client, user)
    async with baton.ctx.uow() as uow:
        await remember_slack_tz(uow, person.id, tz)
        await mark_opened(uow, person.id)
        await publish_home(uow, person.id)
    await ack()  # after the commit, like every listener (the publish itself is in the outbox)


EVENTS = {"app_home_opened": handle}
