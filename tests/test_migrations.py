"""The Alembic migrations build exactly the schema the models describe, and moving data between
shapes keeps what people set (SQLite; PostgreSQL runs the same migrations in every harness test)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers every table on SQLModel.metadata)
from bot.db import _alembic_config  # noqa: PLC2701


def _url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"


def _sync(tmp_path: Path) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")


def test_the_migrations_build_exactly_the_schema_of_the_models(tmp_path):
    command.upgrade(_alembic_config(_url(tmp_path)), "head")
    with _sync(tmp_path).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"models and migrations differ (add a revision): {diff}"


def test_person_settings_leave_notification_preferences_with_what_people_set(tmp_path):
    cfg = _alembic_config(_url(tmp_path))
    command.upgrade(cfg, "0005")
    at = datetime(2026, 11, 20, 1, tzinfo=UTC)
    engine = _sync(tmp_path)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO notification_preferences (person_id, kind, mode, updated_at) VALUES (:p, :k, :m, :t)"),
            [
                {"p": "tanaka", "k": "_hours", "m": "10:00-19:00", "t": at},
                {"p": "tanaka", "k": "_tz", "m": "Europe/London", "t": at},
                {"p": "tanaka", "k": "_home", "m": "yes", "t": at},
                {"p": "tanaka", "k": "new_mql", "m": "digest", "t": at},
                {"p": "sato", "k": "_home", "m": "yes", "t": at},
            ],
        )
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        settings = {r.person_id: r for r in conn.execute(sa.text("SELECT * FROM person_settings"))}
        kinds = sorted(k for (k,) in conn.execute(sa.text("SELECT kind FROM notification_preferences")))
    assert set(settings) == {"tanaka", "sato"}
    assert (settings["tanaka"].working_hours, settings["tanaka"].slack_tz) == ("10:00-19:00", "Europe/London")
    assert settings["tanaka"].home_opened_at is not None and settings["sato"].working_hours is None
    assert kinds == ["new_mql"]  # the real preference stays; the pseudo-kinds are gone
    command.downgrade(cfg, "0005")
    with engine.connect() as conn:
        back = sorted(tuple(r) for r in conn.execute(sa.text("SELECT person_id, kind, mode FROM notification_preferences")))
    assert back == [("sato", "_home", "yes"), ("tanaka", "_home", "yes"), ("tanaka", "_hours", "10:00-19:00"),
                    ("tanaka", "_tz", "Europe/London"), ("tanaka", "new_mql", "digest")]  # fmt: skip
