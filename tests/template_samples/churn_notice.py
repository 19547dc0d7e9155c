from decimal import Decimal
from types import SimpleNamespace

KIND = "message"

_ACC = SimpleNamespace(id=7, name="Acme & <Co>", arr=Decimal("12000000"), currency="JPY")

SAMPLES = [
    {"account": _ACC, "reason": "competitor", "by": "U0CSM"},
    {"account": _ACC, "reason": "other", "by": None},  # marked by the system (import), no one to credit
]
