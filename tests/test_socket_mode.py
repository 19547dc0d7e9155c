"""Socket Mode and HTTP mode pass the same end-to-end flows: a slash command, an MQL card button,
a modal (a field error, then a valid submission) and an event, each with the same assertions —
over signed HTTP requests, and over the WebSocket Baton opens with `apps.connections.open`.
Also the emulator's Socket Mode itself: app-level token only, `hello`, acks within 3 s, and an
un-acked events envelope redelivered with `retry_attempt` (and de-duplicated by Baton)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import SlackEmulator
from tests.conftest import T0
from tests.harness import APP_TOKEN, TOKEN, Harness
from tests.test_home import open_home, text_of
from tests.test_lead_flow import ENTERPRISE


@pytest.fixture(params=["http", "socket"])
async def harness(request, database_url, config_path):  # noqa: ANN001
    h = Harness(database_url=database_url, config_path=config_path, start=T0, socket_mode=request.param == "socket")
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


async def _new_lead(harness) -> int:
    status, body = await harness.post("/api/leads", ENTERPRISE)
    assert status == 201, body
    await harness.deliver()
    return body["id"]


def _went_through_the_socket(harness, n_before: int) -> None:
    """In Socket Mode every interaction travelled as an envelope; in HTTP mode none did."""
    sent = len(harness.emu.envelopes) - n_before
    assert (sent > 0) == harness.socket_mode
    assert harness.emu.unacked == []


async def test_slash_command(harness):
    await _new_lead(harness)
    n = len(harness.emu.envelopes)
    result = await harness.emu.slash(harness.person("tanaka"), "/baton", "help", "C0ENT")
    await harness.deliver()
    assert result["status"] == 200
    assert any("対応待ちのMQL 1件" in t for t in harness.ephemerals("tanaka"))
    _went_through_the_socket(harness, n)


async def test_card_button_accept(harness):
    lead_id = await _new_lead(harness)
    n = len(harness.emu.envelopes)
    result = await harness.click("suzuki", await harness.card(lead_id), "mql_accept")
    assert result["status"] == 200
    lead = await harness.lead(lead_id)
    assert lead["stage"] == "sal" and lead["owner"] == "suzuki"
    card = await harness.card(lead_id)
    assert not any(b["type"] == "actions" for b in card["blocks"]) and "<@U0SUZUKI>" in card["text"]
    _went_through_the_socket(harness, n)


async def test_modal_field_error_then_valid_submission(harness):
    lead_id = await _new_lead(harness)
    n = len(harness.emu.envelopes)
    me = harness.person("tanaka")
    await harness.click("tanaka", await harness.card(lead_id), "mql_reject")
    [view] = harness.emu.open_views(me)
    assert view["view"]["callback_id"] == "mql_reject_modal"
    # "other" needs a note: the error comes back in the ack (Socket Mode: the ack's payload).
    r = await harness.emu.submit_view(me, view["id"], {"reason": {"value": "other"}})
    assert r["status"] == 200 and r["body"]["response_action"] == "errors" and "note" in r["body"]["errors"]
    assert harness.emu.open_views(me) != [] and (await harness.lead(lead_id))["stage"] == "mql"
    r = await harness.emu.submit_view(
        me, view["id"], {"reason": {"value": "no_interest_now"}, "note": {"value": "来期予算で再検討"}, "reapproach": {"value": "60"}}
    )
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    assert harness.emu.open_views(me) == []
    lead = await harness.lead(lead_id)
    assert lead["stage"] == "recycled" and lead["recycle_at"] == "2027-01-23"
    _went_through_the_socket(harness, n)


async def test_event_app_home_opened(harness):
    await _new_lead(harness)
    n = len(harness.emu.envelopes)
    rec = await open_home(harness, "tanaka")
    assert "対応待ちのMQL（1件）" in text_of(rec)
    _went_through_the_socket(harness, n)


async def test_a_redelivered_event_has_no_second_effect(harness):
    me = harness.person("sato")
    event = {"type": "app_home_opened", "user": me, "channel": harness.emu.dm_channel(me), "tab": "home"}
    first = await harness.emu.send_event(event, event_id="EvTWICE")
    publishes = await _wait_for_publishes(harness, at_least=1)
    assert publishes == 1
    again = await harness.emu.send_event(event, event_id="EvTWICE", retry_num=1, retry_reason="timeout")
    assert first["status"] == 200 and again["status"] == 200 and harness.emu.failed_events == []
    assert await _wait_for_publishes(harness, at_least=2, rounds=20) == 1  # a second would show within the bound
    if harness.socket_mode:
        assert [e["retry_attempt"] for e in harness.emu.envelopes] == [0, 1]


async def test_after_a_restart_the_new_process_answers(harness):
    lead_id = await _new_lead(harness)
    await harness.restart()  # Socket Mode: the old WebSocket closes, the new process opens its own
    n = len(harness.emu.envelopes)
    assert (await harness.click("suzuki", await harness.card(lead_id), "mql_accept"))["status"] == 200
    assert (await harness.lead(lead_id))["stage"] == "sal"
    _went_through_the_socket(harness, n)
    assert harness.emu.socket_connected == harness.socket_mode


async def _wait_for_publishes(harness, *, at_least: int, rounds: int = 300) -> int:
    """views.publish calls seen once `at_least` are there, or after `rounds` polls (the event
    listener runs after the ack: real I/O, not clock time)."""
    count = 0
    for _ in range(rounds):
        await harness.deliver()
        count = sum(1 for c in harness.emu.calls if c["method"] == "views.publish")
        if count >= at_least:
            break
        await asyncio.sleep(0.01)
    return count


# -- the emulator's Socket Mode on its own ---------------------------------------------------------------

async def test_apps_connections_open_wants_the_app_level_token():
    async with SlackEmulator(signing_secret="s", bot_token=TOKEN, app_token=APP_TOKEN) as emu:
        for token, error in ((TOKEN, "not_allowed_token_type"), ("xapp-1-other", "invalid_auth")):
            with pytest.raises(SlackApiError) as e:
                await AsyncWebClient(base_url=emu.api_url).apps_connections_open(app_token=token)
            assert e.value.response["error"] == error
        url = (await AsyncWebClient(base_url=emu.api_url).apps_connections_open(app_token=APP_TOKEN))["url"]
        assert url.startswith("ws://127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(url) as ws:
                hello = await ws.receive_json(timeout=2)
                assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == emu.app_id
            with pytest.raises(aiohttp.WSServerHandshakeError):  # one connection per URL
                await http.ws_connect(url)


async def test_an_unacked_events_envelope_fails_and_is_redelivered_with_retry_attempt():
    async with SlackEmulator(signing_secret="s", bot_token=TOKEN, app_token=APP_TOKEN) as emu:
        emu.socket_mode, emu.bot_timeout_seconds = True, 0.2
        url = (await AsyncWebClient(base_url=emu.api_url).apps_connections_open(app_token=APP_TOKEN))["url"]
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            assert (await ws.receive_json(timeout=2))["type"] == "hello"
            delivery = asyncio.create_task(emu.send_event({"type": "app_home_opened", "user": "U1", "tab": "home"}))
            first = await ws.receive_json(timeout=2)  # not acked: Slack waits 3 s (here 0.2 s), then retries
            second = await ws.receive_json(timeout=2)
            assert first["type"] == second["type"] == "events_api" and first["accepts_response_payload"] is False
            assert (first["retry_attempt"], second["retry_attempt"]) == (0, 1)
            assert first["payload"]["event_id"] == second["payload"]["event_id"]
            assert first["envelope_id"] != second["envelope_id"]
            await ws.send_str(json.dumps({"envelope_id": second["envelope_id"]}))
            result = await asyncio.wait_for(delivery, timeout=2)
        assert result == {"status": 200, "body": ""}
        assert [e["envelope_id"] for e in emu.unacked] == [first["envelope_id"]]
        assert len(emu.failed_events) == 1


async def test_an_unacked_interaction_fails_like_an_http_timeout():
    async with SlackEmulator(signing_secret="s", bot_token=TOKEN, app_token=APP_TOKEN) as emu:
        emu.socket_mode, emu.bot_timeout_seconds = True, 0.2
        url = (await AsyncWebClient(base_url=emu.api_url).apps_connections_open(app_token=APP_TOKEN))["url"]
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            await ws.receive_json(timeout=2)
            with pytest.raises(asyncio.TimeoutError):
                await emu.slash("U1", "/baton", "help")
            envelope = await ws.receive_json(timeout=2)
        assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"] is True
        assert envelope["payload"]["command"] == "/baton" and emu.unacked == [envelope]
