"""A re-engaged lead's history: stage events with and without reason / note."""

from datetime import UTC, datetime
from types import SimpleNamespace

KIND = "message"

EVENTS = [
    SimpleNamespace(at=datetime(2026, 5, 1, 1, 0, tzinfo=UTC), from_stage=None, to_stage="lead", reason=None, note=None),
    SimpleNamespace(at=datetime(2026, 5, 2, 1, 0, tzinfo=UTC), from_stage="lead", to_stage="mql", reason="score", note=None),
    SimpleNamespace(at=datetime(2026, 5, 3, 1, 0, tzinfo=UTC), from_stage="mql", to_stage="recycled", reason="no_interest_now",
                    note="来期に <再検討>"),
    SimpleNamespace(at=datetime(2026, 11, 24, 1, 0, tzinfo=UTC), from_stage="recycled", to_stage="mql", reason="re_engaged", note=None),
]

SAMPLES = [
    {"events": EVENTS, "count": 1},
    {"events": EVENTS[:1], "count": 3},
]
