"""Fold new stage events into the stage roll-up (bot/domain/stage_rollup.py) every hour, in short
transactions so intake never waits long on the write lock. Readers are exact whether or not this
has run; it only keeps the raw tail they read small."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.config import AppConfig
from bot.context import Context
from bot.domain import stage_rollup
from bot.scheduler import Cron, job

STEP = 20_000  # events per transaction


def _schedule(config: AppConfig) -> list[Cron]:
    # Ten minutes before each hour: digests and the bottleneck check, scheduled on the hour, find it fresh.
    return [Cron(hour=h, minute=50, timezone="UTC", day_of_week="*", working_days_only=False) for h in range(24)]


async def fold_all(ctx: Context, now: datetime | None = None) -> int:
    """Fold everything settled, one short transaction per step; returns the events folded."""
    total = 0
    while True:
        async with ctx.uow() as uow:
            r = await stage_rollup.fold(uow, now=now, max_events=STEP)
        total += r.folded
        if not r.more:
            return total


@job("stage_rollup", schedule=_schedule)
async def run(ctx: Context, now: datetime, **_: Any) -> dict[str, Any]:
    return {"folded": await fold_all(ctx, now)}
