"""The personal daily digest: a few held notifications, and more than fit."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

KIND = "message"

NOW = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
ITEMS = [
    SimpleNamespace(kind="new_mql", created_at=NOW - timedelta(hours=15), text="🆕 New MQL: Acme / 山田 太郎 (score 85)"),
    SimpleNamespace(kind="recycle_nudge", created_at=NOW - timedelta(days=1, hours=2), text="♻️ Recycles due today: 3"),
]

SAMPLES = [
    {"items": ITEMS, "more": 0, "now": NOW},
    {"items": ITEMS[:1], "more": 24, "now": NOW},
]
