"""Oracle, second part: histories with leads (with activities), MQL decisions answered on time or
late, SALs, SQLs, hand-offs, deals from those leads won (today or back-dated), lost (so recycled),
left open, next to CRM deals with no source lead (late syncs, back-dated closes, lost) — fed through
the documented API. The company digest, an FS team's and an IS team's digest are read from the
emulator the next morning and compared with figures computed here from the generated facts alone
(no import from bot.domain or bot.formatting): the previous day's flow, SLA compliance, the cohort
funnel, coverage. ja and en, SQLite and PostgreSQL."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from tests.conftest import FIXTURES
from tests.oracle_format import avg1, percent, yen
from tests.test_metrics_oracle import TODAY, _texts, expected, history

JST = ZoneInfo("Asia/Tokyo")
TEAM_NAMES = {"is_ent": "IS Enterprise", "is_smb": "IS SMB"}


def leads(seed: int) -> list[dict]:
    """Each lead: its API payload, how far it goes, whether its MQL is answered late, and its deal."""
    rng = random.Random(seed * 7919)
    out = []
    for i in range(rng.randint(5, 12)):
        team = rng.choice(["is_ent", "is_smb"])
        reach = rng.choice(["lead", "mql", "sal", "sql", "opportunity", "opportunity"])
        payload = {"external_id": f"L{seed}-{i}", "name": f"lead {i}", "employees": 1200 if team == "is_ent" else 20}
        if reach == "lead":  # downloads score 10 each (+30 for a large company): never the threshold 60
            payload["activities"] = [{"type": "download"}] * rng.randint(0, 2)
        elif team == "is_ent":
            payload["activities"] = [{"type": "demo_request"}]  # 30 + 50 = 80 → MQL, SLA policy "demo" (30 min)
        else:
            payload["mql"] = True  # decided upstream; SLA policy "standard" (4 h)
        deal = None
        if reach == "opportunity":
            kind = rng.choice(["open", "won", "won", "lost"])
            amount = rng.randrange(1_000, 50_000) * 1_000 + rng.choice([0, 499, 500, 4_999])
            close = TODAY + timedelta(days=rng.randint(1, 60)) if kind == "open" else TODAY - timedelta(days=rng.choice([0, 0, 1, 3, 20]))
            deal = {"status": kind, "amount": amount, "close": close, "phase": rng.randint(1, 5)}
        team = team if reach != "lead" else None  # a lead is routed to a team only when it becomes an MQL
        out.append({"payload": payload, "team": team, "reach": reach, "late": rng.random() < 0.4, "deal": deal})
    return out


AT_LEAST = {"lead": 0, "mql": 1, "sal": 2, "sql": 3, "opportunity": 4}


def reached(lead: dict, stage: str) -> bool:
    return AT_LEAST[lead["reach"]] >= AT_LEAST[stage]


async def feed(harness, seed: int) -> tuple[list[dict], list[dict]]:
    ls, deals = leads(seed), history(seed)
    for lead in ls:
        status, body = await harness.post("/api/leads", lead["payload"])
        assert status == 201, body
        lead["id"] = body["id"]
        assert body["stage"] == ("lead" if lead["reach"] == "lead" else "mql"), body
    for s in [s for d in deals for s in d["syncs"][:1]]:  # CRM deals, first seen
        assert (await harness.post("/api/opportunities", s))[0] in (200, 201)

    async def decide(lead: dict) -> None:
        ref = f"/api/leads/{lead['id']}/stage"
        if reached(lead, "sal"):
            assert (await harness.post(ref, {"stage": "sal", "by": "sato"}))[0] == 200
        if reached(lead, "sql"):
            assert (await harness.post(ref, {"stage": "sql", "by": "sato", "need": "x"}))[0] == 200
        if reached(lead, "opportunity"):
            assert (await harness.post(ref, {"stage": "opportunity", "by": "kato"}))[0] == 200
            d = lead["deal"]
            body = {"source_lead_id": lead["id"], "external_id": f"D{seed}-{lead['id']}", "amount": d["amount"], "phase": d["phase"],
                    "close_date": d["close"].isoformat()}  # fmt: skip
            if d["status"] != "open":
                body["status"] = d["status"]
            if d["status"] == "lost":
                body["lost_reason"] = "competitor"
            status, res = await harness.post("/api/opportunities", body)
            assert status == 200, res

    for lead in ls:  # answered at once: within every SLA policy
        if not lead["late"]:
            await decide(lead)
    harness.clock.advance(timedelta(hours=5))  # 15:00: past "demo" (30 min) and "standard" (4 h)
    for lead in ls:
        if lead["late"]:
            await decide(lead)
    for s in [s for d in deals for s in d["syncs"][1:]]:  # closes arrive late
        assert (await harness.post("/api/opportunities", s))[0] in (200, 201)
    return ls, deals


def flow_lines(ls: list[dict], deals: list[dict], scope: str | None, locale: str) -> list[str]:
    """The previous day's flow (Nov 24, when all of it was fed): entries per stage; deals created; won
    and lost by close day (so a back-dated close is not yesterday's). An IS team's figures are its leads' (new leads are counted company-wide:
    a lead has no team until it is routed as an MQL), its deals the ones made from its leads."""
    mine = [x for x in ls if scope in (None, "fs") or x["team"] == scope]
    n = {s: sum(1 for x in (ls if s == "lead" else mine) if reached(x, s)) for s in AT_LEAST}
    from_leads = [x["deal"] for x in mine if x["deal"]]
    crm = [] if scope not in (None, "fs") else deals
    # a hand-off deal is made at the SQL (pending FS acceptance); a CRM deal first seen already closed
    # was created, as far as anyone knows, when it closed
    crm_created = sum(1 for d in crm if "status" not in d["syncs"][0] or d["close"] == TODAY)
    created = n["sql"] + crm_created if scope in (None, "fs") else n["opportunity"]
    closed = {k: [d for d in from_leads + crm if d["status"] == k and d["close"] == TODAY] for k in ("won", "lost")}
    won_n, won = len(closed["won"]), sum((Decimal(d["amount"]) for d in closed["won"]), Decimal(0))
    lost_n, lost = len(closed["lost"]), sum((Decimal(d["amount"]) for d in closed["lost"]), Decimal(0))
    if locale == "ja":
        return [f"リード {n['lead']} · MQL {n['mql']} · SAL {n['sal']} · 却下 0",
                f"SQL {n['sql']} · 商談化 {n['opportunity']} · 新規商談 {created} · 受注 {won_n}件 {yen(won)} · 失注 {lost_n}件 {yen(lost)}"]  # fmt: skip
    return [f"Leads {n['lead']} · MQLs {n['mql']} · SALs {n['sal']} · rejected 0",
            f"SQLs {n['sql']} · opportunities from SQL {n['opportunity']} · deals created {created} · won {won_n} {yen(won, 'en')} · lost {lost_n} {yen(lost, 'en')}"]  # fmt: skip


def sla_lines(ls: list[dict], teams: list[str], locale: str) -> list[str]:
    out = []
    for team in teams:
        answered = [x for x in ls if x["team"] == team and reached(x, "sal")]
        if not answered:
            continue
        pct = percent(sum(1 for x in answered if not x["late"]) / len(answered))
        out.append(f"{TEAM_NAMES[team]}: " + (f"SLA遵守 {pct}（{len(answered)}件、" if locale == "ja" else f"within SLA {pct} ({len(answered)} answered,"))
    return out


def funnel_line(ls: list[dict], scope: str | None, locale: str) -> str:
    """The cohort: new leads since Oct 1 (all of them), and how far each has got by now. An IS team's:
    its leads; the FS team's: leads with a deal (made at the SQL, pending the hand-off or accepted)."""
    cohort = [x for x in ls if scope is None or x["team"] == scope or (scope == "fs" and reached(x, "sql"))]
    names = {"ja": ["リード", "MQL", "SAL", "SQL", "商談化", "受注"], "en": ["Leads", "MQL", "SAL", "SQL", "Opportunity", "Won"]}[locale]
    ns = [sum(1 for x in cohort if reached(x, s)) for s in AT_LEAST] + [sum(1 for x in cohort if x["deal"] and x["deal"]["status"] == "won")]
    parts = [f"{names[0]} {ns[0]}"]
    for name, prev, n in zip(names[1:], ns[:-1], ns[1:], strict=True):
        parts.append(f"{name} {n}" + (f" ({percent(n / prev)})" if prev else ""))
    return " → ".join(parts)


@pytest.fixture(params=["ja", "en"])
def config_path(request, tmp_path):
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    text = text.replace("locale: ja, timezone: Asia/Tokyo}", f"locale: {request.param}, timezone: Asia/Tokyo}}")
    # every digest in the company's language here (the fixture pins the company digest to ja, IS SMB to en)
    text = text.replace("scope: company, team: fs, locale: ja}", "scope: company, team: fs}").replace("calendar: tokyo, locale: en}", "calendar: tokyo}")
    path = tmp_path / f"app-{request.param}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def digest_text(harness, channel: str) -> str:
    await harness.baton.scheduler.run_job("digest", channel=channel)
    await harness.deliver()
    return _texts(harness.emu.channel_messages(channel)[-1]["blocks"])


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_digests_with_leads_equal_the_oracle(harness, config_path, seed):
    locale = config_path.stem.removeprefix("app-")
    ls, deals = await feed(harness, seed)
    harness.clock.advance(timedelta(hours=17))  # Nov 25, 08:00: the digest of the previous working day (Nov 24)
    company = await digest_text(harness, "C0MGRS")
    fs = await digest_text(harness, "C0FS")
    smb = await digest_text(harness, "C0SMB")
    pending = {"status": "open", "phase": 1, "amount": 0, "close": date.max}  # a hand-off deal at the SQL: no amount, no close date
    for_fs = [*deals, *(x["deal"] or pending for x in ls if reached(x, "sql"))]
    checks = {
        "company": (company, [*flow_lines(ls, deals, None, locale), *sla_lines(ls, ["is_ent", "is_smb"], locale), funnel_line(ls, None, locale)]),
        "fs": (fs, [*flow_lines(ls, deals, "fs", locale), funnel_line(ls, "fs", locale), *expected(for_fs, locale, win_since=date(2026, 5, 26))]),
        "is_smb": (smb, [*flow_lines(ls, deals, "is_smb", locale), *sla_lines(ls, ["is_smb"], locale), funnel_line(ls, "is_smb", locale)]),
    }
    for name, (text, lines) in checks.items():
        for line in lines:
            assert line in text, f"{name}: {line!r} not in\n{text}"
    # an IS team's digest names no other team's SLA
    assert TEAM_NAMES["is_ent"] + ":" not in smb


# -- /capacity --------------------------------------------------------------------------------------
NOW = datetime(2026, 11, 25, 8, tzinfo=JST)  # when the manager asks, the morning after
T0 = datetime(2026, 11, 24, 10, tzinfo=JST)
HOLIDAYS = {date(2026, 11, 3), date(2026, 11, 23)}  # JP holidays in the 28 days before NOW
EFFECTIVE = 1 + 8.5 / 12  # kato, plus 新人FS from 2027-01-01 (10 of the next 12 months, 3 months ramp-up)
PER_NEW = 10.5 / 12  # a hire starting now: 1.5 months lost to ramp-up


def _close_time(day: date, recorded: datetime) -> datetime:
    """A close date in the past: the start of that day; today: when it was recorded."""
    return recorded if day == TODAY else datetime.combine(day, datetime.min.time(), JST)


def deal_facts(ls: list[dict], deals: list[dict]) -> list[dict]:
    """Every deal as (created, closed, status, amount) by business time."""
    out = []
    for d in deals:
        first_closed = "status" in d["syncs"][0]
        closed = _close_time(d["close"], T0) if d["status"] != "open" else None
        out.append({"created": closed if first_closed else T0, "closed": closed, "status": d["status"], "amount": Decimal(d["amount"])})
    for x in ls:
        if not reached(x, "sql"):
            continue
        at = T0 + timedelta(hours=5) if x["late"] else T0
        d = x["deal"]
        if d is None:  # a hand-off pending at the SQL: no amount yet
            out.append({"created": at, "closed": None, "status": "open", "amount": Decimal(0)})
            continue
        closed = _close_time(d["close"], at) if d["status"] != "open" else None
        out.append({"created": at, "closed": closed, "status": d["status"], "amount": Decimal(d["amount"])})
    return out


def capacity_lines(ls: list[dict], deals: list[dict], locale: str) -> list[str]:
    facts = deal_facts(ls, deals)
    first = min([f["created"] for f in facts] + [f["closed"] for f in facts if f["closed"]])
    months = (NOW - first).days / (365.25 / 12)  # within the 12-month window by construction
    closed = [f for f in facts if f["closed"]]
    won = [f for f in closed if f["status"] == "won"]
    enough = months >= 3 and len(closed) >= 10 and won
    if enough:
        avg = (sum((f["amount"] for f in won), Decimal(0)) / len(won)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        per_rep = len(won) / 1 * 12 / months
    else:
        avg, per_rep = Decimal(5_000_000), 10
    revenue = (avg * Decimal(str(per_rep))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    needed = float(Decimal(400_000_000) / revenue)
    hires = max(0, math.ceil(round((needed - EFFECTIVE) / PER_NEW, 6)))
    mqls = sum(1 for x in ls if reached(x, "mql"))
    days = sum(1 for i in range(28) if (d := (NOW - timedelta(days=28 - i)).date()).weekday() < 5 and d not in HOLIDAYS)
    per_day = mqls / days
    window_closed = [f for f in closed if f["closed"] >= NOW - relativedelta(months=6)]
    rate = sum(1 for f in window_closed if f["status"] == "won") / len(window_closed) if len(window_closed) >= 4 else 0.25
    required = (Decimal(120_000_000) / Decimal(str(rate))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    created = sum((f["amount"] for f in facts if NOW - timedelta(days=90) <= f["created"] < NOW), Decimal(0))
    ratio = float(created / required)
    y = (lambda v: yen(v)) if locale == "ja" else (lambda v: yen(v, "en"))  # noqa: E731
    if locale == "ja":
        out = [
            f"平均受注単価 {y(avg)}{'（実績）' if enough else '（設定値）'} × 年間受注件数/人 {avg1(per_rep)}"
            f"{f'（実績 {len(won)}件 ÷ 1人）' if enough else '（設定値）'} = *{y(revenue)}*",
            f"目標 4億円 ÷ {y(revenue)} = *{avg1(needed)}人* ／ 現有戦力 {avg1(EFFECTIVE)}人（立ち上がり期間 3か月を考慮）",
            f"→ 今採用が必要: *{hires}人*", "（今後12か月で 0.7人分）",
            f"3人 × 20件/日 = 60件/日 ／ MQL 流入 {avg1(per_day)}件/営業日 （負荷 {percent(per_day / 60)}）",
            f"*FY2026-Q4 の必要パイプライン* = 目標 1億2,000万円 ÷ 受注率 {percent(rate, 1)} = *{y(required)}* ／ 直近90日の創出 {y(created)}"
            f"（{percent(ratio)}）{' ✅ 到達ペース' if ratio >= 1 else ' ⚠️ 不足'}",
        ]
        if not enough:
            out.append(f"_実績が最低基準に満たないため設定値で計算（実績 {avg1(months)}か月・完了 {len(closed)}件 ／ 最低 3か月・10件）_")
        return out
    out = [
        f"average deal {y(avg)}{' (history)' if enough else ' (configured)'} × deals won per rep per year {avg1(per_rep)}"
        f"{f' ({len(won)} won ÷ 1 reps)' if enough else ' (configured)'} = *{y(revenue)}*",
        f"target ¥400,000,000 ÷ {y(revenue)} = *{avg1(needed)}* / effective reps {avg1(EFFECTIVE)} (ramp-up 3 months)",
        f"→ hire now: *{hires}*", "(0.7 rep over the next 12 months)",
        f"3 reps × 20/day = 60/day vs {avg1(per_day)} MQLs per working day (load {percent(per_day / 60)})",
        f"*Pipeline needed for FY2026-Q4* = target ¥120,000,000 ÷ win rate {percent(rate, 1)} = *{y(required)}* / created in the last 90 days {y(created)}"
        f" ({percent(ratio)}){' ✅ on pace' if ratio >= 1 else ' ⚠️ short'}",
    ]
    if not enough:
        out.append(f"_Too little history to trust: configured rates used ({avg1(months)} months, {len(closed)} closed deals; minimum 3 months, 10 deals)_")
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 5])
async def test_capacity_equals_the_oracle(harness, config_path, seed):
    locale = config_path.stem.removeprefix("app-")
    ls, deals = await feed(harness, seed)
    harness.clock.advance(timedelta(hours=17))  # NOW
    await harness.emu.slash(harness.person("sato"), "/capacity", "", "C0FS")
    await harness.deliver()
    [reply] = [m for m in harness.emu.messages if m.get("ephemeral_user") == harness.person("sato")]
    text = _texts(reply["blocks"])
    for line in capacity_lines(ls, deals, locale):
        assert line in text, f"{line!r} not in\n{text}"
