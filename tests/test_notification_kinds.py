"""Every kind of DM × every choice a person has × inside / outside working hours × the same
notification raised twice (a job run again, across a restart): through the delivery path to the
emulator, each arrives exactly once, at the right time, in the right form — or not at all when off.
The expectations are written from the product's rules, not computed by the code under test."""

from __future__ import annotations

import pytest

from bot.config_sections.notifications import KIND_TABLE
from bot.notify import preferences as prefs
from tests.test_home import open_home

PERSON = "tanaka"  # works 09:00–18:00 JST, Mon–Fri (the test team calendar)
CASES = [(kind, mode, when) for kind, k in KIND_TABLE.items() for mode in k.modes for when in ("day", "night")]
BUTTON = {"type": "button", "action_id": "mql_accept", "value": "1", "text": {"type": "plain_text", "text": "OK"}}


def dm_texts(harness) -> list[str]:  # noqa: ANN001
    return [m["text"] for m in harness.emu.channel_messages(harness.person(PERSON), include_threads=True)]


async def _raise(harness, kind: str) -> str:  # noqa: ANN001
    message = {"text": f"{kind} about deal 7", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}},
                                                          {"type": "actions", "elements": [BUTTON]}]}  # fmt: skip
    async with harness.baton.ctx.uow() as uow:
        return await prefs.notify_person(uow, PERSON, kind, message, dedupe_key=f"{kind}:deal:7")


@pytest.mark.parametrize(("kind", "mode", "when"), CASES, ids=[f"{k}-{m}-{w}" for k, m, w in CASES])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_each_notification_once_at_the_right_time_in_the_right_form(harness, kind, mode, when):
    timely = KIND_TABLE[kind].timely
    async with harness.baton.ctx.uow() as uow:
        await prefs.set_mode(uow, PERSON, kind, mode)
    if when == "night":
        harness.clock.advance(hours=12)  # Tue 22:00 JST
    first = await _raise(harness, kind)
    await harness.restart()
    second = await _raise(harness, kind)  # the job runs again after a restart: the same notification
    await harness.deliver()
    text = f"{kind} about deal 7"

    if mode == "off":
        assert (first, second) == ("off", "off")
    elif mode == "digest":
        assert (first, second) == ("digest", "rolled_up")
        assert dm_texts(harness) == []
    elif when == "day" or timely:
        assert (first, second) == ("sent", "duplicate") and dm_texts(harness) == [text]
    else:
        assert (first, second) == ("held", "duplicate") and dm_texts(harness) == []  # never at night

    await harness.advance(hours=24 if when == "day" else 12)  # the next working morning, 10:00 JST
    await harness.baton.scheduler.run_job("personal_digest")
    await harness.baton.scheduler.run_job("personal_digest")  # run twice: still one digest
    await harness.deliver()
    assert await _raise(harness, kind) in ("off", "duplicate")  # raised once more after it went out: not again
    await harness.baton.scheduler.run_job("personal_digest")
    await harness.deliver()

    texts = dm_texts(harness)
    if mode == "off":
        assert texts == []
    elif mode == "digest":
        [digest] = texts  # one DM: the digest, listing the notification once, with its buttons
        dm = harness.emu.channel_messages(harness.person(PERSON))[0]
        assert str(dm["blocks"]).count(text) == 1
        assert [e["action_id"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]] == ["mql_accept"]
    else:
        assert texts == [text]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_fixed_kind_cannot_be_switched_off_and_a_foreign_kind_cannot_be_chosen(harness):
    async with harness.baton.ctx.uow() as uow:
        fixed = await prefs.choose(uow, "sato", "sla_escalation", "off")
        foreign = await prefs.choose(uow, PERSON, "bottleneck", "off")  # a rep receives no bottleneck alerts
        own = await prefs.choose(uow, PERSON, "handover", "off")
    assert (fixed.outcome, foreign.outcome, own.outcome) == ("bad_input", "not_allowed", "saved")
    async with harness.baton.ctx.uow() as uow:
        assert await prefs.notify_person(uow, "sato", "sla_escalation", {"text": "breach"}, dedupe_key="e:1") == "sent"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_app_home_offers_each_person_only_the_kinds_of_their_role(harness):
    def offered(rec: dict) -> set[str]:
        return {b["block_id"].removeprefix("pref_") for b in rec["view"]["blocks"] if str(b.get("block_id", "")).startswith("pref_")} - {"hours"}

    rep, manager = await open_home(harness, "tanaka"), await open_home(harness, "sato")
    assert offered(rep) == {"sla_warning", "handover", "digest"}  # a rep: no escalations, bottlenecks, renewals
    assert {"sla_escalation", "handover", "bottleneck", "digest"} <= offered(manager)
    assert "sla_warning" not in offered(manager) and "renewal" not in offered(manager)
    # the rep switches off their own kind from the tab (hand-overs could not be switched off before)
    await harness.emu.click_view(harness.person("tanaka"), rep["id"], "home_pref", selected_option="handover:off", block_id="pref_handover")
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        assert (await prefs.preferences(uow, "tanaka"))["handover"] == "off"
