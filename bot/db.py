"""Engine, sessions and migrations. SQLite (WAL, busy timeout) by default; PostgreSQL via DATABASE_URL.

SQLite allows one writer at a time and every transaction here is a writer (`BEGIN IMMEDIATE`), so
in-process transactions queue on one FIFO lock (`WriteLock`, taken before a connection is handed
out) instead of all trying at once and sleep-polling in SQLite's busy handler, which serves them in
no particular order and let some Slack presses wait past Slack's 3 s. `busy_timeout` stays for
other processes on the same file (CLI commands).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, event, func, inspect, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import await_only

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


WRITE_LOCK_TIMEOUT = 30.0  # seconds, as SQLite's busy_timeout: a stuck writer fails instead of hanging


# How long the current task may wait for its turn (None: WRITE_LOCK_TIMEOUT). See `wait_at_most`.
_wait_budget: ContextVar[float | None] = ContextVar("baton_write_wait_budget", default=None)


@contextmanager
def wait_at_most(seconds: float | None) -> Iterator[None]:
    """Transactions opened inside are urgent: they go ahead of transactions without a deadline, and
    give up waiting for the SQLite write lock after `seconds` (sqlalchemy.exc.TimeoutError, before
    anything ran). Only the wait is bounded, never a running transaction: cutting one short could
    leave a commit landing after we reported failure."""
    token = _wait_budget.set(seconds)
    try:
        yield
    finally:
        _wait_budget.reset(token)


class _Expired(Exception):
    pass


class NestedTransactionError(RuntimeError):
    """A task asked for a second database transaction while it still holds one."""


class WriteLock:
    """One SQLite transaction at a time in this process, handed over in arrival order; waiters with
    a deadline (`wait_at_most`: a Slack interaction must be answered in 3 s) go before those without
    (API intake, jobs), which only wait longer.

    Not reentrant on purpose: a task that opens a second transaction while holding one would wait
    for itself. That already was a bug under `BEGIN IMMEDIATE` (a 30 s hang, then "database is
    locked"); now it fails at once, naming the cause.
    """

    def __init__(self, timeout: float = WRITE_LOCK_TIMEOUT):
        self.timeout = timeout
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()
        self._owner: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def locked(self) -> bool:
        return self._held

    async def acquire(self) -> None:
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            raise NestedTransactionError(
                "this task opened a database transaction while its own earlier one is still open; "
                "on SQLite that waits for itself forever. Finish the outer unit of work first, or pass its uow down."
            )
        loop = asyncio.get_running_loop()
        if self._held or self._urgent or self._normal:
            budget = _wait_budget.get()
            limit = self.timeout if budget is None else min(budget, self.timeout)
            turn: asyncio.Future[None] = loop.create_future()
            (self._normal if budget is None else self._urgent).append(turn)
            # Expire by failing the future, not by cancelling the task: a cancel racing the
            # hand-over could otherwise hit the transaction that just got its turn.
            timer = loop.call_later(limit, lambda: turn.done() or turn.set_exception(_Expired()))
            try:
                await turn
            except _Expired:
                raise PoolTimeoutError(f"database is locked: waited {limit:g} s for the in-process write lock") from None
            except BaseException:
                if turn.done() and not turn.cancelled() and turn.exception() is None:
                    self._hand_over()  # it was our turn already: pass it on
                else:
                    turn.cancel()  # _hand_over() skips it
                raise
            finally:
                timer.cancel()
        # else free: take it; after a hand-over release() has left it held for us
        self._held = True
        self._owner, self._loop = task, loop

    def release(self) -> None:
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop:
            # A connection finalised by garbage collection outside the loop: hand the release over.
            loop.call_soon_threadsafe(self.release)
            return
        self._owner = None
        self._hand_over()

    def _hand_over(self) -> None:
        for lane in (self._urgent, self._normal):
            while lane:
                turn = lane.popleft()
                if not turn.done():
                    turn.set_result(None)  # still held: ownership passes straight to this waiter
                    return
        self._held = False


class SerialPool(AsyncAdaptedQueuePool):
    """A connection pool whose checkout waits its turn on a `WriteLock` and whose checkin releases it."""

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.write_lock = WriteLock()

    def _do_get(self) -> ConnectionPoolEntry:
        await_only(self.write_lock.acquire())  # always inside SQLAlchemy's greenlet here
        try:
            return super()._do_get()
        except BaseException:
            self.write_lock.release()
            raise

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        try:
            super()._do_return_conn(record)
        finally:
            self.write_lock.release()


def make_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        # One connection is enough: the lock lets one transaction run at a time.
        engine = create_async_engine(url, connect_args={"timeout": 30}, poolclass=SerialPool, pool_size=1, max_overflow=0)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            # Let SQLAlchemy's "begin" hook (below) issue BEGIN itself.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn) -> None:  # noqa: ANN001
            # Take the write lock up front: two writers then queue on busy_timeout instead of
            # failing later with "database is locked" on lock upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


@event.listens_for(Session, "before_flush")
def _number_new_rows_on_sqlite(session: Session, _ctx, _instances) -> None:  # noqa: ANN001
    """Give new rows their ids before a flush on SQLite, so the ORM inserts a batch with one
    executemany instead of one INSERT … RETURNING per row (SQLAlchemy cannot match RETURNING rows
    to objects on SQLite). Safe because every SQLite transaction here is BEGIN IMMEDIATE: this
    connection is the only writer, and max(id)+1 is exactly the rowid SQLite would choose."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    pending: dict[Any, list[Any]] = {}
    for obj in session.new:
        mapper = inspect(obj).mapper
        pk = mapper.primary_key
        if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and getattr(obj, mapper.get_property_by_column(pk[0]).key) is None:
            pending.setdefault(mapper, []).append(obj)
    conn = session.connection()
    for mapper, objs in pending.items():
        if len(objs) < 2:
            continue
        col = mapper.primary_key[0]
        if not isinstance(col.type, Integer) and not isinstance(getattr(col.type, "_variant_mapping", {}).get("sqlite"), Integer):
            continue
        top = conn.execute(select(func.max(col))).scalar() or 0
        key = mapper.get_property_by_column(col).key
        objs.sort(key=lambda obj: inspect(obj).insert_order)  # ids in the order rows were added
        for n, obj in enumerate(objs, start=top + 1):
            setattr(obj, key, n)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with sessions() as session, session.begin():
        yield session


def _alembic_config(url: str):  # noqa: ANN202
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _upgrade(url: str) -> None:
    from alembic import command

    command.upgrade(_alembic_config(url), "head")


async def migrate(url: str) -> None:
    """Bring the schema to head. Alembic's env runs its own event loop, so it gets a thread."""
    await asyncio.to_thread(_upgrade, url)


# What a database that cannot be reached raises (told in one line, the API answering 503): the
# connection refused, reset or timed out, the pool's checkout timing out, a connection SQLAlchemy
# marks invalidated, PostgreSQL's SQLSTATE class 08 (connection) and 57P (shutting down, starting up),
# SQLite's "database is locked" / "unable to open". A plain SQL error (no such column, too many
# variables) is a bug, and keeps its traceback.
_DOWN_WORDS = ("database is locked", "unable to open database", "disk i/o error")


def database_down(e: BaseException) -> bool:
    """The database is away (refused, dropped, restarting, locked), not a bad row or a bug."""
    if isinstance(e, (OSError, ConnectionError, TimeoutError, PoolTimeoutError, InterfaceError)):
        return True
    if isinstance(e, DBAPIError) and e.connection_invalidated:
        return True
    orig = getattr(e, "orig", None)
    if isinstance(orig, (OSError, ConnectionError, TimeoutError)):
        return True
    state = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    if state.startswith(("08", "57P")):
        return True
    return isinstance(e, OperationalError) and any(w in str(orig or e).lower() for w in _DOWN_WORDS)
