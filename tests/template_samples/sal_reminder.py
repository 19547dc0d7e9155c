"""The idle-SAL reminder, with and without a company name."""

from types import SimpleNamespace

KIND = "message"

SAMPLES = [
    {"lead": SimpleNamespace(id=42, company="Acme <株式会社>", name="山田 太郎"), "owner": "U0IS1", "days": 5},
    {"lead": SimpleNamespace(id=7, company=None, name=None), "owner": "U0IS1", "days": 14},
]
