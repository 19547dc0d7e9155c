"""Oracle, forecast part: random histories — deals created, moved between phases, categories and
reps, amounts changed, close dates pulled in and slipped, won or lost (some with back-dated close
dates, some first seen already closed: late syncs), in JPY and USD — fed week by week through the
documented API, with forecast calls submitted through Slack (the reps' modal, the manager's team
call) over five months, the clock moved by the harness. At the end `/forecast`, `/forecast diff`
(rep and team, month and quarter, since a day) and `/forecast team` (month and quarter) are read
from the emulator and every figure compared exactly with figures computed here from the generated
facts alone — no import from bot.domain or bot.formatting (tests/oracle_format.py has the display
rules). ja and en, SQLite and PostgreSQL (the harness runs both)."""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.conftest import FIXTURES, T0
from tests.oracle_format import percent, texts as _texts, yen

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2026, 7, 1, 10, 0, tzinfo=JST)  # a Wednesday; FY2026-Q2 (Jul–Sep) has just begun
REPS = ("kato", "yoshida")
SLACK = {"kato": "U0KATO", "yoshida": "U0YOSHI"}
USD = Decimal(150)  # forecast.currencies
TARGETS = {("kato", "quarter"): Decimal(30_000_000), ("kato", "month"): Decimal(10_000_000)}
LOCK = {"quarter": 14, "month": 7}  # forecast.lock_days: after the period start
TOL = {"quarter": Decimal("0.05"), "month": Decimal("0.10")}  # forecast.tolerance
BIAS_MIN = 3  # forecast.bias_min_sample (default)
PHASE_DEFAULTS = {1: Decimal("0.05"), 2: Decimal("0.15"), 3: Decimal("0.35"), 4: Decimal("0.6"), 5: Decimal("0.85")}  # forecast.phase_win_rates
PHASE_MIN = 5  # forecast.history_min_sample
PHASE_CATEGORY = {1: "pipeline", 2: "pipeline", 3: "best_case", 4: "commit", 5: "commit"}  # pipeline.phase_categories
WIN_MIN, WIN_FALLBACK = 4, Decimal("0.25")  # pipeline.win_rate_min_closed (fixture), win_rate_fallback


# -- periods -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class P:
    kind: str
    start: date
    end: date  # exclusive
    key: str


def period(kind: str, d: date) -> P:
    if kind == "month":
        end = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return P(kind, date(d.year, d.month, 1), end, f"{d.year:04d}-{d.month:02d}")
    fy = d.year if d.month >= 4 else d.year - 1  # fiscal year from April
    q = ((d.year - fy) * 12 + d.month - 4) // 3
    m = 4 + 3 * q
    start = date(fy + (m - 1) // 12, (m - 1) % 12 + 1, 1)
    m += 3
    return P(kind, start, date(fy + (m - 1) // 12, (m - 1) % 12 + 1, 1), f"FY{fy}-Q{q + 1}")


def midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=JST)


# -- the facts -------------------------------------------------------------------------------------------
def jpy(d: dict) -> Decimal:
    """A deal's amount in yen: USD at the configured rate, to the yen, half up."""
    return d["amount"] if d["currency"] == "JPY" else (d["amount"] * USD).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def in_measure(d: dict | None, p: P) -> bool:
    if d is None:
        return False
    if d["status"] == "won":
        return p.start <= d["closed_day"] < p.end
    return d["status"] == "open" and d["category"] != "omitted" and p.start <= d["close_date"] < p.end


def snapshot(deals: dict, owners, since: date) -> dict:
    """What a submission keeps: the owners' deals open now or closed since `since`."""
    return {k: copy.deepcopy(d) for k, d in deals.items() if d["owner"] in owners and (d["status"] == "open" or d["closed_day"] >= since)}


def numbers(deals: dict, owners, p: P) -> dict:
    """won; commit = won + open commit; best = commit + open best case; pipeline = every open deal in the measure."""
    won, cat = Decimal(0), {"commit": Decimal(0), "best_case": Decimal(0), "pipeline": Decimal(0)}
    for d in deals.values():
        if d["owner"] in owners and in_measure(d, p):
            if d["status"] == "won":
                won += jpy(d)
            else:
                cat[d["category"]] += jpy(d)
    return {"won": won, "commit": won + cat["commit"], "best": won + cat["commit"] + cat["best_case"], "pipeline": sum(cat.values(), Decimal(0))}


class World:
    """The generated history: deals as the CRM knows them, what each change was, every call."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.deals: dict[str, dict] = {}
        self.subs: list[dict] = []  # person, scope, kind, start, commit, best, at, snapshot
        self.n = 0

    def today(self, now: datetime) -> date:
        return now.astimezone(JST).date()


# -- oracle: the waterfall -------------------------------------------------------------------------------
STEPS = ("new", "pulled_in", "increased", "decreased", "slipped", "lost", "won", "category")


def waterfall(before: dict, after: dict, owners, p: P) -> dict:
    """docs/metrics.md "Waterfall steps", from the two states of the facts (not from snapshots' code)."""
    steps = {s: Decimal(0) for s in STEPS}
    start = now = Decimal(0)
    won = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key), after.get(key)
        was = old is not None and old["owner"] in owners
        mine = new is not None and new["owner"] in owners
        old_in, new_in = was and in_measure(old, p), mine and in_measure(new, p)
        bv = jpy(old) if old_in else Decimal(0)
        av = jpy(new) if new_in else Decimal(0)
        start += bv
        now += av
        if not (old_in or new_in):
            continue
        became_won = new is not None and new["status"] == "won" and (old is None or old["status"] != "won")
        if became_won:
            parts = {"won": av, "category": -bv}
            if new_in:  # won in the period; a deal won in another period is not "won" here
                won.append(key)
        elif new is not None and new["status"] == "lost" and old["status"] != "lost":
            parts = {"lost": -bv}
        elif not old_in and new_in:
            if old is None:  # not in the baseline: new (a deal another rep held then and moved here since, too)
                parts = {"new": av}
            elif was and old["status"] == "open" and new["status"] == "open" and not (p.start <= old["close_date"] < p.end) and old["close_date"] != new["close_date"]:
                parts = {"pulled_in": av}
            else:
                parts = {"category": av}
        elif old_in and not new_in:
            slipped = new is not None and old["status"] == new["status"] == "open" and not (p.start <= new["close_date"] < p.end)
            parts = {"slipped" if slipped else "category": -bv}
        else:
            parts = {"increased" if av > bv else "decreased": av - bv}
        for k, v in parts.items():
            steps[k] += v
    assert start + sum(steps.values()) == now
    assert steps["won"] == sum((jpy(after[k]) for k in won), Decimal(0))
    return {"start": start, "steps": steps, "now": now, "won": won}


def unit_of(locale: str, values) -> Decimal:
    if locale == "ja" and any(abs(Decimal(v)).quantize(Decimal(1), rounding=ROUND_HALF_UP) >= 10_000 for v in values):
        return Decimal(10_000)
    return Decimal(1)


def to_unit(v: Decimal, unit: Decimal) -> Decimal:
    q = (abs(v) / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit
    return -q if v < 0 else q


def apportion(parts: list[Decimal], total_units: Decimal, unit: Decimal) -> list[Decimal]:
    """Largest remainder: each part its floor or floor + 1 unit, adding up to `total_units`."""
    scaled = [p / unit for p in parts]
    floors = [s.to_integral_value(rounding=ROUND_FLOOR) for s in scaled]
    extra = int(total_units - sum(floors))
    assert 0 <= extra <= len(parts)
    for i in sorted(range(len(parts)), key=lambda i: (-(scaled[i] - floors[i]), i))[:extra]:
        floors[i] += 1
    return [f * unit for f in floors]


def waterfall_line(w: dict, locale: str) -> str:
    vals = [w["start"], *w["steps"].values(), w["now"]]
    unit = unit_of(locale, vals)
    s, n = to_unit(w["start"], unit), to_unit(w["now"], unit)
    shown = apportion(list(w["steps"].values()), (n - s) / unit, unit)
    assert s + sum(shown) == n  # the line adds up on screen
    v = dict(zip(STEPS, shown, strict=True))
    f = {k: yen(abs(x) if k in ("decreased", "slipped", "lost") else x, locale) for k, x in v.items()}
    if v["category"] > 0:
        f["category"] = "+" + f["category"]
    if locale == "ja":
        return (f"開始 {yen(s)} → +新規 {f['new']} → +前倒し {f['pulled_in']} → +増額 {f['increased']} → −減額 {f['decreased']}"
                f" → −期ズレ {f['slipped']} → −失注 {f['lost']} → +受注 {f['won']} → ±カテゴリ・担当移動 {f['category']} → 現在 {yen(n)}")  # fmt: skip
    return (f"Start {yen(s, 'en')} → +new {f['new']} → +pulled in {f['pulled_in']} → +increased {f['increased']} → −decreased {f['decreased']}"
            f" → −slipped {f['slipped']} → −lost {f['lost']} → +won {f['won']} → ±category/owner moves {f['category']} → now {yen(n, 'en')}")  # fmt: skip


# -- oracle: accuracy and bias ---------------------------------------------------------------------------
def accuracy(world: World, today: date) -> list[dict]:
    """Each closed period's last call before its lock point against what was booked in it (by close day)."""
    latest: dict[tuple, dict] = {}
    for s in sorted(world.subs, key=lambda s: s["at"]):
        p = period(s["kind"], s["start"])
        if p.end > today or s["at"] >= midnight(p.start + timedelta(days=LOCK[s["kind"]])):
            continue
        latest[(s["scope"], s["person"] if s["scope"] == "rep" else "fs", s["kind"], s["start"])] = s
    out = []
    for (scope, subject, kind, start), s in latest.items():
        p = period(kind, start)
        owners = {subject} if scope == "rep" else set(REPS)
        actual = sum((jpy(d) for d in world.deals.values() if d["status"] == "won" and d["owner"] in owners and p.start <= d["closed_day"] < p.end), Decimal(0))
        err = (s["commit"] - actual) / actual if actual else None
        inside = abs(err) <= TOL[kind] if err is not None else s["commit"] == 0
        out.append({"scope": scope, "subject": subject, "kind": kind, "submitted": s["commit"], "actual": actual, "inside": inside})
    return out


def bias(records: list[dict], rep: str) -> tuple[Decimal | None, int]:
    ratios = [r["submitted"] / r["actual"] for r in records if r["scope"] == "rep" and r["subject"] == rep and r["actual"] > 0]
    return (sum(ratios, Decimal(0)) / len(ratios) if ratios else None), len(ratios)


# -- feeding the bot -------------------------------------------------------------------------------------
def forecast_config(tmp_path, locale: str):
    cfg = yaml.safe_load((FIXTURES / "app.yaml").read_text(encoding="utf-8"))
    cfg["company"]["locale"] = locale
    cfg["people"] += [
        {"id": "nakamura", "name": "Nakamura", "slack_id": "U0FSMGR", "roles": ["fs_manager"]},
        {"id": "yoshida", "name": "Yoshida", "slack_id": "U0YOSHI", "roles": ["fs_rep"]},
    ]
    for t in cfg["teams"]:
        if t["id"] == "fs":
            t["manager"], t["members"] = "nakamura", list(REPS)
    cfg["pipeline"]["targets"] = [
        {"period": "FY2026-Q3", "person": "kato", "amount": 30_000_000}, {"period": "2026-11", "person": "kato", "amount": 10_000_000},
    ]  # fmt: skip
    cfg["forecast"]["diff_cap"] = 40
    path = tmp_path / f"app-{locale}.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(params=["ja", "en"])
def config_path(request, tmp_path):
    return forecast_config(tmp_path, request.param)


async def sync(h, world: World, payload: dict) -> None:
    status, body = await h.post("/api/opportunities", payload)
    assert status in (200, 201), (payload, body)


async def step_deals(h, world: World, now: datetime) -> None:
    """One week of CRM syncs, applied to the facts as the API documents them."""
    rng, today = world.rng, world.today(now)
    for _ in range(rng.choice([1, 2, 2, 3])):  # new deals
        world.n += 1
        ext = f"F{world.seed}-{world.n}"
        usd = rng.random() < 0.15
        amount = (Decimal(rng.randrange(2_000, 90_000)) + rng.choice([Decimal(0), Decimal("0.01"), Decimal("0.5"), Decimal("0.99")])
                  if usd else Decimal(rng.randrange(500, 60_000) * 1_000 + rng.choice([0, 499, 500, 501, 4_999, 5_000])))  # fmt: skip
        phase = rng.randint(1, 5)
        d = {"ext": ext, "name": f"Deal {ext}", "owner": rng.choice(REPS), "amount": amount, "currency": "USD" if usd else "JPY",
             "phase": phase, "top": phase, "category": PHASE_CATEGORY[phase], "overridden": False, "status": "open", "closed_day": None,
             "close_date": today + timedelta(days=rng.randint(1, 100)), "created": now}  # fmt: skip
        payload = {"external_id": ext, "name": d["name"], "owner": d["owner"], "amount": str(amount), "currency": d["currency"], "phase": phase}
        if rng.random() < 0.25:
            d["category"], d["overridden"] = rng.choice(["commit", "best_case", "pipeline", "omitted"]), True
            payload["forecast_category"] = d["category"]
        late = rng.random() < 0.2  # first seen already closed (a late sync), often in an earlier period
        if late:
            day = today - timedelta(days=rng.randint(0, 45))
            d.update(status=rng.choice(["won", "won", "lost"]), close_date=day, closed_day=day)
            payload |= {"status": d["status"], "close_date": day.isoformat()} | ({"lost_reason": "competitor"} if d["status"] == "lost" else {})
        else:
            payload["close_date"] = d["close_date"].isoformat()
        world.deals[ext] = d
        await sync(h, world, payload)
    for d in list(world.deals.values()):  # changes to open deals
        if d["status"] != "open" or rng.random() < 0.55:
            continue
        payload = {"external_id": d["ext"]}
        r = rng.random()
        if r < 0.22:  # won, sometimes back-dated (into the previous month or quarter)
            day = max(today - timedelta(days=rng.choice([0, 0, 1, 5, 12, 30])), d["created"].astimezone(JST).date())
            d.update(status="won", close_date=day, closed_day=day)
            payload |= {"status": "won", "close_date": day.isoformat()}
        elif r < 0.32:
            day = max(today - timedelta(days=rng.choice([0, 3])), d["created"].astimezone(JST).date())
            d.update(status="lost", close_date=day, closed_day=day)
            payload |= {"status": "lost", "lost_reason": "competitor", "close_date": day.isoformat()}
        else:
            if rng.random() < 0.4 or d["close_date"] <= today:  # pulled in or slipped (an open deal's date may not be past)
                d["close_date"] = today + timedelta(days=rng.randint(1, 100))
                payload["close_date"] = d["close_date"].isoformat()
            if rng.random() < 0.35:
                d["amount"] = (d["amount"] * Decimal(rng.choice(["0.5", "0.8", "1.1", "1.25", "2"]))).quantize(Decimal("0.01") if d["currency"] == "USD" else Decimal(1))
                payload["amount"] = str(d["amount"])
            if rng.random() < 0.3:
                new_phase = rng.randint(1, 5)
                if new_phase != d["phase"]:
                    if new_phase < d["phase"]:
                        payload["phase_change_reason"] = "re-scoped"
                    d["phase"], d["top"] = new_phase, max(d["top"], new_phase)
                    payload["phase"] = new_phase
                    if not d["overridden"]:
                        d["category"] = PHASE_CATEGORY[new_phase]
            if rng.random() < 0.2:
                d["category"], d["overridden"] = rng.choice(["commit", "best_case", "pipeline", "omitted"]), True
                payload["forecast_category"] = d["category"]
            if rng.random() < 0.12:
                d["owner"] = "yoshida" if d["owner"] == "kato" else "kato"
                payload["owner"] = d["owner"]
        await sync(h, world, payload)


def ephemeral(h, person: str) -> dict:
    uid = h.person(person)
    return [m for m in h.emu.messages if m.get("ephemeral_user") == uid][-1]


async def slash(h, person: str, text: str) -> dict | None:
    await h.emu.slash(h.person(person), "/forecast", text, "C0FS")
    await h.deliver()
    return None if text.startswith("submit") else ephemeral(h, person)


async def submit_modal(h, person: str, commit: Decimal, best: Decimal) -> None:
    view = h.emu.open_views(h.person(person))[-1]
    r = await h.emu.submit_view(h.person(person), view["id"], {"commit": {"value": str(commit)}, "best_case": {"value": str(best)}, "note": {"value": ""}})
    assert r["status"] == 200 and not (r["body"] or {}).get("response_action"), r
    await h.deliver()


async def step_calls(h, world: World, now: datetime) -> None:
    """Forecast calls through Slack: each rep's (month / quarter) and now and then the manager's team call."""
    rng, today = world.rng, world.today(now)
    for rep in REPS:
        for kind in ("month", "quarter"):
            if rng.random() < 0.45:
                continue
            p = period(kind, today)
            system = numbers(world.deals, {rep}, p)["commit"]
            commit = (max(system, Decimal(3_000_000)) * Decimal(rng.choice(["0.6", "0.85", "0.97", "1", "1.04", "1.2", "1.5"]))).quantize(Decimal(1_000))
            best = commit + rng.randrange(0, 20) * 500_000
            await slash(h, rep, f"submit {kind}")
            await submit_modal(h, rep, commit, best)
            world.subs.append({"person": rep, "scope": "rep", "kind": kind, "start": p.start, "commit": commit, "best": best, "at": now,
                               "snapshot": snapshot(world.deals, {rep}, p.start)})  # fmt: skip
    if rng.random() < 0.3:
        kind = rng.choice(["month", "quarter"])
        p = period(kind, today)
        msg = await slash(h, "nakamura", f"team {kind}")
        await h.click("nakamura", msg, "forecast_submit_team")
        commit = (numbers(world.deals, set(REPS), p)["commit"] * Decimal(rng.choice(["0.9", "1", "1.1"]))).quantize(Decimal(1_000)) + 1_000_000
        await submit_modal(h, "nakamura", commit, commit)
        world.subs.append({"person": "nakamura", "scope": "team", "kind": kind, "start": p.start, "commit": commit, "best": commit, "at": now,
                           "snapshot": snapshot(world.deals, set(REPS), p.start)})  # fmt: skip


async def play(h, seed: int) -> World:
    world = World(seed)
    h.clock.set(START)
    now = START
    while now < T0:
        await step_deals(h, world, now)
        h.clock.advance(timedelta(hours=1))
        now += timedelta(hours=1)
        await step_calls(h, world, now)
        step = min(timedelta(days=7, hours=-1), T0 - now)
        await h.advance(seconds=step.total_seconds())
        now += step
    return world


# -- the surfaces ------------------------------------------------------------------------------------------
WORDS = {
    "ja": {"month": "月次 {}", "quarter": "四半期 {}", "target": "目標", "won": "受注済み", "commit": "コミット", "best": "ベストケース",
           "pipeline": "パイプライン", "required": "必要パイプライン（残り目標 ÷ 受注率 {}）", "coverage": "カバレッジ", "none": "—",
           "no_target": "目標未設定", "last": "前回の提出: コミット {} / ベストケース {}（", "no_sub": "この期間の提出はまだありません。",
           "won_kind": "受注"},
    "en": {"month": "Month {}", "quarter": "Quarter {}", "target": "Target", "won": "Closed won", "commit": "Commit", "best": "Best case",
           "pipeline": "Pipeline", "required": "Required pipeline (remaining ÷ {})", "coverage": "Coverage", "none": "—",
           "no_target": "no target", "last": "Last submission: commit {} / best case {} on ", "no_sub": "No submission yet for this period.",
           "won_kind": "won"},
}  # fmt: skip


def last_sub(world: World, person: str, kind: str, start: date, scope: str = "rep", before: datetime | None = None) -> dict | None:
    subs = [s for s in world.subs if (s["person"], s["scope"], s["kind"], s["start"]) == (person, scope, kind, start) and (before is None or s["at"] < before)]
    return subs[-1] if subs else None


def win_rate(world: World) -> Decimal:
    """The FS team's deals closed in the 6 months before T0 (a back-dated close: the start of its day)."""
    since = date(2026, 5, 25)  # T0 − 6 months is May 24 10:00: a close dated May 24 (00:00) is outside
    closed = [d for d in world.deals.values() if d["status"] != "open" and d["closed_day"] >= since]
    if len(closed) < WIN_MIN:
        return WIN_FALLBACK
    return Decimal(sum(1 for d in closed if d["status"] == "won")) / len(closed)


def overview_lines(world: World, rep: str, kind: str, locale: str) -> tuple[str, list[str], str]:
    w, m = WORDS[locale], (lambda v: yen(v, locale))  # noqa: E731
    p = period(kind, T0.date())
    n = numbers(world.deals, {rep}, p)
    target = TARGETS.get((rep, kind))
    rate = win_rate(world)
    required = coverage = None
    if target is not None:
        required = (max(Decimal(0), target - n["won"]) / rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        coverage = n["pipeline"] / required if required else None
    fields = [
        (w["target"], m(target) if target is not None else w["no_target"]), (w["won"], m(n["won"])), (w["commit"], m(n["commit"])),
        (w["best"], m(n["best"])), (w["pipeline"], m(n["pipeline"])),
        (w["required"].format(percent(rate, 1)), m(required) if required is not None else w["none"]),
        (w["coverage"], percent(coverage) if coverage is not None else w["none"]),
    ]  # fmt: skip
    sub = last_sub(world, rep, kind, p.start)
    last = w["last"].format(m(sub["commit"]), m(sub["best"])) if sub else w["no_sub"]
    return w[kind].format(p.key), [f"*{label}*\n{value}" for label, value in fields], last


def check_overview(msg: dict, world: World, rep: str, locale: str) -> None:
    blocks = msg["blocks"]
    for kind in ("month", "quarter"):
        heading, fields, last = overview_lines(world, rep, kind, locale)
        i = next(i for i, b in enumerate(blocks) if b["type"] == "section" and b["text"]["text"] == f"*{heading}*")
        assert [f["text"] for f in blocks[i]["fields"]] == fields, (rep, kind)
        assert blocks[i + 1]["elements"][0]["text"].startswith(last), (blocks[i + 1], last)


def diff_check(msg: dict, world: World, owners: set, kind: str, locale: str, before: datetime | None = None) -> dict:
    """The waterfall line and the deals listed as won, against the last call(s) of `owners` made before `before`."""
    p = period(kind, T0.date())
    base = {}
    for rep in sorted(owners):  # a team's baseline: each member's last call glued together
        sub = last_sub(world, rep, kind, p.start, before=before)
        if sub:
            base |= {k: d for k, d in sub["snapshot"].items() if d["owner"] == rep}
    w = waterfall(base, world.deals, owners, p)
    text = _texts(msg["blocks"])
    assert "📊 " + waterfall_line(w, locale) in text, f"{waterfall_line(w, locale)}\n---\n{text}"
    listed = {}
    for line in text.splitlines():
        if m := re.match(r"^• \*(.+?)\* (.*?)(?: \(<@[A-Z0-9]+>\))?(?: \[[^\]]*\])? — (.+)$", line):
            listed[m.group(1)] = (m.group(2), m.group(3).split(" · "))
    won_listed = {name for name, (_, kinds) in listed.items() if WORDS[locale]["won_kind"] in kinds}
    assert won_listed == {world.deals[k]["name"] for k in w["won"]}, (won_listed, w["won"], text)
    for k in w["won"]:  # each listed at the value it adds to the won step
        d = world.deals[k]
        if d["currency"] == "JPY":
            assert listed[d["name"]][0] == yen(jpy(d), locale)
    return w


def phase_rate_lines(world: World, locale: str) -> list[tuple[int, str | None]]:
    """Per phase: of the closed deals that reached it (the highest phase they were ever at), the share won."""
    closed = [d for d in world.deals.values() if d["status"] != "open"]
    out = []
    for k in range(1, 6):
        won = sum(1 for d in closed if d["status"] == "won" and d["top"] >= k)
        n = sum(1 for d in closed if d["top"] >= k)
        line = None
        if n >= PHASE_MIN and abs(Decimal(won) / n - PHASE_DEFAULTS[k]) >= Decimal("0.05"):
            rate, default = percent(Decimal(won) / n), percent(PHASE_DEFAULTS[k])
            line = f"フェーズ {k}: {rate}（{won}/{n}）既定値 {default}" if locale == "ja" else f"phase {k}: {rate} ({won}/{n}) vs default {default}"
        out.append((k, line))
    return out


def check_team(msg: dict, world: World, kind: str, locale: str) -> None:
    p = period(kind, T0.date())
    records = accuracy(world, T0.date())
    m = lambda v: yen(v, locale)  # noqa: E731
    rows = []
    for rep in REPS:
        system = numbers(world.deals, {rep}, p)["commit"]
        sub = last_sub(world, rep, kind, p.start)
        ratio, sample = bias(records, rep)
        expect = system if sub is None else sub["commit"] if ratio is None or sample < BIAS_MIN else (sub["commit"] / ratio).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        rows.append((rep, system, sub, ratio, sample, expect))
    parts = lambda vals: (lambda unit: (apportion(vals, to_unit(sum(vals, Decimal(0)), unit) / unit, unit), to_unit(sum(vals, Decimal(0)), unit)))(  # noqa: E731
        unit_of(locale, [*vals, sum(vals, Decimal(0))]))
    sys_shown, sys_total = parts([r[1] for r in rows])
    subs = [r for r in rows if r[2]]
    sub_shown, sub_total = parts([r[2]["commit"] for r in subs])
    sub_of = {r[0]: v for r, v in zip(subs, sub_shown, strict=True)}
    exp_shown, exp_total = parts([r[5] for r in rows])
    text = _texts(msg["blocks"])
    for (rep, _, sub, ratio, sample, _), system, expect in zip(rows, sys_shown, exp_shown, strict=True):
        who = f"<@{SLACK[rep]}>"
        if sub is None:
            line = f"{who}: ⚠️ 未提出（システム計算のコミット {m(system)}）" if locale == "ja" else f"{who}: ⚠️ no submission (system commit {m(system)})"
        else:
            if ratio is None:
                b = "実績なし" if locale == "ja" else "no history"
            else:
                label = "optimistic" if ratio > Decimal("1.05") else "pessimistic" if ratio < Decimal("0.95") else "balanced"
                x = ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                b = ({"optimistic": "楽観的", "pessimistic": "悲観的", "balanced": "妥当"}[label] + f" ×{x}（n={sample}）") if locale == "ja" else f"{label} ×{x} (n={sample})"
            line = (f"{who}: 提出 {m(sub_of[rep])} / システム {m(system)} · {b} · 見込み {m(expect)}" if locale == "ja"
                    else f"{who}: submitted {m(sub_of[rep])} / system {m(system)} · {b} · expect {m(expect)}")  # fmt: skip
        assert line in text, f"{line}\n---\n{text}"
    # the shown rows add up to the shown totals
    assert sum(sys_shown) == sys_total and sum(sub_shown) == sub_total and sum(exp_shown) == exp_total
    total = (f"*チーム合計*: 提出 {m(sub_total)} · システム {m(sys_total)} · バイアス補正後 {m(exp_total)}" if locale == "ja"
             else f"*Team total*: submitted {m(sub_total)} · system {m(sys_total)} · bias-adjusted {m(exp_total)}")  # fmt: skip
    call = last_sub(world, "nakamura", kind, p.start, scope="team")
    if call:
        total += f" · チームの数字 {m(call['commit'])}（" if locale == "ja" else f" · team call {m(call['commit'])} ("
    else:
        total += "\n"
    assert total in text + "\n", f"{total}\n---\n{text}"
    if records:
        inside = sum(1 for r in records if r["inside"])
        acc = f"過去の予測精度: {len(records)} 回中 {inside} 回が許容範囲内" if locale == "ja" else f"Accuracy of past calls: {inside}/{len(records)} inside tolerance"
        assert acc in text, f"{acc}\n---\n{text}"
    for k, line in phase_rate_lines(world, locale):
        if line:
            assert line in text, f"{line}\n---\n{text}"
        else:
            assert not re.search(rf"^(フェーズ|phase) {k}: ", text, re.M), (k, text)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_forecast_surfaces_equal_the_oracle(harness, config_path, seed):
    h, locale = harness, config_path.stem.removeprefix("app-")
    world = await play(h, seed)
    assert h.clock.now() == T0 and len(world.subs) > 10
    for rep in REPS:
        check_overview(await slash(h, rep, ""), world, rep, locale)
        for kind in ("month", "quarter"):
            diff_check(await slash(h, rep, f"diff {kind}"), world, {rep}, kind, locale)
    diff_check(await slash(h, "kato", "diff quarter since 2026-10-20"), world, {"kato"}, "quarter", locale, before=midnight(date(2026, 10, 21)))
    for kind in ("month", "quarter"):
        diff_check(await slash(h, "nakamura", f"diff team {kind}"), world, set(REPS), kind, locale)
        check_team(await slash(h, "nakamura", f"team {kind}"), world, kind, locale)
