from datetime import date
from decimal import Decimal
from types import SimpleNamespace

KIND = "view"

# Words the caller takes from the catalogue (pl_phase_name.*); fixed here, any locale.
PHASE_NAMES = {1: "beyond lead", 2: "problem recognised", 3: "evaluation & selection", 4: "final negotiation", 5: "internal approval"}

SAMPLES = [
    {"opp": SimpleNamespace(id=11, name="Big <deal> & co", account_name="Acme", phase=3, close_date=date(2026, 12, 20), amount=Decimal("12000000"),
                            next_action="Demo for the <CFO>", next_action_due=date(2026, 11, 30), key_person="Sato (CFO)", competitors="X, Y",
                            risks="Budget freeze\nin Q1"), "phase_names": PHASE_NAMES},
    # a fresh deal: nothing filled in yet
    {"opp": SimpleNamespace(id=12, name="Fresh", account_name=None, phase=1, close_date=None, amount=None, next_action=None, next_action_due=None,
                            key_person=None, competitors=None, risks=None), "phase_names": PHASE_NAMES},
]
