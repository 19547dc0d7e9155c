"""App Home per role: a person with every role and something in every list (and more than fit — the
block limit's worst case); an IS rep, an FS rep, a CSM, a manager and a CRO as they usually are; a
newcomer with nothing yet."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from bot.config_sections.notifications import KINDS
from tests.template_samples import LINKS, with_external_id

KIND = "view"

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def listing(items: list, total: int | None = None) -> SimpleNamespace:
    total = len(items) if total is None else total
    return SimpleNamespace(items=items, total=total, more=max(0, total - len(items)))


LEAD = SimpleNamespace(id=42, company="Acme <株式会社>", name="山田 太郎", score=85, sla_due_at=NOW + timedelta(hours=2), assignee_id="is1")
LATE = SimpleNamespace(id=43, company=None, name="Bob", score=60, sla_due_at=NOW - timedelta(hours=1), assignee_id=None)
NO_SLA = SimpleNamespace(id=44, company=None, name=None, score=50, sla_due_at=None, assignee_id="is1")
DEAL = SimpleNamespace(id=7, name="Acme 全社導入", phase=3, amount=Decimal("12000000"), currency="JPY", close_date=date(2026, 12, 20),
                       handoff_state="accepted")  # fmt: skip
HANDOFF = SimpleNamespace(**{**vars(DEAL), "id": 8, "phase": 1, "handoff_state": "pending"})
ACCOUNT = SimpleNamespace(name="Globex", health_band="yellow", health_score=61, arr=Decimal("4800000"), currency="JPY", renewal_date=date(2027, 3, 31))
FORECAST = SimpleNamespace(commit_amount=Decimal("30000000"), best_case_amount=Decimal("45000000"), pipeline_amount=Decimal("80000000"),
                           currency="JPY", submitted_at=NOW - timedelta(days=3))  # fmt: skip
MEMBER = SimpleNamespace(slack_id="U0IS1", name="Aiko", away=True, open_mqls=4, overdue_mqls=1, open_deals=2, deals_missing=1, function="inside_sales", accounts=0, accounts_red=0)
CS_MEMBER = SimpleNamespace(**{**vars(MEMBER), "function": "customer_success", "accounts": 12, "accounts_red": 2})


PERIOD = SimpleNamespace(key="FY2026-Q3")
RECYCLE = SimpleNamespace(recycle=SimpleNamespace(id=3, due_date=date(2026, 11, 20)), title="Initech / 佐々木", path="rejected")
ALERT = SimpleNamespace(id=9, state="open")
COVERAGE = SimpleNamespace(period=PERIOD, pipeline=Decimal("90000000"), required=Decimal("60000000"), ratio=1.5)
NO_TARGET = SimpleNamespace(period=PERIOD, pipeline=Decimal("90000000"), required=None, ratio=None, target=None, won=Decimal(0))
MET = SimpleNamespace(period=PERIOD, pipeline=Decimal("90000000"), required=Decimal(0), ratio=None, target=Decimal("80000000"), won=Decimal("95000000"))
SLA_ROW = SimpleNamespace(within_sla_pct=87.5, measured=40)
NUMBERS = SimpleNamespace(period=PERIOD, won=Decimal("20000000"), commit=Decimal("50000000"), best_case=Decimal("70000000"), target=Decimal("80000000"))
STAGE = SimpleNamespace(stage="sal_to_sql", at_stake=Decimal("24000000"))
PLAN = SimpleNamespace(year=SimpleNamespace(key="FY2026"), reps_needed=6.4, effective_reps=4.5, hires_needed=2)
ALL_ROLES = frozenset({"mqls", "deals", "accounts", "team", "company"})


def data(**kw: object) -> SimpleNamespace:
    empty = listing([])
    base = {"name": "Aiko", "away": False, "away_until": None, "roles": ["is_rep"], "waiting_mqls": empty, "sals": empty, "deals": empty,
            "forecast": None, "accounts": empty, "team_overdue": empty, "can": frozenset({"mqls"}), "recycles": empty, "alerts": empty,
            "team_sla": [], "coverage": [], "awaiting": empty, "rollup": [], "bottleneck": None, "capacity": None}  # fmt: skip
    return SimpleNamespace(**{**base, **kw})


def values(d: SimpleNamespace, **kw: object) -> dict:
    hours = "09:00-18:00"
    base = {"d": d, "now": NOW, "item_label": lambda item: item.replace("_", " "), "hours": hours,
            "hour_choices": ["08:00-17:00", hours, "10:00-19:00"], "zone": "Asia/Tokyo", "zone_source": "config", "team": [], "team_more": 0,
            "settings": [{"kind": k, "mode": modes[0], "allowed": list(modes)} for k, modes in KINDS.items()],
            "slack": lambda pid: "U0" + pid.upper() if pid else None, "sla_days": 30}  # fmt: skip
    return {**base, **kw}


FULL = [SimpleNamespace(**{**vars((LEAD, LATE, NO_SLA)[n % 3]), "id": 100 + n}) for n in range(8)]  # LIST_CAP rows


def many(x: SimpleNamespace, n: int = 8) -> list:
    return [SimpleNamespace(**{**vars(x), "id": x.id + k}) for k in range(n)]
SAMPLES = [
    # Every role at once, every list full: the 100-block worst case.
    values(data(
        roles=["is_rep", "fs_rep", "csm", "manager", "cro"], can=ALL_ROLES,
        waiting_mqls=listing(FULL, total=30), sals=listing(FULL, total=9), recycles=listing([SimpleNamespace(**{**vars(RECYCLE), "recycle": SimpleNamespace(id=k, due_date=date(2026, 11, 20))}) for k in range(8)], total=12),
        deals=listing([(SimpleNamespace(**{**vars(HANDOFF if k % 2 else DEAL), "id": 50 + k}), ["next_action"]) for k in range(8)], total=20), forecast=FORECAST, accounts=listing([ACCOUNT] * 8, total=10),
        alerts=listing([(a, ACCOUNT) for a in many(ALERT)], total=23), team_overdue=listing(FULL, total=15), team_sla=[("IS", SLA_ROW)] * 3,
        coverage=[(None, COVERAGE), ("FS", NO_TARGET), ("FS2", MET)], awaiting=listing([(a, ACCOUNT) for a in many(SimpleNamespace(id=20, state="escalated"))], total=11),
        rollup=[("FS", NUMBERS)] * 2, bottleneck=STAGE, capacity=PLAN,
    ), team=[MEMBER] * 12, team_more=4),
    # A manager only (the longest lists: 8 rows each) with a claim-mode queue, a big team, escalations.
    values(data(
        roles=["is_manager", "cs_manager", "fs_manager"], can=frozenset({"team"}), waiting_mqls=listing(FULL, total=30),
        team_overdue=listing(FULL, total=15), team_sla=[("IS", SLA_ROW)] * 3, coverage=[("FS", COVERAGE)] * 2,
        awaiting=listing([(a, ACCOUNT) for a in many(SimpleNamespace(id=20, state="escalated"))], total=11),
    ), team=[MEMBER, CS_MEMBER] * 6, team_more=4),
    # An IS rep: MQLs with Accept / Reject, SALs with Qualify, a recycle due.
    values(data(waiting_mqls=listing([LEAD, LATE]), sals=listing([NO_SLA]), recycles=listing([RECYCLE]))),
    # An FS rep with no forecast yet; a CSM with an alert; a CRO with no target and no bottleneck.
    values(data(roles=["fs_rep"], can=frozenset({"deals"}), deals=listing([(DEAL, []), (HANDOFF, ["next_action"])]))),
    values(data(roles=["csm"], can=frozenset({"accounts"}), accounts=listing([ACCOUNT]), alerts=listing([(SimpleNamespace(id=9, state="acknowledged"), ACCOUNT)]))),
    values(data(roles=["cro"], can=frozenset({"team", "company"}), coverage=[(None, NO_TARGET)], rollup=[("FS", SimpleNamespace(**{**vars(NUMBERS), "target": None}))],
                capacity=SimpleNamespace(**{**vars(PLAN), "reps_needed": None}))),
    values(data(
        away=True, away_until=NOW + timedelta(days=2), roles=["is_rep", "fs_rep"], can=frozenset({"mqls", "deals"}),
        waiting_mqls=listing([LEAD, LATE, NO_SLA], total=11), sals=listing([LEAD, NO_SLA]),
        deals=listing([(DEAL, ["next_action", "key_person"]), (SimpleNamespace(**{**vars(DEAL), "id": 9, "close_date": None}), [])]),
        forecast=FORECAST, accounts=listing([ACCOUNT, SimpleNamespace(**{**vars(ACCOUNT), "health_band": None, "health_score": None, "renewal_date": None})]),
    )),
    values(data(roles=["manager"], can=frozenset({"team"}), team_sla=[("IS", SLA_ROW)], coverage=[("FS", COVERAGE)], team_overdue=listing([LATE, LEAD], total=9)),
           team=[MEMBER, CS_MEMBER, SimpleNamespace(**{**vars(MEMBER), "slack_id": None, "away": False})], team_more=3),
    values(data(roles=["marketing"], can=frozenset())),
]
# With app.yaml `links`: every lead, deal and account entry links to the CRM (the account by Baton id).
SAMPLES += [
    values(data(
        waiting_mqls=listing([with_external_id(LEAD), LATE]), sals=listing([with_external_id(NO_SLA, "SF-2")]),
        deals=listing([(with_external_id(DEAL, "006-9"), [])]), accounts=listing([SimpleNamespace(**{**vars(ACCOUNT), "id": 5})]),
        team_overdue=listing([with_external_id(LATE, "SF-3")]),
    ), links=LINKS, team=[MEMBER]),
]
