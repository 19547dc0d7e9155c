"""Forecast meetings keep their explanations as rows: one per answer, queryable by rep and by deal,
replaced when a rep re-submits, shown in the managers' summary, and refused once the meeting is over."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.domain import forecast_meetings as fm
from tests.conftest import JST
from tests.test_forecast_flow import MGR_CH, change, dms, forecast_config, make_deal, submit_via_modal, text_of

MEETING = datetime(2026, 11, 30, 10, 0, tzinfo=JST)  # the first Monday meeting after T0 (Tue Nov 24 10:00)


@pytest.fixture
def config_path(tmp_path):
    return forecast_config(tmp_path)


async def _prompted(h):
    """Kato's deal moved since his submission; the prompts of the Nov 30 meeting went out (08:31)."""
    k1 = await make_deal(h, "K1", "kato", 6_000_000, "2026-12-10", phase=4)
    await submit_via_modal(h, "kato", commit="6000000", best="6000000")
    assert await h.baton.scheduler.run_job("forecast_meetings") == 2
    await change(h, "K1", amount=7_000_000)
    await h.advance(days=5, hours=22, minutes=31)
    (prompt,) = [m for m in dms(h, "kato") if "Forecast meeting" in text_of(m)]
    async with h.baton.ctx.uow() as uow:
        occ = await fm.find(uow, "fs_weekly", MEETING)
    assert occ is not None
    return k1, occ, prompt


async def _explain(h, prompt):
    await h.click("kato", prompt, "forecast_explain")
    view = h.emu.open_views(h.person("kato"))[-1]
    blocks = {b["block_id"] for b in view["view"]["blocks"] if b["type"] == "input"}
    return view, blocks


async def _answers(h, occurrence_id, **narrow):
    async with h.baton.ctx.uow() as uow:
        return [(e.rep, e.block, e.opportunity_id, e.text) for e in await fm.explanations_for(uow, occurrence_id, **narrow)]


def _summaries(h):
    return [text_of(m) for m in h.emu.channel_messages(MGR_CH) if "summary" in (m.get("text") or "")]


async def test_an_explanation_is_a_row_per_deal_and_rep_and_shows_in_the_summary(harness):
    h = harness
    k1, occ, prompt = await _prompted(h)
    view, blocks = await _explain(h, prompt)
    assert blocks == {f"deal_{k1}", "note"}
    await h.emu.submit_view(h.person("kato"), view["id"], {f"deal_{k1}": {"value": "Customer added 20 seats"}, "note": {"value": "Rest as planned"}})
    await h.deliver()
    assert "goes into the managers' summary" in dms(h, "kato")[-1]["text"]
    assert await _answers(h, occ.id) == [("kato", f"deal_{k1}", k1, "Customer added 20 seats"), ("kato", "note", None, "Rest as planned")]
    assert await _answers(h, None, opportunity_id=k1) == [("kato", f"deal_{k1}", k1, "Customer added 20 seats")]  # by deal, any meeting
    assert await _answers(h, occ.id, rep="yoshida") == []

    # Re-submitting replaces Kato's answers for this meeting (the note he left out is gone).
    view, _ = await _explain(h, prompt)
    await h.emu.submit_view(h.person("kato"), view["id"], {f"deal_{k1}": {"value": "20 seats, signed Friday"}})
    await h.deliver()
    assert await _answers(h, occ.id, rep="kato") == [("kato", f"deal_{k1}", k1, "20 seats, signed Friday")]

    await h.advance(hours=1)  # 09:31: the summary
    (summary,) = _summaries(h)
    assert "20 seats, signed Friday" in summary and "Customer added 20 seats" not in summary and "Rest as planned" not in summary
    async with h.baton.ctx.uow() as uow:
        assert (await fm.get(uow, occ.id)).summarised_at == h.clock.now()

    # After the summary an answer is still kept, and the rep is told the managers will not read it there.
    view, _ = await _explain(h, prompt)
    await h.emu.submit_view(h.person("kato"), view["id"], {"note": {"value": "One more thing"}})
    await h.deliver()
    assert "already been posted" in dms(h, "kato")[-1]["text"]
    assert await _answers(h, occ.id, rep="kato") == [("kato", "note", None, "One more thing")]


async def test_answers_are_refused_once_the_meeting_is_over_or_from_anyone_else(harness):
    h = harness
    k1, occ, prompt = await _prompted(h)
    view, _ = await _explain(h, prompt)
    await h.advance(hours=2, minutes=30)  # 11:01: the meeting (10:00) is over
    r = await h.emu.submit_view(h.person("kato"), view["id"], {"note": {"value": "Too late"}})
    await h.deliver()
    assert not (r["body"] or {}).get("response_action")  # the modal closes; the refusal is told privately
    assert "This forecast meeting is over" in dms(h, "kato")[-1]["text"]
    assert await _answers(h, occ.id) == []  # and the prompt has lost its Explain button (the test below)

    async with h.baton.ctx.uow() as uow:
        h.clock.set(MEETING)  # back before the end, to see the other guards on their own
        assert (await fm.record_explanation(uow, occ.id, "nakamura", {"note": "x"})).outcome == "not_allowed"  # not prompted
        assert (await fm.record_explanation(uow, None, "kato", {"note": "x"})).outcome == "not_found"
        assert (await fm.record_explanation(uow, occ.id + 1000, "kato", {"note": "x"})).outcome == "not_found"
        assert (await fm.record_explanation(uow, 2**70, "kato", {"note": "x"})).outcome == "not_found"
        assert (await fm.record_explanation(uow, occ.id, "kato", {"forged": "x", "note": "  "})).outcome == "bad_input"
        assert (await fm.record_explanation(uow, occ.id, "kato", {f"deal_{k1}": "ok"})).outcome == "saved"
    assert await _answers(h, occ.id) == [("kato", f"deal_{k1}", k1, "ok")]


async def test_once_the_meeting_is_over_the_prompt_keeps_its_changes_but_loses_its_buttons(harness):
    h = harness
    _, _, prompt = await _prompted(h)
    assert {"forecast_explain", "forecast_submit"} <= {e["action_id"] for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]}
    await h.advance(hours=1, minutes=28)  # 09:59: not yet over
    (now,) = [m for m in dms(h, "kato") if "Forecast meeting" in text_of(m)]
    assert any(b["type"] == "actions" for b in now["blocks"])
    await h.advance(hours=1, minutes=2)  # 11:01: the meeting (10:00) is over
    (closed,) = [m for m in dms(h, "kato") if "Forecast meeting" in text_of(m)]
    assert closed["ts"] == prompt["ts"] and not any(b["type"] == "actions" for b in closed["blocks"])
    assert "This meeting has passed" in text_of(closed) and "¥7,000,000" in text_of(closed)  # the change is still there
