"""The recycle loop in Slack: the daily nudge (one message per channel per day), "show all", the
outcome of each button in the nudge's thread, and the history on a re-engaged lead's new card."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.context import UnitOfWork, subscribe
from bot.domain import recycle as loop  # registers the loop's stage-event subscriber
from bot.domain.recycle import team_today
from bot.formatting import format_date
from bot.models import OutboxMessage, Recycle, SlackMessage
from bot.notify.common import slack_id, team_locale_tz
from bot.notify.mql import card_key
from bot.slack.delivery import enqueue


def nudge_key(channel: str, day: date) -> str:
    return f"recycle-nudge:{channel}:{day.isoformat()}"


def _reason_label(uow: UnitOfWork, locale: str, reason: str | None) -> str | None:
    if not reason:
        return None
    for key in (f"reasons.{reason}", f"relay.sendback.{reason}", f"relay.close_reasons.{reason}", f"recycle_history.reasons.{reason}"):
        if uow.ctx.messages.has_text(locale, key):
            return uow.ctx.messages.text(locale, key)
    return reason


async def item_values(uow: UnitOfWork, rows: list[Recycle], locale: str) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = OrderedDict((p, []) for p in loop.PATHS)
    for row in rows:
        it = await loop.item(uow, row)
        hist = [e.to_stage for e in it.history][-6:]
        groups[it.path].append({
            "id": row.id, "title": it.title, "reason_label": _reason_label(uow, locale, row.reason), "due": row.due_date,
            "owner": slack_id(uow.config, row.owner_id), "count": it.lead.recycle_count if it.lead else 0,
            "snoozes": row.snoozes, "note": row.note, "history": hist, "kind": it.kind, "record": it.record,
        })  # fmt: skip
    return [(p, items) for p, items in groups.items() if items]


def _cap(groups: list[tuple[str, list[dict[str, Any]]]], n: int) -> tuple[list[tuple[str, list[dict[str, Any]]]], int]:
    shown, left = [], n
    for path, items in groups:
        if left <= 0:
            break
        shown.append((path, items[:left]))
        left -= len(items[:left])
    total = sum(len(i) for _, i in groups)
    return shown, total - sum(len(i) for _, i in shown)


async def post_nudge(uow: UnitOfWork, channel: str, team_ids: list[str], today: date) -> bool:
    """One message for `channel` on `today` (dedupe key): False when nothing is due or already posted."""
    rows = await loop.due_for_team(uow, team_ids, today)
    if not rows:
        return False
    locale, tz = team_locale_tz(uow.config, team_ids[0])
    groups = await item_values(uow, rows, locale)
    shown, more = _cap(groups, uow.config.relay.nudge_max_items)
    msg = uow.ctx.messages.message(
        "recycle_items", locale, tz, header=True, groups=shown, more=more, total=len(rows), count=len(rows),
        today=today, snooze_days=uow.config.relay.snooze_days, show_more_value=f"{team_ids[0]}:{today.isoformat()}",
    )  # fmt: skip
    key = nudge_key(channel, today)
    return await enqueue(uow, "chat.postMessage", {"channel": channel, **msg}, key=key, dedupe_key=key) is not None


async def show_rest(
    uow: UnitOfWork, team_id: str, today: date, channel: str, tell: Callable[[UnitOfWork, dict], Awaitable[None]]
) -> int:
    """The items past the cap, privately to whoever asked through `tell` (in chunks that fit a message)."""
    config = uow.config
    team_ids = [t.id for t in config.teams if t.channel == channel] or [team_id]
    rows = await loop.due_for_team(uow, team_ids, today)
    rest = rows[config.relay.nudge_max_items:]
    locale, tz = team_locale_tz(config, team_id)
    chunk = 15
    for i in range(0, len(rest), chunk):
        groups = await item_values(uow, rest[i : i + chunk], locale)
        msg = uow.ctx.messages.message(
            "recycle_items", locale, tz, header=False, groups=groups, more=0, total=len(rows), count=len(rest),
            today=today, snooze_days=config.relay.snooze_days, show_more_value="",
        )  # fmt: skip
        await tell(uow, msg)
    return len(rest)


def _stage_label(uow: UnitOfWork, locale: str, stage: str | None) -> str:
    key = f"recycle_history.stages.{stage}"
    return uow.ctx.messages.text(locale, key) if stage and uow.ctx.messages.has_text(locale, key) else (stage or "·")


def history_lines(uow: UnitOfWork, locale: str, events: list[Any]) -> list[dict[str, Any]]:
    """Stage events as a person reads them: stage names and reasons in words, never their ids."""
    return [{"at": e.at, "from": _stage_label(uow, locale, e.from_stage) if e.from_stage else "·", "to": _stage_label(uow, locale, e.to_stage),
             "reason": _reason_label(uow, locale, e.reason), "note": e.note} for e in events]  # fmt: skip


async def _decided_line(uow: UnitOfWork, row: Recycle, locale: str) -> str | None:
    """What happened to an item no longer due on the nudge (None: still waiting for a decision)."""
    text = uow.ctx.messages.text  # who did it is said in the thread (the row keeps no decider)
    if row.state == loop.RE_ENGAGED:
        return text(locale, "recycle_items.done_re_engaged")
    if row.state == loop.CLOSED:
        return text(locale, "recycle_items.done_closed", reason=_reason_label(uow, locale, row.close_reason) or "-")
    if row.snoozes and row.due_date > team_today(uow.config, row.team_id, uow.now()):
        return text(locale, "recycle_items.done_snoozed", day=format_date(row.due_date, locale))
    return None


async def refresh_nudge(uow: UnitOfWork, channel: str, ts: str) -> None:
    """Every item decided on a nudge loses its buttons and says what happened (the rule of every
    actionable message): from the newest version Baton wrote and the database, so two people
    deciding at once (or a Close submitted from its modal) both show."""
    key = await uow.session.scalar(select(SlackMessage.key).where(SlackMessage.channel == channel, SlackMessage.ts == ts))
    if not key or not key.startswith("recycle-nudge:"):
        return  # an ephemeral "show all" copy: Slack keeps no message to update
    o = OutboxMessage
    message = await uow.session.scalar(
        select(o.payload).where((o.key == key) | ((o.target_key == key) & (o.method == "chat.update"))).order_by(o.id.desc()).limit(1)
    )
    if not message:
        return
    team = next((t.id for t in uow.config.teams if t.channel == channel), None)
    locale, _ = team_locale_tz(uow.config, team)
    blocks = []
    for b in message.get("blocks") or []:
        rid = b.get("block_id", "")[len("recycle_"):] if b.get("type") == "actions" and b.get("block_id", "").startswith("recycle_") else ""
        row = await uow.session.get(Recycle, int(rid)) if rid.isdigit() else None
        line = await _decided_line(uow, row, locale) if row is not None else None
        blocks.append({"type": "context", "block_id": b["block_id"], "elements": [{"type": "mrkdwn", "text": line}]} if line else b)
    await enqueue(uow, "chat.update", {"channel": channel, "text": message.get("text") or "", "blocks": blocks}, target_key=key)


async def announce(uow: UnitOfWork, result: loop.RecycleResult, channel: str | None, thread_ts: str | None) -> None:
    """The outcome of a button, in the nudge's thread (and the history under a re-engaged lead's new
    card); the nudge itself shows the item decided, without its buttons."""
    row, config = result.recycle, uow.config
    it = await loop.item(uow, row)
    locale, tz = team_locale_tz(config, row.team_id)
    msg = uow.ctx.messages.message(
        "recycle_result", locale, tz, outcome=result.outcome, by=slack_id(config, result.by), title=it.title,
        count=it.lead.recycle_count if it.lead else 0, due=row.due_date, reason=row.close_reason, asked=result.asked,
    )  # fmt: skip
    if channel and thread_ts:
        await refresh_nudge(uow, channel, thread_ts)
    if channel:
        payload = {"channel": channel, **msg}
        if thread_ts:
            payload["thread_ts"] = thread_ts
        await enqueue(uow, "chat.postMessage", payload, dedupe_key=f"recycle:{row.id}:{result.outcome}:{row.snoozes}")


@subscribe(loop.ReEngaged)
async def on_re_engaged(uow: UnitOfWork, ev: loop.ReEngaged) -> None:
    """The re-engaged lead's new card gets its history in the thread (why it left, when, by whom)."""
    row = await uow.session.get(Recycle, ev.recycle_id)
    it = await loop.item(uow, row)
    team = uow.config.team(it.lead.team_id) if it.lead else None
    if team is None:
        return
    locale, tz = team_locale_tz(uow.config, team.id)
    hist = uow.ctx.messages.message("recycle_history", locale, tz, events=history_lines(uow, locale, it.history), count=it.lead.recycle_count)
    await enqueue(uow, "chat.postMessage", {"channel": team.channel, **hist}, thread_key=card_key(it.lead),
                  dedupe_key=f"recycle:{row.id}:history")  # fmt: skip
