import json

KIND = "view"

SAMPLES = [
    {"team": False, "intro": "Quarter FY2026-Q3 · system: commit ¥60M, best case ¥80M, pipeline ¥380M", "commit": "60000000", "best_case": "80000000",
     "metadata": json.dumps({"kind": "quarter", "team": None})},
    {"team": True, "intro": "Month 2026-11 · system: commit ¥0, best case ¥0, pipeline ¥0", "commit": "0", "best_case": "0",
     "metadata": json.dumps({"kind": "month", "team": "fs"})},
]
