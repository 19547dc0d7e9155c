"""Generated deal histories with a known process, for proving Baton's forecast (tests and bench).

Planted, per seed:
- per-phase win rates: P(win | reached phase k) = PHASE_RATES[k] × the rep's factor; a deal advances
  from k to k+1 with probability PHASE_RATES[k] / PHASE_RATES[k+1] and is won at phase 5 with
  PHASE_RATES[5] × factor;
- rep factors (`REP_FACTORS`, mean 1): how much more or less often a rep's deals win than their
  phases say; each rep's call ignores it (and slip, and new business), so calls are biased by ~1/factor;
- slip: a won deal is won on its planned close date with probability `CLOSE_IN_MONTH`, otherwise
  35–75 days later (the rep moves the close date on the planned day) — out of its month;
- seasonality: fast deals (created at phase 5 after a month's lock point, closed within days) arrive
  at `FAST_PER_MONTH × SEASON[calendar month]` per rep and month.

Every rep submits a month and a quarter call two days before each lock point, with the snapshot of
their deals at that moment; each team's manager submits the sum of the team's calls.

Plain values only (rows shaped like `stage_events`, submissions shaped like `forecast_submissions`):
this module never imports bot.domain, so it can also compute the expectation side of a test.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Tokyo")
FISCAL_START = 4
LOCK_DAYS = {"quarter": 14, "month": 7}
PHASE_RATES = {1: 0.10, 2: 0.18, 3: 0.32, 4: 0.55, 5: 0.75}
CATEGORY = {1: "pipeline", 2: "pipeline", 3: "best_case", 4: "commit", 5: "commit"}
TEAMS = {"fs_east": ["r1", "r2", "r3"], "fs_west": ["r4", "r5", "r6"]}
REP_FACTORS = {"r1": 1.25, "r2": 0.80, "r3": 1.00, "r4": 1.10, "r5": 0.90, "r6": 0.95}
CLOSE_IN_MONTH = 0.7
# By calendar month; mean 1. March (the Japanese fiscal year end) is the strongest.
SEASON = {1: 0.7, 2: 0.9, 3: 2.0, 4: 0.6, 5: 0.8, 6: 1.1, 7: 0.9, 8: 0.5, 9: 1.5, 10: 0.9, 11: 1.0, 12: 1.1}
NEW_PER_MONTH = 10  # regular deals per rep and month
FAST_PER_MONTH = 4


@dataclass
class History:
    rows: list[tuple] = field(default_factory=list)  # (entity_type, entity_id, to_stage, occurred_at, reason, data), in time order
    submissions: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)  # the generator's own record of each deal
    start: date = date(2023, 4, 1)
    end: date = date(2026, 4, 1)  # "today": every period before it is closed


def _at(d: date, hour: int = 10) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=ZONE)


def months(start: date, end: date) -> list[tuple[date, date]]:
    out, d = [], start
    while d < end:
        nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
        out.append((d, nxt))
        d = nxt
    return out


def quarters(start: date, end: date) -> list[tuple[date, date]]:
    ms = [m for m in months(start, end) if (m[0].month - FISCAL_START) % 3 == 0]
    return [(s, date(s.year + (s.month + 2) // 12, (s.month + 2) % 12 + 1, 1)) for s, _ in ms]


def _deal(rng: random.Random, i: int, rep: str, created: datetime, planned: date, amount: int, entry: int) -> dict[str, Any]:
    """One deal's whole life: the phases it reaches (and when), its outcome, its close dates."""
    f = REP_FACTORS[rep]
    span = max(1.0, (planned - created.astimezone(ZONE).date()).days)
    steps = [(entry, created)]
    k = entry
    outcome = None
    while outcome is None:
        if k == 5:
            outcome = "won" if rng.random() < min(1.0, PHASE_RATES[5] * f) else "lost"
        elif rng.random() < PHASE_RATES[k] / PHASE_RATES[k + 1]:
            k += 1
            steps.append((k, created + timedelta(days=span * (k - entry) / (6 - entry))))
        else:
            outcome = "lost"
    slipped = planned
    if outcome == "won" and rng.random() >= CLOSE_IN_MONTH:
        slipped = planned + timedelta(days=rng.randint(35, 75))
    if outcome == "won":
        closed = _at(slipped, 15)
    else:
        closed = max(steps[-1][1] + timedelta(days=1), created + timedelta(days=span * (k - entry + 0.5) / (6 - entry)))
    return {"id": i, "owner": rep, "amount": amount, "created": created, "planned": planned, "slipped": slipped,
            "steps": steps, "outcome": outcome, "closed": closed}  # fmt: skip


def generate(seed: int, *, start: date = date(2023, 4, 1), end: date = date(2026, 4, 1), scale: float = 1.0, submit: bool = True) -> History:
    """`scale` multiplies the deal volume (1.0: ~8,400 events over three years); `submit=False` leaves
    the calls out (a history made only to time reading the log)."""
    rng = random.Random(seed)
    h = History(start=start, end=end)
    i = 0
    for m0, m1 in months(start, end):
        days = (m1 - m0).days
        for rep in REP_FACTORS:
            for _ in range(_poisson(rng, NEW_PER_MONTH * scale)):
                i += 1
                created = _at(m0 + timedelta(days=rng.randrange(days)), rng.randint(9, 17))
                planned = created.date() + timedelta(days=rng.randint(30, 120))
                h.deals.append(_deal(rng, i, rep, created, planned, _amount(rng, 3_000_000), 1))
            for _ in range(_poisson(rng, FAST_PER_MONTH * SEASON[m0.month] * scale)):
                i += 1
                first = LOCK_DAYS["month"]  # created on or after the month's lock point
                day = m0 + timedelta(days=rng.randrange(first, days - 3))
                planned = day + timedelta(days=rng.randint(1, (m1 - day).days - 1))
                d = _deal(rng, i, rep, _at(day, 9), planned, _amount(rng, 1_500_000), 5)
                d["slipped"], d["closed"] = planned, (_at(planned, 15) if d["outcome"] == "won" else d["closed"])
                h.deals.append(d)
    for d in h.deals:
        h.rows += _rows(d)
    h.rows.sort(key=lambda r: (r[3], r[1]))
    h.rows = [r for r in h.rows if r[3] < _at(end, 0)]
    if submit:
        _submit(h, rng)
    return h


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth, for small λ; e^-λ underflows near λ = 745 (the count would saturate), so a large λ is
    # drawn as a sum of Poisson draws of smaller λ (a sum of Poissons is Poisson).
    if lam > 200:
        parts = math.ceil(lam / 200)
        return sum(_poisson(rng, lam / parts) for _ in range(parts))
    n, p, limit = 0, 1.0, pow(2.718281828459045, -lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


def _amount(rng: random.Random, mean: int) -> int:
    return int(round(rng.lognormvariate(0, 0.5) * mean / 1.133, -4))  # E[lognormal(0, .5)] = 1.133


def _rows(d: dict[str, Any]) -> list[tuple]:
    data = {"amount": str(d["amount"]), "owner": d["owner"]}
    out = [("opportunity", d["id"], f"phase_{d['steps'][0][0]}", d["steps"][0][1], None, data | {"kind": "new"})]
    out += [("opportunity", d["id"], f"phase_{k}", at, None, {"amount": str(d["amount"])}) for k, at in d["steps"][1:]]
    out.append(("opportunity", d["id"], d["outcome"], d["closed"], None if d["outcome"] == "won" else "no_budget", data | {"currency": "JPY"}))
    return out


def state_at(d: dict[str, Any], t: datetime) -> dict[str, Any] | None:
    """The snapshot item of a deal as Baton would have shown it at time t (None: not created yet)."""
    if d["created"] > t:
        return None
    phase = max(k for k, at in d["steps"] if at <= t)
    closed = d["closed"] <= t
    status = d["outcome"] if closed else "open"
    close_date = d["planned"] if t.astimezone(ZONE).date() < d["planned"] else d["slipped"]
    if closed and d["outcome"] == "won":
        close_date = d["closed"].astimezone(ZONE).date()
    return {
        "id": d["id"], "name": f"Deal {d['id']}", "owner": d["owner"], "amount": str(d["amount"]), "currency": "JPY",
        "close_date": close_date.isoformat(), "won_on": d["closed"].astimezone(ZONE).date().isoformat() if status == "won" else None,
        "phase": phase, "category": CATEGORY[phase], "status": status, "amount_jpy": str(d["amount"]),
    }  # fmt: skip


def lock_of(kind: str, start: date) -> date:
    return start + timedelta(days=LOCK_DAYS[kind])


def _submit(h: History, rng: random.Random) -> None:
    by_rep: dict[str, list[dict[str, Any]]] = {r: [] for r in REP_FACTORS}
    for d in h.deals:
        by_rep[d["owner"]].append(d)
    periods = [("month", s, e) for s, e in months(h.start, h.end)] + [("quarter", s, e) for s, e in quarters(h.start, h.end)]
    for kind, s, e in sorted(periods, key=lambda p: (p[1], p[0])):
        at = _at(lock_of(kind, s) - timedelta(days=2), 9)
        for team, reps in TEAMS.items():
            calls, snaps = 0.0, []
            for rep in reps:
                snap = [x for x in (state_at(d, at) for d in by_rep[rep]) if x and (x["status"] == "open" or _closed_since(x, s))]
                call = _naive_call(snap, s, e) * rng.lognormvariate(0, 0.05)
                calls += call
                snaps += snap
                h.submissions.append(_sub("rep", rep, team, kind, s, at, call, snap))
            h.submissions.append(_sub("team", f"mgr_{team}", team, kind, s, at + timedelta(minutes=30), calls, snaps))


def _closed_since(x: dict[str, Any], s: date) -> bool:
    return x["won_on"] is not None and date.fromisoformat(x["won_on"]) >= s


def _naive_call(snap: list[dict[str, Any]], s: date, e: date) -> float:
    """A rep's call: won + each open deal due in the period × its phase's rate (no own bias, no slip,
    no new business)."""
    total = 0.0
    for x in snap:
        due = s <= date.fromisoformat(x["close_date"]) < e
        if x["status"] == "won" and s <= date.fromisoformat(x["won_on"]) < e:
            total += float(x["amount"])
        elif x["status"] == "open" and due:
            total += float(x["amount"]) * PHASE_RATES[x["phase"]]
    return total


def _sub(scope: str, person: str, team: str, kind: str, s: date, at: datetime, call: float, snap: list[dict[str, Any]]) -> dict[str, Any]:
    return {"scope": scope, "person_id": person, "team_id": team, "period_kind": kind, "period_start": s,
            "submitted_at": at, "commit_amount": round(call), "snapshot": snap}  # fmt: skip


def actual(h: History, owners: set[str], s: date, e: date) -> float:
    """Booked in [s, e), from the generator's own deals (the expectation side)."""
    return sum(d["amount"] for d in h.deals if d["outcome"] == "won" and d["owner"] in owners and s <= d["closed"].astimezone(ZONE).date() < e and d["closed"] < _at(h.end, 0))
