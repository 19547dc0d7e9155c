KIND = "view"

SAMPLES = [
    {"intro": "*<@U0KATO>* · Quarter FY2026-Q3\nsubmitted ¥5,000,000 · system commit ¥6,000,000", "amount": "5000000", "metadata": "quarter:rep:kato"},
    # the team's number, adjusted before
    {"intro": "*the team Field Sales* · Month 2026-11\nsubmitted none · system commit ¥0 · adjusted now ¥9,000,000", "amount": "9000000",
     "metadata": "month:team:fs"},
]
