"""Realistic revenue histories for a Japanese B2B company: leads → MQL → SAL → SQL → opportunity
(phases 1–5) → won/lost, over several months, written through the models in bulk.

Deterministic for a seed. A *planted constraint* (`plant=`) makes one stage the bottleneck in the
recent window: its forward conversion falls and its time in stage grows, the way a real constraint
shows up (e.g. ``plant="sal_to_sql"``: IS qualifies fewer SALs, and more slowly).

The event shapes are the product's own: ``None → lead``, ``lead → mql``, ``mql → sal | recycled``
(with the SLA response data), ``sal → sql | recycled``, ``sql → opportunity | recycled``, and for
deals ``None → phase_1``, ``phase_k → phase_k+1``, ``phase_k → won | lost``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from bot.context import UnitOfWork
from bot.models import Lead, Opportunity, StageEvent

# Bump when the same arguments would write a different history (cached benchmark data is keyed by it).
VERSION = 2

# The stages a constraint may be planted in (the bottleneck analysis uses the same names).
PLANTS = ("mql_to_sal", "sal_to_sql", "sql_to_opportunity", "phase1", "phase2", "phase3", "phase4", "phase5")

# Baseline forward conversion and mean days in stage.
FORWARD = {
    "mql_to_sal": 0.72, "sal_to_sql": 0.6, "sql_to_opportunity": 0.8,
    "phase1": 0.75, "phase2": 0.7, "phase3": 0.55, "phase4": 0.8, "phase5": 0.88,
}  # fmt: skip
DAYS = {
    "mql_to_sal": 0.15, "sal_to_sql": 6, "sql_to_opportunity": 3,
    "phase1": 8, "phase2": 12, "phase3": 18, "phase4": 10, "phase5": 7,
}  # fmt: skip

_COMPANY_HEAD = (
    "東京", "大阪", "名古屋", "横浜", "京都", "北海道", "九州", "みらい", "さくら", "あおば", "ひかり", "富士", "日本",
    "中央", "瀬戸内", "アルファ", "テクノ", "グローバル", "ネクスト", "ブルー",
)  # fmt: skip
_COMPANY_TAIL = (
    "製作所", "工業", "商事", "物流", "システムズ", "ソリューションズ", "電機", "化学", "食品", "建設", "ホールディングス",
    "不動産", "メディカル", "データ", "ネットワークス",
)  # fmt: skip
_SURNAMES = ("佐々木", "山口", "松本", "井上", "木村", "林", "清水", "山崎", "森", "池田", "橋本", "阿部", "石川", "前田", "藤田")
_GIVEN = ("陽菜", "蓮", "結衣", "悠真", "葵", "湊", "さくら", "大翔", "美咲", "健太", "愛", "翔", "真由美", "拓海", "千尋")
_TITLES = ("情報システム部 部長", "営業企画部 課長", "経営企画室 室長", "DX推進部 マネージャー", "総務部 担当", "代表取締役")
_INDUSTRIES = ("manufacturing", "retail", "finance", "it", "logistics", "healthcare", "construction")
_SOURCES = ("web", "webinar", "download", "event", "outbound", "referral")
_REJECT = ("not_a_fit", "no_interest_now", "bad_contact", "competitor")
_DISQUALIFY = ("no_budget", "no_timing", "not_a_fit")
_LOST = ("competitor", "no_budget", "timing", "no_decision")
_COMPETITORS = ("Salesforce", "HubSpot", "Zoho", "kintone", "eセールスマネージャー")
_DEAL_KIND = ("全社導入", "部門導入", "PoC", "追加ライセンス", "基盤刷新")


@dataclass(frozen=True)
class History:
    seed: int
    plant: str | None
    start: datetime
    end: datetime
    leads: int
    opportunities: int
    events: int
    won: int


def company_name(rng: random.Random) -> str:
    return f"{rng.choice(_COMPANY_HEAD)}{rng.choice(_COMPANY_TAIL)}株式会社"


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(_SURNAMES)} {rng.choice(_GIVEN)}"


async def generate(
    uow: UnitOfWork,
    *,
    seed: int = 1,
    months: int = 9,
    end: datetime | None = None,
    leads_per_day: float = 30,
    plant: str | None = None,
    plant_days: int = 28,
    plant_factor: float = 0.4,
    plant_slowdown: float = 2.0,
    deal_size: float = 6_000_000,
    chunk: int = 2000,
    id_prefix: str | None = None,
    upsells_per_day: float = 0,
    open_mqls: bool = True,
) -> History:
    """Write `months` of history ending at `end` (default: now). Returns what was written.

    `upsells_per_day`: deals from existing customers per working day (kind ``upsell``, no lead),
    which gives the pipeline more deals per lead (the benchmark's 100k opportunities).
    `open_mqls=False`: no MQL is left waiting at the end (a lead the history would leave unanswered
    stays a lead) — the sandbox's live MQLs come through the API, each with its card and SLA."""
    if plant is not None and plant not in PLANTS:
        raise ValueError(f"plant must be one of {', '.join(PLANTS)}, not {plant!r}")
    config = uow.config
    rng = random.Random(seed)
    end = end or uow.now()
    start = end - timedelta(days=round(months * 30.4))
    plant_from = end - timedelta(days=plant_days)
    prefix = id_prefix or f"demo-{seed}"
    is_teams = config.teams_by_function("inside_sales")
    if not is_teams:
        raise ValueError("the configuration has no inside_sales team to generate leads for")
    fs = config.fs_team()
    fs_reps = [m for m in (fs.members if fs else []) if "fs_rep" in (config.person(m).roles if config.person(m) else [])]
    fs_reps = fs_reps or (list(fs.members) if fs else [])
    cal = config.calendar(None)
    tz = cal.tz

    leads: list[dict[str, Any]] = []
    lead_events: list[list[dict[str, Any]]] = []  # per lead, events without entity_id
    deals: list[tuple[int, dict[str, Any], list[dict[str, Any]]]] = []  # (lead index, opportunity, events)

    def step(stage: str, entered: datetime) -> tuple[datetime, bool]:
        """When the entity leaves `stage` and whether it moves forward (the planted stage is worse lately)."""
        mean = DAYS[stage]
        days = rng.expovariate(1 / mean) if mean >= 1 else rng.uniform(0.01, mean * 2)
        out = entered + timedelta(days=days)
        p = FORWARD[stage]
        if plant == stage and out >= plant_from:
            out = entered + timedelta(days=days * plant_slowdown)
            p *= plant_factor
        return out, rng.random() < p

    def ev(frm: str | None, to: str, at: datetime, actor: str, team: str | None, **kw: Any) -> dict[str, Any]:
        return {"from_stage": frm, "to_stage": to, "at": at, "occurred_at": at, "actor": actor, "team_id": team,
                "reason": kw.pop("reason", None), "note": None, "data": kw}  # fmt: skip

    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        if cal.is_working_day(day):
            for _ in range(_poisson(rng, leads_per_day)):
                minute = rng.randrange(9 * 60, 18 * 60)
                created = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=tz)
                if created >= end:
                    continue
                team = rng.choice(is_teams)
                reps = [m for m in team.members if config.person(m) and "is_rep" in config.person(m).roles] or list(team.members)
                rep = rng.choice(reps) if reps else "system"
                source = rng.choice(_SOURCES)
                employees = rng.choice((30, 80, 150, 400, 1200, 5000))
                lead = {
                    "external_id": f"{prefix}-{len(leads) + 1}", "name": person_name(rng), "company": company_name(rng),
                    "title": rng.choice(_TITLES), "industry": rng.choice(_INDUSTRIES), "employees": employees,
                    "country": "JP", "source": source, "attributes": {}, "score": 0, "score_breakdown": [],
                    "team_id": team.id, "assignee_id": None, "owner_id": None, "stage": "lead",
                    "created_at": created, "updated_at": created, "recycle_count": 0, "is_returning": False,
                    "mql_at": None, "recycle_at": None,
                }  # fmt: skip
                evs = [ev(None, "lead", created, "api", None, source=source)]
                leads.append(lead)
                lead_events.append(evs)
                if rng.random() >= 0.6:
                    continue
                at = created + timedelta(minutes=rng.randint(1, 30))
                if at >= end:
                    continue
                lead.update(stage="mql", mql_at=at, assignee_id=rep, score=rng.randint(60, 120))
                evs.append(ev("lead", "mql", at, "system", team.id, assignee=rep, score=lead["score"]))
                out, fwd = step("mql_to_sal", at)
                if out >= end:
                    if not open_mqls:  # no card and no SLA timer exist for it: do not leave it waiting
                        lead.update(stage="lead", mql_at=None, assignee_id=None, score=0)
                        evs.pop()
                    continue
                seconds = int((out - at).total_seconds())
                resp = {"response_business_seconds": seconds, "within_sla": seconds <= 4 * 3600, "assignee": rep}
                if not fwd:
                    lead.update(stage="recycled", recycle_at=(out + timedelta(days=90)).date())
                    evs.append(ev("mql", "recycled", out, rep, team.id, reason=rng.choice(_REJECT), **resp))
                    continue
                lead.update(stage="sal", owner_id=rep)
                evs.append(ev("mql", "sal", out, rep, team.id, **resp))
                at = out
                out, fwd = step("sal_to_sql", at)
                if out >= end:
                    continue
                if not fwd:
                    lead.update(stage="recycled", recycle_at=(out + timedelta(days=120)).date())
                    evs.append(ev("sal", "recycled", out, rep, team.id, reason=rng.choice(_DISQUALIFY)))
                    continue
                lead["stage"] = "sql"
                evs.append(ev("sal", "sql", out, rep, team.id))
                at = out
                out, fwd = step("sql_to_opportunity", at)
                if out >= end:
                    continue
                if not fwd:
                    lead.update(stage="recycled", recycle_at=(out + timedelta(days=60)).date())
                    evs.append(ev("sql", "recycled", out, rep, team.id, reason="sent_back"))
                    continue
                lead["stage"] = "opportunity"
                evs.append(ev("sql", "opportunity", out, rep, team.id))
                deals.append((len(leads) - 1, *_deal(rng, lead, out, end, fs.id if fs else None, fs_reps, deal_size, step, ev)))
            for _ in range(_poisson(rng, upsells_per_day) if upsells_per_day else 0):
                minute = rng.randrange(9 * 60, 18 * 60)
                created = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=tz)
                if created >= end:
                    continue
                customer = {"external_id": f"{prefix}-u{len(deals) + 1}", "company": company_name(rng), "owner_id": None}
                opp, evs = _deal(rng, customer, created, end, fs.id if fs else None, fs_reps, deal_size, step, ev)
                opp["kind"] = "upsell"
                deals.append((None, opp, evs))
        day += timedelta(days=1)

    # Plain executemany (no RETURNING: SQLite would then insert row by row), ids looked up by the
    # unique external ids afterwards.
    session = uow.session
    lead_ids = await _insert_all(session, Lead, leads, chunk)
    opp_rows = []
    for lead_index, opp, _ in deals:
        opp["source_lead_id"] = lead_ids[lead_index] if lead_index is not None else None
        opp_rows.append(opp)
    opp_ids = await _insert_all(session, Opportunity, opp_rows, chunk)
    events: list[dict[str, Any]] = []
    for lead_id, evs in zip(lead_ids, lead_events, strict=True):
        events += [{**e, "entity_type": "lead", "entity_id": lead_id} for e in evs]
    for opp_id, (_, _, evs) in zip(opp_ids, deals, strict=True):
        events += [{**e, "entity_type": "opportunity", "entity_id": opp_id} for e in evs]
    events.sort(key=lambda e: e["at"])  # ids follow time, as in a live system
    conn = await session.connection()
    for i in range(0, len(events), chunk * 10):
        await conn.execute(insert(StageEvent.__table__), events[i : i + chunk * 10])
    won = sum(1 for _, o, _ in deals if o["status"] == "won")
    return History(seed, plant, start, end, len(leads), len(deals), len(events), won)


async def _insert_all(session: Any, model: Any, rows: list[dict[str, Any]], chunk: int) -> list[int]:
    conn = await session.connection()
    table = model.__table__
    for i in range(0, len(rows), chunk * 10):
        await conn.execute(insert(table), rows[i : i + chunk * 10])
    ids: dict[str, int] = {}
    for i in range(0, len(rows), chunk):
        keys = [r["external_id"] for r in rows[i : i + chunk]]
        ids.update((await conn.execute(select(table.c.external_id, table.c.id).where(table.c.external_id.in_(keys)))).all())
    return [ids[r["external_id"]] for r in rows]


def _deal(rng, lead, created, end, team_id, reps, deal_size, step, ev):  # noqa: ANN001, ANN202
    owner = rng.choice(reps) if reps else None
    amount = Decimal(int(rng.lognormvariate(0, 0.6) * deal_size / 100_000) * 100_000 or 500_000)
    opp = {
        "external_id": f"{lead['external_id']}-opp", "name": f"{lead['company']} {rng.choice(_DEAL_KIND)}",
        "account_name": lead["company"], "owner_id": owner, "team_id": team_id, "kind": "new", "amount": amount,
        "currency": "JPY", "phase": 1, "forecast_category": "pipeline", "category_overridden": False,
        "next_action": "ヒアリング日程調整", "next_action_due": (created + timedelta(days=7)).date(),
        "key_person": person_name(rng), "competitors": rng.choice(_COMPETITORS), "risks": "予算確定前",
        "status": "open", "phase_changed_at": created, "created_at": created, "updated_at": created, "notes": {},
        "handoff_state": "accepted", "handoff_from": lead["owner_id"], "lost_reason": None, "closed_at": None,
        "close_date": None,
    }  # fmt: skip
    evs = [ev(None, "phase_1", created, lead["owner_id"] or "system", team_id, amount=str(amount), owner=owner)]
    at = created
    for phase in (1, 2, 3, 4, 5):
        out, fwd = step(f"phase{phase}", at)
        if out >= end:
            break
        actor = owner or "system"
        if not fwd:
            reason = rng.choice(_LOST)
            opp.update(status="lost", lost_reason=reason, closed_at=out, updated_at=out)
            evs.append(ev(f"phase_{phase}", "lost", out, actor, team_id, reason=reason, amount=str(amount)))
            break
        if phase == 5:
            opp.update(status="won", closed_at=out, updated_at=out, close_date=out.date())
            evs.append(ev("phase_5", "won", out, actor, team_id, amount=str(amount), currency="JPY", owner=owner))
            break
        opp.update(phase=phase + 1, phase_changed_at=out, updated_at=out,
                   forecast_category={2: "pipeline", 3: "best_case"}.get(phase + 1, "commit"))  # fmt: skip
        evs.append(ev(f"phase_{phase}", f"phase_{phase + 1}", out, actor, team_id, amount=str(amount)))
        at = out
    if opp["status"] == "open":
        opp["close_date"] = (end + timedelta(days=rng.randint(10, 120))).date()
        opp["next_action_due"] = (end + timedelta(days=rng.randint(1, 14))).date()
    elif opp.get("close_date") is None:
        opp["close_date"] = opp["closed_at"].date()
    return opp, evs


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth for small rates, a rounded normal for large ones (deterministic for the seed)."""
    if lam > 50:
        return max(0, round(rng.gauss(lam, lam**0.5)))
    import math

    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def today_in(uow: UnitOfWork) -> date:
    return uow.now().astimezone(uow.config.calendar(None).tz).date()
