"""SALs with no progress for `relay.sal_reminder_after_days`: a reminder to the owner in the card's
thread, once per SAL per period (dedupe key with the period number)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.config import AppConfig
from bot.context import Context
from bot.models import Lead, Stage, StageEvent
from bot.notify.common import slack_id, team_locale_tz
from bot.notify.mql import card_key
from bot.scheduler import Cron, job
from bot.slack.delivery import enqueue


def _schedule(config: AppConfig) -> list[Cron]:
    return [Cron(hour=config.relay.sal_reminder_hour, timezone=config.company.timezone)]


@job("sal_reminder", schedule=_schedule)
async def run(ctx: Context, now: datetime) -> int:
    days = ctx.config.relay.sal_reminder_after_days
    sent = 0
    async with ctx.uow() as uow:
        last = (
            select(StageEvent.entity_id, func.max(StageEvent.at).label("at"))
            .where(StageEvent.entity_type == "lead").group_by(StageEvent.entity_id).subquery()
        )  # fmt: skip
        rows = await uow.session.execute(
            select(Lead, last.c.at).join(last, last.c.entity_id == Lead.id)
            .where(Lead.stage == Stage.sal, last.c.at <= now - timedelta(days=days)).order_by(Lead.id)
        )  # fmt: skip
        for lead, since in rows.all():
            team = ctx.config.team(lead.team_id)
            if team is None:
                continue
            idle = (now - since).days
            period = idle // days
            locale, tz = team_locale_tz(ctx.config, lead.team_id)
            msg = ctx.messages.message("sal_reminder", locale, tz, lead=lead, owner=slack_id(ctx.config, lead.owner_id), days=idle)
            key = f"sal-reminder:{lead.id}:{lead.recycle_count}:{since.isoformat()}:{period}"
            if await enqueue(uow, "chat.postMessage", {"channel": team.channel, **msg}, thread_key=card_key(lead), dedupe_key=key):
                sent += 1
    return sent
