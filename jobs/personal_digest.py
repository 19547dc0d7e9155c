"""The personal daily digest: notifications a person chose to get "once a day" (App Home) are held
as `HeldNotification` rows by `bot.notify.preferences.notify_person` and sent here in one DM.

Idempotent per person and day (outbox dedupe key); the DM itself goes through `notify_person`
(kind `digest`), so it also waits for the person's working hours.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.config import AppConfig
from bot.context import Context
from bot.models import HeldNotification
from bot.notify.common import person_locale
from bot.notify.preferences import notify_person, person_zone
from bot.scheduler import Cron, job

BLOCK_BUDGET = 47  # a message holds at most 50 blocks: the header, the "more" line, a margin


def _fitting(items: list[HeldNotification]) -> list[HeldNotification]:
    """As many items as fit the message: one block each, two with the original's buttons."""
    shown, used = [], 0
    for r in items:
        used += 2 if r.actions else 1
        if used > BLOCK_BUDGET:
            break
        shown.append(r)
    return shown


def _schedule(config: AppConfig) -> list[Cron]:
    hh, mm = (int(x) for x in config.notifications.digest_time.split(":"))
    return [Cron(hour=hh, minute=mm, timezone=config.company.timezone)]


@job("personal_digest", schedule=_schedule)
async def personal_digest(ctx: Context, now: datetime, **_: Any) -> int:
    """Send each person their held notifications; returns how many people got a digest."""
    sent = 0
    async with ctx.uow() as uow:
        rows = (
            await uow.session.execute(
                select(HeldNotification).where(HeldNotification.sent_at.is_(None)).order_by(HeldNotification.id)
            )
        ).scalars()
        by_person: dict[str, list[HeldNotification]] = defaultdict(list)
        for r in rows:
            by_person[r.person_id].append(r)
        for person_id, items in sorted(by_person.items()):
            tz = await person_zone(uow, person_id)
            day = now.astimezone(tz).date().isoformat()
            shown = _fitting(items)
            msg = uow.ctx.messages.message(
                "home_digest", person_locale(uow.config, person_id), tz, items=shown, more=len(items) - len(shown), now=now,
            )  # fmt: skip
            outcome = await notify_person(uow, person_id, "digest", msg, dedupe_key=f"personal-digest:{person_id}:{day}")
            if outcome == "duplicate":
                continue  # today's digest went out already: the rest waits for tomorrow
            for r in shown:  # the rest stays held: tomorrow's digest lists it
                r.sent_at = now
            sent += outcome in ("sent", "held")
    return sent
