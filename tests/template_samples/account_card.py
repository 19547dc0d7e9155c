from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from tests.template_samples import LINKS

KIND = "message"


def _account(**kw):
    base = dict(id=7, name="Acme & <Co>", arr=Decimal("12000000"), currency="JPY", contract_start=date(2026, 4, 1),
                renewal_date=date(2027, 3, 31), cs_stage="onboarding", handoff_state=None, handoff_due_at=None, kickoff_on=None, churned=False, churn_reason=None)
    return SimpleNamespace(**{**base, **kw})


NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
DEAL = SimpleNamespace(name="Acme <全社導入>", amount=Decimal("15000000"), currency="JPY", close_date=date(2026, 11, 24),
                       key_person="CIO", competitors="X, Y", risks=None, next_action="キックオフ準備")
HANDOFF = {"deal": DEAL, "notes": {"need": "属人化 <解消>", "authority": "CIO"}, "today": NOW, "sla_state": None, "by": None}
PENDING = _account(cs_stage="handoff", handoff_state="pending", handoff_due_at=datetime(2026, 11, 24, 8, 0, tzinfo=UTC))

SAMPLES = [
    {"account": _account(), "csm": "U0CSM", "ae": "U0AE", "handoff": None},
    # a won deal waiting for its CSM: the deal's items and notes, the SLA (due, warning, breached), Accept
    {"account": PENDING, "csm": "U0CSM", "ae": "U0AE", "handoff": HANDOFF},
    {"account": PENDING, "csm": None, "ae": "U0AE", "handoff": {**HANDOFF, "sla_state": "warning"}},
    {"account": PENDING, "csm": "U0CSM", "ae": "U0AE", "handoff": {**HANDOFF, "sla_state": "breached", "deal": None}},
    {"account": _account(handoff_state="accepted", kickoff_on=date(2026, 12, 1)), "csm": "U0CSM", "ae": "U0AE", "handoff": {**HANDOFF, "by": "U0CSM"}},
    # no owners yet, no dates, a foreign currency
    {"account": _account(contract_start=None, renewal_date=None, currency="USD", arr=Decimal("1234.5"), cs_stage="adoption"), "csm": None, "ae": None, "handoff": None},
]
# With app.yaml `links`: the account links to the CRM.
SAMPLES += [{**SAMPLES[1], "links": LINKS}]
# Churned: the card says so and loses its buttons.
SAMPLES += [{"account": _account(handoff_state="accepted", churned=True, churn_reason="competitor"), "csm": "U0CSM", "ae": "U0AE", "handoff": None}]
