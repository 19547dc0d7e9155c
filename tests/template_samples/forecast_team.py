KIND = "message"

SAMPLES = [
    {"title": "Team forecast — Field Sales (Quarter FY2026-Q3)", "header": "Rep · submitted vs system commit · bias · expectation",
     "sections": ["<@U0TANAKA>: submitted ¥60M / system ¥55M · optimistic ×1.20 (n=4) · expect ¥50M\n<@U0SUZUKI>: ⚠️ no submission (system commit ¥20M)"],
     "total": "*Team total*: submitted ¥60M · system ¥75M · bias-adjusted ¥70M · team call ¥72M (Tue, Nov 17 10:00)",
     "rates_title": "Win rate by phase from history (where it differs from the default):", "rate_lines": ["phase 3: 31% (5/16) vs default 40%"],
     "accuracy": "Accuracy of past calls: 3/5 inside tolerance", "value": "quarter:fs"},
    # a new team: no history, no team call
    {"title": "Team forecast — Field Sales (Month 2026-11)", "header": "Rep · submitted vs system commit · bias · expectation", "sections": [],
     "total": "*Team total*: submitted ¥0 · system ¥0 · bias-adjusted ¥0", "rates_title": None, "rate_lines": [], "accuracy": None, "value": "month:fs"},
]
