from tests.template_samples.health_alert import _DATA, _alert, _values

KIND = "message"

SAMPLES = [
    _values(_alert("escalated"), escalated_by="U0CSM"),
    # nobody acknowledged in time; no CSM, no renewal date, no baseline
    _values(_alert("escalated"), csm=None, days_to_renewal=None, data={**_DATA, "baseline": None}),
]
