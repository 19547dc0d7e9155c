"""Close lost: the configured reasons with their labels (the caller takes them from the catalogue)."""

from types import SimpleNamespace

KIND = "view"

REASONS = [("timing", "Timing"), ("budget", "Budget"), ("competitor", "Went with a competitor"), ("other", "Other")]

SAMPLES = [
    {"opp": SimpleNamespace(id=11, name="Big <deal> & co", account_name="Acme <KK>"), "reasons": REASONS},
    {"opp": SimpleNamespace(id=12, name="Fresh", account_name=None), "reasons": REASONS[-1:]},
]
