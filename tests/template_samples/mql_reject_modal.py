"""The reject modal: the configured reasons, for a lead with and without company / name."""

from types import SimpleNamespace

KIND = "view"

REASONS = [SimpleNamespace(id=r) for r in ("not_a_fit", "no_interest_now", "bad_contact", "competitor", "duplicate", "spam", "other")]

SAMPLES = [
    {"lead": SimpleNamespace(id=42, company="Acme <株式会社>", name="山田 太郎", score=85), "reasons": REASONS},
    {"lead": SimpleNamespace(id=7, company=None, name=None, score=0), "reasons": REASONS[:1]},
]
