"""/forecast through the Slack emulator: overview, submit with snapshot, diff, team roll-up,
permissions and bad arguments; meeting prompts and the managers' summary exactly once per meeting."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import yaml

from bot.domain import opportunities as opps
from bot.models import ForecastSubmission
from tests.conftest import FIXTURES

MGR_CH = "C0FSMGR"


def forecast_config(tmp_path, meetings=True):
    cfg = yaml.safe_load((FIXTURES / "app.yaml").read_text(encoding="utf-8"))
    cfg["company"]["locale"] = "en"
    cfg["people"] += [
        {"id": "nakamura", "name": "Nakamura", "slack_id": "U0FSMGR", "roles": ["fs_manager"]},
        {"id": "yoshida", "name": "Yoshida", "slack_id": "U0YOSHI", "roles": ["fs_rep"], "locale": "ja"},
    ]
    for t in cfg["teams"]:
        if t["id"] == "fs":
            t["manager"] = "nakamura"
            t["members"] = ["kato", "yoshida"]
    cfg.setdefault("pipeline", {})["targets"] = [
        {"period": "FY2026-Q3", "person": "kato", "amount": 30_000_000},
        {"period": "2026-11", "person": "kato", "amount": 10_000_000},
    ]
    f = cfg.setdefault("forecast", {})
    f["managers_channel"] = MGR_CH
    f["diff_cap"] = 3
    if meetings:
        f["meetings"] = [{"id": "fs_weekly", "rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0", "team": "fs",
                          "participants": ["kato", "yoshida"], "lead_time": "90m", "summary_before": "30m"}]  # fmt: skip
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def add_second_fs_team(cfg: dict) -> None:
    """A second Field Sales team (Field Sales West: manager mori, rep ueda) and a CRO (inoue)."""
    cfg["people"] += [
        {"id": "mori", "name": "Mori", "slack_id": "U0MORI", "roles": ["fs_manager"]},
        {"id": "ueda", "name": "Ueda", "slack_id": "U0UEDA", "roles": ["fs_rep"]},
        {"id": "inoue", "name": "Inoue", "slack_id": "U0CRO", "roles": ["cro"]},
    ]
    cfg["teams"].append({"id": "fs2", "name": "Field Sales West", "function": "field_sales", "channel": "C0FS",
                         "manager": "mori", "members": ["ueda"], "calendar": "tokyo"})  # fmt: skip


@pytest.fixture
def config_path(tmp_path):
    return forecast_config(tmp_path)


async def make_deal(h, ext, owner, amount, close, phase=3, **kw):
    async with h.baton.ctx.uow() as uow:
        r = await opps.upsert(uow, {"external_id": ext, "name": f"Deal {ext}", "owner": owner, "amount": amount, "close_date": close, "phase": phase, **kw})
        assert r.ok, r.errors
        return r.opportunity.id


async def change(h, ext, **changes):
    async with h.baton.ctx.uow() as uow:
        r = await opps.upsert(uow, {"external_id": ext, **changes})
        assert r.ok, r.errors


def ephemerals(h, person):
    uid = h.person(person)
    return [m for m in h.emu.messages if m.get("ephemeral_user") == uid]


def text_of(m):
    import json

    return (m.get("text") or "") + json.dumps(m.get("blocks") or [], ensure_ascii=False)


def dms(h, person):
    return h.emu.channel_messages(h.emu.dm_channel(h.person(person)))


async def slash(h, person, text):
    r = await h.emu.slash(h.person(person), "/forecast", text, "C0FS")
    await h.deliver()
    return r


async def submit_via_modal(h, person, commit=None, best=None, note="", text="submit"):
    await slash(h, person, text)
    view = h.emu.open_views(h.person(person))[-1]
    values = {"note": {"value": note}}
    if commit is not None:
        values["commit"] = {"value": commit}
    if best is not None:
        values["best_case"] = {"value": best}
    r = await h.emu.submit_view(h.person(person), view["id"], values)
    await h.deliver()
    return view, r


async def test_overview_submit_and_diff(harness):
    h = harness
    await make_deal(h, "A", "kato", 8_000_000, "2026-12-10", phase=4)  # commit
    await make_deal(h, "B", "kato", 5_000_000, "2026-11-28", phase=3)  # best case, this month
    await make_deal(h, "C", "kato", 4_000_000, "2027-02-01", phase=2)  # next quarter
    await slash(h, "kato", "")
    overview = ephemerals(h, "kato")[-1]
    text = text_of(overview)
    # quarter: target ¥30M, commit ¥8M, best case ¥13M, pipeline ¥13M, required (30M−0)÷25% = ¥120M
    assert "¥30,000,000" in text and "¥13,000,000" in text and "¥120,000,000" in text and "No submission yet" in text
    assert {e["action_id"] for b in overview["blocks"] if b["type"] == "actions" for e in b["elements"]} == {"forecast_submit", "forecast_diff_show"}

    # Submit from the button: the modal is prefilled with the system's numbers.
    await h.click("kato", overview, "forecast_submit")
    view = h.emu.open_views(h.person("kato"))[-1]
    inputs = {b["block_id"]: b["element"].get("initial_value") for b in view["view"]["blocks"] if b["type"] == "input"}
    assert inputs["commit"] == "8000000" and inputs["best_case"] == "13000000"
    bad = await h.emu.submit_view(h.person("kato"), view["id"], {"commit": {"value": "lots"}, "best_case": {"value": "1000万"}})
    assert bad["body"]["response_action"] == "errors" and set(bad["body"]["errors"]) == {"commit"}
    bad = await h.emu.submit_view(h.person("kato"), view["id"], {"commit": {"value": "900万"}, "best_case": {"value": "800万"}})
    assert set(bad["body"]["errors"]) == {"best_case"}
    async with h.baton.ctx.sessions() as s:
        from sqlalchemy import func, select

        assert await s.scalar(select(func.count()).select_from(ForecastSubmission)) == 0  # nothing half-written
    ok = await h.emu.submit_view(h.person("kato"), view["id"], {"commit": {"value": "900万"}, "best_case": {"value": "1,300万"}, "note": {"value": "A signs in Dec"}})
    assert ok["status"] == 200 and not (ok["body"] or {}).get("response_action")
    await h.deliver()
    assert "Forecast submitted" in dms(h, "kato")[-1]["text"]
    async with h.baton.ctx.sessions() as s:
        sub = (await s.scalars(select(ForecastSubmission))).one()
        assert (sub.commit_amount, sub.best_case_amount, sub.period_kind, str(sub.period_start)) == (Decimal(9_000_000), Decimal(13_000_000), "quarter", "2026-10-01")
        assert sorted(d["name"] for d in sub.snapshot) == ["Deal A", "Deal B", "Deal C"] and sub.note == "A signs in Dec"

    # Changes since the submission, deal by deal.
    h.clock.advance(timedelta(days=1))
    await change(h, "A", amount=10_000_000)
    await change(h, "B", close_date="2027-01-10")
    await change(h, "C", close_date="2026-12-15")
    await make_deal(h, "D", "kato", 20_000, "2026-12-01", currency="USD")  # $20,000 at 150 → ¥3M
    await slash(h, "kato", "diff")
    first = ephemerals(h, "kato")[-1]
    d = text_of(first)
    assert "slipped out of the period" in d and "pulled into the period" in d and "$20,000.00 ≈ ¥3,000,000" in d
    # waterfall: start ¥13M (A 8 + B 5) → +new 3 → +pulled in 4 → +increased 2 → −slipped 5 → now ¥17M
    assert ("Start ¥13,000,000 → +new ¥3,000,000 → +pulled in ¥4,000,000 → +increased ¥2,000,000 → −decreased ¥0 → −slipped ¥5,000,000"
            " → −lost ¥0 → +won ¥0 → ±category/owner moves ¥0 → now ¥17,000,000") in d
    assert "Showing 3 of 4" in d and "amount up" not in d  # capped at diff_cap, the smallest change is left off
    await h.click("kato", first, "forecast_diff_more")
    rest = text_of(ephemerals(h, "kato")[-1])
    assert "Deal A" in rest and "amount up ¥8,000,000 → ¥10,000,000" in rest and "Showing" not in rest


async def test_permissions_and_bad_arguments(harness):
    h = harness
    await make_deal(h, "Y1", "yoshida", 3_000_000, "2026-12-10")
    for bad in ("frobnicate", "diff since yesterday", "diff @nobody", "submit year"):
        await slash(h, "kato", bad)
        assert ephemerals(h, "kato")[-1]["text"].startswith("Usage: `/forecast`")
    await slash(h, "kato", "diff <@U0YOSHI|yoshida>")
    assert "only see your own forecast" in ephemerals(h, "kato")[-1]["text"]
    await slash(h, "kato", "@yoshida")
    assert "only see your own forecast" in ephemerals(h, "kato")[-1]["text"]
    await slash(h, "nakamura", "<@U0YOSHI>")
    assert "Forecast — Yoshida" in ephemerals(h, "nakamura")[-1]["text"]
    await slash(h, "kato", "team")
    assert "for managers" in ephemerals(h, "kato")[-1]["text"]
    await slash(h, "kato", "diff team")
    assert "for managers" in ephemerals(h, "kato")[-1]["text"]
    await slash(h, "tanaka", "diff <@U0YOSHI>")  # an IS rep is no manager of yoshida either
    assert "only see your own forecast" in ephemerals(h, "tanaka")[-1]["text"]
    # The manager may.
    await slash(h, "nakamura", "diff <@U0YOSHI>")
    assert "Deal Y1" in text_of(ephemerals(h, "nakamura")[-1])
    header = ephemerals(h, "nakamura")[-1]["blocks"][0]["text"]["text"]
    assert "Yoshida" in header and h.emu.lint == []  # a name, not a <@U…> shown literally
    async with h.baton.ctx.sessions() as s:
        from sqlalchemy import func, select

        assert await s.scalar(select(func.count()).select_from(ForecastSubmission)) == 0


async def test_team_view_and_team_call(harness):
    h = harness
    await make_deal(h, "K1", "kato", 6_000_000, "2026-12-10", phase=4)
    await make_deal(h, "Y1", "yoshida", 4_000_000, "2026-12-10", phase=5)
    await submit_via_modal(h, "kato", commit="5000000", best="6000000")
    await slash(h, "nakamura", "team")
    t = text_of(ephemerals(h, "nakamura")[-1])
    assert "submitted ¥5,000,000 / system ¥6,000,000" in t and "no submission" in t and "no history" in t
    assert "Team total*: submitted ¥5,000,000 · system ¥10,000,000" in t
    await h.click("nakamura", ephemerals(h, "nakamura")[-1], "forecast_submit_team")
    view = h.emu.open_views(h.person("nakamura"))[-1]
    assert [b["element"]["initial_value"] for b in view["view"]["blocks"] if b["block_id"] == "commit"] == ["10000000"]
    await h.emu.submit_view(h.person("nakamura"), view["id"], {"commit": {"value": "9500000"}, "best_case": {"value": "10000000"}})
    await h.deliver()
    await slash(h, "nakamura", "team")
    assert " · team call ¥9,500,000" in text_of(ephemerals(h, "nakamura")[-1])
    # A rep cannot submit the team's call even with a crafted button.
    await h.emu.click(h.person("kato"), ephemerals(h, "nakamura")[-1], "forecast_submit_team")
    await h.deliver()
    assert "Only the team's manager" in ephemerals(h, "kato")[-1]["text"]


async def test_meeting_prompts_and_summary_exactly_once_also_after_restart(harness):
    h = harness
    await make_deal(h, "K1", "kato", 6_000_000, "2026-12-10", phase=4)
    await make_deal(h, "Y1", "yoshida", 4_000_000, "2026-12-10", phase=3)
    await submit_via_modal(h, "kato", commit="6000000", best="6000000")
    await submit_via_modal(h, "yoshida", commit="0", best="4000000")
    assert await h.baton.scheduler.run_job("forecast_meetings") == 2  # Mon Nov 30 and Mon Dec 7
    assert await h.baton.scheduler.run_job("forecast_meetings") == 2  # idempotent
    h.clock.advance(timedelta(days=1))
    await change(h, "K1", amount=7_000_000)
    await change(h, "Y1", close_date="2027-01-20")
    # The meeting is Mon Nov 30 10:00 JST: prompts at 08:30, the summary at 09:30. Now: Wed Nov 25 10:00.
    await h.advance(days=4, hours=22)  # Mon 08:00: nothing yet
    assert not [m for m in dms(h, "kato") if "Forecast meeting" in (m.get("text") or "")]
    await h.advance(minutes=31)  # 08:31
    kato_prompts = [m for m in dms(h, "kato") if "Forecast meeting" in text_of(m)]
    assert len(kato_prompts) == 1
    p = text_of(kato_prompts[0])
    assert "amount up" in p and "+increased ¥1,000,000" in p
    (yoshida_prompt,) = [m for m in dms(h, "yoshida") if "フォーキャスト会議" in text_of(m)]  # in her locale
    assert "期ズレ" in text_of(yoshida_prompt) and "−期ズレ 400万円" in text_of(yoshida_prompt)
    # Kato explains, then the bot restarts before the summary.
    await h.click("kato", kato_prompts[0], "forecast_explain")
    view = h.emu.open_views(h.person("kato"))[-1]
    deal_block = next(b["block_id"] for b in view["view"]["blocks"] if b["block_id"].startswith("deal_"))
    empty = await h.emu.submit_view(h.person("kato"), view["id"], {})
    assert empty["body"]["response_action"] == "errors"
    await h.emu.submit_view(h.person("kato"), view["id"], {deal_block: {"value": "Customer added 20 seats"}})
    await h.deliver()
    await h.restart()
    await h.baton.scheduler.run_job("forecast_meetings")  # the daily planner after the restart: no duplicates
    await h.advance(minutes=10)
    await h.advance(minutes=60)  # 09:41: the summary is due
    summaries = [m for m in h.emu.channel_messages(MGR_CH) if "summary" in (m.get("text") or "")]
    assert len(summaries) == 1
    s = text_of(summaries[0])
    assert "Customer added 20 seats" in s and "no answer" in s and "Team waterfall" in s
    assert "not submitted" not in s  # both submitted this period, and there was no meeting before this one
    await h.restart()
    await h.advance(hours=3)
    assert len([m for m in h.emu.channel_messages(MGR_CH) if "summary" in (m.get("text") or "")]) == 1
    assert len([m for m in dms(h, "kato") if "Forecast meeting" in text_of(m)]) == 1
    # The next week's meeting diffs against this meeting's snapshot: only what changed since.
    await change(h, "K1", amount=7_500_000)
    await h.advance(days=6, hours=20)  # Mon Dec 7 08:41
    kato_prompts = [m for m in dms(h, "kato") if "Forecast meeting" in text_of(m)]
    assert len(kato_prompts) == 2 and "+increased ¥500,000" in text_of(kato_prompts[-1])
    assert len([m for m in h.emu.channel_messages(MGR_CH) if "summary" in (m.get("text") or "")]) == 1
    await h.advance(hours=1)  # 09:41
    assert len([m for m in h.emu.channel_messages(MGR_CH) if "summary" in (m.get("text") or "")]) == 2


async def test_an_open_deal_without_a_close_date_does_not_break_the_forecast(harness):
    """A hand-off deal has no close date until the AE sets one: /forecast still answers, counting
    the deal in no period (it was an apology with a reference before)."""
    h = harness
    await make_deal(h, "A", "kato", 8_000_000, "2026-12-10", phase=4)
    async with h.baton.ctx.uow() as uow:
        assert (await opps.upsert(uow, {"external_id": "N", "name": "Deal N", "owner": "kato", "amount": 3_000_000, "phase": 1})).ok
    await slash(h, "kato", "")
    [reply] = ephemerals(h, "kato")
    assert "8,000,000" in text_of(reply) and "3,000,000" not in text_of(reply) and "参照番号" not in text_of(reply)
