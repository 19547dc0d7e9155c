"""Oracle, the bottleneck: 115 days of generated history fed through the documented API day by day —
MQLs accepted, qualified and handed off, deals moving phase by phase, won or lost (some closes
back-dated a few days), with a planted constraint in the last four weeks (a phase losing more deals,
or MQLs waiting longer to be accepted). The bottleneck post's evidence — the stage named, revenue at
stake, average deal, downstream yield, forward conversion, median days in stage, arrivals per week,
WIP and its growth, IS load, the stages to watch — is compared with figures computed here from the
generated facts alone (no import from bot.domain or bot.formatting). ja and en, SQLite and
PostgreSQL. Definitions: docs/metrics.md (Bottleneck) and the docstring of the analysis: recent
window [now − 28 d, now), baseline the 84 days before; a stage's forward move is to any later stage
(phase 5: won; these histories never skip one), any other exit (lost) is not; conversion beyond one standard error; a slowdown
counts only past 1.25 × the baseline median with at least 20 forward moves."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.conftest import FIXTURES, JST, T0
from tests.oracle_format import avg1, percent, yen
from tests.oracle_format import texts as _texts

END = 115  # the analysis runs on day 115 at 10:00
NOW = T0 + timedelta(days=END)
RECENT_FROM, BASE_FROM = NOW - timedelta(days=28), NOW - timedelta(days=112)
HOLIDAYS = {date(2027, 2, 11), date(2027, 2, 23), date(2027, 3, 22)}
IS_CAPACITY = 4 * 20  # four IS reps × is_mqls_per_rep_per_day
STAGES = {  # stage → (entity, in, forward)
    "mql_to_sal": ("lead", "mql", "sal"), "sal_to_sql": ("lead", "sal", "sql"), "sql_to_opportunity": ("lead", "sql", "opportunity"),
    **{f"phase{k}": ("opportunity", f"phase_{k}", f"phase_{k + 1}" if k < 5 else "won") for k in range(1, 6)},
}  # fmt: skip
LABELS = {
    "ja": {"mql_to_sal": "MQL→SAL（IS受入）", "sal_to_sql": "SAL→SQL（IS見極め）", "sql_to_opportunity": "SQL→商談化（IS→FS引き渡し）",
           "phase1": "フェーズ1 リード以上商談未満", "phase2": "フェーズ2 ビジネス課題の認識", "phase3": "フェーズ3 評価と選定",
           "phase4": "フェーズ4 最終交渉と意思決定", "phase5": "フェーズ5 稟議決裁プロセス"},
    "en": {"mql_to_sal": "MQL→SAL (IS acceptance)", "sal_to_sql": "SAL→SQL (IS qualification)", "sql_to_opportunity": "SQL→opportunity (IS→FS hand-off)",
           "phase1": "Phase 1 beyond lead", "phase2": "Phase 2 problem recognised", "phase3": "Phase 3 evaluation & selection",
           "phase4": "Phase 4 final negotiation", "phase5": "Phase 5 internal approval"},
}  # fmt: skip


@pytest.fixture(params=["ja", "en"])
def config_path(request, tmp_path):
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    text = text.replace("locale: ja, timezone: Asia/Tokyo}", f"locale: {request.param}, timezone: Asia/Tokyo}}")
    text = text.replace("scope: company, team: fs, locale: ja}", "scope: company, team: fs}")
    path = tmp_path / f"app-{request.param}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def at(day: int) -> datetime:
    return T0 + timedelta(days=day)


def history(seed: int, plant: str) -> list[dict]:
    """Leads, each with the day it reaches every stage; its deal's moves (day, to) and the close."""
    rng = random.Random(seed * 31_337)
    leads = []
    for arrive in range(END):
        for _ in range(rng.choice([0, 1, 1, 2])):
            recent = arrive >= END - 28
            lead = {"arrive": arrive, "steps": {}, "deal": None, "amount": rng.randrange(500, 20_000) * 1_000 + rng.choice([0, 500])}
            wait = rng.randint(5, 14) if plant == "mql_to_sal" and recent else rng.randint(0, 3)
            d = arrive + wait
            for stage, go in (("sal", 1.0), ("sql", 0.8), ("opportunity", 0.85)):
                if d >= END or rng.random() > go:
                    break
                lead["steps"][stage] = d
                d += rng.randint(0, 4)
            if "opportunity" in lead["steps"]:
                moves, phase, d = [], 1, lead["steps"]["opportunity"] + rng.randint(1, 4)
                while d < END:
                    p_lost = 0.7 if plant == f"phase{phase}" and d >= END - 28 else 0.15
                    if rng.random() < p_lost:
                        moves.append((d, "lost", rng.choice([0, 0, 1, 2])))  # (day, to, days its close date is back-dated)
                        break
                    if phase == 5:
                        moves.append((d, "won", rng.choice([0, 0, 1, 3])))
                        break
                    phase += 1
                    moves.append((d, f"phase_{phase}", 0))
                    d += rng.randint(1, 6)
                lead["deal"] = moves
            leads.append(lead)
    return leads


def events(leads: list[dict]) -> list[tuple[str, int, str | None, str, datetime]]:
    """(entity, id, from, to, occurred_at) — every stage event the facts make."""
    out = []
    for i, lead in enumerate(leads):
        out.append(("lead", i, "lead", "mql", at(lead["arrive"])))
        prev = "mql"
        for stage, day in lead["steps"].items():
            if stage == "sql":
                out.append(("opportunity", i, None, "phase_1", at(day)))  # the hand-off deal is made at the SQL
            out.append(("lead", i, prev, stage, at(day)))
            prev = stage
        phase = "phase_1"
        for day, to, back in lead["deal"] or []:
            when = at(day) if not back else datetime.combine((at(day) - timedelta(days=back)).date(), datetime.min.time(), JST)
            out.append(("opportunity", i, phase, to, when))
            phase = to
    return out


def median(xs: list[float]) -> float | None:
    if not xs:
        return None
    xs, pos = sorted(xs), (len(xs) - 1) * 0.5  # linear between the middle two
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def analyse(leads: list[dict]) -> dict:
    evs = events(leads)
    entered: dict[tuple[str, int, str], list[datetime]] = {}
    for e, i, _, to, when in evs:
        entered.setdefault((e, i, to), []).append(when)
    stats = []
    for name, (entity, stage, fwd) in STAGES.items():
        s = {"stage": name}
        for key, lo, hi in (("recent", RECENT_FROM, NOW), ("baseline", BASE_FROM, RECENT_FROM)):
            inside = [x for x in evs if x[0] == entity and lo <= x[4] < hi]
            arrivals = sum(1 for x in inside if x[3] == stage)
            forward = [x for x in inside if x[2] == stage and x[3] == fwd]
            other = sum(1 for x in inside if x[2] == stage and x[3] != fwd)
            days = [(x[4] - max(t for t in entered[(entity, x[1], stage)])).total_seconds() / 86400 for x in forward]
            done = len(forward) + other
            s[key] = {"arrivals": arrivals, "forward": len(forward), "done": done, "conv": len(forward) / done if done else None, "median": median(days)}
        stats.append(s)
    wip = {}
    for i, lead in enumerate(leads):
        stage = list(lead["steps"])[-1] if lead["steps"] else "mql"
        if stage != "opportunity":
            wip[stage] = wip.get(stage, 0) + 1
        if "sql" in lead["steps"]:
            moves = lead["deal"] or []
            last = moves[-1][1] if moves else "phase_1"
            if last not in ("won", "lost"):
                wip[last] = wip.get(last, 0) + 1
    for s in stats:
        s["wip"] = wip.get(STAGES[s["stage"]][1], 0)
        s["growth"] = s["recent"]["arrivals"] - s["recent"]["done"]
    days = sum(1 for k in range(28) if (d := (RECENT_FROM + timedelta(days=k)).date()).weekday() < 5 and d not in HOLIDAYS)
    stats[0]["load"] = stats[0]["recent"]["arrivals"] / days / IS_CAPACITY
    rest = 1.0
    for s in reversed(stats):
        s["yield"] = rest
        conv = s["recent"]["conv"] if s["recent"]["conv"] is not None else s["baseline"]["conv"]
        rest *= conv if conv is not None else 0.0
    won = [lead["amount"] for lead in leads if lead["deal"] and lead["deal"][-1][1] == "won"]
    avg = (Decimal(sum(won)) / len(won)).quantize(Decimal(1), rounding=ROUND_HALF_UP) if won else Decimal(5_000_000)
    for s in stats:
        r, b = s["recent"], s["baseline"]
        lost = delayed = 0.0
        if r["conv"] is not None and b["conv"] is not None and r["done"]:
            drop = b["conv"] - r["conv"] - (b["conv"] * (1 - b["conv"]) / r["done"]) ** 0.5
            lost = r["done"] * max(0.0, drop)
        if r["median"] and b["median"] and r["median"] > b["median"] * 1.25 and r["forward"] >= 20:
            delayed = 0.5 * min(float(max(s["wip"], 0)), r["forward"] * (r["median"] / b["median"] - 1))
        s["at_stake"] = (Decimal(str((lost + delayed) * s["yield"])) * avg).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    ranked = sorted((s for s in stats if s["at_stake"] > 0), key=lambda s: s["at_stake"], reverse=True)
    return {"bottleneck": ranked[0] if ranked else None, "watch": ranked[1:3], "avg": avg}


def expected(leads: list[dict], locale: str) -> list[str]:
    a, ja = analyse(leads), locale == "ja"
    b, names = a["bottleneck"], LABELS[locale]
    money = (lambda v: yen(v)) if ja else (lambda v: yen(v, "en"))  # noqa: E731
    if b is None:
        return ["✅ *ボトルネック分析* — 直近28日で基準期間より悪化したステージはありません。" if ja
                else "✅ *Bottleneck check* — no stage got worse in the last 28 days than in the baseline."]  # fmt: skip
    r, base = b["recent"], b["baseline"]
    out = [f"🚧 ボトルネック: {names[b['stage']]}" if ja else f"🚧 Bottleneck: {names[b['stage']]}"]
    out.append(f"• 失われる見込み売上: *{money(b['at_stake'])}*（平均受注単価 {money(a['avg'])}・下流の受注率 {percent(b['yield'], 1)}）" if ja
               else f"• Revenue at stake: *{money(b['at_stake'])}* (average deal {money(a['avg'])}, downstream yield {percent(b['yield'], 1)})")  # fmt: skip
    if r["conv"] is not None and base["conv"] is not None:
        out.append(f"• 前進率: {percent(base['conv'])} → *{percent(r['conv'])}*（直近28日 / 基準84日）" if ja
                   else f"• Forward conversion: {percent(base['conv'])} → *{percent(r['conv'])}* (last 28 days vs 84-day baseline)")  # fmt: skip
    if r["median"] is not None and base["median"] is not None:
        out.append(f"• 滞留日数（中央値）: {avg1(base['median'])}日 → *{avg1(r['median'])}日*" if ja
                   else f"• Median days in stage: {avg1(base['median'])} → *{avg1(r['median'])}*")  # fmt: skip
    growth = f"+{b['growth']:,}" if b["growth"] >= 0 else f"{b['growth']:,}"
    wk, bwk = avg1(r["arrivals"] * 7 / 28), avg1(base["arrivals"] * 7 / 84)
    out.append(f"• 流入: 週{wk}件（基準 週{bwk}件）・仕掛り {b['wip']:,}件（直近 {growth}）" if ja
               else f"• Arrivals: {wk}/week (baseline {bwk}) · WIP {b['wip']:,} ({growth} recently)")  # fmt: skip
    if b["stage"] == "mql_to_sal":
        out.append(f"• 負荷: IS キャパシティの {percent(b['load'])}" if ja else f"• Load: {percent(b['load'])} of IS capacity")
    if a["watch"]:
        items = [f"{names[w['stage']]}（{money(w['at_stake'])}）" if ja else f"{names[w['stage']]} ({money(w['at_stake'])})" for w in a["watch"]]
        out.append(("注視: " if ja else "Watch: ") + " · ".join(items))
    return out


async def feed(harness, leads: list[dict], seed: int) -> None:
    ids: dict[int, int] = {}
    todo: dict[int, list] = {}
    for i, lead in enumerate(leads):
        todo.setdefault(lead["arrive"], []).append((0, i, "new", None))
        for n, (stage, day) in enumerate(lead["steps"].items(), start=1):
            todo.setdefault(day, []).append((n, i, stage, None))
        for n, (day, to, back) in enumerate(lead["deal"] or [], start=10):
            todo.setdefault(day, []).append((n, i, to, back))
    for day in range(END):
        for _, i, what, back in sorted(todo.get(day, [])):
            if what == "new":
                status, body = await harness.post("/api/leads", {"external_id": f"B{seed}-{i}", "name": f"lead {i}", "employees": 20, "mql": True})
                assert status == 201, body
                ids[i] = body["id"]
            elif what in ("sal", "sql", "opportunity"):
                body = {"stage": what, "by": "kato" if what == "opportunity" else "sato", **({"need": "x"} if what == "sql" else {})}
                status, res = await harness.post(f"/api/leads/{ids[i]}/stage", body)
                assert status == 200, res
                if what == "opportunity":
                    deal = {"source_lead_id": ids[i], "external_id": f"BD{seed}-{i}", "amount": leads[i]["amount"], "phase": 1,
                            "close_date": (at(day) + timedelta(days=60)).date().isoformat()}  # fmt: skip
                    status, res = await harness.post("/api/opportunities", deal)
                    assert status == 200, res
            else:
                deal = {"external_id": f"BD{seed}-{i}"}
                if what.startswith("phase_"):
                    deal["phase"] = int(what[-1])
                else:
                    deal |= {"status": what, "close_date": (at(day) - timedelta(days=back)).date().isoformat()}
                    if what == "lost":
                        deal["lost_reason"] = "competitor"
                status, res = await harness.post("/api/opportunities", deal)
                assert status == 200, res
        harness.clock.advance(timedelta(days=1))


CASES = [(1, "phase3"), (4, "mql_to_sal"), (3, "phase5")]  # each names its planted stage (seed 4: with the IS load line)


@pytest.mark.parametrize(("seed", "plant"), CASES)
async def test_bottleneck_evidence_equals_the_oracle(harness, config_path, seed, plant):
    locale = config_path.stem.removeprefix("app-")
    leads = history(seed, plant)
    assert analyse(leads)["bottleneck"]["stage"] == plant  # the history is what it says it is
    await feed(harness, leads, seed)
    assert harness.clock.now() == NOW
    await harness.baton.scheduler.run_job("bottleneck")
    await harness.deliver()
    word = "ボトルネック" if locale == "ja" else "Bottleneck"
    [post] = [m for m in harness.emu.channel_messages("C0MGRS") if word in m["text"]]
    text = _texts(post["blocks"])
    for line in expected(leads, locale):
        assert line in text, f"{line!r} not in\n{text}"
