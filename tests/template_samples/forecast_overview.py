KIND = "message"

_FIELDS = [("Target", "¥150M"), ("Closed won", "¥42M"), ("Commit", "¥60M"), ("Best case", "¥80M"), ("Pipeline", "¥380M"),
           ("Required pipeline (remaining ÷ 23%)", "¥470M"), ("Coverage", "81%")]

SAMPLES = [
    {"title": "Forecast — Tanaka", "rep": "tanaka", "periods": [
        {"heading": "Month 2026-11", "fields": _FIELDS, "last": "No submission yet for this period."},
        {"heading": "Quarter FY2026-Q3", "fields": _FIELDS, "last": "Last submission: commit ¥60M / best case ¥80M on Tue, Nov 17 10:00 JST",
         "adjusted": "✏️ Your manager adjusted your number: submitted ¥60,000,000 → adjusted ¥55,000,000 · Baton ¥57,300,000\n"
                     "        • Wed, Nov 25 10:00 <@U0FSMGR>: ¥60,000,000 → ¥55,000,000 — Acme slips to January",
         "baton": {"line": "*Baton*: ¥57,300,000 (80% range ¥49,900,000–¥64,700,000) · call ¥60,000,000 · system commit ¥60,000,000",
                   "why_title": "Why", "why": ["already won ¥42,000,000", "Acme: ¥10,000,000 × 47% → ¥4,700,000", "seasonality ×1.20 +¥1,100,000"],
                   "fallback": "Configured defaults (too little history): calibration of Tanaka"}},
    ]},
]
