"""Daily health recompute: every live account gets today's snapshot (the maturity curve), and
drops found only by the passing of time (a measure that stopped growing) alert too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.context import Context
from bot.domain.health_alerts import refresh
from bot.models import Account
from bot.scheduler import Cron, job


def _schedule(config: Any) -> list[Cron]:
    team = config.cs_team()
    cal = config.team_calendar(team.id if team else None)
    return [Cron(hour=config.success.health_check_hour, timezone=str(cal.tz), day_of_week="*", working_days_only=False)]


@job("health_check", schedule=_schedule)
async def run(ctx: Context, now: datetime, **_: Any) -> int:
    if not ctx.config.success.health.measures:
        return 0
    team = ctx.config.cs_team()
    day = now.astimezone(ctx.config.team_calendar(team.id if team else None).tz).date()
    async with ctx.uow() as uow:
        ids = list((await uow.session.execute(select(Account.id).where(Account.churned.is_(False)).order_by(Account.id))).scalars())
    done = 0
    for account_id in ids:  # one transaction per account: one bad row does not stop the rest
        async with ctx.uow() as uow:
            acc = await uow.session.get(Account, account_id)
            if acc is not None and not acc.churned:
                await refresh(uow, acc, day)
                done += 1
    return done
