"""The send-back modal: the configured reasons, for an opportunity with and without an account name."""

from types import SimpleNamespace

KIND = "view"

REASONS = [SimpleNamespace(id=r) for r in ("not_qualified", "missing_info", "no_budget", "bad_timing")]

SAMPLES = [
    {"opp": SimpleNamespace(id=9, name="Acme 全社導入", account_name="Acme <株式会社>"), "reasons": REASONS},
    {"opp": SimpleNamespace(id=10, name="Globex 追加ライセンス", account_name=None), "reasons": REASONS[:1]},
]
