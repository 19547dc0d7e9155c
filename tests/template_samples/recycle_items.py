"""The recycle nudge (header, grouped items, "and N more") and the "show all" reply (no header)."""

from datetime import date
from types import SimpleNamespace

KIND = "message"

TODAY = date(2026, 11, 24)
FULL = {"id": 3, "title": "Acme <株式会社> / 山田 太郎", "reason_label": "今は関心なし", "due": TODAY, "owner": "U0IS1",
        "count": 2, "snoozes": 1, "note": "来期に再検討 <予算>", "history": ["mql", "recycled", "mql", "sal", "recycled"],
        "kind": "lead", "record": SimpleNamespace(id=3, external_id="00Q 1/2")}  # fmt: skip
BARE = {"id": 4, "title": "Globex", "reason_label": None, "due": date(2026, 11, 20), "owner": None, "count": 0,
        "snoozes": 0, "note": None, "history": [], "kind": "opportunity", "record": None}  # fmt: skip
BASE = {"header": True, "groups": [("rejected", [FULL, BARE]), ("lost", [{**BARE, "id": 5, "title": "Initech 商談"}])],
        "more": 0, "total": 3, "count": 3, "today": TODAY, "snooze_days": [30, 60, 90], "show_more_value": "is:2026-11-24"}  # fmt: skip

SAMPLES = [
    BASE,
    {**BASE, "more": 12, "total": 15},
    {**BASE, "header": False, "groups": [("churned", [FULL])], "count": 1, "show_more_value": ""},
]
