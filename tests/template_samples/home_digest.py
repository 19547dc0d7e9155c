"""The personal daily digest: a few held notifications, and more than fit."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

KIND = "message"

NOW = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
BUTTONS = [
    {"type": "button", "action_id": "mql_accept", "style": "primary", "value": "12", "text": {"type": "plain_text", "text": "承認 (SAL)"}},
    {"type": "button", "action_id": "mql_reject", "style": "danger", "value": "12", "text": {"type": "plain_text", "text": "却下"}},
]
ITEMS = [
    SimpleNamespace(id=1, kind="handover", created_at=NOW - timedelta(hours=15), text="🔁 Acme / 山田 太郎 is yours now", actions=BUTTONS),
    SimpleNamespace(id=2, kind="renewal", created_at=NOW - timedelta(days=1, hours=2), text="📅 Renewal in 30 days: Acme", actions=None),
]

SAMPLES = [
    {"items": ITEMS, "more": 0, "now": NOW},
    {"items": ITEMS[:1], "more": 24, "now": NOW},
]
