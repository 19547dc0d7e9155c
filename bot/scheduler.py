"""APScheduler drives time: one wake-up armed at the earliest pending timer, plus periodic jobs.

Timers live in the database (bot/domain/timers.py); the scheduler never holds state that a restart
could lose. On start it arms the earliest due_at — a moment already past fires at once — and a
sweep every 30 s is the safety net. Firing is claimed per timer, so several processes (or a sweep
racing the wake-up) fire each timer exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import as_utc
from bot.context import Context, UnitOfWork
from bot.domain import timers
from bot.models import Timer

log = logging.getLogger(__name__)

TimerHandler = Callable[[UnitOfWork, Timer], Awaitable[None]]
_timer_handlers: dict[str, TimerHandler] = {}


def on_timer(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    """Register what happens when a timer of `kind` fires (jobs/ register theirs)."""

    def deco(fn: TimerHandler) -> TimerHandler:
        _timer_handlers[kind] = fn
        return fn

    return deco


class Scheduler:
    def __init__(self, ctx: Context, *, sweep_seconds: float = 30.0):
        self.ctx = ctx
        self.aps = AsyncIOScheduler(timezone=UTC)
        self.sweep_seconds = sweep_seconds
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()  # re-arm tasks, awaited on shutdown

    def start(self) -> None:
        self.aps.start()
        self.aps.add_job(self.run_due, "interval", seconds=self.sweep_seconds, id="timers-sweep", coalesce=True, max_instances=1)
        self.request_arm()

    async def shutdown(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)
        # Let in-flight re-arms and a running pass finish before the engine is disposed.
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        async with self._lock:
            pass

    def request_arm(self) -> None:
        """After a commit that may have added timers: (re)arm the wake-up without blocking the caller."""
        if self.aps.running:
            task = asyncio.get_running_loop().create_task(self.arm())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def arm(self) -> None:
        async with self.ctx.uow() as uow:
            nxt = as_utc(await timers.next_due_at(uow))
        if nxt is None:
            return
        # The injectable clock may differ from wall time (sandbox time travel): convert the delay.
        delay = max(0.0, (nxt - self.ctx.now()).total_seconds())
        run_at = datetime.now(UTC) + timedelta(seconds=delay)
        self.aps.add_job(self.run_due, "date", run_date=run_at, id="timers-next", replace_existing=True, misfire_grace_time=None)

    async def run_due(self) -> int:
        """Fire every timer that is due now; returns how many fired. Safe to call any time."""
        fired = 0
        async with self._lock:
            while True:
                async with self.ctx.uow() as uow:
                    batch = await timers.due(uow, self.ctx.now())
                if not batch:
                    break
                progressed = False
                for timer in batch:
                    try:
                        async with self.ctx.uow() as uow:
                            if not await timers.claim(uow, timer.id):
                                continue
                            handler = _timer_handlers.get(timer.kind)
                            if handler is not None:
                                await handler(uow, timer)
                            else:
                                log.warning("no handler for timer kind %s; marked fired", timer.kind)
                        fired += 1
                        progressed = True
                    except Exception:  # one bad timer must not stop the others; it stays pending
                        log.exception("timer %s (%s) failed; will retry", timer.id, timer.kind)
                if not progressed:
                    break
        if self.aps.running:
            await self.arm()
        return fired
