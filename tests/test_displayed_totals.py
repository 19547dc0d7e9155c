"""Properties of what is shown: parts shown with a total add up to the shown total (ja and en, any
signs for a waterfall), and no funnel stage exceeds the one before it, for random histories.
Shown amounts are read back from the text by a parser written here."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from bot.clock import ManualClock
from bot.config import Settings, load_config
from bot.context import Context
from bot.db import make_engine, make_sessionmaker
from bot.domain import digest
from bot.formatting import format_money_parts, format_waterfall
from bot.messages import Messages
from bot.models import Lead, Opportunity, StageDayCount, StageEvent, StageExit, StageFold
from tests.conftest import FIXTURES

JST = ZoneInfo("Asia/Tokyo")


def read_yen(text: str) -> Decimal:
    """"1億5,620万円", "9,800円", "-¥1,234", "¥0" → yen."""
    sign = -1 if text.startswith("-") else 1
    t = text.lstrip("-")
    if t.startswith("¥"):
        return sign * Decimal(t[1:].replace(",", ""))
    m = re.fullmatch(r"(?:([\d,]+)億)?(?:([\d,]+)万)?(?:([\d,]+))?円", t)
    assert m, text
    oku, man, yen = (Decimal((g or "0").replace(",", "")) for g in m.groups())
    return sign * (oku * 10**8 + man * 10**4 + yen)


amounts = st.integers(0, 3 * 10**9).map(Decimal)


@settings(max_examples=300, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=12), st.sampled_from(["ja", "en"]))
def test_shown_parts_add_up_to_the_shown_total(parts, locale):
    shown, total = format_money_parts(parts, locale)
    assert sum(read_yen(s) for s in shown) == read_yen(total)
    # and each shown part is its amount rounded to the shown unit, give or take one unit
    unit = Decimal(10_000) if locale == "ja" and any(p >= 10_000 for p in [*parts, sum(parts)]) else Decimal(1)
    for p, s in zip(parts, shown, strict=True):
        assert abs(read_yen(s) - p) < unit


@settings(max_examples=300, deadline=None)
@given(amounts, st.lists(st.integers(-10**9, 10**9).map(Decimal), min_size=8, max_size=8), st.sampled_from(["ja", "en"]))
def test_a_shown_waterfall_adds_up(start, steps, locale):
    now = start + sum(steps)
    s, shown, n = format_waterfall(start, steps, now, locale)
    assert read_yen(s) + sum(read_yen(x) for x in shown) == read_yen(n)
    for v, x in zip(steps, shown, strict=True):  # a step keeps its sign
        assert (read_yen(x) >= 0) if v >= 0 else (read_yen(x) <= 0)


# -- the funnel -------------------------------------------------------------------------------------
NOW = datetime(2026, 11, 24, 10, tzinfo=JST)
PATH = ["lead", "mql", "sal", "sql", "opportunity"]


@pytest.fixture
async def ctx(database_url):  # noqa: ANN001
    from bot.db import migrate

    await migrate(database_url)
    engine = make_engine(database_url)
    c = Context(config=load_config(FIXTURES / "app.yaml"), settings=Settings(database_url=database_url),
                sessions=make_sessionmaker(engine), clock=ManualClock(NOW), messages=Messages())  # fmt: skip
    try:
        yield c
    finally:
        await engine.dispose()


lead = st.tuples(
    st.integers(-80, -1),  # created this many days before now (the quarter began 54 days before)
    st.integers(0, 4),  # the furthest stage reached
    st.booleans(),  # recycled on the way (and maybe back)
    st.sampled_from([None, None, "lost", "churned"]),  # a recycle carrier is not a new lead
    st.sampled_from(["none", "open", "won"]),  # its deal
    st.sampled_from(["is_ent", "is_smb"]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(lead, max_size=25))
async def test_no_funnel_stage_exceeds_the_one_before(ctx, leads):
    async with ctx.uow() as uow:
        for model in (StageEvent, StageDayCount, StageExit, StageFold, Opportunity, Lead):
            await uow.session.execute(delete(model))
    async with ctx.uow() as uow:
        s = uow.session
        for i, (days, reach, recycled, origin, deal, team) in enumerate(leads, start=1):
            t = NOW + timedelta(days=days)
            s.add(Lead(id=i, name="x", stage="lead", team_id=team, created_at=t, updated_at=t))
            s.add(StageEvent(entity_type="lead", entity_id=i, from_stage=None, to_stage="lead", reason=origin, actor="api", at=NOW, occurred_at=t))
            prev = "lead"
            for k, stage in enumerate(PATH[1 : reach + 1], start=1):
                at = t + timedelta(hours=k)
                if recycled and stage == "sal":  # rejected, recycled, and back as an MQL
                    s.add(StageEvent(entity_type="lead", entity_id=i, from_stage="mql", to_stage="recycled", team_id=team, actor="x", at=at, occurred_at=at))
                    s.add(StageEvent(entity_type="lead", entity_id=i, from_stage="recycled", to_stage="mql", team_id=team, actor="x", at=at, occurred_at=at))
                s.add(StageEvent(entity_type="lead", entity_id=i, from_stage=prev, to_stage=stage, team_id=team, actor="x", at=at, occurred_at=at))
                prev = stage
            if deal != "none" and reach == 4:
                s.add(Opportunity(name="d", team_id="fs", amount=Decimal(1), status="won" if deal == "won" else "open", source_lead_id=i,
                                  closed_at=NOW if deal == "won" else None, created_at=t, updated_at=t))  # fmt: skip
    async with ctx.uow() as uow:
        for scope, team in (("company", None), ("team", "is_ent"), ("team", "fs")):
            d = await digest.build(uow, scope=scope, team_id=team, now=NOW)
            ns = [f["n"] for f in d.funnel]
            assert all(a >= b for a, b in zip(ns, ns[1:])), (scope, team, ns)
            if scope == "company":  # the cohort: new leads (not recycle carriers) since the quarter began
                q_start = datetime(2026, 10, 1, tzinfo=JST)
                assert ns[0] == sum(1 for days, _, _, origin, _, _ in leads if origin is None and NOW + timedelta(days=days) >= q_start)
