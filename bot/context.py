"""What every part of the bot shares: config, clock, database, message rendering, and the unit of work.

A unit of work is one transaction. Domain code records what happened as domain events
(`uow.emit`); subscribers (bot/notify) turn them into outbox rows *in the same transaction*, so a
stage change and the Slack message announcing it are committed together or not at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import AppConfig, Settings
from bot.db import NestedTransactionError, wait_at_most
from bot.messages import Messages

log = logging.getLogger(__name__)

E = TypeVar("E")
Subscriber = Callable[["UnitOfWork", Any], Awaitable[None]]
_subscribers: dict[type, list[Subscriber]] = defaultdict(list)
# The task whose unit of work is open in this context: a second one inside it is refused at once, on
# every database (on SQLite it would wait for itself; elsewhere it would not see the outer's writes).
_open_in: ContextVar[asyncio.Task[Any] | None] = ContextVar("baton_uow_open_in", default=None)


def subscribe(event_type: type[E]) -> Callable[[Callable[[UnitOfWork, E], Awaitable[None]]], Any]:
    """Register an async subscriber run inside the emitting transaction, before commit."""

    def deco(fn: Callable[[UnitOfWork, E], Awaitable[None]]) -> Callable[[UnitOfWork, E], Awaitable[None]]:
        _subscribers[event_type].append(fn)
        return fn

    return deco


@dataclass
class Context:
    config: AppConfig
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    messages: Messages
    # Called after every commit that wrote something worth waking up for (delivery, timers).
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    # Work still running after Slack was answered (a report acks first): stop() and tests wait for it.
    in_flight: set[asyncio.Task[Any]] = field(default_factory=set)
    # What this process derived from the database and keeps between requests, by owning module (each
    # entry checks itself against the database before use, e.g. the forecast model's deal log).
    derived: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock.now()

    @asynccontextmanager
    async def after_ack(self) -> AsyncIterator[None]:
        """Mark the current task as work that goes on after its ack, until the block ends."""
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
        try:
            yield
        finally:
            self.in_flight.discard(task)

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait (bounded) for work that goes on after its ack to finish."""
        mine = asyncio.current_task()
        pending = [t for t in self.in_flight if t is not mine and not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    @asynccontextmanager
    async def uow(self, *, wait: float | None = None) -> AsyncIterator[UnitOfWork]:
        """One transaction. `wait`: give up after that many seconds in the SQLite write queue
        (sqlalchemy.exc.TimeoutError, nothing done) — for work that must answer Slack in time."""
        task = asyncio.current_task()
        if task is not None and _open_in.get() is task:
            raise NestedTransactionError(
                "ctx.uow() opened inside another unit of work of the same task: use the outer uow "
                "(subscribers and domain functions get it passed in), or open this one after the outer commits"
            )
        token = _open_in.set(task)
        try:
            async with self.sessions() as session:
                async with session.begin():
                    with wait_at_most(wait):
                        await session.connection()  # queue for the connection here, under `wait`
                    uow = UnitOfWork(self, session)
                    yield uow
                    await uow.dispatch()
        finally:
            _open_in.reset(token)
        for hook in self.after_commit:
            hook()


@dataclass
class UnitOfWork:
    ctx: Context
    session: AsyncSession
    events: list[Any] = field(default_factory=list)
    # Lookups worth doing once per transaction (e.g. who has opened App Home).
    cache: dict[str, Any] = field(default_factory=dict)
    # Rows a batch worked on, kept alive until commit: the session's identity map holds rows only
    # weakly, so without this every subscriber's `session.get` would read them again.
    held: list[Any] = field(default_factory=list)
    _dispatched: int = 0
    _deferred: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)

    @property
    def config(self) -> AppConfig:
        return self.ctx.config

    def now(self) -> datetime:
        return self.ctx.now()

    def emit(self, event: Any) -> None:
        self.events.append(event)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested unit (one item of a batch): on error its rows *and* its events are dropped."""
        mark = len(self.events)
        try:
            async with self.session.begin_nested():
                yield
        except BaseException:
            del self.events[mark:]
            raise

    def upcoming(self, event_type: type[E]) -> list[E]:
        """The event being dispatched and those of its type still queued behind it: a subscriber may
        handle them as one batch now (in order with everything after) and skip them as they come."""
        return [e for e in self.events[max(self._dispatched - 1, 0) :] if type(e) is event_type]

    def once(self, key: str, fn: Callable[[], Awaitable[None]]) -> None:
        """Run `fn` once, after the events are dispatched (a batch refreshes a roll-up once, not per item)."""
        self._deferred[key] = fn

    async def dispatch(self) -> None:
        # Subscribers may emit further events, and deferred work may too; run until quiet.
        while self._dispatched < len(self.events) or self._deferred:
            while self._dispatched < len(self.events):
                event = self.events[self._dispatched]
                self._dispatched += 1
                for fn in _subscribers.get(type(event), ()):
                    await fn(self, event)
            deferred, self._deferred = self._deferred, {}
            for fn in deferred.values():
                await fn()
