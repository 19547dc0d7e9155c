"""Erasure from what was actually posted: when a lead is erased (`LeadErased`), every Slack write
Baton made that printed the person is found in the outbox by what it carried — whatever its kind
(MQL card, SAL follow-up, hand-off card, SLA notices and DMs, nudges, digests, App Home …) — and:

- not sent yet (pending, failed): rewritten in place, so the person never goes out;
- sent (or being sent): its message as it stands now (the post, or its newest update) is edited
  with `chat.update` through the outbox, the values replaced by a marker; an App Home view is
  published again, redacted;
- ephemerals and modals are not kept by Slack, so nothing remains to edit.

Only counts are logged, never the values.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select

from bot.context import UnitOfWork, subscribe
from bot.domain.privacy import ErasedValues, LeadErased, messages_carrying, redacted
from bot.models import HeldNotification, OutboxMessage
from bot.slack.delivery import enqueue

log = logging.getLogger(__name__)

UNSENT = ("pending", "failed")
LANDS = ("pending", "sending", "sent")  # a row whose content is (or will be) in Slack
MESSAGE_FIELDS = ("text", "blocks", "attachments")  # what chat.update may replace


@subscribe(LeadErased)
async def redact_what_was_posted(uow: UnitOfWork, ev: LeadErased) -> None:
    values = ev.values
    rows = await messages_carrying(uow, values)
    marker = uow.ctx.messages.text(uow.config.company.locale, "privacy.redacted")
    edited = unreachable = 0
    messages: set[str] = set()
    homes: dict[str, int] = {}
    for row in rows:
        if row.status in UNSENT:
            row.payload = redacted(row.payload, values, marker)  # before it ever goes out
        if row.method == "chat.postMessage" and row.status in LANDS:
            if row.key:
                messages.add(row.key)
            else:
                unreachable += 1  # posted before every post had a key: nothing to address it by
        elif row.method == "chat.update" and row.target_key and row.status in LANDS:
            messages.add(row.target_key)
        elif row.method == "views.publish" and row.status in LANDS:
            user = str(row.payload.get("user_id") or "")
            homes[user] = max(homes.get(user, 0), row.id or 0)
        elif row.method == "files.upload_v2" and row.status not in UNSENT:
            unreachable += 1
    for key in sorted(messages):
        edited += await _edit_message(uow, key, values, marker)
    for user, newest_carrying in sorted(homes.items()):
        edited += await _republish_home(uow, user, newest_carrying, values, marker)
    await _redact_held(uow, values, marker)
    if rows:
        log.info("erasure: %d outbox row(s) carried the person; %d Slack message(s) redacted", len(rows), edited)
    if unreachable:
        log.warning("erasure: %d sent message(s) or file(s) cannot be addressed and stay as posted", unreachable)


async def _edit_message(uow: UnitOfWork, key: str, values: ErasedValues, marker: str) -> int:
    """Edit one posted message as it stands now: its post, or the newest update that went out."""
    newest = await uow.session.scalar(
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.method == "chat.postMessage") & (OutboxMessage.key == key),
                (OutboxMessage.method == "chat.update") & (OutboxMessage.target_key == key),
            ),
            OutboxMessage.status.in_(LANDS),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    if newest is None or newest.status == "pending" or not values.found_in(newest.payload):
        return 0  # a queued newer state (rewritten above) replaces it anyway
    content = {k: v for k, v in redacted(newest.payload, values, marker).items() if k in MESSAGE_FIELDS}
    await enqueue(uow, "chat.update", content, target_key=key)
    return 1


async def _republish_home(uow: UnitOfWork, user: str, newest_carrying: int, values: ErasedValues, marker: str) -> int:
    later = (
        await uow.session.execute(
            select(OutboxMessage).where(
                OutboxMessage.method == "views.publish", OutboxMessage.id > newest_carrying, OutboxMessage.status.in_(LANDS)
            )
        )
    ).scalars()
    if any(str(r.payload.get("user_id") or "") == user for r in later):
        return 0  # a newer App Home was published (or is queued) after it
    row = await uow.session.get(OutboxMessage, newest_carrying)
    if row is None or row.status == "pending":
        return 0
    await enqueue(uow, "views.publish", redacted(row.payload, values, marker))
    return 1


async def _redact_held(uow: UnitOfWork, values: ErasedValues, marker: str) -> None:
    """Lines held for a personal daily digest are not in the outbox yet."""
    held = (await uow.session.execute(select(HeldNotification).where(HeldNotification.sent_at.is_(None)))).scalars()
    for h in held:
        if values.found_in(h.text):
            h.text = redacted(h.text, values, marker)
