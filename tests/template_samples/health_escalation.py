from tests.template_samples.health_alert import _DATA, _alert, _values
from tests.template_samples import LINKS

KIND = "message"

SAMPLES = [
    _values(_alert("escalated"), escalated_by="U0CSM"),
    # nobody acknowledged in time; no CSM, no renewal date, no baseline
    _values(_alert("escalated"), csm=None, days_to_renewal=None, data={**_DATA, "baseline": None}),
]
# With app.yaml `links`: the account links to the CRM.
SAMPLES += [{**SAMPLES[0], "links": LINKS}]
