"""The SAL follow-up: waiting for a decision (fresh, or sent back by FS), then qualified, disqualified
(with / without a re-approach date) and closed."""

from datetime import date
from types import SimpleNamespace

KIND = "message"

LEAD = SimpleNamespace(id=42, company="Acme <株式会社>", name="山田 太郎")
BARE = SimpleNamespace(id=7, company=None, name=None)
BASE = {"lead": LEAD, "owner": "U0IS1", "state": None, "today": None}

SAMPLES = [
    BASE,
    {**BASE, "lead": BARE, "owner": None},
    {**BASE, "state": {"stage": "sent_back", "reason": "missing_info", "by": "U0FS1"}},
    {**BASE, "state": {"stage": "sql", "by": "U0IS1", "fs_owner": "U0FS1", "reason": None, "recycle_at": None}},
    {**BASE, "state": {"stage": "recycled", "by": "U0IS1", "reason": "timing", "recycle_at": date(2027, 2, 1), "fs_owner": None}},
    {**BASE, "lead": BARE, "state": {"stage": "recycled", "by": None, "reason": "budget", "recycle_at": None, "fs_owner": None}},
    {**BASE, "state": {"stage": "closed", "by": "U0IS1", "reason": "duplicate", "recycle_at": None, "fs_owner": None}},
]
