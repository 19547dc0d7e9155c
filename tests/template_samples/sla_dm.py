"""The escalation DM to a manager and the hand-over DM to a new owner: open (with Accept / Reject) and
once the lead is decided (by someone known, or by no one the config names)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from tests.template_samples import LINKS, with_external_id

KIND = "message"

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LEAD = SimpleNamespace(id=42, name="山田 太郎", company="Acme <株式会社>", title="部長", source="webinar", score=85,
                       mql_at=NOW - timedelta(days=1))  # fmt: skip
BARE = SimpleNamespace(id=7, name=None, company=None, title=None, source=None, score=40, mql_at=None)
BASE = {"lead": LEAD, "due_at": NOW - timedelta(hours=1), "today": NOW, "assignee": "U0IS1", "channel": "C0IS",
        "from_person": None, "reason": None, "decided": None, "purpose": "escalation"}  # fmt: skip

SAMPLES = [
    BASE,
    {**BASE, "lead": BARE, "assignee": None, "due_at": None},
    {**BASE, "decided": {"by": "U0MGR", "stage": "sal"}},
    {**BASE, "decided": {"by": None, "stage": "recycled"}},
    {**BASE, "purpose": "handover", "from_person": "U0IS2", "reason": "sla_breach"},
    {**BASE, "purpose": "handover", "from_person": None, "reason": "away", "lead": BARE},
    {**BASE, "purpose": "handover", "from_person": "U0IS2", "reason": "reassigned", "decided": {"by": "U0IS1", "stage": "closed"}},
]
# With app.yaml `links`: the lead links to the CRM.
SAMPLES += [{**BASE, "links": LINKS, "lead": with_external_id(LEAD)}]
