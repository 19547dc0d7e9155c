"""Displayed parts add up to displayed totals in the messages themselves, for random histories fed
through the API and Slack: the team roll-up (each column's rep rows → the team total), the company
view (team rows → the company row, per column) and the digest's open pipeline by phase (phases → the
total). Amounts are odd yen up to ¥3億 so that ja's 万円 rounding is exercised. Every figure is read
back from the text as a person reads it (`read_yen`); nothing is taken from the implementation."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest
import yaml

from tests.test_displayed_totals import read_yen
from tests.test_forecast_flow import ephemerals, forecast_config, slash, submit_via_modal

YEN = r"(-?(?:¥[\d,]+|(?:[\d,]+億)?(?:[\d,]+万)?(?:[\d,]+)?円))"
REPS = {"fs": ["kato", "yoshida"], "fs2": ["ueda", "noda"]}


@pytest.fixture(params=["ja", "en"])
def config_path(request, tmp_path):
    path = forecast_config(tmp_path, meetings=False)
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg["company"]["locale"] = request.param
    cfg["people"] = [{**p, "locale": request.param} if "locale" in p else p for p in cfg["people"]]
    cfg["people"] += [
        {"id": "mori", "name": "Mori", "slack_id": "U0MORI", "roles": ["fs_manager"]},
        {"id": "ueda", "name": "Ueda", "slack_id": "U0UEDA", "roles": ["fs_rep"]},
        {"id": "noda", "name": "Noda", "slack_id": "U0NODA", "roles": ["fs_rep"]},
        {"id": "inoue", "name": "Inoue", "slack_id": "U0CRO", "roles": ["cro"]},
    ]
    cfg["teams"].append({"id": "fs2", "name": "Field Sales West", "function": "field_sales", "channel": "C0FS2",
                         "manager": "mori", "members": REPS["fs2"], "calendar": "tokyo"})  # fmt: skip
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


async def feed(h, seed: int) -> None:
    rng = random.Random(seed)
    reps = [r for team in REPS.values() for r in team]
    for i in range(rng.randint(8, 20)):
        amount = rng.randrange(1, 300_000) * 1_000 + rng.choice([1, 499, 500, 4_999, 5_000, 9_999])
        body = {"external_id": f"D{seed}-{i}", "name": f"D{i}", "owner": rng.choice(reps), "amount": amount, "phase": rng.randint(1, 5)}
        if rng.random() < 0.3:
            body |= {"status": "won", "close_date": f"2026-{rng.choice(['10', '11'])}-{rng.randint(1, 20):02d}"}
        else:
            body["close_date"] = f"2026-12-{rng.randint(1, 28):02d}"
        status, out = await h.post("/api/opportunities", body)
        assert status in (200, 201), out
    for rep in reps:
        if rng.random() < 0.7:
            call = rng.randrange(1, 200_000) * 1_000 + rng.choice([1, 500, 5_001])
            await submit_via_modal(h, rep, commit=str(call), best=str(call))


def lines_of(msg) -> list[str]:
    """Every line of every text in the message's blocks, as Slack shows them."""
    out = []
    for b in msg.get("blocks") or []:
        texts = [b.get("text") or {}, *(b.get("elements") or [])]
        out += [line for t in texts if isinstance(t, dict) and isinstance(t.get("text"), str) for line in t["text"].split("\n")]
    return out


def money(line: str) -> list[Decimal]:
    return [read_yen(m) for m in re.findall(YEN, line)]


def column_sums_hold(rows: list[str], total: str, columns: int) -> None:
    """Each of the first `columns` amounts of the total line is the sum of that amount over the rows
    that show all `columns` of them (a row with fewer is a rep or team without a call)."""
    sums = money(total)
    full = [money(r) for r in rows if len(money(r)) >= columns]
    for c in range(columns):
        assert sum((r[c] for r in full), Decimal(0)) == sums[c], (c, rows, total)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_rows_add_up_to_totals_in_the_team_and_company_views_and_the_digest(harness, seed):
    h = harness
    await feed(h, seed)
    await slash(h, "inoue", "team")
    messages = ephemerals(h, "inoue")
    teams = [lines_of(m) for m in messages if "チームのフォーキャスト" in m["text"] or "Team forecast" in m["text"]]
    company = [lines_of(m) for m in messages if "全社のフォーキャスト" in m["text"] or "Company forecast" in m["text"]]
    assert len(teams) == 2 and len(company) == 1
    for lines in teams:
        total = next(line for line in lines if "チーム合計" in line or "Team total" in line)
        submitted = [line for line in lines if ("提出 " in line or "submitted " in line) and "/" in line and line is not total]
        # submitted and system columns: the rep rows that were submitted carry both, in that order
        column_sums_hold(submitted, total, 1)
        systems = [money(line)[-1] if ("未提出" in line or "no submission" in line) else money(line)[1] for line in lines
                   if line is not total and ("<@" in line) and money(line) and "↳" not in line]  # fmt: skip
        assert len(systems) == 2 and sum(systems, Decimal(0)) == money(total)[1], (lines, total)
        assert submitted or money(total)[0] == 0
    lines = company[0]
    total = next(line for line in lines if line.startswith("*全社*") or line.startswith("*Company*"))
    rows = [line for line in lines if line.startswith("*Field Sales")]
    assert len(rows) == 2
    # won and system commit: every team row shows both as its last two amounts
    assert sum((money(r)[-2] for r in rows), Decimal(0)) == money(total)[-2]
    assert sum((money(r)[-1] for r in rows), Decimal(0)) == money(total)[-1]
    called = [money(r)[0] for r in rows if len(money(r)) == 3]
    if called:
        assert sum(called, Decimal(0)) == money(total)[0]

    await h.baton.scheduler.run_job("digest", channel="C0FS")
    await h.deliver()
    digest = lines_of(h.emu.channel_messages("C0FS")[-1])
    i = next(k for k, line in enumerate(digest) if "オープンパイプライン" in line or "Open pipeline by phase" in line)
    phases = re.findall(r"P\d \d+(?:件)? " + YEN, digest[i + 1])
    assert len(phases) == 5 and sum(read_yen(p) for p in phases) == money(digest[i])[-1], (digest[i], digest[i + 1])
