"""The company's forecast in `/forecast team` for a CRO, through the Slack emulator: each Field Sales
team's call (its team call, else its reps' calls summed), won and system commit, adding up to the
company's on screen; the company target; Baton's company forecast. A manager gets no company view.
Baton's model is pinned to its configured values (every minimum sample out of reach), so every
expectation below is arithmetic over the facts fed — nothing here imports bot.domain."""

from __future__ import annotations

import pytest
import yaml

from tests.test_forecast_flow import add_second_fs_team, ephemerals, forecast_config, slash, submit_via_modal, text_of

PHASE_RATE = {4: 0.6}  # forecast.phase_win_rates (default): phase 4 is a commit deal


@pytest.fixture
def config_path(tmp_path):
    path = forecast_config(tmp_path, meetings=False)
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    add_second_fs_team(cfg)
    cfg["pipeline"]["targets"] += [{"period": "FY2026-Q3", "team": "fs", "amount": 15_000_000},
                                   {"period": "FY2026-Q3", "team": "fs2", "amount": 5_000_000}]  # the company's: their sum
    cfg["forecast"]["model"] = {"close_in_period": 1.0, "min_phase_deals": 100_000, "min_category_deals": 100_000,
                                "min_rep_deals": 100_000, "min_slip_deals": 100_000, "min_new_periods": 100_000}  # fmt: skip
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


async def deal(h, body):
    status, out = await h.post("/api/opportunities", body)
    assert status in (200, 201), out


async def test_the_cro_sees_the_company_and_the_teams_add_up_to_it(harness):
    h = harness
    await deal(h, {"external_id": "K1", "name": "K1", "owner": "kato", "amount": 6_000_000, "phase": 4, "close_date": "2026-12-10"})
    await deal(h, {"external_id": "U1", "name": "U1", "owner": "ueda", "amount": 2_000_000, "phase": 4, "close_date": "2026-12-12"})
    await deal(h, {"external_id": "Y1", "name": "Y1", "owner": "yoshida", "amount": 3_000_000, "phase": 5, "status": "won", "close_date": "2026-11-02"})
    await submit_via_modal(h, "kato", commit="5000000", best="6000000")  # no team call: the team's call is its reps' sum

    await slash(h, "inoue", "team")
    company = next(m for m in reversed(ephemerals(h, "inoue")) if "Company forecast" in (m.get("text") or ""))
    text = text_of(company)
    won, k1, u1 = 3_000_000, 6_000_000, 2_000_000
    assert "*Field Sales*: call ¥5,000,000 · won ¥3,000,000 · system commit ¥9,000,000" in text
    assert "*Field Sales West*: call no call yet · won ¥0 · system commit ¥2,000,000" in text
    assert "*Company*: call ¥5,000,000 · won ¥3,000,000 · system commit ¥11,000,000" in text
    assert f"Target ¥20,000,000 · the system commit is {round((won + k1 + u1) / 20_000_000 * 100)}% of it" in text
    point = won + (k1 + u1) * PHASE_RATE[4]
    assert f"*Baton*: ¥{point:,.0f} (" in text and "call ¥5,000,000 · system commit ¥11,000,000" in text
    # Both team roll-ups came first, each its own message.
    titles = [m["text"] for m in ephemerals(h, "inoue")]
    assert sum("Team forecast — Field Sales (" in t for t in titles) == 1 and sum("Team forecast — Field Sales West" in t for t in titles) == 1

    # A team's manager sees their team, not the company.
    await slash(h, "nakamura", "team")
    assert not any("Company forecast" in (m.get("text") or "") for m in ephemerals(h, "nakamura"))
