"""The hand-off card: an SQL from IS (BANT notes; due, warning, breached) and an upsell from CS (with a
measured / unmeasured customer), then accepted or sent back."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from tests.template_samples import LINKS, with_external_id

KIND = "message"

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
OPP = SimpleNamespace(id=9, name="Acme 全社導入", account_name="Acme <株式会社>", amount=Decimal("12000000"), currency="JPY")
LEAD = SimpleNamespace(id=42, name="山田 太郎")
NOTES = {"budget": "1,000万円 (承認済み)", "authority": "CIO", "need": "属人化した引き継ぎ <解消>", "timing": "Q1", "notes": None}
BASE = {"opp": OPP, "lead": LEAD, "notes": NOTES, "fs_owner": "U0FS1", "is_owner": "U0IS1", "due_at": NOW + timedelta(hours=20),
        "today": NOW, "decision": None, "sla_state": None, "upsell": False, "account": None, "days_to_renewal": None,
        "deal": None}  # fmt: skip
# Accepted: the card carries the deal (phase, items, Update / Close won / Close lost), then its close.
DEAL = SimpleNamespace(**{**vars(OPP), "phase": 3, "status": "open", "close_date": date(2026, 12, 20), "next_action": "見積 <提出>"})
ACCEPTED = {**BASE, "decision": {"outcome": "accepted", "by": "U0FS1", "reason": None, "note": None}, "opp": DEAL,
            "deal": {"missing": ["キーパーソン", "競合"], "by": None, "reason": None}}  # fmt: skip
ACCOUNT = SimpleNamespace(name="Globex", arr=Decimal("4800000"), currency="JPY", health_score=82, health_band="green")
UPSELL = {**BASE, "upsell": True, "lead": None, "is_owner": "U0CS1", "notes": {"cs_notes": "利用部門が3部署に拡大"},
          "opp": SimpleNamespace(id=10, name="Globex 追加ライセンス", account_name="Globex", amount=None, currency="JPY"),
          "account": ACCOUNT, "days_to_renewal": 45}  # fmt: skip

SAMPLES = [
    BASE,
    {**BASE, "sla_state": "warning"},
    {**BASE, "sla_state": "breached", "due_at": NOW - timedelta(days=1)},
    {**BASE, "due_at": None, "notes": {}, "lead": None, "opp": SimpleNamespace(**{**vars(OPP), "account_name": None})},
    {**BASE, "decision": {"outcome": "accepted", "by": "U0FS1", "reason": None, "note": None}},
    {**BASE, "decision": {"outcome": "sent_back", "by": "U0FS1", "reason": "missing_info", "note": "決裁者 <未確認>"}},
    ACCEPTED,
    {**ACCEPTED, "opp": SimpleNamespace(**{**vars(DEAL), "status": "won"}), "deal": {"missing": [], "by": "U0FS1", "reason": None}},
    {**ACCEPTED, "opp": SimpleNamespace(**{**vars(DEAL), "status": "lost", "close_date": None, "next_action": None}),
     "deal": {"missing": [], "by": None, "reason": "競合 <X社>"}},
    UPSELL,
    {**UPSELL, "account": SimpleNamespace(**{**vars(ACCOUNT), "health_band": None, "health_score": None}), "days_to_renewal": None},
    {**UPSELL, "fs_owner": None},  # an upsell may find no FS rep (owner: the account AE, or nobody)
    {**UPSELL, "account": None, "decision": {"outcome": "sent_back", "by": "U0FS1", "reason": "no_budget", "note": "来期予算"}},
]
# With app.yaml `links`: the deal links to the CRM (an upsell too).
SAMPLES += [{**BASE, "links": LINKS, "opp": with_external_id(OPP)}, {**UPSELL, "links": LINKS, "opp": with_external_id(UPSELL["opp"])}]
