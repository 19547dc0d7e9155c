KIND = "message"

SAMPLES = [
    {"title": "Team forecast — Field Sales (Quarter FY2026-Q3)", "header": "Rep · submitted vs system commit · bias · expectation",
     "sections": ["<@U0TANAKA>: submitted ¥60M / system ¥55M · optimistic ×1.20 (n=4) · expect ¥50M\n<@U0SUZUKI>: ⚠️ no submission (system commit ¥20M)"],
     "total": "*Team total*: submitted ¥60M · system ¥75M · bias-adjusted ¥70M · team call ¥72M (Tue, Nov 17 10:00)",
     "rates_title": "Win rate by phase from history (where it differs from the default):", "rate_lines": ["phase 3: 31% (5/16) vs default 40%"],
     "accuracy": "Accuracy of past calls: 3/5 inside tolerance", "value": "quarter:fs",
     "adjusted": ["✏️ *Team number*: submitted ¥72,000,000 · *adjusted ¥66,000,000* · Baton ¥68,400,000",
                  "        • Wed, Nov 25 10:00 <@U0FSMGR>: ¥72,000,000 → ¥66,000,000 — Acme slips to January"],
     "adjust_options": [{"text": "Team number — Field Sales", "value": "quarter:team:fs"}, {"text": "Tanaka", "value": "quarter:rep:tanaka"},
                        {"text": "Suzuki", "value": "quarter:rep:suzuki"}],
     "baton": {"line": "*Baton*: ¥68,400,000 (80% range ¥61,000,000–¥75,800,000) · call ¥72,000,000 · system commit ¥75,000,000", "why_title": "Why",
               "why": ["already won ¥42,000,000", "Acme renewal: ¥20,000,000 × 55% → ¥11,000,000",
                       "rep calibration (how their deals really closed vs their phases) −¥3,100,000",
                       "slip: 78% of deals due close inside the period (n=234) −¥4,800,000"],
               "fallback": None}},
    # a new team: no history, no team call
    {"title": "Team forecast — Field Sales (Month 2026-11)", "header": "Rep · submitted vs system commit · bias · expectation", "sections": [],
     "total": "*Team total*: submitted ¥0 · system ¥0 · bias-adjusted ¥0", "rates_title": None, "rate_lines": [], "accuracy": None, "value": "month:fs",
     "baton": {"line": "*Baton*: ¥0 (80% range ¥0–¥0) · call none yet · system commit ¥0", "why_title": "Why", "why": [],
               "fallback": "Configured defaults (too little history): win rate phase 3, close-in-period rate, seasonality, new business"}},
]
