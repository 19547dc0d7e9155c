"""The Alembic migrations build exactly the schema the models describe, and moving data between
shapes keeps what people set (SQLite; PostgreSQL runs the same migrations in every harness test, and
the forecast-meeting carry-over runs on both)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.models  # noqa: F401  (registers every table on SQLModel.metadata)
from bot.db import _alembic_config  # noqa: PLC2701
from tests.conftest import pg_database


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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_database(request, tmp_path):  # noqa: ANN001
    """An empty database to migrate step by step (the shared templates are at head already)."""
    if request.param == "sqlite":
        yield _url(tmp_path)
        return
    async with pg_database("baton_m") as url:
        yield url


async def test_forecast_meetings_carry_over_what_the_prompt_timers_knew(empty_database):
    from sqlmodel import select

    from bot.models import ForecastExplanation, ForecastMeeting, ForecastMeetingBaseline, Timer

    cfg = _alembic_config(empty_database)
    await asyncio.to_thread(command.upgrade, cfg, "0007")
    deal = {"id": 7, "name": "Deal K1", "owner": "kato", "amount": "6000000", "amount_jpy": "6000000", "status": "open"}
    moved = {**deal, "amount": "7000000", "amount_jpy": "7000000"}
    subject = "forecast:fs_weekly:2026-11-30T10:00:00+09:00"
    prompted = {
        "meeting": "fs_weekly", "occurrence": "2026-11-30T10:00:00+09:00", "period": "quarter", "period_start": "2026-10-01",
        "at": "2026-11-29T23:30:00+00:00", "baselines": {"kato": [deal], "yoshida": []},
        "baseline_at": {"kato": "2026-11-24T01:00:00+00:00", "yoshida": None}, "snapshots": {"kato": [moved], "yoshida": []},
        "explanations": {"kato": {"deal_7": "Customer added 20 seats", "note": "Rest as planned", "forged": "x"}},
    }  # fmt: skip
    later = {"meeting": "fs_weekly", "occurrence": "2026-12-07T10:00:00+09:00"}  # armed, not prompted yet
    engine = create_async_engine(empty_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(Timer.__table__), [
                # another timer first: the prompt's id (2) differs from the one a fresh sequence hands out (1)
                {"kind": "sla_warn", "subject": "lead:1", "due_at": datetime(2026, 11, 29, tzinfo=UTC), "fired_at": None, "data": {}},
                {"kind": "forecast_prompt", "subject": subject, "due_at": datetime(2026, 11, 29, 23, 30, tzinfo=UTC),
                 "fired_at": datetime(2026, 11, 29, 23, 30, tzinfo=UTC), "data": prompted},
                {"kind": "forecast_summary", "subject": subject, "due_at": datetime(2026, 11, 30, 0, 30, tzinfo=UTC),
                 "fired_at": datetime(2026, 11, 30, 0, 31, tzinfo=UTC), "data": {"meeting": "fs_weekly", "occurrence": prompted["occurrence"]}},
                {"kind": "forecast_prompt", "subject": "forecast:fs_weekly:2026-12-07T10:00:00+09:00",
                 "due_at": datetime(2026, 12, 6, 23, 30, tzinfo=UTC), "fired_at": None, "data": later},
            ])  # fmt: skip
            prompt_id = await conn.scalar(sa.select(Timer.id).where(Timer.kind == "forecast_prompt", Timer.fired_at.is_not(None)))
        await asyncio.to_thread(command.upgrade, cfg, "head")
        async with AsyncSession(engine) as s:
            (occ,) = (await s.exec(select(ForecastMeeting))).all()
            bases = {b.rep_id: b for b in (await s.exec(select(ForecastMeetingBaseline))).all()}
            answers = (await s.exec(select(ForecastExplanation).order_by(ForecastExplanation.id))).all()
            timers = {t.id: t.data for t in (await s.exec(select(Timer).where(Timer.kind == "forecast_prompt"))).all()}
        # The occurrence keeps the prompt timer's id: buttons already sent ("<id>:<rep>") still find it.
        assert occ.id == prompt_id and occ.meeting_id == "fs_weekly"
        assert (occ.occurrence, occ.period_kind, str(occ.period_start)) == (datetime(2026, 11, 30, 1, tzinfo=UTC), "quarter", "2026-10-01")
        assert (occ.prompted_at, occ.summarised_at) == (datetime(2026, 11, 29, 23, 30, tzinfo=UTC), datetime(2026, 11, 30, 0, 31, tzinfo=UTC))
        assert set(bases) == {"kato", "yoshida"} and all(b.occurrence_id == occ.id for b in bases.values())
        assert (bases["kato"].baseline, bases["kato"].snapshot, bases["kato"].baseline_at) == ([deal], [moved], datetime(2026, 11, 24, 1, tzinfo=UTC))
        assert (bases["yoshida"].baseline, bases["yoshida"].baseline_at) == ([], None)
        assert [(a.occurrence_id, a.rep_id, a.block, a.opportunity_id, a.text, a.written_by) for a in answers] == [
            (occ.id, "kato", "deal_7", 7, "Customer added 20 seats", "kato"),
            (occ.id, "kato", "note", None, "Rest as planned", "kato"),
        ]  # the forged block is dropped
        assert timers[prompt_id] == {"meeting": "fs_weekly", "occurrence": prompted["occurrence"]}  # only the trigger is left
        assert later in timers.values()
        async with engine.begin() as conn:  # the next occurrence numbers on from the carried-over ids
            await conn.execute(sa.insert(ForecastMeeting.__table__).values(
                meeting_id="fs_weekly", occurrence=datetime(2026, 12, 7, 1, tzinfo=UTC), period_kind="quarter",
                period_start=date(2026, 10, 1), prompted_at=datetime(2026, 12, 6, 23, 30, tzinfo=UTC)))  # fmt: skip
            assert await conn.scalar(sa.select(sa.func.max(ForecastMeeting.id))) > prompt_id
            await conn.execute(sa.delete(ForecastMeeting.__table__).where(ForecastMeeting.id != prompt_id))  # only ours goes back
        await asyncio.to_thread(command.downgrade, cfg, "0007")
        async with engine.connect() as conn:
            back = await conn.scalar(sa.select(Timer.data).where(Timer.id == prompt_id))
        want = {**prompted, "explanations": {"kato": {"deal_7": "Customer added 20 seats", "note": "Rest as planned"}}}
        same = lambda d: {k: v for k, v in d.items() if k not in ("at", "baseline_at")}  # noqa: E731
        assert same(back) == same(want)
        assert datetime.fromisoformat(back["at"]) == datetime.fromisoformat(prompted["at"])
        assert back["baseline_at"] == {"kato": "2026-11-24T01:00:00+00:00", "yoshida": None}
    finally:
        await engine.dispose()
