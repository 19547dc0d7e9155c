import json

KIND = "view"

SAMPLES = [
    {"questions": [{"id": "11", "label": "Big <deal> & co: amount up ¥10M → ¥12M"}, {"id": "12", "label": "Other: slipped out of the period"}],
     "metadata": json.dumps({"timer": 7, "rep": "tanaka"})},
    {"questions": [], "metadata": json.dumps({"timer": 7, "rep": "tanaka"})},  # only the overall note
]
