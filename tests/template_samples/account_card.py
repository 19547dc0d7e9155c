from datetime import date
from decimal import Decimal
from types import SimpleNamespace

KIND = "message"


def _account(**kw):
    base = dict(id=7, name="Acme & <Co>", arr=Decimal("12000000"), currency="JPY", contract_start=date(2026, 4, 1),
                renewal_date=date(2027, 3, 31), cs_stage="onboarding")
    return SimpleNamespace(**{**base, **kw})


SAMPLES = [
    {"account": _account(), "csm": "U0CSM", "ae": "U0AE"},
    # no owners yet, no dates, a foreign currency
    {"account": _account(contract_start=None, renewal_date=None, currency="USD", arr=Decimal("1234.5"), cs_stage="adoption"), "csm": None, "ae": None},
]
