"""A re-engaged lead's history: stage events with and without reason / note (as notify.recycle.history_lines gives them)."""

from datetime import UTC, datetime

KIND = "message"

EVENTS = [
    {"at": datetime(2026, 5, 1, 1, 0, tzinfo=UTC), "from": "·", "to": "リード", "reason": None, "note": None},
    {"at": datetime(2026, 5, 2, 1, 0, tzinfo=UTC), "from": "リード", "to": "MQL", "reason": "スコア到達", "note": None},
    {"at": datetime(2026, 5, 3, 1, 0, tzinfo=UTC), "from": "MQL", "to": "リサイクル", "reason": "今は関心なし <x>", "note": "来期に <再検討>"},
    {"at": datetime(2026, 11, 24, 1, 0, tzinfo=UTC), "from": "リサイクル", "to": "MQL", "reason": "再開", "note": None},
]

SAMPLES = [
    {"events": EVENTS, "count": 1},
    {"events": EVENTS[:1], "count": 3},
]
