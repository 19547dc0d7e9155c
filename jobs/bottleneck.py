"""Weekly bottleneck check for managers: alert only when the bottleneck changes or worsens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.config import AppConfig
from bot.context import Context
from bot.domain import bottleneck as bn
from bot.models import Alert
from bot.notify.pipeline import post_bottleneck, post_capacity_summary
from bot.scheduler import Cron, job


def _schedule(config: AppConfig) -> list[Cron]:
    cfg = config.pipeline.bottleneck
    hour, minute = (int(x) for x in cfg.time.split(":"))
    return [Cron(hour=hour, minute=minute, timezone=config.company.timezone, day_of_week=cfg.weekday, working_days_only=False)]


@job("bottleneck", schedule=_schedule)
async def run(ctx: Context, now: datetime, **_: Any) -> dict[str, Any]:
    tz = ctx.config.calendar(None).tz
    year, week, _ = now.astimezone(tz).isocalendar()
    occurrence = f"{year}-W{week:02d}"
    try:
        async with ctx.uow() as uow:
            analysis = await bn.analyse(uow, now=now)
            decision = await bn.record(uow, analysis)
            keys = await post_bottleneck(uow, analysis, decision, occurrence)
            await post_capacity_summary(uow, occurrence)
            if decision.alert and decision.alert_id and keys:
                alert = await uow.session.get(Alert, decision.alert_id)
                if alert is not None:
                    alert.data = {**(alert.data or {}), "keys": keys}
    except IntegrityError:  # another process posted this week's occurrence first
        return {"posted": False}
    return {"posted": bool(keys), "alert": decision.alert, "reason": decision.reason, "stage": analysis.bottleneck.stage if analysis.bottleneck else None}
