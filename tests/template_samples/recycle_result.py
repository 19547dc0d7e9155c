"""The outcome of each recycle button: re-engaged, snoozed, closed."""

from datetime import date

KIND = "message"

BASE = {"by": "U0IS1", "title": "Acme <株式会社> / 山田 太郎", "count": 2, "due": date(2026, 12, 24), "reason": None, "asked": None}

SAMPLES = [
    {**BASE, "outcome": "re_engaged"},
    {**BASE, "outcome": "snoozed"},
    # the chosen day was a Saturday: moved to the next working day, said so
    {**BASE, "outcome": "snoozed", "due": date(2026, 12, 28), "asked": date(2026, 12, 26)},
    {**BASE, "outcome": "closed", "reason": "do_not_contact"},
]
