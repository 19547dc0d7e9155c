"""The nudge's buttons: Re-engage, Snooze (30/60/90), Close (opens a modal), Show all."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork
from bot.domain import recycle as loop
from bot.notify.recycle import announce, show_rest
from bot.slack.ids import Action, View
from bot.slack.payloads import RecycleClose, RecycleSnooze, ShowMore
from handlers.common import Interaction


def _where(it: Interaction) -> tuple[str | None, str | None]:
    """The nudge a button sits on: its channel and thread, where the outcome is announced."""
    body = it.body
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    message = body.get("message") or {}
    return channel, message.get("thread_ts") or message.get("ts")


async def _announced(it: Interaction, uow: UnitOfWork, result: loop.RecycleResult) -> loop.RecycleResult:
    if result.ok:
        await announce(uow, result, *_where(it))
    return result


async def reengage(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    await it.decide(ack, lambda uow: _re_engage(it, uow))


async def _re_engage(it: Interaction, uow: UnitOfWork) -> loop.RecycleResult:
    return await _announced(it, uow, await loop.re_engage(uow, it.ref(), it.person))


async def snooze(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    choice = it.value(RecycleSnooze) or RecycleSnooze(0, 0)

    async def decide(uow: UnitOfWork) -> loop.RecycleResult:
        return await _announced(it, uow, await loop.snooze(uow, choice.recycle_id, it.person, choice.days))

    await it.decide(ack, decide)


async def close(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    channel, ts = _where(it)
    reasons = it.baton.config.relay.close_reasons
    await it.open_checked(
        ack, lambda uow: loop.check_close(uow, it.ref(), it.person), View.RECYCLE_CLOSE,
        lambda check: {"recycle_id": RecycleClose(check.recycle.id, channel, ts), "title": check.title, "reasons": reasons},
    )  # fmt: skip


async def show_more(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    which, (channel, _) = it.value(ShowMore), _where(it)

    async def decide(uow: UnitOfWork) -> None:
        if which and channel:
            await show_rest(uow, which.team_id, which.day, channel, it.tell)

    await it.decide(ack, decide)


ACTIONS = {Action.RECYCLE_REENGAGE: reengage, Action.RECYCLE_SNOOZE: snooze, Action.RECYCLE_CLOSE: close, Action.RECYCLE_SHOW_MORE: show_more}
