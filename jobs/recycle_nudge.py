"""The daily recycle nudge: at `relay.nudge_hour:nudge_minute` in each IS / marketing team's zone, on
its working days, one message per channel with what is due. Exactly once per channel per day: the
outbox dedupe key `recycle-nudge:{channel}:{date}` holds across restarts and a second process."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.config import AppConfig
from bot.context import Context
from bot.notify.recycle import post_nudge
from bot.scheduler import Cron, job

log = logging.getLogger(__name__)
FUNCTIONS = ("inside_sales", "marketing")


def channels(config: AppConfig) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for t in config.teams:
        if t.function in FUNCTIONS:
            out.setdefault(t.channel, []).append(t.id)
    return out


def _schedule(config: AppConfig) -> list[Cron]:
    r, seen, crons = config.relay, set(), []
    for team_ids in channels(config).values():
        team = config.team(team_ids[0])
        cal = config.team_calendar(team.id)
        if (team.calendar, str(cal.tz)) in seen:
            continue
        seen.add((team.calendar, str(cal.tz)))
        crons.append(Cron(hour=r.nudge_hour, minute=r.nudge_minute, timezone=str(cal.tz), calendar=team.calendar))
    return crons


@job("recycle_nudge", schedule=_schedule)
async def run(ctx: Context, now: datetime) -> int:
    """Post today's nudge to every IS / marketing channel; returns how many were posted now."""
    posted = 0
    for channel, team_ids in channels(ctx.config).items():
        cal = ctx.config.team_calendar(team_ids[0])
        today = now.astimezone(cal.tz).date()
        if not cal.is_working_day(today):
            continue
        try:
            async with ctx.uow() as uow:
                posted += int(await post_nudge(uow, channel, team_ids, today))
        except IntegrityError:  # another process posted this channel's nudge for today first
            log.info("recycle nudge for %s on %s already posted elsewhere", channel, today)
    return posted
