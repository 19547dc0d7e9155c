"""App Home: published on app_home_opened through the outbox, per role, refreshed when what it shows
changes, within 100 blocks; the Away toggle and the notification settings work from it."""

from __future__ import annotations

import asyncio
import json

from bot.models import NotificationPreference
from bot.slack.blockkit import validate_view
from tests.test_sla import ENTERPRISE, enterprise, new_lead


async def open_home(harness, person_id: str) -> dict:
    """Open the tab. Slack acks events before the listener runs, so wait (bounded) for its publish."""
    uid = harness.person(person_id)
    before = harness.emu.home.get(uid, {}).get("hash")
    await harness.emu.open_home(uid)
    for _ in range(300):
        await harness.deliver()
        rec = harness.emu.home.get(uid)
        if rec is not None and rec.get("hash") != before:
            return rec
        await asyncio.sleep(0.01)  # the event listener runs after the HTTP ack (real I/O, not clock time)
    raise AssertionError(f"no home published for {person_id}")


def text_of(rec: dict) -> str:
    return json.dumps(rec["view"]["blocks"], ensure_ascii=False)


async def test_rep_sees_waiting_mql_with_deadline_and_home_refreshes_on_accept(harness):
    lead_id = await new_lead(harness, ENTERPRISE)  # round robin → tanaka, due 10:30 JST
    rec = await open_home(harness, "tanaka")
    assert validate_view(rec["view"]) == []
    body = text_of(rec)
    assert "大手製造株式会社" in body and "10:30" in body and "対応待ちのMQL（1件）" in body
    card = await harness.card(lead_id)
    await harness.click("tanaka", card, "mql_accept")  # the home refreshes without re-opening
    body = text_of(harness.emu.home[harness.person("tanaka")])
    assert "対応待ちのMQL（0件）" in body and "SAL（1件）" in body


async def test_home_is_not_published_to_people_who_never_opened_it(harness):
    await new_lead(harness, ENTERPRISE)
    assert harness.emu.home == {}


async def test_manager_sees_the_team_and_overdue_leads(harness):
    await new_lead(harness, ENTERPRISE)
    await harness.advance(minutes=45)  # past the 30 min SLA
    rec = await open_home(harness, "sato")
    body = text_of(rec)
    assert "チームの状況" in body and "<@U0TANAKA>" in body
    assert "SLA超過のMQL（1件）" in body and "🔴" in body


async def test_many_leads_stay_within_the_block_limit(harness):
    for n in range(30):
        status, _ = await harness.post("/api/leads", enterprise(100 + n))
        assert status == 201
    await harness.deliver()
    rec = await open_home(harness, "tanaka")
    assert len(rec["view"]["blocks"]) <= 100 and validate_view(rec["view"]) == []
    assert "ほか" in text_of(rec)  # "and N more"


async def test_away_toggle_moves_open_mqls_and_back(harness):
    lead_id = await new_lead(harness, ENTERPRISE)
    assert (await harness.lead(lead_id))["assignee"] == "tanaka"
    rec = await open_home(harness, "tanaka")
    await harness.emu.click_view(harness.person("tanaka"), rec["id"], "home_away")
    await harness.deliver()
    assert (await harness.lead(lead_id))["assignee"] == "suzuki"
    rec = harness.emu.home[harness.person("tanaka")]
    assert "不在中" in text_of(rec)
    await harness.emu.click_view(harness.person("tanaka"), rec["id"], "home_away")
    await harness.deliver()
    assert "対応可能" in text_of(harness.emu.home[harness.person("tanaka")])


async def test_notification_setting_is_saved_and_mandatory_kind_has_no_off(harness):
    rec = await open_home(harness, "sato")
    await harness.emu.click_view(harness.person("sato"), rec["id"], "home_pref", selected_option="handover:digest", block_id="pref_handover")
    await harness.deliver()
    async with harness.baton.ctx.sessions() as s:
        row = await s.get(NotificationPreference, ("sato", "handover"))
    assert row is not None and row.mode == "digest"
    view = harness.emu.home[harness.person("sato")]["view"]
    pref = next(b for b in view["blocks"] if b.get("block_id") == "pref_handover")
    assert pref["accessory"]["initial_option"]["value"] == "handover:digest"
    escalation = next(b for b in view["blocks"] if b.get("block_id") == "pref_sla_escalation")
    assert "accessory" not in escalation  # cannot be switched off


async def test_home_follows_the_persons_locale(harness):
    # ito has no locale of their own: the person's team (IS SMB, en) is not used for a person's
    # home; the company locale (ja) is.
    rec = await open_home(harness, "ito")
    assert "通知設定" in text_of(rec) and "Notification settings" not in text_of(rec)


async def test_baton_command_shows_my_queue_and_switches_away(harness):
    lead_id = await new_lead(harness, ENTERPRISE)
    uid = harness.person("tanaka")
    await harness.emu.slash(uid, "/baton", "", "C0ENT")
    await harness.deliver()
    assert any("対応待ちのMQL 1件" in t for t in harness.ephemerals("tanaka"))
    await harness.emu.slash(uid, "/baton", "away", "C0ENT")
    await harness.deliver()
    assert (await harness.lead(lead_id))["assignee"] == "suzuki"
    assert any("不在にしました" in t and "1件" in t for t in harness.ephemerals("tanaka"))


async def test_the_managers_open_home_shows_a_breach_when_it_happens(harness):
    await new_lead(harness, ENTERPRISE)  # due 10:30 JST
    rec = await open_home(harness, "sato")
    assert "SLA超過のMQL" not in text_of(rec)
    await harness.advance(minutes=45)  # the breach is a timer, not a stage change: the tab refreshes anyway
    body = text_of(harness.emu.home[harness.person("sato")])
    assert "SLA超過のMQL（1件）" in body and "🔴" in body
