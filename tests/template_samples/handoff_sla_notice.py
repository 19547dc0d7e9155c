"""The hand-off SLA replies: a warning, and a breach with and without the manager named."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

KIND = "message"

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
OPP = SimpleNamespace(id=9, name="Acme 全社導入", account_name="Acme <株式会社>")
BASE = {"opp": OPP, "fs_owner": "U0FS1", "manager": None, "today": NOW, "due_at": NOW + timedelta(hours=2)}

SAMPLES = [
    {**BASE, "kind": "warning"},
    {**BASE, "kind": "breached", "manager": "U0MGR"},
    {**BASE, "kind": "breached", "opp": SimpleNamespace(id=10, name="Globex 追加ライセンス", account_name=None)},
]
