"""App Home → notification settings: one select per kind (immediate / daily digest / off where allowed)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.notify.home import publish_home
from bot.notify.preferences import set_mode
from handlers.common import actor, baton_of, locale_for, tell


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    action = (body.get("actions") or [{}])[0]
    kind = str(action.get("action_id", "")).split(":", 1)[-1]
    mode = (action.get("selected_option") or {}).get("value") or ""
    async with baton.ctx.uow() as uow:
        if person is None:
            await tell(uow, body, user, baton.ctx.messages.text(locale_for(baton, None), "not_in_config", user=f"<@{user}>"))
        else:
            try:
                await set_mode(uow, person.id, kind, mode)
            except ValueError:
                pass  # a stale home offering a mode no longer allowed: republish shows the truth
            await publish_home(uow, person.id)
    await ack()


def register(app: AsyncApp) -> None:
    app.action(re.compile(r"^home_pref:[a-z_]+$"))(handle)
