KIND = "message"

SAMPLES = [
    {"title": "Forecast meeting Tue, Nov 24 10:00 JST — summary",
     "sections": ["*<@U0TANAKA>* · submitted Mon, Nov 23 18:00\nStart ¥120M → … → now ¥125M\n• *Big <deal>*: amount up\n💬 The CFO signed off",
                  "*<@U0SUZUKI>* · ⚠️ not submitted\nStart ¥0 → … → now ¥0\nno answer"],
     "team_title": "*Team waterfall*", "team_waterfall": "Start ¥120M → … → now ¥125M",
     "gaps": ["*Calls beyond ±5% of Baton's forecast*", "• <@U0TANAKA>: call ¥60,000,000 vs Baton ¥48,000,000 (+25.0%)", "• <@U0SUZUKI>: call ¥5 vs Baton ¥0 (—)"]},
    {"title": "Forecast meeting Tue, Nov 24 10:00 JST — summary", "sections": [], "team_title": "*Team waterfall*", "team_waterfall": "Start ¥0 → now ¥0", "gaps": []},
]
