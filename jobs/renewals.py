"""Daily renewal reminders (default 90/60/30 days before), to the CSM and AE, once per account per
offset (outbox dedupe key), flagged at risk when health is red or falling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.context import Context
from bot.domain.renewals import due_reminders
from bot.notify.success import renewal_reminder
from bot.scheduler import Cron, job


def _schedule(config: Any) -> list[Cron]:
    team = config.cs_team()
    cal = config.team_calendar(team.id if team else None)
    return [Cron(hour=config.success.renewals.hour, timezone=str(cal.tz), calendar=team.calendar if team else None)]


@job("renewals", schedule=_schedule)
async def run(ctx: Context, now: datetime, **_: Any) -> int:
    team = ctx.config.cs_team()
    day = now.astimezone(ctx.config.team_calendar(team.id if team else None).tz).date()
    async with ctx.uow() as uow:
        due = await due_reminders(uow, day)
        for d in due:
            await renewal_reminder(uow, d)
    return len(due)
