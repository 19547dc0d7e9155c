KIND = "message"

_ROW = ("*Month 2026-{m:02d}* · actual ¥1,234,567,890 — Baton ¥1,200,000,000 (−2.8% ✅) · call ¥1,500,000,000 (+21.5% ⚠️)"
        " · commit sum ¥900,000,000 (−27.1% ⚠️)")
_SUMMARY = ["*Baton*: MAPE 6.2% · 9/12 periods inside ±10%", "*call*: MAPE 14.0% · 3/12 periods inside ±10%",
            "*commit sum*: MAPE 22.9% · 0/12 periods inside ±10%"]
_NOTE = "Error = (forecast − actual) ÷ actual. MAPE = mean of |error| over periods with bookings."

SAMPLES = [
    # a team, both kinds, the month list capped (12 of 30 shown)
    {"title": "Forecast accuracy — Field Sales & <Co>", "intro": "The team's past periods at their lock points.", "note": _NOTE, "kinds": [
        {"heading": "Months (inside = within ±10%)", "summary": _SUMMARY, "rows": [_ROW.format(m=m) for m in range(12, 0, -1)],
         "shown": "Newest 12 of 30 periods shown; the summary counts all 30.", "empty": None},
        {"heading": "Quarters (inside = within ±5%)", "summary": _SUMMARY, "rows": ["*Quarter FY2026-Q2* · actual ¥0 — Baton ¥0 (— ✅) · call ¥5 (— ⚠️) · commit sum ¥0 (— ✅)"],
         "shown": None, "empty": None},
    ]},
    # too little history, one kind asked for
    {"title": "Forecast accuracy — Kato", "intro": "Your past calls.", "note": _NOTE, "kinds": [
        {"heading": "Quarters (inside = within ±5%)", "summary": [], "rows": [], "shown": None,
         "empty": "Not enough history for a backtest yet: a period is scored once it has closed, a call for it was made before its lock point, and at least 12 months of deal history came before that point."},
    ]},
]
