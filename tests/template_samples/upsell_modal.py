from decimal import Decimal
from types import SimpleNamespace

KIND = "view"

SAMPLES = [
    {"account": SimpleNamespace(id=7, name="Acme & <Co>", arr=Decimal("12000000"), currency="JPY")},
]
