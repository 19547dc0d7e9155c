KIND = "message"

_BATON = {"line": "*Baton*: ¥118,400,000 (80% range ¥104,000,000–¥132,800,000) · call ¥124,000,000 · system commit ¥121,000,000",
          "why_title": "Why", "why": ["already won ¥72,000,000", "Acme renewal: ¥20,000,000 × 55% → ¥11,000,000",
                                      "slip: 78% of deals due close inside the period (n=234) −¥4,800,000"], "fallback": None}  # fmt: skip

SAMPLES = [
    {"title": "Company forecast — Quarter FY2026-Q3",
     "header": "Field Sales team · call (the team's call, else its reps' calls summed) · won · system commit",
     "rows": ["*Field Sales East*: call ¥72,000,000 · won ¥42,000,000 · system commit ¥75,000,000",
              "*Field Sales <West>*: call ¥52,000,000 · won ¥30,000,000 · system commit ¥46,000,000"],
     "total": "*Company*: call ¥124,000,000 · won ¥72,000,000 · system commit ¥121,000,000",
     "target": "Target ¥150,000,000 · the system commit is 81% of it", "baton": _BATON},
    # many teams, nobody has called, no company target, the model on its defaults
    {"title": "Company forecast — Month 2026-11", "header": "Field Sales team · call · won · system commit",
     "rows": [f"*Team {i}*: call no call yet · won ¥0 · system commit ¥0" for i in range(45)],
     "total": "*Company*: call no call yet · won ¥0 · system commit ¥0", "target": None,
     "baton": {**_BATON, "why": [], "fallback": "Configured defaults (too little history): win rate phase 3, seasonality"}},
]
