"""The MQL card: undecided (no SLA state / warning / breached, assigned or claim mode), then accepted
(with the SAL menu while the lead is an SAL), rejected (with and without a re-approach date) and closed."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from tests.template_samples import LINKS, with_external_id

KIND = "message"

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LEAD = SimpleNamespace(
    id=42, name="山田 太郎", company="Acme <株式会社>", title="情報システム部長", employees=1200, source="webinar",
    campaign="2026-Q4 DX", score=85, is_returning=False, stage="mql",
)
BARE = SimpleNamespace(
    id=7, name=None, company=None, title=None, employees=None, source=None, campaign=None, score=40,
    is_returning=True, stage="mql",
)
BREAKDOWN = [
    {"label": "従業員数 1000+", "points": 30, "count": 1},
    {"label": "Pricing page", "points": 10, "count": 3},
    {"label": "Unsubscribed", "points": -15, "count": 1},
]
BASE = {"lead": LEAD, "team_name": "IS Enterprise", "assignee": "U0IS1", "due_at": NOW + timedelta(hours=3),
        "today": NOW, "breakdown": BREAKDOWN, "decision": None, "sla_state": None, "remaining": None}  # fmt: skip


def _decision(outcome: str, reason: str | None = None, **kw: object) -> dict:
    return {"outcome": outcome, "by": "U0IS2", "reason": reason, "wall": timedelta(minutes=95),
            "business": timedelta(minutes=35), "within_sla": True, "recycle_at": None, **kw}  # fmt: skip


SAMPLES = [
    BASE,
    {**BASE, "lead": BARE, "assignee": None, "breakdown": [], "due_at": None},
    {**BASE, "sla_state": "warning", "remaining": timedelta(minutes=40)},
    {**BASE, "sla_state": "breached", "assignee": None, "due_at": NOW - timedelta(days=2)},
    {**BASE, "lead": SimpleNamespace(**{**vars(LEAD), "stage": "sal"}), "decision": _decision("accepted")},
    {**BASE, "decision": _decision("accepted", within_sla=False)},
    {**BASE, "decision": _decision("rejected", "no_interest_now", recycle_at=date(2027, 2, 22))},
    {**BASE, "lead": BARE, "decision": _decision("rejected", "other", by=None, within_sla=None)},
    {**BASE, "decision": _decision("closed", "spam")},
]
# With app.yaml `links`: the lead links to the CRM, undecided and decided.
SAMPLES += [{**BASE, "links": LINKS, "lead": with_external_id(LEAD)}, {**SAMPLES[4], "links": LINKS, "lead": with_external_id(SAMPLES[4]["lead"])}]
