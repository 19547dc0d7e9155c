"""The qualify (BANT) modal, for a lead with and without company / name."""

from types import SimpleNamespace

KIND = "view"

SAMPLES = [
    {"lead": SimpleNamespace(id=42, company="Acme <株式会社>", name="山田 太郎"), "reasons": []},
    {"lead": SimpleNamespace(id=7, company=None, name=None), "reasons": []},
]
