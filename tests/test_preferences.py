"""Noise control: every DM goes through notify_person — immediate DMs wait for working hours in the
person's own zone, "digest" ones arrive once a day, "off" ones are dropped (never an SLA escalation),
and the same alert is never sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import HeldNotification
from bot.notify import preferences as prefs
from tests.test_sla import ENTERPRISE, new_lead


def dms(harness, person_id: str) -> list[dict]:
    return harness.emu.channel_messages(harness.person(person_id), include_threads=True)


async def _notify(harness, person_id, kind, text, **kw) -> str:
    async with harness.baton.ctx.uow() as uow:
        return await prefs.notify_person(uow, person_id, kind, {"text": text}, **kw)


async def test_immediate_dm_in_working_hours_is_sent_once(harness):
    assert await _notify(harness, "tanaka", "handover", "hello", dedupe_key="x:1") == "sent"
    assert await _notify(harness, "tanaka", "handover", "hello", dedupe_key="x:1") == "duplicate"
    await harness.deliver()
    assert [m["text"] for m in dms(harness, "tanaka")] == ["hello"]


async def test_dm_at_night_waits_for_the_morning_in_the_persons_zone(harness):
    harness.clock.advance(hours=17)  # Tue 03:00 JST next day (Wed 2026-11-25)
    assert await _notify(harness, "tanaka", "handover", "night") == "held"
    await harness.deliver()
    assert dms(harness, "tanaka") == []  # never at 3 a.m.
    await harness.advance(hours=5, minutes=59)  # 08:59
    assert dms(harness, "tanaka") == []
    await harness.advance(minutes=1)  # 09:00
    assert [m["text"] for m in dms(harness, "tanaka")] == ["night"]


async def test_slack_profile_zone_decides_working_hours(harness):
    async with harness.baton.ctx.uow() as uow:
        await prefs.remember_slack_tz(uow, "suzuki", "Europe/London")
    # 10:00 JST = 01:00 London: the DM waits until 09:00 London = 18:00 JST.
    assert await _notify(harness, "suzuki", "handover", "from tokyo") == "held"
    await harness.advance(hours=7, minutes=59)
    assert dms(harness, "suzuki") == []
    await harness.advance(minutes=1)
    assert len(dms(harness, "suzuki")) == 1


async def test_digest_mode_holds_and_rolls_up_then_the_daily_digest_sends_one_dm(harness):
    async with harness.baton.ctx.uow() as uow:
        await prefs.set_mode(uow, "tanaka", "renewal", "digest")
    assert await _notify(harness, "tanaka", "renewal", "lead A is due", dedupe_key="renewal:A") == "digest"
    assert await _notify(harness, "tanaka", "renewal", "lead A is due", dedupe_key="renewal:A") == "rolled_up"
    assert await _notify(harness, "tanaka", "renewal", "lead B is due", dedupe_key="renewal:B") == "digest"
    await harness.deliver()
    assert dms(harness, "tanaka") == []
    await harness.baton.scheduler.run_job("personal_digest")
    await harness.deliver()
    (dm,) = dms(harness, "tanaka")
    assert "lead A is due" in str(dm["blocks"]) and "lead B is due" in str(dm["blocks"]) and "2件" in dm["text"]
    await harness.baton.scheduler.run_job("personal_digest")  # nothing new: nothing sent
    await harness.deliver()
    assert len(dms(harness, "tanaka")) == 1
    async with harness.baton.ctx.sessions() as s:
        from sqlalchemy import select

        assert all(r.sent_at for r in (await s.execute(select(HeldNotification))).scalars())


async def test_off_drops_but_an_sla_escalation_cannot_be_switched_off(harness):
    async with harness.baton.ctx.uow() as uow:
        await prefs.set_mode(uow, "tanaka", "health_alert", "off")
        with pytest.raises(ValueError, match="not allowed"):
            await prefs.set_mode(uow, "sato", "sla_escalation", "off")
        with pytest.raises(ValueError, match="unknown notification kind"):
            await prefs.set_mode(uow, "sato", "nope", "off")
    assert await _notify(harness, "tanaka", "health_alert", "x") == "off"
    # The escalation of a breached lead still reaches the manager.
    await new_lead(harness, ENTERPRISE)
    await harness.advance(minutes=31)
    assert any("大手製造株式会社" in m["text"] for m in dms(harness, "sato"))


async def test_bad_working_hours_are_refused(harness):
    async with harness.baton.ctx.uow() as uow:
        with pytest.raises(ValueError):
            await prefs.set_working_hours(uow, "tanaka", "25:00-26:00")
    assert timedelta  # keep import for readability of the night test


async def test_admin_endpoint_runs_the_digest_job_over_http_and_names_bad_input(harness):
    async with harness.baton.ctx.uow() as uow:
        await prefs.set_mode(uow, "tanaka", "renewal", "digest")
    await _notify(harness, "tanaka", "renewal", "lead Z is due", dedupe_key="renewal:Z")
    status, body = await harness.post("/api/admin/jobs/personal_digest", {})
    assert status == 200 and body["job"] == "personal_digest" and body["result"] == 1, body
    await harness.deliver()
    assert "lead Z is due" in str(dms(harness, "tanaka")[0]["blocks"])
    status, body = await harness.post("/api/admin/jobs/nope", {})
    assert status == 404 and body["field"] == "name" and "personal_digest" in body["known"]
    status, _ = await harness.post("/api/admin/jobs/personal_digest", {}, token="wrong")
    assert status == 401
    status, body = await harness.post("/api/admin/clock", {"minutes": -5})
    assert status == 422 and body["field"] == "minutes"
    status, body = await harness.post("/api/admin/clock", {"minutes": 30})
    assert status == 200 and body["now"].startswith("2026-11-24T01:30")


async def test_a_forecast_prompt_goes_at_the_moment_app_yaml_set_even_before_working_hours(harness):
    harness.clock.advance(hours=22, minutes=30)  # Wed 08:30 JST: prompts go 90 min before a 10:00 meeting
    assert await _notify(harness, "tanaka", "forecast_prompt", "meeting soon") == "sent"
    assert await _notify(harness, "tanaka", "handover", "not urgent") == "held"
    await harness.deliver()
    assert [m["text"] for m in dms(harness, "tanaka")] == ["meeting soon"]


def test_a_round_the_clock_teams_member_with_all_day_hours_is_told_at_once_even_on_sunday():
    from bot.calendar import BusinessCalendar
    from bot.notify.preferences import _calendar

    sunday_night = datetime(2026, 11, 29, 14, tzinfo=UTC)  # Sun 23:00 JST
    office = _calendar("Asia/Tokyo", "00:00-24:00", BusinessCalendar.from_config(timezone="Asia/Tokyo"))
    shifts = _calendar("Asia/Tokyo", "00:00-24:00", BusinessCalendar.from_config(timezone="Asia/Tokyo", mode="24x7"))
    assert office.next_open(sunday_night) > sunday_night  # an office team's people wait for Monday
    assert shifts.next_open(sunday_night) == sunday_night
