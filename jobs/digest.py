"""Daily pipeline digests: one per channel in `pipeline.digests`, at its time in the team's zone,
working days only, exactly once per channel per day (outbox dedupe key), with a chart."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.config import AppConfig
from bot.context import Context
from bot.models import OutboxMessage
from bot.notify.pipeline import post_digest
from bot.scheduler import Cron, job

log = logging.getLogger(__name__)


def _schedule(config: AppConfig) -> list[Cron]:
    out = []
    for i, d in enumerate(config.pipeline.digests):
        hour, minute = (int(x) for x in d.time.split(":"))
        team = config.team(d.team)
        out.append(
            Cron(
                hour=hour, minute=minute, timezone=str(config.team_calendar(d.team).tz), day_of_week="*",
                calendar=team.calendar if team else None, args={"channel": d.channel},
            )
        )  # fmt: skip
    return out


@job("digest", schedule=_schedule)
async def run(ctx: Context, now: datetime, channel: str | None = None, **_: Any) -> list[str]:
    """Post the digests (all, or the one for `channel`); returns the channels posted to now."""
    posted = []
    for d in ctx.config.pipeline.digests:
        if channel and d.channel != channel:
            continue
        cal = ctx.config.team_calendar(d.team)
        today = now.astimezone(cal.tz).date()
        if not cal.is_working_day(today):
            continue
        key = f"digest:{d.channel}:{today.isoformat()}"
        async with ctx.sessions() as s:
            if await s.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
                continue  # already posted today (a restart, or another process)
        try:
            async with ctx.uow() as uow:
                if await post_digest(uow, d, now, key):
                    posted.append(d.channel)
        except IntegrityError:
            log.info("digest %s was posted by another process", key)
    return posted
