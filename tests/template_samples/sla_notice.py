"""SLA replies in the card's thread: warning (to the owner, or to the team in claim mode), breach
(owner and / or manager named, escalated or not) and reassignment (from someone, or from nobody)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

KIND = "message"

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LEAD = SimpleNamespace(id=42, name="山田 太郎", company="Acme <株式会社>")
BASE = {"lead": LEAD, "due_at": NOW + timedelta(minutes=30), "today": NOW, "assignee": None, "manager": None,
        "remaining": None, "escalated": False, "from_person": None, "to_person": None, "reason": None}  # fmt: skip

SAMPLES = [
    {**BASE, "kind": "warning", "assignee": "U0IS1", "remaining": timedelta(minutes=30)},
    {**BASE, "kind": "warning", "lead": SimpleNamespace(id=7, name=None, company=None), "due_at": None},
    {**BASE, "kind": "breach", "assignee": "U0IS1", "manager": "U0MGR", "escalated": True},
    {**BASE, "kind": "breach", "manager": "U0MGR", "escalated": True},
    {**BASE, "kind": "breach"},
    {**BASE, "kind": "reassigned", "from_person": "U0IS1", "to_person": "U0IS2", "reason": "sla_breach"},
    {**BASE, "kind": "reassigned", "to_person": "U0IS2", "reason": "reassigned", "lead": SimpleNamespace(id=7, name="Bob", company=None)},
]
