"""The CS hand-off's SLA replies: a warning to the CSM, a breach naming the CS manager (or none)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

KIND = "message"

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
BASE = {"kind": "warning", "account": SimpleNamespace(name="Acme <KK>"), "csm": "U0CSM", "manager": None, "today": NOW, "due_at": NOW + timedelta(hours=2)}

SAMPLES = [BASE, {**BASE, "kind": "breached", "manager": "U0CSMGR"}, {**BASE, "kind": "breached", "csm": None}]
