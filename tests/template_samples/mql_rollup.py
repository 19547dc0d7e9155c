"""The burst roll-up: sources and reps (one unassigned, claim mode), none decided / some decided."""

KIND = "message"

SAMPLES = [
    {"total": 120, "decided": 0, "started_at": None, "sources": [("webinar", 100), ("csv <import>", 19), ("-", 1)],
     "reps": [("U0IS1", 60), ("U0IS2", 59), (None, 1)]},
    {"total": 1, "decided": 1, "started_at": None, "sources": [("ads", 1)], "reps": [(None, 1)]},
]
