"""The backtest where people see it, through the Slack emulator: `/forecast accuracy` (a rep's own
calls, a manager's team, a CRO's company; too little history; bad arguments), the line of the
monthly digest, and the forecast-meeting summary flagging calls far from Baton's forecast.

The history is fed like a CRM would: deals through the API (created on the first of each month, closed
with back-dated close dates), calls through `/forecast submit` at the time they were made (the clock is
set back). Baton's model is kept to its configured values (every minimum sample out of reach), so the
expectation is plain arithmetic over the facts below — nothing here imports bot.domain.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
import yaml

from tests.conftest import JST, T0
from tests.test_forecast_flow import MGR_CH, dms, ephemerals, forecast_config, slash, submit_via_modal, text_of

PHASE_RATE = {3: 0.35, 4: 0.6, 5: 0.85}  # forecast.phase_win_rates (defaults)
CLOSE_IN_PERIOD = 1.0  # configured below: every deal due in a period counts fully
MONTH_TOL = 0.10

# Per month: deal A (phase 4 = commit) due on the 20th and won then; deal B (phase 3 = best case) due
# on the 25th, won or lost; N a deal created after the lock point and won inside the month; kato's
# call and the manager's team call, both made on the 2nd (before the 7-day lock point).
FACTS = {
    date(2026, 7, 1): {"a": 10_000_000, "b": 4_000_000, "b_won": True, "n": 0, "call": 9_000_000, "team": None},
    date(2026, 8, 1): {"a": 10_000_000, "b": 12_000_000, "b_won": False, "n": 0, "call": 15_000_000, "team": None},
    date(2026, 9, 1): {"a": 8_000_000, "b": 6_000_000, "b_won": True, "n": 2_000_000, "call": 12_800_000, "team": 17_200_000},
    date(2026, 10, 1): {"a": 20_000_000, "b": 10_000_000, "b_won": False, "n": 0, "call": 21_000_000, "team": 19_000_000},
    date(2026, 11, 1): {"a": 6_000_000, "b": 3_000_000, "b_won": False, "n": 0, "call": 7_000_000, "team": 6_500_000},
}
# July's lock point (Jul 8) is less than `backtest_min_months` (1, below) after the first deal fact
# (Jul 1): not scored. November is still open on Nov 24. So: August, September, October.
SCORED = [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]


@pytest.fixture
def config_path(tmp_path):
    path = forecast_config(tmp_path, meetings=True)
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg["people"].append({"id": "ono", "name": "Ono", "slack_id": "U0CRO", "roles": ["cro"]})
    cfg["forecast"]["model"] = {
        "backtest_min_months": 1, "close_in_period": CLOSE_IN_PERIOD, "min_phase_deals": 100_000, "min_category_deals": 100_000,
        "min_rep_deals": 100_000, "min_slip_deals": 100_000, "min_new_periods": 100_000,
    }  # fmt: skip
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def at(d: date, day: int, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, day, hour, tzinfo=JST)


async def api(h, item):
    status, body = await h.post("/api/opportunities", item)
    assert status in (200, 201), body


async def team_call(h, amount: int) -> None:
    await slash(h, "nakamura", "team month")
    await h.click("nakamura", ephemerals(h, "nakamura")[-1], "forecast_submit_team")
    view = h.emu.open_views(h.person("nakamura"))[-1]
    await h.emu.submit_view(h.person("nakamura"), view["id"], {"commit": {"value": str(amount)}, "best_case": {"value": str(amount)}})
    await h.deliver()


async def feed_history(h) -> None:
    for m, f in FACTS.items():
        key = m.strftime("%m")
        h.clock.set(at(m, 1))
        await api(h, {"external_id": f"A{key}", "name": f"A {key}", "owner": "kato", "amount": f["a"], "phase": 4, "close_date": m.replace(day=20).isoformat()})
        await api(h, {"external_id": f"B{key}", "name": f"B {key}", "owner": "kato", "amount": f["b"], "phase": 3, "close_date": m.replace(day=25).isoformat()})
        h.clock.set(at(m, 2))
        await submit_via_modal(h, "kato", commit=str(f["call"]), best=str(f["call"]), text="submit month")
        if m == date(2026, 7, 1):
            await submit_via_modal(h, "kato", commit="30000000", best="30000000", text="submit quarter")  # Q2: too early to score
        if f["team"]:
            await team_call(h, f["team"])
        # Closed later, each with its back-dated close date (November's on Nov 24: "today").
        h.clock.set(at(m, 28) if m.month < 11 else T0)
        await api(h, {"external_id": f"A{key}", "status": "won", "close_date": m.replace(day=20).isoformat()})
        b = {"status": "won", "close_date": m.replace(day=25).isoformat()} if f["b_won"] else {"status": "lost", "lost_reason": "competitor"}
        await api(h, {"external_id": f"B{key}", **b})
        if f["n"]:
            await api(h, {"external_id": f"N{key}", "name": f"N {key}", "owner": "kato", "amount": f["n"], "phase": 4,
                          "close_date": m.replace(day=30).isoformat(), "occurred_at": at(m, 10).isoformat()})  # fmt: skip
            await api(h, {"external_id": f"N{key}", "status": "won", "close_date": m.replace(day=15).isoformat()})
    h.clock.set(T0)


# -- the expectation, from the facts ---------------------------------------------------------------------------
def actual(m: date) -> int:
    f = FACTS[m]
    return f["a"] + (f["b"] if f["b_won"] else 0) + f["n"]


def forecasts(m: date, call: int) -> dict[str, float]:
    """At the lock point the month's open deals were A and B (earlier months' deals had all closed)."""
    f = FACTS[m]
    baton = (f["a"] * PHASE_RATE[4] + f["b"] * PHASE_RATE[3]) * CLOSE_IN_PERIOD
    return {"Baton": baton, "call": call, "commit sum": f["a"]}  # commit sum: nothing won yet + A (commit)


def p1(ratio: float) -> str:
    """A ratio as percent with one decimal, half up (docs/metrics.md display rules)."""
    return f"{(Decimal(str(ratio)) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def pct(e: float) -> str:
    return ("+" if e > 0 else "−" if e < 0 else "±") + p1(abs(e))


def yen(v: float) -> str:
    return f"¥{round(v):,}"


def row(m: date, call: int) -> str:
    a = actual(m)
    parts = [f"{name} {yen(v)} ({pct((v - a) / a)} {'✅' if abs(v - a) / a <= MONTH_TOL + 1e-12 else '⚠️'})" for name, v in forecasts(m, call).items()]
    return f"*Month {m:%Y-%m}* · actual {yen(a)} — " + " · ".join(parts)


def summaries(months: list[date], calls: dict[date, int]) -> list[str]:
    out = []
    for name in ("Baton", "call", "commit sum"):
        errs = [abs(forecasts(m, calls[m])[name] - actual(m)) / actual(m) for m in months]
        inside = sum(e <= MONTH_TOL + 1e-12 for e in errs)
        out.append(f"*{name}*: MAPE {p1(sum(errs) / len(errs))} · {inside}/{len(errs)} periods inside ±10%")
    return out


def lines_of(msg) -> list[str]:
    return [line for b in msg.get("blocks") or [] for line in ((b.get("text") or {}).get("text") or "").split("\n")]


# -- /forecast accuracy ------------------------------------------------------------------------------------------
async def test_forecast_accuracy_for_a_rep_a_manager_and_the_cro(harness):
    h = harness
    await feed_history(h)

    await slash(h, "kato", "accuracy")
    msg = ephemerals(h, "kato")[-1]
    lines = lines_of(msg)
    assert "Forecast accuracy — 加藤" in msg["text"]
    rows = [line for line in lines if line.startswith("*Month ")]
    calls = {m: f["call"] for m, f in FACTS.items()}
    assert rows == [row(m, calls[m]) for m in reversed(SCORED)]  # newest first; July and the open November not scored
    for s in summaries(SCORED, calls):
        assert s in lines
    # A quarter call was made, but too early in the history to be scored: said plainly, not an empty table.
    assert any("Not enough history for a backtest yet" in line for line in lines)
    assert "Quarters (inside = within ±5%)" in text_of(msg)

    await slash(h, "kato", "accuracy month")
    only_month = text_of(ephemerals(h, "kato")[-1])
    assert "Months (inside" in only_month and "Quarters (inside" not in only_month and "Not enough history" not in only_month

    # The manager sees the team, the CRO the company (Σ team calls). The team's call is the manager's team
    # call where there is one (September and October), else its reps' calls summed (here Kato's alone).
    team_calls = {m: f["team"] or f["call"] for m, f in FACTS.items()}
    team_scored = SCORED
    for person, title in (("nakamura", "Forecast accuracy — Field Sales"), ("ono", "Forecast accuracy — Company")):
        await slash(h, person, "accuracy month")
        msg = ephemerals(h, person)[-1]
        assert title in msg["text"]
        assert [line for line in lines_of(msg) if line.startswith("*Month ")] == [row(m, team_calls[m]) for m in reversed(team_scored)]
        for s in summaries(team_scored, team_calls):
            assert s in lines_of(msg)

    # A rep without a single call: too little history for both kinds.
    await slash(h, "yoshida", "accuracy")
    t = text_of(ephemerals(h, "yoshida")[-1])
    assert t.count("バックテストにはまだ履歴が足りません") == 2 and "*月次 " not in t  # her locale: ja


async def test_forecast_accuracy_shows_the_newest_twelve_periods_and_counts_all(harness):
    h = harness
    starts = [date(2025 + (7 + k) // 12, (7 + k) % 12 + 1, 1) for k in range(15)]  # Aug 2025 … Oct 2026
    for k, m in enumerate(starts):
        h.clock.set(at(m, 1))
        await api(h, {"external_id": f"M{k}", "name": f"M{k}", "owner": "kato", "amount": 10_000_000, "phase": 4, "close_date": m.replace(day=20).isoformat()})
        h.clock.set(at(m, 2))
        await submit_via_modal(h, "kato", commit=str(10_000_000 + 100_000 * k), best="20000000", text="submit month")
        h.clock.set(at(m, 28))
        await api(h, {"external_id": f"M{k}", "status": "won", "close_date": m.replace(day=20).isoformat()})
    h.clock.set(T0)
    await slash(h, "kato", "accuracy month")
    msg = ephemerals(h, "kato")[-1]
    shown = [line.split("*")[1] for line in lines_of(msg) if line.startswith("*Month ")]
    scored = starts[1:]  # August 2025's lock point is less than a month after the first deal fact
    assert shown == [f"Month {m:%Y-%m}" for m in reversed(scored)][:12]
    calls = [10_000_000 + 100_000 * k for k in range(1, 15)]  # every month: actual ¥10M
    mape = sum(abs(c - 10_000_000) / 10_000_000 for c in calls) / len(calls)
    inside = sum(abs(c - 10_000_000) / 10_000_000 <= MONTH_TOL + 1e-12 for c in calls)
    assert f"*call*: MAPE {p1(mape)} · {inside}/14 periods inside ±10%" in lines_of(msg)
    assert "Newest 12 of 14 periods shown; the summary counts all 14." in text_of(msg)


@pytest.mark.parametrize("text", ["accuracy week", "accuracy month quarter", "accuracy team"])
async def test_forecast_accuracy_bad_argument_gets_the_usage_line(harness, text):
    await slash(harness, "kato", text)
    msg = ephemerals(harness, "kato")[-1]
    assert "Usage: `/forecast`" in msg["text"] and "`/forecast accuracy [month|quarter]`" in msg["text"]


async def test_help_lists_forecast_accuracy(harness):
    await harness.emu.slash(harness.person("kato"), "/baton", "help", "C0FS")
    await harness.deliver()
    assert "/forecast accuracy month" in text_of(ephemerals(harness, "kato")[-1])


# -- the monthly digest ------------------------------------------------------------------------------------------
async def test_monthly_digest_shows_the_last_scored_period_and_running_mape(harness):
    h = harness
    await feed_history(h)
    h.clock.set(at(date(2026, 12, 1), 1, 9))  # Tue Dec 1: the first working day of December; November has closed
    assert await h.baton.scheduler.run_job("digest", channel="C0FS") == ["C0FS"]
    await h.deliver()
    text = text_of(h.emu.channel_messages("C0FS")[-1])
    # The FS team's digest: its team calls, else its reps' calls summed (Kato's alone).
    team_calls = {m: f["team"] or f["call"] for m, f in FACTS.items()}
    nov = date(2026, 11, 1)
    months = [*SCORED, nov]  # and now November, closed
    fc = forecasts(nov, team_calls[nov])
    a = actual(nov)
    mape = {k: p1(sum(abs(forecasts(m, team_calls[m])[k] - actual(m)) / actual(m) for m in months) / len(months)) for k in fc}
    line = (
        f"*Backtest Month 2026-11*: actual {yen(a)} · Baton {yen(fc['Baton'])} ({pct((fc['Baton'] - a) / a)}) · call {yen(fc['call'])} "
        f"({pct((fc['call'] - a) / a)}) · commit sum {yen(fc['commit sum'])} ({pct((fc['commit sum'] - a) / a)}) — running MAPE over "
        f"{len(months)} periods: Baton {mape['Baton']} · call {mape['call']} · commit sum {mape['commit sum']}"
    )  # fmt: skip
    assert line in text
    # The company digest (in Japanese) carries it too; the next day's digests do not.
    assert await h.baton.scheduler.run_job("digest", channel="C0MGRS") == ["C0MGRS"]
    await h.deliver()
    assert "*バックテスト 月次 2026-11*" in text_of(h.emu.channel_messages("C0MGRS")[-1])
    h.clock.set(at(date(2026, 12, 1), 2, 9))
    assert await h.baton.scheduler.run_job("digest", channel="C0FS") == ["C0FS"]
    await h.deliver()
    assert "Backtest" not in text_of(h.emu.channel_messages("C0FS")[-1])


# -- the forecast-meeting summary ----------------------------------------------------------------------------------
async def test_meeting_summary_flags_the_call_beyond_tolerance_from_batons_forecast(harness):
    h = harness
    await api(h, {"external_id": "K1", "name": "K1", "owner": "kato", "amount": 8_000_000, "phase": 4, "close_date": "2026-12-10"})
    await api(h, {"external_id": "Y1", "name": "Y1", "owner": "yoshida", "amount": 5_000_000, "phase": 5, "close_date": "2026-12-15"})
    kato_call, yoshida_call = 6_000_000, 4_400_000
    await submit_via_modal(h, "kato", commit=str(kato_call), best=str(kato_call))  # quarter: the meeting's period
    await submit_via_modal(h, "yoshida", commit=str(yoshida_call), best=str(yoshida_call))
    kato_baton = 8_000_000 * PHASE_RATE[4] * CLOSE_IN_PERIOD
    yoshida_baton = 5_000_000 * PHASE_RATE[5] * CLOSE_IN_PERIOD
    assert abs(kato_call - kato_baton) / kato_baton > 0.05 and abs(yoshida_call - yoshida_baton) / yoshida_baton <= 0.05  # the test's premise
    assert await h.baton.scheduler.run_job("forecast_meetings") == 2
    await h.advance(days=5, hours=22, minutes=31)  # Mon Nov 30 08:31: prompts
    await h.advance(minutes=60)  # 09:31: the summary
    [summary] = [m for m in h.emu.channel_messages(MGR_CH) if "summary" in (m.get("text") or "")]
    flags = [b["text"]["text"] for b in summary["blocks"] if "Calls beyond" in json.dumps(b)]
    assert flags == [
        "*Calls beyond ±5% of Baton's forecast*\n"
        f"• <@U0KATO>: call {yen(kato_call)} vs Baton {yen(kato_baton)} ({pct((kato_call - kato_baton) / kato_baton)})"
    ]
    assert "U0YOSHI" in text_of(summary)  # she is in the summary, just not flagged
    assert dms(h, "kato")  # the prompts went out as before
