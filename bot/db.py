"""Engine, sessions and migrations. SQLite (WAL, busy timeout) by default; PostgreSQL via DATABASE_URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from typing import Any

from sqlalchemy import Integer, event, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})

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
