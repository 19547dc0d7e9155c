"""Close won: a deal with an amount (pre-filled) and one without."""

from decimal import Decimal
from types import SimpleNamespace

KIND = "view"

SAMPLES = [
    {"opp": SimpleNamespace(id=11, name="Big <deal> & co", account_name="Acme", amount=Decimal("12000000"))},
    {"opp": SimpleNamespace(id=12, name="Fresh", account_name=None, amount=Decimal("0"))},
]
