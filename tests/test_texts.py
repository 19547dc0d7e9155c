"""Texts that must not mislead: a returning lead's notification says 再来; an escalation names the rep
who held the lead at the breach; a recycle nudge's decided items lose their buttons; the recycle
history speaks in words; a snooze never lands on a non-working day without saying so; clear labels."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.test_recycle import _nudges, _rejected
from tests.test_sla import ENTERPRISE, actions, config_path, dms, new_lead  # noqa: F401 (fixture)

JP_HOLIDAYS_2027 = {date(2027, 1, 1), date(2027, 1, 11), date(2027, 2, 11), date(2027, 2, 23)}


def _buttons(message) -> dict[str, list[str]]:
    return {b["block_id"]: [e["action_id"] for e in b["elements"]] for b in message["blocks"] if b["type"] == "actions"}


async def test_a_returning_leads_notification_text_says_returning(harness):
    (lead_id,) = await _rejected(harness, 1)
    harness.clock.advance(timedelta(days=3))
    await harness.post(f"/api/leads/{lead_id}/activities", {"activities": [{"type": "demo_request"}]})
    await harness.deliver()
    card = await harness.card(lead_id, episode=1)
    assert "再来MQL" in str(card["blocks"])
    assert card["text"].startswith("再来MQL") and "新規" not in card["text"]  # the notification says what the card says


@pytest.mark.parametrize("config_path", ["reassign"], indirect=True)
async def test_the_escalation_names_who_held_the_lead_at_the_breach(harness):
    lead_id = await new_lead(harness, ENTERPRISE)  # tanaka, due 10:30
    await harness.advance(minutes=31)  # breach: escalated to sato, naming tanaka
    await harness.advance(minutes=30)  # moved on to suzuki
    assert (await harness.lead(lead_id))["assignee"] == "suzuki"
    (escalation,) = [m for m in dms(harness, "sato") if actions(m)]
    assert "<@U0TANAKA>" in str(escalation["blocks"])
    await harness.click("sato", escalation, "mql_accept")  # decided: the DM is re-rendered without buttons
    await harness.deliver()
    after = harness.emu.get_message(escalation["channel"], escalation["ts"])
    assert actions(after) == []
    assert "<@U0TANAKA>" in str(after["blocks"]) and "担当 <@U0SUZUKI>" not in str(after["blocks"])


async def test_decided_recycle_items_lose_their_buttons_and_history_is_in_words(harness):
    ids = await _rejected(harness, 3)
    harness.clock.advance(timedelta(days=31))
    assert await harness.baton.scheduler.run_job("recycle_nudge") == 1
    await harness.deliver()
    nudge = _nudges(harness)[0]
    blocks = list(_buttons(nudge))
    assert len(blocks) == 3
    await harness.click("tanaka", nudge, "recycle_reengage")  # the first item
    await harness.deliver()
    now = harness.emu.get_message(nudge["channel"], nudge["ts"])
    assert list(_buttons(now)) == blocks[1:] and "再開しました" in str(now["blocks"])
    await harness.emu.click(harness.person("tanaka"), now, "recycle_snooze", selected_option=f"{blocks[1].split('_')[1]}:30")
    await harness.deliver()
    now = harness.emu.get_message(nudge["channel"], nudge["ts"])
    assert list(_buttons(now)) == blocks[2:] and "スヌーズしました" in str(now["blocks"])
    await harness.click("tanaka", now, "recycle_close")
    view = harness.emu.open_views(harness.person("tanaka"))[-1]
    await harness.emu.submit_view(harness.person("tanaka"), view["id"], {"reason": {"value": "do_not_contact"}})
    await harness.deliver()
    now = harness.emu.get_message(nudge["channel"], nudge["ts"])
    assert _buttons(now) == {} and "クローズしました" in str(now["blocks"])
    # The re-engaged lead's history under its new card: stage names and reasons, not their ids.
    card = await harness.card(ids[0], episode=1)
    (history,) = [m for m in harness.emu.thread(card["channel"], card["ts"]) if "履歴" in m["text"]]
    assert "今は関心なし" in history["text"] and "リサイクル" in history["text"]
    for raw in ("no_interest_now", "recycled", "re_engaged", "mql →"):
        assert raw not in history["text"], raw


async def test_a_snooze_landing_on_a_holiday_moves_to_the_next_working_day_and_says_so(harness):
    ids = await _rejected(harness, 1)
    harness.clock.advance(timedelta(days=31))  # 2026-12-25 (Fri) in Tokyo
    assert await harness.baton.scheduler.run_job("recycle_nudge") == 1
    await harness.deliver()
    nudge = _nudges(harness)[0]
    rid = next(iter(_buttons(nudge))).split("_")[1]
    asked = date(2026, 12, 25) + timedelta(days=60)  # 2027-02-23: a national holiday (天皇誕生日)
    assert asked in JP_HOLIDAYS_2027
    expected = asked + timedelta(days=1)  # Wednesday, a working day
    assert expected.weekday() < 5 and expected not in JP_HOLIDAYS_2027
    await harness.emu.click(harness.person("tanaka"), nudge, "recycle_snooze", selected_option=f"{rid}:60")
    await harness.deliver()
    assert (await harness.lead(ids[0]))["recycle_at"] == expected.isoformat()
    said = [m["text"] for m in harness.emu.thread("C0ENT", nudge["ts"]) if "💤" in m["text"]]
    assert len(said) == 1 and "2月24日(水)" in said[0] and "2月23日(火)" in said[0] and "休業日のため翌営業日" in said[0]
    assert "次の日まで" not in said[0]


def test_labels_say_what_they_do(harness):
    text = harness.baton.ctx.messages.text
    assert text("en", "home.set_away") != "Go away" and "away" in text("en", "home.set_away").lower()
    submitted = text("ja", "forecast.submitted", period="FY2026-Q3", commit="1", best="2", deals=20)
    assert "スナップショット" not in submitted and "商談 20 件" in submitted
