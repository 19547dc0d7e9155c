import asyncio
import json
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import SlackEmulator

SECRET = "test-signing-secret"
USERS = {
    "U1": {"name": "alice", "real_name": "Alice A", "tz": "Asia/Tokyo", "is_admin": True},
    "U2": {"name": "bob", "real_name": "Bob B", "tz": "America/New_York", "is_admin": False},
}


class FakeClock:
    def __init__(self, t: float = 1_732_412_345.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def emu():
    e = SlackEmulator(signing_secret=SECRET, users=USERS)
    await e.start()
    yield e
    await e.stop()


@pytest.fixture
async def client(emu):
    return AsyncWebClient(token="xoxb-sandbox", base_url=emu.api_url, retry_handlers=[])


def section(text: str, **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, value: str = "v") -> dict:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": action_id}, "value": value}


class Recorder:
    """A tiny bot endpoint that verifies Slack signatures and records payloads."""

    def __init__(self, reply=None) -> None:
        self.requests: list[dict] = []
        self.reply = reply or (lambda payload: web.Response(status=200))
        self.verifier = SignatureVerifier(SECRET)
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.text()
        if not self.verifier.is_valid_request(raw, dict(request.headers)):
            return web.Response(status=401)
        if request.content_type == "application/json":
            payload = json.loads(raw)
        else:
            form = dict(parse_qsl(raw))
            payload = json.loads(form["payload"]) if "payload" in form else form
        self.requests.append({"payload": payload, "headers": dict(request.headers), "content_type": request.content_type})
        return self.reply(payload)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/slack/events", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/slack/events"

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture
async def bot(emu):
    rec = Recorder()
    emu.bot_url = await rec.start()
    yield rec
    await rec.stop()


# --------------------------------------------------------------------- Web API


async def test_auth_test_and_invalid_auth(emu, client):
    res = await client.auth_test()
    assert res["user_id"] == "UBATONBOT" and res["team_id"] == "T0BATON" and res["bot_id"]
    bad = AsyncWebClient(token="xoxb-wrong", base_url=emu.api_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as exc:
        await bad.chat_postMessage(channel="C1", text="hi")
    assert exc.value.response["error"] == "invalid_auth"
    assert emu.messages == []


async def test_unknown_method(client):
    with pytest.raises(SlackApiError) as exc:
        await client.api_call("reactions.add", json={"name": "tada"})
    assert exc.value.response["error"] == "unknown_method"


async def test_post_message_ts_unique_and_increasing(emu, client):
    ts = [(await client.chat_postMessage(channel="C1", text=f"m{i}"))["ts"] for i in range(5)]
    assert ts == sorted(ts, key=float) and len(set(ts)) == 5
    assert all(len(t.split(".")[1]) == 6 for t in ts)
    assert [m["text"] for m in emu.channel_messages("C1")] == [f"m{i}" for i in range(5)]
    assert emu.last("C1")["ts"] == ts[-1]
    assert len([c for c in emu.calls if c["method"] == "chat.postMessage"]) == 5


async def test_post_with_blocks_form_encoded_and_json(emu, client):
    blocks = [section("*hello* <@U1>", block_id="b1")]
    res = await client.chat_postMessage(channel="C1", text="hello", blocks=blocks)  # JSON body
    assert res["message"]["blocks"][0]["block_id"] == "b1"
    # Form-encoded with a JSON string field, like older clients / api_call(data=...).
    res2 = await client.api_call("chat.postMessage", data={"channel": "C1", "text": "x", "blocks": json.dumps(blocks)})
    assert res2["ok"]
    assert emu.find(text_contains="*hello*")[0]["blocks"][0]["text"]["text"] == "*hello* <@U1>"
    # Slack fills in missing block_ids.
    await client.chat_postMessage(channel="C1", text="y", blocks=[section("no id")])
    assert emu.last("C1")["blocks"][0]["block_id"]


async def test_dm_by_user_id_and_conversations_open(emu, client):
    opened = await client.conversations_open(users="U1")
    dm = opened["channel"]["id"]
    assert dm.startswith("D")
    assert (await client.conversations_open(users=["U1"]))["channel"]["id"] == dm
    res = await client.chat_postMessage(channel="U1", text="psst")
    assert res["channel"] == dm
    assert emu.channel_messages(dm)[0]["text"] == "psst"
    assert emu.channel_messages("U1")[0]["text"] == "psst"


async def test_invalid_blocks_too_many_and_too_long(emu, client):
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel="C1", text="t", blocks=[{"type": "divider"}] * 51)
    assert exc.value.response["error"] == "invalid_blocks"
    assert exc.value.response["errors"] == ["blocks: 51 items > 50"]
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel="C1", text="t", blocks=[section("x" * 3001)])
    assert exc.value.response["errors"] == ["blocks[0].text.text: 3001 chars > 3000"]
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel="C1", text="x" * 40001)
    assert exc.value.response["error"] == "msg_too_long"
    with pytest.raises(SlackApiError) as exc:
        await client.api_call("chat.postMessage", json={"channel": "C1", "text": ""})
    assert exc.value.response["error"] == "no_text"
    emu.missing_channels.add("C404")
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel="C404", text="hi")
    assert exc.value.response["error"] == "channel_not_found"
    assert emu.messages == []


async def test_update_keeps_history_and_checks_ownership(emu, client):
    ts = (await client.chat_postMessage(channel="C1", text="v1"))["ts"]
    res = await client.chat_update(channel="C1", ts=ts, text="v2", blocks=[section("v2")])
    assert res["text"] == "v2"
    m = emu.channel_messages("C1")[0]
    assert m["text"] == "v2" and [e["text"] for e in m["edits"]] == ["v1"]
    with pytest.raises(SlackApiError) as exc:
        await client.chat_update(channel="C1", ts="1.000001", text="nope")
    assert exc.value.response["error"] == "message_not_found"
    with pytest.raises(SlackApiError) as exc:
        await client.chat_update(channel="C2", ts=ts, text="wrong channel")
    assert exc.value.response["error"] == "message_not_found"


async def test_ephemeral_delete_and_history(emu, client):
    emu.add_channel("C1", "one", bot=True)  # ephemerals and history need the bot in the channel
    r = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert r["message_ts"]
    eph = emu.find(text_contains="only you")[0]
    assert eph["ephemeral_user"] == "U1"
    t1 = (await client.chat_postMessage(channel="C1", text="one", metadata={"event_type": "deal", "event_payload": {"id": 7}}))["ts"]
    t2 = (await client.chat_postMessage(channel="C1", text="two"))["ts"]
    await client.chat_postMessage(channel="C1", text="reply", thread_ts=t1)

    hist = await client.conversations_history(channel="C1", include_all_metadata=True)
    assert [m["text"] for m in hist["messages"]] == ["two", "one"]  # newest first, no ephemerals/replies
    assert hist["messages"][1]["metadata"] == {"event_type": "deal", "event_payload": {"id": 7}}
    assert hist["messages"][1]["reply_count"] == 1
    assert "metadata" not in hist["messages"][0]
    plain = await client.conversations_history(channel="C1")
    assert all("metadata" not in m for m in plain["messages"])
    assert [m["text"] for m in (await client.conversations_history(channel="C1", oldest=t1))["messages"]] == ["two"]
    assert [m["text"] for m in (await client.conversations_history(channel="C1", limit=1))["messages"]] == ["two"]

    replies = await client.conversations_replies(channel="C1", ts=t1)
    assert [m["text"] for m in replies["messages"]] == ["one", "reply"]
    assert [m["text"] for m in emu.thread("C1", t1)] == ["one", "reply"]

    await client.chat_delete(channel="C1", ts=t2)
    assert [m["text"] for m in (await client.conversations_history(channel="C1"))["messages"]] == ["one"]


async def test_users_info(client):
    u = (await client.users_info(user="U2"))["user"]
    assert u["name"] == "bob" and u["real_name"] == "Bob B" and u["tz"] == "America/New_York"
    assert u["profile"]["real_name"] == "Bob B" and u["is_admin"] is False
    assert u["tz_offset"] in (-5 * 3600, -4 * 3600)
    with pytest.raises(SlackApiError) as exc:
        await client.users_info(user="U999")
    assert exc.value.response["error"] == "user_not_found"


async def test_views_open_push_update_publish_and_trigger_expiry():
    clock = FakeClock()
    emu = SlackEmulator(signing_secret=SECRET, users=USERS, clock=clock)
    await emu.start()
    try:
        client = AsyncWebClient(token="xoxb-sandbox", base_url=emu.api_url, retry_handlers=[])
        modal = {"type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": "Hi"}, "blocks": [section("x")]}

        trig = emu.issue_trigger("U1")
        view = (await client.views_open(trigger_id=trig, view=modal))["view"]
        assert view["id"].startswith("V") and view["hash"] and view["callback_id"] == "cb"
        assert [v["id"] for v in emu.open_views("U1")] == [view["id"]]
        with pytest.raises(SlackApiError) as exc:  # a trigger works once
            await client.views_open(trigger_id=trig, view=modal)
        assert exc.value.response["error"] == "trigger_exchanged"

        pushed = (await client.views_push(trigger_id=emu.issue_trigger("U1"), view=modal))["view"]
        assert pushed["root_view_id"] == view["id"] and pushed["previous_view_id"] == view["id"]

        with pytest.raises(SlackApiError) as exc:
            await client.views_update(view_id=view["id"], hash="stale", view=modal)
        assert exc.value.response["error"] == "hash_conflict"
        updated = (await client.views_update(view_id=view["id"], hash=view["hash"], view={**modal, "private_metadata": "pm"}))["view"]
        assert updated["private_metadata"] == "pm" and updated["hash"] != view["hash"]

        late = emu.issue_trigger("U1")
        clock.t += 3.5
        with pytest.raises(SlackApiError) as exc:
            await client.views_open(trigger_id=late, view=modal)
        assert exc.value.response["error"] == "expired_trigger_id"
        with pytest.raises(SlackApiError) as exc:
            await client.views_open(trigger_id="123.456.abc", view=modal)
        assert exc.value.response["error"] == "invalid_trigger_id"

        bad = {**modal, "title": {"type": "plain_text", "text": "t" * 25}}
        with pytest.raises(SlackApiError) as exc:
            await client.views_open(trigger_id=emu.issue_trigger("U1"), view=bad)
        assert exc.value.response["error"] == "invalid_arguments"
        assert "json-pointer:/view/title/text" in exc.value.response["response_metadata"]["messages"][0]

        home = {"type": "home", "blocks": [section("welcome")]}
        h1 = (await client.views_publish(user_id="U1", view=home))["view"]
        h2 = (await client.views_publish(user_id="U1", view={**home, "blocks": []}))["view"]
        assert h1["id"] == h2["id"] and emu.home["U1"]["view"]["blocks"] == []
    finally:
        await emu.stop()


async def test_files_upload_v2_end_to_end(emu, client):
    emu.add_channel("C1", "one", bot=True)
    res = await client.files_upload_v2(channel="C1", file=b"col1,col2\n1,2\n", filename="report.csv", title="Report", initial_comment="here")
    assert res["file"]["title"] == "Report"
    (f,) = emu.files.values()
    assert f["content"] == b"col1,col2\n1,2\n" and f["channel"] == "C1"
    msg = emu.last("C1")
    assert msg["text"] == "here" and msg["files"][0]["id"] == f["id"]


async def test_an_uploaded_image_is_served_and_shown_on_the_page(emu, client):
    emu.add_channel("C1", "one", bot=True)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    await client.files_upload_v2(channel="C1", file=png, filename="trend.png", title="Trend")
    url = emu.last("C1")["files"][0]["url_private"]
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as r:
            assert r.status == 200 and r.content_type == "image/png" and await r.read() == png
        async with http.get(url.rsplit("/", 1)[0] + "/F_NOPE") as r:
            assert r.status == 404
        async with http.get(emu.api_url.rsplit("/api", 1)[0] + "/_ui/fragment", params={"ch": "C1", "as": "U1"}) as r:
            page = await r.text()
    assert f'<img src="{url}"' in page and "Trend" in page


# --------------------------------------------------------------------- faults


async def test_injected_429_has_retry_after_and_stores_nothing(emu, client):
    emu.inject("chat.postMessage", "429", retry_after=7)
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel="C1", text="hi")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"
    assert exc.value.response["error"] == "ratelimited"
    assert emu.messages == [] and emu.faults_injected == 1
    assert emu.calls[-1]["status"] == 429
    await client.chat_postMessage(channel="C1", text="hi")  # times=1: next call passes
    assert len(emu.messages) == 1


async def test_injected_503_and_wildcard(emu, client):
    emu.inject("*", "503", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel="C1", text="hi")
        assert exc.value.response.status_code == 503
    assert emu.messages == [] and emu.faults_injected == 2
    assert (await client.auth_test())["ok"]


async def test_timeout_and_drop_faults_store_nothing(emu):
    emu.timeout_seconds = 0.5
    quick = AsyncWebClient(token="xoxb-sandbox", base_url=emu.api_url, retry_handlers=[], timeout=0.1)  # type: ignore[arg-type]
    emu.inject("chat.postMessage", "timeout")
    with pytest.raises(asyncio.TimeoutError):
        await quick.chat_postMessage(channel="C1", text="slow")
    emu.inject("chat.postMessage", "drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await quick.chat_postMessage(channel="C1", text="dropped")
    assert emu.messages == [] and emu.faults_injected == 2


async def test_probabilistic_faults_are_seeded(emu, client):
    emu.inject("chat.postMessage", "500", times=None, probability=0.5, seed=42)
    outcomes = []
    for i in range(10):
        try:
            await client.chat_postMessage(channel="C1", text=str(i))
            outcomes.append(True)
        except SlackApiError:
            outcomes.append(False)
    assert set(outcomes) == {True, False}  # some calls faulted, some did not
    assert len(emu.messages) == outcomes.count(True) and emu.faults_injected == outcomes.count(False)
    emu.clear_faults()
    await client.chat_postMessage(channel="C1", text="clean")


async def test_rate_limit_per_channel():
    clock = FakeClock()
    emu = SlackEmulator(signing_secret=SECRET, clock=clock)
    await emu.start()
    try:
        client = AsyncWebClient(token="xoxb-sandbox", base_url=emu.api_url, retry_handlers=[])
        emu.rate_limit("chat.postMessage", per_channel_per_second=1.0)
        await client.chat_postMessage(channel="C1", text="a")
        await client.chat_postMessage(channel="C2", text="other channel is fine")
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel="C1", text="b")
        assert exc.value.response.status_code == 429
        assert int(exc.value.response.headers["Retry-After"]) >= 1
        clock.t += 1.0
        await client.chat_postMessage(channel="C1", text="c")
        assert [m["text"] for m in emu.channel_messages("C1")] == ["a", "c"]
    finally:
        await emu.stop()


async def test_web_api_tiers_refuse_a_burst_beyond_a_minutes_calls_as_slack_does():
    """chat.update is Tier 3 (50 per minute per workspace, bursts up to that): the 51st call at once is
    refused with Retry-After, and a call is allowed again once the bucket has refilled."""
    clock = FakeClock()
    emu = SlackEmulator(signing_secret=SECRET, clock=clock)
    await emu.start()
    try:
        client = AsyncWebClient(token="xoxb-sandbox", base_url=emu.api_url, retry_handlers=[])
        posted = await client.chat_postMessage(channel="C1", text="v0")
        for i in range(50):
            await client.chat_update(channel="C1", ts=posted["ts"], text=f"v{i + 1}")
        with pytest.raises(SlackApiError) as exc:
            await client.chat_update(channel="C1", ts=posted["ts"], text="one too many")
        assert exc.value.response.status_code == 429 and int(exc.value.response.headers["Retry-After"]) >= 1
        clock.t += 1.2  # 50 per minute: one call back after 1.2 s
        await client.chat_update(channel="C1", ts=posted["ts"], text="later")
        assert emu.channel_messages("C1")[-1]["text"] == "later"
    finally:
        await emu.stop()


# --------------------------------------------------------------------- acting as a user


async def test_click_sends_signed_block_actions(emu, client, bot):
    blocks = [section("Approve?", block_id="q"), {"type": "actions", "block_id": "acts", "elements": [button("approve", "42")]}]
    posted = await client.chat_postMessage(channel="C1", text="Approve?", blocks=blocks)
    result = await emu.click("U1", ("C1", posted["ts"]), "approve")
    assert result["status"] == 200
    req = bot.requests[-1]
    assert req["content_type"] == "application/x-www-form-urlencoded"
    p = req["payload"]
    assert p["type"] == "block_actions"
    assert p["user"] == {"id": "U1", "username": "alice", "name": "alice", "team_id": "T0BATON"}
    assert p["container"] == {"type": "message", "message_ts": posted["ts"], "channel_id": "C1", "is_ephemeral": False}
    assert p["channel"]["id"] == "C1" and p["message"]["ts"] == posted["ts"] and p["trigger_id"]
    assert p["actions"][0]["action_id"] == "approve" and p["actions"][0]["block_id"] == "acts"
    assert p["actions"][0]["value"] == "42"
    assert p["response_url"].startswith(emu.web_url)
    with pytest.raises(ValueError):
        await emu.click("U1", emu.last("C1"), "not-there")


async def test_click_static_select_and_respond(emu, client, bot):
    sel = {
        "type": "static_select",
        "action_id": "stage",
        "options": [{"text": {"type": "plain_text", "text": "Won"}, "value": "won"}],
    }
    posted = await client.chat_postMessage(channel="C1", text="pick", blocks=[section("pick", accessory=sel)])
    await emu.click("U2", emu.last("C1"), "stage", selected_option="won")
    action = bot.requests[-1]["payload"]["actions"][0]
    assert action["selected_option"] == {"text": {"type": "plain_text", "text": "Won"}, "value": "won"}
    with pytest.raises(ValueError):
        await emu.click("U2", emu.last("C1"), "stage", selected_option="lost")

    # response_url: replace_original edits the message; a plain reply is ephemeral.
    url = bot.requests[-1]["payload"]["response_url"]
    async with aiohttp.ClientSession() as s:
        await s.post(url, json={"text": "done", "replace_original": True})
        await s.post(url, json={"text": "just for you"})
    m = emu.get_message("C1", posted["ts"])
    assert m["text"] == "done" and len(m["edits"]) == 1
    assert emu.last("C1")["ephemeral_user"] == "U2"


async def test_slash_command_and_immediate_response(emu, bot):
    bot.reply = lambda p: web.json_response({"text": "working on it"})
    result = await emu.slash("U1", "/baton", "report weekly", channel_id="C7")
    assert result == {"status": 200, "body": {"text": "working on it"}}
    p = bot.requests[-1]["payload"]
    assert p["command"] == "/baton" and p["text"] == "report weekly" and p["user_id"] == "U1"
    assert p["user_name"] == "alice" and p["channel_id"] == "C7" and p["trigger_id"] and p["response_url"]
    assert emu.last("C7")["text"] == "working on it" and emu.last("C7")["ephemeral_user"] == "U1"


async def test_send_event_with_retry_headers_and_home(emu, bot):
    await emu.send_event({"type": "app_mention", "user": "U1", "text": "<@UBATONBOT> hi", "channel": "C1"}, event_id="Ev1", retry_num=1, retry_reason="http_timeout")
    req = bot.requests[-1]
    assert req["content_type"] == "application/json"
    assert req["payload"]["type"] == "event_callback" and req["payload"]["event_id"] == "Ev1"
    assert req["payload"]["event"]["type"] == "app_mention" and req["payload"]["authorizations"][0]["user_id"] == "UBATONBOT"
    assert req["headers"]["X-Slack-Retry-Num"] == "1" and req["headers"]["X-Slack-Retry-Reason"] == "http_timeout"
    await emu.open_home("U2")
    ev = bot.requests[-1]["payload"]["event"]
    assert ev["type"] == "app_home_opened" and ev["user"] == "U2" and ev["tab"] == "home"


def _modal_with_inputs() -> dict:
    return {
        "type": "modal",
        "callback_id": "deal",
        "notify_on_close": True,
        "title": {"type": "plain_text", "text": "Deal"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {"type": "input", "block_id": "name", "label": {"type": "plain_text", "text": "Name"}, "element": {"type": "plain_text_input", "action_id": "v"}},
            {
                "type": "input",
                "block_id": "stage",
                "label": {"type": "plain_text", "text": "Stage"},
                "element": {"type": "static_select", "action_id": "v", "options": [{"text": {"type": "plain_text", "text": "Won"}, "value": "won"}]},
            },
            {"type": "input", "block_id": "due", "optional": True, "label": {"type": "plain_text", "text": "Due"}, "element": {"type": "datepicker", "action_id": "v"}},
        ],
    }


async def test_submit_view_state_shape_and_response_actions(emu, client, bot):
    view = (await client.views_open(trigger_id=emu.issue_trigger("U1"), view=_modal_with_inputs()))["view"]

    with pytest.raises(ValueError):  # Slack's client would not let the user submit
        await emu.submit_view("U1", view["id"], {"name": {"v": "Acme"}})

    bot.reply = lambda p: web.json_response({"response_action": "errors", "errors": {"name": "taken"}})
    res = await emu.submit_view("U1", view["id"], {"name": {"v": "Acme"}, "stage": {"v": "won"}})
    assert res["body"]["response_action"] == "errors"
    assert emu.open_views("U1")[0]["id"] == view["id"]
    p = bot.requests[-1]["payload"]
    assert p["type"] == "view_submission" and p["view"]["callback_id"] == "deal"
    assert p["view"]["state"]["values"] == {
        "name": {"v": {"type": "plain_text_input", "value": "Acme"}},
        "stage": {"v": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "Won"}, "value": "won"}}},
        "due": {"v": {"type": "datepicker", "selected_date": None}},
    }

    bot.reply = lambda p: web.Response(status=200)
    await emu.submit_view("U1", view["id"], {"name": {"v": "Acme"}, "stage": {"v": "won"}, "due": {"v": "2025-01-31"}})
    assert bot.requests[-1]["payload"]["view"]["state"]["values"]["due"]["v"]["selected_date"] == "2025-01-31"
    assert emu.open_views("U1") == [] and emu.views[view["id"]]["closed"]


async def test_close_view_notifies_when_asked(emu, client, bot):
    view = (await client.views_open(trigger_id=emu.issue_trigger("U1"), view=_modal_with_inputs()))["view"]
    await emu.close_view("U1", view["id"])
    assert bot.requests[-1]["payload"]["type"] == "view_closed"
    assert emu.open_views("U1") == []


# --------------------------------------------------------------------- real bolt app


async def test_bolt_app_routes_click_and_submission(emu):
    from slack_bolt.async_app import AsyncApp

    app = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token="xoxb-sandbox", base_url=emu.api_url))
    got: dict[str, asyncio.Event] = {"action": asyncio.Event(), "view": asyncio.Event()}
    seen: dict[str, dict] = {}

    @app.action("go")
    async def on_go(ack, body, client, respond):
        await ack()
        seen["action"] = body
        await client.views_open(trigger_id=body["trigger_id"], view={
            "type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": "Form"},
            "submit": {"type": "plain_text", "text": "OK"},
            "blocks": [{"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "Note"}, "element": {"type": "plain_text_input", "action_id": "a"}}],
        })
        await respond(text="opened the form")
        got["action"].set()

    @app.view("cb")
    async def on_submit(ack, view, body):
        await ack()
        seen["view"] = view
        got["view"].set()

    @app.command("/baton")
    async def on_cmd(ack):
        await ack("hi from bolt")

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    emu.bot_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    try:
        client = AsyncWebClient(token="xoxb-sandbox", base_url=emu.api_url)
        posted = await client.chat_postMessage(channel="C1", text="go?", blocks=[{"type": "actions", "elements": [button("go")]}])
        res = await emu.click("U1", ("C1", posted["ts"]), "go")
        assert res["status"] == 200
        await asyncio.wait_for(got["action"].wait(), 2)
        assert seen["action"]["user"]["id"] == "U1"
        assert emu.last("C1")["text"] == "opened the form" and emu.last("C1")["ephemeral_user"] == "U1"
        (modal,) = emu.open_views("U1")

        res = await emu.submit_view("U1", modal["id"], {"b": {"a": "note text"}})
        assert res["status"] == 200
        await asyncio.wait_for(got["view"].wait(), 2)
        assert seen["view"]["state"]["values"]["b"]["a"]["value"] == "note text"
        assert emu.open_views("U1") == []

        res = await emu.slash("U1", "/baton")
        assert res["status"] == 200 and emu.last("C0GENERAL")["text"] == "hi from bolt"
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------- web UI


async def test_web_page_escapes_and_renders(emu, client, bot):
    await client.chat_postMessage(channel="C1", text="x", blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": "<script>alert(1)</script>"}},
        section("*bold* for <@U1>", accessory=button("ack")),
    ])
    async with aiohttp.ClientSession() as s:
        async with s.get(emu.web_url) as r:
            page = await r.text()
        assert r.status == 200
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
        assert "<b>bold</b>" in page and "@Alice A" in page  # a mention shows the person's name, not the id
        async with s.post(emu.web_url + "_ui/click", data={"as": "U2", "channel": "C1", "ts": emu.last("C1")["ts"], "action_id": "ack"}, allow_redirects=False) as r:
            assert r.status == 303
        async with s.get(emu.web_url + "_state") as r:
            state = await r.json()
    assert bot.requests[-1]["payload"]["user"]["id"] == "U2"
    assert state["messages"][0]["channel"] == "C1"


async def test_ui_submit_and_click_inside_modal(emu, client, bot):
    modal = _modal_with_inputs()
    modal["blocks"].append({"type": "actions", "block_id": "more", "elements": [button("add_row")]})
    view = (await client.views_open(trigger_id=emu.issue_trigger("U1"), view=modal))["view"]

    await emu.click_view("U1", view["id"], "add_row")
    p = bot.requests[-1]["payload"]
    assert p["container"] == {"type": "view", "view_id": view["id"]} and p["view"]["id"] == view["id"]
    assert p["actions"][0]["block_id"] == "more"

    async with aiohttp.ClientSession() as s:
        form = {"as": "U1", "view_id": view["id"], "v.0": "Typed", "v.1": "won", "v.2": ""}
        async with s.post(emu.web_url + "_ui/submit", data=form, allow_redirects=False) as r:
            assert r.status == 303
    values = bot.requests[-1]["payload"]["view"]["state"]["values"]
    assert values["name"]["v"]["value"] == "Typed" and values["stage"]["v"]["selected_option"]["value"] == "won"
    assert emu.open_views("U1") == []


async def test_malformed_params_are_reported_not_crashing(emu, client):
    emu.add_channel("C1", "one", bot=True)
    with pytest.raises(SlackApiError) as exc:
        await client.conversations_history(channel="C1", limit="lots")  # type: ignore[arg-type]
    assert exc.value.response.status_code == 200
    assert exc.value.response["error"] == "invalid_arguments"


async def test_click_on_ephemeral_message(emu, client, bot):
    emu.add_channel("C1", "one", bot=True)
    await client.chat_postEphemeral(channel="C1", user="U1", text="psst", blocks=[{"type": "actions", "elements": [button("undo")]}])
    await emu.click("U1", emu.last("C1"), "undo")
    p = bot.requests[-1]["payload"]
    assert p["container"]["is_ephemeral"] is True
    assert "message" not in p  # like Slack


# --------------------------------------------------------------------- Slack's membership rules


async def _error(call) -> str:
    with pytest.raises(SlackApiError) as exc:
        await call
    return exc.value.response["error"]


async def test_public_channel_posts_via_chat_write_public_but_reads_only_as_member(emu, client):
    await client.chat_postMessage(channel="C5", text="posted without joining")  # chat:write.public
    assert await _error(client.conversations_history(channel="C5")) == "not_in_channel"
    assert await _error(client.chat_postEphemeral(channel="C5", user="U1", text="x")) == "not_in_channel"
    assert await _error(client.files_upload_v2(channel="C5", content="a,b", filename="f.csv")) == "not_in_channel"
    joined = await client.conversations_join(channel="C5")
    assert joined["channel"]["is_member"] is True
    assert [m["text"] for m in (await client.conversations_history(channel="C5"))["messages"]] == ["posted without joining"]
    assert (await client.chat_postEphemeral(channel="C5", user="U1", text="x"))["ok"]


async def test_private_channels_and_dms_between_people_do_not_exist_for_the_bot(emu, client):
    emu.add_channel("C6SECRET", "secret", private=True, members=["U1", "U2"])
    dm = emu.people_dm("U1", "U2")
    assert dm.startswith("D")
    for channel in ("C6SECRET", dm):
        assert await _error(client.chat_postMessage(channel=channel, text="x")) == "channel_not_found"
        assert await _error(client.chat_postEphemeral(channel=channel, user="U1", text="x")) == "channel_not_found"
        assert await _error(client.conversations_history(channel=channel)) == "channel_not_found"
    assert await _error(client.conversations_join(channel="C6SECRET")) == "channel_not_found"
    emu.add_channel("C6INVITED", "invited", private=True, members=["U1"], bot=True)
    assert await _error(client.conversations_join(channel="C6INVITED")) == "method_not_supported_for_channel_type"
    await client.chat_postMessage(channel="C6INVITED", text="in")
    assert await _error(client.chat_postEphemeral(channel="C6INVITED", user="U2", text="x")) == "user_not_in_channel"
    assert emu.find("x") == []


async def test_dm_history_needs_the_d_id(emu, client):
    await client.chat_postMessage(channel="U1", text="psst")
    assert await _error(client.conversations_history(channel="U1")) == "channel_not_found"
    dm = (await client.conversations_open(users="U1"))["channel"]["id"]
    assert [m["text"] for m in (await client.conversations_history(channel=dm))["messages"]] == ["psst"]


async def test_response_url_answers_anywhere_within_its_limits():
    clock = FakeClock()
    emu = SlackEmulator(signing_secret=SECRET, users=USERS, clock=clock)
    await emu.start()
    try:
        rec = Recorder()
        emu.bot_url = await rec.start()
        dm = emu.people_dm("U1", "U2")
        await emu.slash("U1", "/baton", "", channel_id=dm)
        url = rec.requests[-1]["payload"]["response_url"]
        async with aiohttp.ClientSession() as s:
            async with s.post(url, json={"text": "only you", "response_type": "ephemeral"}) as r:
                assert r.status == 200
            async with s.post(url, json={"text": "everyone", "response_type": "in_channel"}) as r:
                assert r.status == 200
            assert [(m["text"], m["ephemeral_user"]) for m in emu.channel_messages(dm)] == [("only you", "U1"), ("everyone", None)]
            for _ in range(3):
                async with s.post(url, json={"text": "more"}) as r:
                    assert r.status == 200
            async with s.post(url, json={"text": "sixth"}) as r:
                assert r.status == 404 and (await r.json())["error"] == "used_url"
            await emu.slash("U1", "/baton", "", channel_id=dm)
            late = rec.requests[-1]["payload"]["response_url"]
            clock.t += 30 * 60 + 1
            async with s.post(late, json={"text": "too late"}) as r:
                assert r.status == 404 and (await r.json())["error"] == "expired_url"
        assert emu.find("sixth") == [] and emu.find("too late") == []
        await rec.stop()
    finally:
        await emu.stop()


async def test_events_not_answered_200_are_redelivered_and_counted(emu, bot):
    statuses = iter([404, 500, 200])
    bot.reply = lambda p: web.Response(status=next(statuses))
    result = await emu.send_event({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="EvR")
    assert result["status"] == 200
    assert [r["headers"].get("X-Slack-Retry-Num") for r in bot.requests] == [None, "1", "2"]
    assert [f["status"] for f in emu.failed_events] == [404, 500]
