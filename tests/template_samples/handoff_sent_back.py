"""FS sent a hand-off back: the lead is an SAL again or went to the recycle loop; an upsell is closed."""

from datetime import date
from types import SimpleNamespace

KIND = "message"

OPP = SimpleNamespace(id=9, name="Acme 全社導入", account_name="Acme <株式会社>")
DECISION = {"outcome": "sent_back", "by": "U0FS1", "reason": "missing_info", "note": "決裁者 <未確認>"}
BASE = {"opp": OPP, "decision": DECISION, "is_owner": "U0IS1"}

SAMPLES = [
    {**BASE, "lead": SimpleNamespace(id=42, stage="sal", recycle_at=None)},
    {**BASE, "lead": SimpleNamespace(id=42, stage="recycled", recycle_at=date(2027, 1, 12))},
    {**BASE, "lead": None, "is_owner": "U0CS1", "opp": SimpleNamespace(id=10, name="Globex 追加ライセンス", account_name=None),
     "decision": {**DECISION, "reason": "no_budget"}},
]
