"""Who runs the scheduler when several processes share one database.

- PostgreSQL: leadership is a session advisory lock held on a dedicated connection. When the
  leader dies its connection closes and the lock is free; a follower retrying every
  `retry_seconds` takes over within that bound. A leader that loses its connection steps down.
- SQLite: one serving process per file. A second one is refused with a clear message (an OS file
  lock next to the database, released by the OS when the process dies, even on SIGKILL).

Timers and jobs are exactly-once by their own compare-and-set / dedupe keys; leadership only keeps
followers from doing the same work for nothing. Any process serves HTTP and drains the outbox.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db import is_sqlite

log = logging.getLogger(__name__)

LOCK_KEY = 804_202  # an arbitrary constant naming "the Baton scheduler" among advisory locks


class SingleProcessError(RuntimeError):
    pass


def sqlite_path(url: str) -> Path | None:
    if not is_sqlite(url) or ":memory:" in url:
        return None
    return Path(url.split(":///", 1)[1])


class SqliteProcessLock:
    """Refuse a second serving process on one SQLite file."""

    def __init__(self, url: str):
        self.path = sqlite_path(url)
        self._fd: int | None = None

    def acquire(self) -> None:
        if self.path is None:
            return
        lock_file = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SingleProcessError(
                f"another Baton process (pid {holder}) is already running on {self.path}. SQLite is for one "
                "process; to run several, use PostgreSQL (DATABASE_URL=postgresql://…)."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class Leadership:
    """Run `on_lead` while this process leads and `on_lose` when it stops leading."""

    def __init__(
        self,
        engine: AsyncEngine,
        url: str,
        on_lead: Callable[[], Awaitable[None]],
        on_lose: Callable[[], Awaitable[None]],
        *,
        retry_seconds: float = 5.0,
    ):
        self.engine = engine
        self.url = url
        self.on_lead = on_lead
        self.on_lose = on_lose
        self.retry_seconds = retry_seconds
        self.is_leader = False
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        if is_sqlite(self.url):  # the file lock already made this the only process
            await self._become_leader()
            return
        if await self._try_acquire():
            await self._become_leader()
        self._task = asyncio.create_task(self._watch(), name="baton-leadership")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self.is_leader:
            await self._lose()
        await self._close()

    async def _become_leader(self) -> None:
        self.is_leader = True
        log.info("this process leads: it runs scheduled jobs and timers")
        await self.on_lead()

    async def _lose(self) -> None:
        self.is_leader = False
        await self.on_lose()

    async def _try_acquire(self) -> bool:
        try:
            if self._conn is None:
                self._conn = await self.engine.connect()
            got = await self._conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
            await self._conn.commit()  # the session lock outlives the transaction
            if not got:
                await self._close()
            return bool(got)
        except Exception as e:  # database down: try again later
            log.warning("leadership: cannot reach the database (%s); retrying", type(e).__name__)
            await self._close()
            return False

    async def _alive(self) -> bool:
        try:
            await self._conn.scalar(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception:
            return False

    async def _watch(self) -> None:
        while not self._stopping.is_set():
            await asyncio.sleep(self.retry_seconds)
            if self.is_leader:
                if not await self._alive():
                    log.warning("leadership lost (database connection gone); stepping down")
                    await self._close()
                    await self._lose()
            elif await self._try_acquire():
                await self._become_leader()

    async def _close(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.close()
            except Exception:  # already broken
                pass
            self._conn = None
