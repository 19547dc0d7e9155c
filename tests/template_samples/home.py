"""App Home: a rep with something in every list (and more than fit), away, with a forecast and accounts;
a manager with a team and leads past their SLA; a newcomer with nothing yet."""

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
DEAL = SimpleNamespace(id=7, name="Acme 全社導入", phase=3, amount=Decimal("12000000"), currency="JPY", close_date=date(2026, 12, 20))
ACCOUNT = SimpleNamespace(name="Globex", health_band="yellow", health_score=61, arr=Decimal("4800000"), currency="JPY", renewal_date=date(2027, 3, 31))
FORECAST = SimpleNamespace(commit_amount=Decimal("30000000"), best_case_amount=Decimal("45000000"), pipeline_amount=Decimal("80000000"),
                           currency="JPY", submitted_at=NOW - timedelta(days=3))  # fmt: skip
MEMBER = SimpleNamespace(slack_id="U0IS1", name="Aiko", away=True, open_mqls=4, overdue_mqls=1, open_deals=2, deals_missing=1)


def data(**kw: object) -> SimpleNamespace:
    empty = listing([])
    base = {"name": "Aiko", "away": False, "away_until": None, "roles": ["is"], "waiting_mqls": empty, "sals": empty, "deals": empty,
            "forecast": None, "accounts": empty, "team_overdue": empty}  # fmt: skip
    return SimpleNamespace(**{**base, **kw})


def values(d: SimpleNamespace, **kw: object) -> dict:
    hours = "09:00-18:00"
    base = {"d": d, "now": NOW, "item_label": lambda item: item.replace("_", " "), "hours": hours,
            "hour_choices": ["08:00-17:00", hours, "10:00-19:00"], "zone": "Asia/Tokyo", "zone_source": "config", "team": [], "team_more": 0,
            "settings": [{"kind": k, "mode": modes[0], "allowed": list(modes)} for k, modes in KINDS.items()],
            "slack": lambda pid: "U0" + pid.upper() if pid else None}  # fmt: skip
    return {**base, **kw}


SAMPLES = [
    values(data(
        away=True, away_until=NOW + timedelta(days=2), roles=["is", "fs"],
        waiting_mqls=listing([LEAD, LATE, NO_SLA], total=11), sals=listing([LEAD, NO_SLA]),
        deals=listing([(DEAL, ["next_action", "key_person"]), (SimpleNamespace(**{**vars(DEAL), "close_date": None}), [])]),
        forecast=FORECAST, accounts=listing([ACCOUNT, SimpleNamespace(**{**vars(ACCOUNT), "health_band": None, "health_score": None, "renewal_date": None})]),
    )),
    values(data(roles=["manager"], team_overdue=listing([LATE, LEAD], total=9)),
           team=[MEMBER, SimpleNamespace(**{**vars(MEMBER), "slack_id": None, "away": False})], team_more=3),
    values(data(roles=[])),
]
# With app.yaml `links`: every lead, deal and account entry links to the CRM (the account by Baton id).
SAMPLES += [
    values(data(
        waiting_mqls=listing([with_external_id(LEAD), LATE]), sals=listing([with_external_id(NO_SLA, "SF-2")]),
        deals=listing([(with_external_id(DEAL, "006-9"), [])]), accounts=listing([SimpleNamespace(**{**vars(ACCOUNT), "id": 5})]),
        team_overdue=listing([with_external_id(LATE, "SF-3")]),
    ), links=LINKS, team=[MEMBER]),
]
