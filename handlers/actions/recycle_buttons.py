"""The nudge's buttons: Re-engage, Snooze (30/60/90), Close (opens a modal), Show all."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain import recycle as loop
from bot.models import Recycle
from bot.notify.common import team_locale_tz
from bot.notify.recycle import announce, show_rest
from bot.slack.delivery import enqueue
from handlers.common import action_int, actor, baton_of, locale_for, tell

REFUSALS = {"not_allowed": "relay.not_allowed_recycle", "not_found": "lead_not_found", "bad_input": "relay.errors.snooze_days"}


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    message = body.get("message") or {}
    return channel, message.get("thread_ts") or message.get("ts")


async def _finish(baton: Any, uow: Any, body: dict[str, Any], user: str, person: Any, result: loop.RecycleResult) -> None:
    if result.ok:
        channel, ts = _where(body)
        await announce(uow, result, channel, ts)
    else:
        locale = locale_for(baton, person)
        await tell(uow, body, user, baton.ctx.messages.text(locale, REFUSALS.get(result.outcome, "relay.already_handled")))


async def reengage(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    async with baton.ctx.uow() as uow:
        result = await loop.re_engage(uow, action_int(body) or 0, person)
        await _finish(baton, uow, body, user, person, result)
    await ack()


async def snooze(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    raw = ((body.get("actions") or [{}])[0].get("selected_option") or {}).get("value") or ""
    rid, _, days = raw.partition(":")
    async with baton.ctx.uow() as uow:
        if rid.isdecimal() and days.isdecimal():
            result = await loop.snooze(uow, int(rid), person, int(days))
        else:
            result = loop.RecycleResult("bad_input")
        await _finish(baton, uow, body, user, person, result)
    await ack()


async def close(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    rid = action_int(body) or 0
    async with baton.ctx.uow() as uow:
        row = await uow.session.get(Recycle, rid)
        if row is None or row.state != loop.WAITING or not loop.may_act(baton.config, row, person):
            outcome = "not_found" if row is None else ("already_handled" if row.state != loop.WAITING else "not_allowed")
            await _finish(baton, uow, body, user, person, loop.RecycleResult(outcome))
        else:
            await _open_close_modal(baton, uow, body, person, row, rid)
    await ack()


async def _open_close_modal(baton: Any, uow: Any, body: dict[str, Any], person: Any, row: Recycle, rid: int) -> None:
    it = await loop.item(uow, row)
    locale = locale_for(baton, person, row.team_id)
    _, tz = team_locale_tz(baton.config, row.team_id)
    channel, ts = _where(body)
    view = baton.ctx.messages.view(
        "recycle_close_modal", locale, tz, recycle_id=f"{rid}:{channel or ''}:{ts or ''}", title=it.title,
        reasons=baton.config.relay.close_reasons,
    )  # fmt: skip
    await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})


async def show_more(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, _ = actor(baton, body)
    team_id, _, day = ((body.get("actions") or [{}])[0].get("value") or "").rpartition(":")
    channel, _ = _where(body)
    async with baton.ctx.uow() as uow:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            when = None
        if when and channel and team_id:
            await show_rest(uow, team_id, when, channel, user)
    await ack()


def register(app: AsyncApp) -> None:
    app.action("recycle_reengage")(reengage)
    app.action("recycle_snooze")(snooze)
    app.action("recycle_close")(close)
    app.action("recycle_show_more")(show_more)
