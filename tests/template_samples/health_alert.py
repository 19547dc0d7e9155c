from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from tests.template_samples import LINKS

KIND = "message"

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
_ACC = SimpleNamespace(id=7, name="Acme & <Co>", arr=Decimal("12000000"), currency="JPY", renewal_date=date(2027, 3, 31))
_DATA = {
    "score": 48, "band": "red",
    "baseline": {"score": 71, "band": "yellow", "day": "2026-10-25"},
    "triggers": [
        {"kind": "score_drop", "from": 71, "to": 48, "days": 30},
        {"kind": "band_down", "from": "yellow", "to": "red"},
        {"kind": "collapse", "measure": "logins", "from": 120.0, "to": 33.333, "pct": -72, "days": 14},
    ],
    "moved": [{"measure": "logins", "from": 30, "to": 8, "delta": -22, "value_from": 120.0, "value_to": 33.333},
              {"measure": "active", "from": 76, "to": 40, "delta": -36, "value_from": 0.76, "value_to": 0.4},
              {"measure": "nps", "from": 10, "to": 13, "delta": 3, "value_from": None, "value_to": 5}],
    "resolved_score": 75,
}
_LABELS = {"logins": "Weekly logins <all users>"}


def _alert(state, **kw):
    base = dict(id=3, state=state, next_step=None, next_step_due=None, snoozed_until=None)
    return SimpleNamespace(**{**base, **kw})


def _values(alert, **kw):
    values = dict(account=_ACC, alert=alert, data=_DATA, labels=_LABELS, units={"active": "percent"}, due_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC), since=date(2026, 10, 25),
                  now=NOW, by=None, escalated_by=None, manager="U0CSMGR", csm="U0CSM", ae="U0AE", days_to_renewal=127)
    return {**values, **kw}


SAMPLES = [
    _values(_alert("open")),
    _values(_alert("snoozed", snoozed_until=datetime(2026, 11, 26, 0, 0, tzinfo=UTC))),
    _values(_alert("acknowledged", next_step="Call the <champion> & agree a plan", next_step_due=date(2026, 11, 30)), by="U0CSM"),
    _values(_alert("escalated"), escalated_by="U0CSM"),
    # escalated by the SLA timer, no CS manager configured, no CSM, no renewal date, no baseline
    _values(_alert("escalated"), manager=None, csm=None, days_to_renewal=None,
            data={**_DATA, "baseline": None, "moved": [], "triggers": [{"kind": "band_down", "from": "green", "to": "yellow"}], "band": "yellow"}, since=None),
    _values(_alert("resolved")),
]
# With app.yaml `links`: the account links to the CRM.
SAMPLES += [{**SAMPLES[0], "links": LINKS}]
