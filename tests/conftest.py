"""Shared fixtures: a database (SQLite and PostgreSQL), the Slack emulator, and the bot served over
real HTTP with real Slack signatures. Time comes from a ManualClock."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.db import migrate

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_URL = os.environ.get("BATON_TEST_PG_URL")  # e.g. postgresql://postgres@127.0.0.1:54329/postgres
JST = ZoneInfo("Asia/Tokyo")
# Tuesday 2026-11-24 10:00 JST: a working day, inside business hours.
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=JST)


def pytest_collection_modifyitems(config, items):  # noqa: ANN001
    if PG_ADMIN_URL or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="PostgreSQL not started: run `make test` (it starts one) or set BATON_TEST_PG_URL")
    for item in items:
        if "postgres" in item.keywords or "[postgres" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:  # noqa: ANN001
    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    _run_sync(migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_template() -> str | None:
    if not PG_ADMIN_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run PostgreSQL tests: BATON_TEST_PG_URL is not set (make test sets it)")
        return None
    import asyncpg

    name = f"baton_tmpl_{uuid.uuid4().hex[:8]}"

    async def make() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        await migrate(_pg_url(name))

    _run_sync(make())
    return name


def _run_sync(coro) -> None:  # noqa: ANN001
    """Session fixtures may be first requested from inside a running loop: use a thread of their own."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


@asynccontextmanager
async def pg_database(prefix: str, template: str | None = None) -> AsyncIterator[str]:
    """A throw-away PostgreSQL database (a copy of `template`, else empty), dropped afterwards."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    try:
        yield _pg_url(name)
    finally:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def _pg_url(db: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request, tmp_path, sqlite_template):  # noqa: ANN001
    if request.param == "sqlite":
        path = tmp_path / "baton.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    async with pg_database("baton_t", template=request.getfixturevalue("pg_template")) as url:
        yield url


@pytest.fixture
def config_path() -> Path:
    return FIXTURES / "app.yaml"


@pytest.fixture
async def harness(database_url, config_path):  # noqa: ANN001
    from tests.harness import Harness

    h = Harness(database_url=database_url, config_path=config_path, start=T0)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
