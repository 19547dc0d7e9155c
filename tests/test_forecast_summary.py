"""The managers' forecast-meeting summary: each explanation beside its deal, the right submission
status (since the last meeting), every change kind the rep's prompt listed (won deals, category
moves); `POST /api/admin/jobs/forecast_meetings` prompts the next meeting now."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.test_forecast_flow import MGR_CH, change, dms, forecast_config, make_deal, submit_via_modal, text_of


@pytest.fixture
def config_path(tmp_path):
    return forecast_config(tmp_path)


def _summaries(h):
    return [text_of(m) for m in h.emu.channel_messages(MGR_CH) if "summary" in (m.get("text") or "")]


def _section_of(summary: str, who: str) -> str:
    """The rep's part of the summary, from their heading `*<@U…>* · status` (sections are JSON
    strings in text_of; a flagged call above the sections names the rep too)."""
    start = summary.index(f"*{who}* ·")
    nxt = [i for i in (summary.find("*<@U0", start + 1),) if i > 0]
    return summary[start : nxt[0] if nxt else len(summary)]


async def test_summary_lists_every_change_with_its_explanation_and_the_right_status(harness):
    h = harness
    k1 = await make_deal(h, "K1", "kato", 6_000_000, "2026-12-10", phase=4)
    await make_deal(h, "K2", "kato", 3_000_000, "2026-12-15", phase=5, forecast_category="best_case")
    await make_deal(h, "K3", "kato", 2_000_000, "2026-12-20", phase=3, forecast_category="pipeline")
    await submit_via_modal(h, "kato", commit="6000000", best="9000000")  # Tue Nov 24, before any meeting
    assert await h.baton.scheduler.run_job("forecast_meetings") == 2
    h.clock.advance(timedelta(days=1))
    await change(h, "K1", amount=7_000_000)
    await change(h, "K2", status="won")  # won: a change kind of its own
    await change(h, "K3", forecast_category="commit")  # a category move with no amount change
    await h.advance(days=4, hours=22, minutes=31)  # Mon Nov 30 08:31: the prompts
    (prompt,) = [m for m in dms(h, "kato") if "Forecast meeting" in text_of(m)]
    listed = text_of(prompt)
    assert "Deal K2" in listed and "Deal K3" in listed and "category" in listed
    await h.click("kato", prompt, "forecast_explain")
    view = h.emu.open_views(h.person("kato"))[-1]
    await h.emu.submit_view(h.person("kato"), view["id"], {f"deal_{k1}": {"value": "20 more seats"}, "note": {"value": "Quarter on track"}})
    await h.deliver()
    await h.advance(hours=1)  # 09:31: the summary
    (summary,) = _summaries(h)
    kato = _section_of(summary, "<@U0KATO>")
    # Every deal the prompt listed, with Kato's answer right under K1 (not in a list of its own).
    for deal in ("Deal K1", "Deal K2", "Deal K3"):
        assert deal in kato, deal
    assert "won" in kato and "category" in kato
    lines = kato.split("\\n")  # text_of gives the blocks as JSON: newlines are escaped
    at = next(i for i, line in enumerate(lines) if "Deal K1" in line)
    assert "↳ 💬 20 more seats" in lines[at + 1]
    assert "Overall: Quarter on track" in kato
    # Kato submitted (before the first meeting: it counts); Yoshida never did.
    assert "not submitted" not in kato and "submitted" in kato
    assert "not submitted" in _section_of(summary, "<@U0YOSHI>")

    # Next week: Kato submits after the first meeting → submitted; Yoshida still not.
    await h.advance(hours=4)  # Mon 13:31, the meeting is over
    await submit_via_modal(h, "kato", commit="7000000", best="7000000")
    await h.advance(days=6, hours=20)  # Mon Dec 7 09:31
    second = _summaries(h)[-1]
    assert len(_summaries(h)) == 2
    assert "not submitted" not in _section_of(second, "<@U0KATO>")
    assert "not submitted" in _section_of(second, "<@U0YOSHI>")


async def test_running_the_meeting_job_now_prompts_the_next_meeting_once(harness):
    h = harness
    await make_deal(h, "K1", "kato", 6_000_000, "2026-12-10", phase=4)
    status, body = await h.post("/api/admin/jobs/forecast_meetings", {})
    assert status == 200, body
    prompted = body["result"]["prompted"]
    assert [(p["meeting"], p["occurrence"][:16], sorted(p["reps"]), p["already"]) for p in prompted] == [
        ("fs_weekly", "2026-11-30T10:00", ["kato", "yoshida"], False)
    ]
    await h.deliver()
    assert len([m for m in dms(h, "kato") if "Forecast meeting" in text_of(m)]) == 1  # now, not Monday 08:30
    status, body = await h.post("/api/admin/jobs/forecast_meetings", {})
    assert body["result"]["prompted"][0]["already"] is True
    await h.advance(days=5, hours=22, minutes=31)  # the prompt timer fires: nobody is prompted twice
    assert len([m for m in dms(h, "kato") if "Forecast meeting" in text_of(m)]) == 1
    await h.advance(hours=1)
    assert len(_summaries(h)) == 1  # the summary keeps its time
