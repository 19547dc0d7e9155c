from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from tests.template_samples import LINKS

KIND = "message"


def _values(due, **acc):
    account = SimpleNamespace(**{**dict(id=7, name="Acme & <Co>", arr=Decimal("12000000"), currency="JPY", health_score=38, health_band="red"), **acc})
    return {"account": account, "due": due, "csm": "U0CSM", "ae": "U0AE", "days_to_renewal": due.days_left, "decided": None}


def _due(**kw):
    return SimpleNamespace(**{**dict(account_id=7, renewal_date=date(2027, 1, 31), offset=60, days_left=60, at_risk=False, falling=None), **kw})


SAMPLES = [
    _values(_due()),
    _values(_due(at_risk=True, falling=12)),  # red and falling
    _values(_due(at_risk=True, falling=9, offset=30, days_left=30), health_score=None, health_band=None),  # falling, never scored
    {**_values(_due(at_risk=True), health_band="yellow", health_score=55), "csm": None, "ae": None},
]
# With app.yaml `links`: the account links to the CRM.
SAMPLES += [{**SAMPLES[1], "links": LINKS}]
# Decided: every copy says so and loses its Churn / Upsell buttons.
SAMPLES += [{**SAMPLES[1], "decided": {"what": "churned", "reason": "competitor", "by": "U0CSM"}},
            {**SAMPLES[0], "decided": {"what": "upsell", "name": "追加 <ライセンス>", "by": None}}]
