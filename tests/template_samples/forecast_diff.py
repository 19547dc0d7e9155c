KIND = "message"

# Lines come pre-rendered from the catalogue (bot/notify/forecast.py); fixed here, any locale.
_WATERFALL = "Start ¥120M → +new ¥12M → +pulled in ¥0 → +increased ¥3M → −decreased ¥1M → −slipped ¥8M → −lost ¥5M → +won ¥4M → ±category/owner moves ¥0 → now ¥125M"

SAMPLES = [
    # a rep's diff, more changes than the cap: the "show all" button
    {"title": "What changed — 田中 · Quarter FY2026-Q3", "intro": None, "since": "since Tue, Nov 17 10:00 JST", "waterfall": _WATERFALL,
     "sections": ["• *Big <deal> & co*: amount up ¥10M → ¥12M", "• *Other*: slipped out of the period (Dec 20 → Jan 15)"], "empty": None,
     "capped": "Showing 2 of 9 changed deals.", "more_value": "d|tanaka|quarter|2", "more_label": "Show all 9", "buttons": []},
    # the meeting prompt: an intro and two buttons, nothing changed
    {"title": "Forecast meeting Tue, Nov 24 10:00 JST — what changed since the last meeting?",
     "intro": "Please explain the changes below and submit your forecast before the meeting.",
     "since": "no earlier forecast: every deal counts as new", "waterfall": _WATERFALL, "sections": [], "empty": "No deal changed since then.",
     "capped": None, "more_value": None, "more_label": "Show all 0",
     "buttons": [{"action_id": "forecast_explain", "value": "7:tanaka", "text": "Explain changes", "style": "primary"},
                 {"action_id": "forecast_submit", "value": "quarter", "text": "Submit forecast"}]},
]
