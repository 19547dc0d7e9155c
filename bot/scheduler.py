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

from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.clock import as_utc
from bot.config import AppConfig
from bot.context import Context, UnitOfWork
from bot.db import database_down
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


@dataclass(frozen=True)
class Cron:
    """When a job runs: a time of day in a zone, on some weekdays; `calendar` skips its holidays."""

    hour: int
    minute: int = 0
    timezone: str = "Asia/Tokyo"
    day_of_week: str = "mon-fri"
    calendar: str | None = None  # a calendar name of app.yaml (None: the company default)
    working_days_only: bool = True
    args: dict[str, Any] = field(default_factory=dict)


JobFn = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: JobFn  # async fn(ctx, now, **args)
    schedule: Callable[[AppConfig], list[Cron]]
    on_demand: JobFn | None = None  # what an admin's "run now" does, when that differs from a scheduled run


_jobs: dict[str, JobSpec] = {}


def job(name: str, schedule: Callable[[AppConfig], list[Cron]], on_demand: JobFn | None = None) -> Callable[[JobFn], JobFn]:
    """Register a scheduled job. `schedule(config)` says when (e.g. one Cron per digest channel);
    `on_demand`, what `POST /api/admin/jobs/{name}` does instead of a scheduled run (default: the same).

    Jobs must be idempotent per occurrence (e.g. an outbox dedupe key with the date): a restart or
    a second process running the same occurrence then posts nothing twice.
    """

    def deco(fn: JobFn) -> JobFn:
        _jobs[name] = JobSpec(name, fn, schedule, on_demand)
        return fn

    return deco


def registered_jobs() -> list[str]:
    return sorted(_jobs)


class Scheduler:
    def __init__(self, ctx: Context, *, sweep_seconds: float = 30.0, stop_grace: float = 3.0):
        self.ctx = ctx
        self.aps = AsyncIOScheduler(timezone=UTC)
        self.sweep_seconds = sweep_seconds
        self.stop_grace = stop_grace  # how long a run under way at shutdown may take to finish
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()  # re-arm tasks, awaited on shutdown
        self._running: set[asyncio.Task[Any]] = set()  # scheduled runs under way
        self._stopping = False

    async def _run(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Every APScheduler job runs through here. APScheduler cancels a run still going at its
        shutdown and logs the CancelledError as "Error running job" with a traceback: a run
        stopped by our own shutdown ends quietly instead (its transaction rolled back, so a timer
        it was firing stays due and fires on the next start)."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await fn(*args)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            log.info("a scheduled run was stopped by the shutdown; it runs again on the next start")
        finally:
            if task is not None:
                self._running.discard(task)

    def start(self) -> None:
        self.aps = AsyncIOScheduler(timezone=UTC)  # fresh: leadership may stop and start it again
        self._stopping = False
        self.aps.start()
        self.aps.add_job(self._run, "interval", args=[self.run_due], seconds=self.sweep_seconds, id="timers-sweep", coalesce=True, max_instances=1)
        for spec in _jobs.values():
            for i, cron in enumerate(spec.schedule(self.ctx.config)):
                trigger = CronTrigger(hour=cron.hour, minute=cron.minute, day_of_week=cron.day_of_week, timezone=cron.timezone)
                self.aps.add_job(
                    self._run, trigger, args=[self._cron_fired, spec.name, cron], id=f"job:{spec.name}:{i}",
                    coalesce=True, max_instances=1, misfire_grace_time=3600,
                )  # fmt: skip
        self.request_arm()

    async def _cron_fired(self, name: str, cron: Cron) -> None:
        now = self.ctx.now()
        if cron.working_days_only:
            cal = self.ctx.config.calendar(cron.calendar)
            if not cal.is_working_day(now.astimezone(cal.tz).date()):
                return
        try:
            await self.run_job(name, **cron.args)
        except Exception:
            log.exception("scheduled job %s failed", name)

    async def run_job(self, name: str, now: datetime | None = None, **args: Any) -> Any:
        """Run a registered job now (the schedule, the sandbox control panel and tests all call this)."""
        spec = _jobs.get(name)
        if spec is None:
            raise KeyError(f"no job named '{name}' (known: {', '.join(registered_jobs())})")
        return await spec.fn(self.ctx, now or self.ctx.now(), **args)

    async def run_on_demand(self, name: str) -> Any:
        """What an admin asks for by running a job now (`POST /api/admin/jobs/{name}`)."""
        spec = _jobs.get(name)
        if spec is None:
            raise KeyError(f"no job named '{name}' (known: {', '.join(registered_jobs())})")
        return await (spec.on_demand or spec.fn)(self.ctx, self.ctx.now())

    async def shutdown(self) -> None:
        self._stopping = True
        if self.aps.running:
            self.aps.pause()  # no new run starts; those under way get stop_grace to finish
            running = [t for t in self._running if not t.done()]
            if running:
                await asyncio.wait(running, timeout=self.stop_grace)
            self.aps.shutdown(wait=False)  # cancels what is still running (quietly, see _run)
            if running:
                await asyncio.gather(*running, return_exceptions=True)
        # Let in-flight re-arms and a running pass finish before the engine is disposed.
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        async with self._lock:
            pass

    def request_arm(self) -> None:
        """After a commit that may have added timers: (re)arm the wake-up without blocking the caller."""
        if self.aps.running:
            task = asyncio.get_running_loop().create_task(self._arm_in_background())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _arm_in_background(self) -> None:
        try:
            await self.arm()
        except Exception as e:  # noqa: BLE001 — the sweep finds due timers anyway
            if not database_down(e):
                log.exception("timers: could not re-arm the next wake-up; the sweep will find due timers")
                return
            log.warning("timers: could not re-arm the next wake-up (%s); the sweep will find due timers", type(e).__name__)

    async def arm(self) -> None:
        if self._lock.locked():
            return  # a pass is running; it re-arms for what remains when it ends
        async with self.ctx.uow() as uow:
            nxt = as_utc(await timers.next_due_at(uow))
        if nxt is None:
            return
        # The injectable clock may differ from wall time (sandbox time travel): convert the delay.
        delay = max(0.0, (nxt - self.ctx.now()).total_seconds())
        run_at = datetime.now(UTC) + timedelta(seconds=delay)
        self.aps.add_job(self._run, "date", args=[self.run_due], run_date=run_at, id="timers-next", replace_existing=True, misfire_grace_time=None)

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
