from datetime import date

from tests.template_samples.health_alert import _DATA, _alert, _values
from tests.template_samples import LINKS

KIND = "message"

SAMPLES = [
    _values(_alert("escalated"), escalated_by="U0CSM"),
    # nobody acknowledged in time; no CSM, no renewal date, no baseline
    _values(_alert("escalated"), csm=None, days_to_renewal=None, data={**_DATA, "baseline": None}),
]
# Decided after the escalation: acknowledged with a next step, or recovered — no button.
SAMPLES += [
    _values(_alert("acknowledged", next_step="Call the <champion>", next_step_due=date(2026, 11, 30)), escalated_by="U0CSM", by="U0CSMGR"),
    _values(_alert("resolved"), data={**_DATA, "resolved_score": 82}),
]
# With app.yaml `links`: the account links to the CRM.
SAMPLES += [{**SAMPLES[0], "links": LINKS}]
