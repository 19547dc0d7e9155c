"""Manager adjustments through the Slack emulator: a manager overrides a rep's or the team's number
from `/forecast team` with a reason; the roll-up and the rep's `/forecast` show submitted, adjusted
and Baton's side by side; every adjustment stays in the history; reps, managers of other teams and
forged submissions are refused; bad input is told under its field and writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import yaml
from sqlalchemy import select

from bot.models import ForecastAdjustment, ForecastSubmission
from tests.test_forecast_flow import add_second_fs_team, ephemerals, forecast_config, make_deal, slash, submit_via_modal, text_of


@pytest.fixture
def config_path(tmp_path):
    path = forecast_config(tmp_path, meetings=False)
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    add_second_fs_team(cfg)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


Q = "2026-10-01"  # the quarter the test's clock is in (FY starting in April): options carry its start


def team_message(h, manager):
    return next(m for m in reversed(ephemerals(h, manager)) if "Team forecast" in (m.get("text") or ""))


def adjust_options(message):
    return [o["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
            if e["action_id"] == "forecast_adjust" for o in e["options"]]  # fmt: skip


async def pick(h, person, message, option):
    r = await h.emu.click(h.person(person), message, "forecast_adjust", selected_option=option)
    await h.deliver()
    return r


async def rows(h):
    async with h.baton.ctx.sessions() as s:
        return list(await s.scalars(select(ForecastAdjustment).order_by(ForecastAdjustment.id)))


async def submit(h, person, view, amount, reason):
    values = {"amount": {"value": amount}, "reason": {"value": reason}}
    r = await h.emu.submit_view(h.person(person), view["id"], values)
    await h.deliver()
    return r


def baton_of(text):
    """Baton's number as the rep's own /forecast shows it for the quarter (the second period)."""
    return re.findall(r"\*Baton\*: (¥[\d,]+)", text)[-1]


async def test_manager_adjusts_a_rep_and_the_team_and_the_history_keeps_each(harness):
    h = harness
    await make_deal(h, "K1", "kato", 6_000_000, "2026-12-10", phase=4)
    await make_deal(h, "Y1", "yoshida", 4_000_000, "2026-12-10", phase=5)
    await submit_via_modal(h, "kato", commit="5000000", best="6000000")
    await slash(h, "nakamura", "team")
    msg = team_message(h, "nakamura")
    assert adjust_options(msg) == ["quarter:team:fs:" + Q, "quarter:rep:kato:" + Q, "quarter:rep:yoshida:" + Q]
    assert "*adjusted" not in text_of(msg) and "✏️" not in text_of(msg)

    await pick(h, "nakamura", msg, "quarter:rep:kato:" + Q)
    view = h.emu.open_views(h.person("nakamura"))[-1]
    amount = next(b for b in view["view"]["blocks"] if b.get("block_id") == "amount")
    assert amount["element"]["initial_value"] == "5000000" and "submitted ¥5,000,000 · system commit ¥6,000,000" in text_of(view["view"])

    # Bad input: the errors under their fields, the modal stays open, nothing written.
    for typed, reason, fields in (("lots", "why", {"amount"}), ("-100", "why", {"amount"}), ("  ", " ", {"amount", "reason"}), ("450万", "  ", {"reason"})):
        bad = await submit(h, "nakamura", view, typed, reason)
        assert bad["body"]["response_action"] == "errors" and set(bad["body"]["errors"]) == fields, typed
    assert "Enter the adjusted number." in bad_text(await submit(h, "nakamura", view, " ", "why"))  # Slack requires a value: blank is the one left
    assert await rows(h) == []

    ok = await submit(h, "nakamura", view, "450万", "Acme slips to January")
    assert not (ok["body"] or {}).get("response_action")
    confirm = h.emu.channel_messages(h.emu.dm_channel(h.person("nakamura")))[-1]["text"]
    assert "¥5,000,000 → ¥4,500,000" in confirm and "Acme slips to January" in confirm

    # The rep's own view and the roll-up: submitted · adjusted · Baton's, the same Baton number in both.
    await slash(h, "kato", "")
    mine = text_of(ephemerals(h, "kato")[-1])
    baton = baton_of(mine)
    assert f"Your manager adjusted your number: submitted ¥5,000,000 → adjusted ¥4,500,000 · Baton {baton}" in mine
    await slash(h, "nakamura", "team")
    t = text_of(team_message(h, "nakamura"))
    assert f"submitted ¥5,000,000 · *adjusted ¥4,500,000* · Baton {baton}" in t
    assert "<@U0FSMGR>: ¥5,000,000 → ¥4,500,000 — Acme slips to January" in t  # the history: it replaced the call

    # A second adjustment: the adjusted number moves on, the first stays in the history, the call is untouched.
    await pick(h, "nakamura", team_message(h, "nakamura"), "quarter:rep:kato:" + Q)
    view = h.emu.open_views(h.person("nakamura"))[-1]
    assert "adjusted now ¥4,500,000" in text_of(view["view"])
    await submit(h, "nakamura", view, "4,000,000", "Budget cut at Acme")
    got = await rows(h)
    assert [(r.scope, r.subject, r.from_amount, r.amount, r.reason, r.adjusted_by) for r in got] == [
        ("rep", "kato", Decimal(5_000_000), Decimal(4_500_000), "Acme slips to January", "nakamura"),
        ("rep", "kato", Decimal(4_500_000), Decimal(4_000_000), "Budget cut at Acme", "nakamura"),
    ]
    assert all(str(r.period_start) == "2026-10-01" and r.period_kind == "quarter" for r in got)
    async with h.baton.ctx.sessions() as s:
        assert (await s.scalars(select(ForecastSubmission.commit_amount))).all() == [Decimal(5_000_000)]
    await slash(h, "nakamura", "team")
    t = text_of(team_message(h, "nakamura"))
    assert f"submitted ¥5,000,000 · *adjusted ¥4,000,000* · Baton {baton}" in t
    assert t.index("¥5,000,000 → ¥4,500,000 — Acme slips to January") < t.index("¥4,500,000 → ¥4,000,000 — Budget cut at Acme")
    assert "Team total*: submitted ¥5,000,000 · system ¥10,000,000" in t  # the reps' calls are summed as submitted

    # The team's number: it replaces the sum of the calls (no team call yet); Baton's team number beside it.
    await pick(h, "nakamura", team_message(h, "nakamura"), "quarter:team:fs:" + Q)
    await submit(h, "nakamura", h.emu.open_views(h.person("nakamura"))[-1], "9500000", "Yoshida's deal is safe")
    await slash(h, "nakamura", "team")
    t = text_of(team_message(h, "nakamura"))
    team_baton = re.search(r"\*Baton\*: (¥[\d,]+)", t).group(1)
    assert f"*Team number*: submitted ¥5,000,000 · *adjusted ¥9,500,000* · Baton {team_baton}" in t
    assert "<@U0FSMGR>: ¥5,000,000 → ¥9,500,000 — Yoshida's deal is safe" in t  # from the calls' sum, as shown
    assert [(r.scope, r.subject, r.team_id, r.from_amount) for r in await rows(h)][-1] == ("team", "fs", "fs", Decimal(5_000_000))


def bad_text(r):
    return " ".join(r["body"]["errors"].values())


async def test_reps_other_managers_and_forged_submissions_are_refused(harness):
    h = harness
    await make_deal(h, "K1", "kato", 6_000_000, "2026-12-10", phase=4)
    await make_deal(h, "U1", "ueda", 2_000_000, "2026-12-10", phase=4)
    await submit_via_modal(h, "kato", commit="5000000", best="6000000")
    await slash(h, "nakamura", "team")
    msg = team_message(h, "nakamura")
    refusal = "Only a manager of the rep's team (or the CRO) can adjust this number"

    # A rep picks from the manager's message: their own number, a teammate's, the team's — refused, no modal.
    for option in ("quarter:rep:kato:" + Q, "quarter:rep:yoshida:" + Q, "quarter:team:fs:" + Q):
        await pick(h, "kato", msg, option)
        assert refusal in ephemerals(h, "kato")[-1]["text"], option
    assert h.emu.open_views(h.person("kato")) == []
    # The manager of another team: neither a rep of this team nor its number.
    for option in ("quarter:rep:kato:" + Q, "quarter:team:fs:" + Q):
        await pick(h, "mori", msg, option)
        assert refusal in ephemerals(h, "mori")[-1]["text"] and h.emu.open_views(h.person("mori")) == []
    await slash(h, "mori", "team")
    assert adjust_options(team_message(h, "mori")) == ["quarter:team:fs2:" + Q, "quarter:rep:ueda:" + Q]

    # Forged submissions: the modal nakamura opened for kato, submitted by kato himself and by mori.
    for person in ("kato", "mori"):
        await pick(h, "nakamura", msg, "quarter:rep:kato:" + Q)
        r = await submit(h, person, h.emu.open_views(h.person("nakamura"))[-1], "1", "mine")
        assert not (r["body"] or {}).get("response_action")
        assert refusal in h.emu.channel_messages(h.emu.dm_channel(h.person(person)))[-1]["text"]
    assert await rows(h) == []

    # The CRO may adjust any Field Sales rep: both teams' roll-ups are theirs.
    await slash(h, "inoue", "team")
    west = team_message(h, "inoue")
    assert "Field Sales West" in west["text"] and adjust_options(west) == ["quarter:team:fs2:" + Q, "quarter:rep:ueda:" + Q]
    await pick(h, "inoue", west, "quarter:rep:ueda:" + Q)
    await submit(h, "inoue", h.emu.open_views(h.person("inoue"))[-1], "1500000", "Ueda's deal is at risk")
    assert [(r.subject, r.team_id, r.from_amount, r.amount, r.adjusted_by) for r in await rows(h)] == [("ueda", "fs2", None, Decimal(1_500_000), "inoue")]


async def test_a_form_left_open_past_the_period_end_adjusts_nothing(harness):
    """Opened for FY2026-Q3, submitted on Jan 4: Q4 is not what the manager was looking at."""
    h = harness
    await make_deal(h, "K1", "kato", 6_000_000, "2026-12-10", phase=4)
    await slash(h, "nakamura", "team")
    await pick(h, "nakamura", team_message(h, "nakamura"), "quarter:rep:kato:" + Q)
    view = h.emu.open_views(h.person("nakamura"))[-1]
    h.clock.advance(timedelta(days=41))
    r = await submit(h, "nakamura", view, "5000000", "late")
    assert not (r["body"] or {}).get("response_action")
    assert "The period this adjust form was opened for is over" in h.emu.channel_messages(h.emu.dm_channel(h.person("nakamura")))[-1]["text"]
    assert await rows(h) == []
