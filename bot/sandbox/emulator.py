"""In-process Slack emulator: a Web API server plus a "user" that clicks and submits.

Baton talks to it through an ordinary ``AsyncWebClient(base_url=emu.api_url)``; the
emulator sends interactions back to ``bot_url`` signed exactly like Slack does, so the
whole bolt stack (signature check, routing, ack) is exercised.  With ``socket_mode`` on,
the same interactions go as Socket Mode envelopes over the WebSocket the bot opened with
``apps.connections.open`` (an app-level ``xapp-`` token), acked within 3 s like Slack wants.  All state is plain
Python so tests can inspect it directly.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import html
import itertools
import json
import math
import mimetypes
import random
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.slack.blockkit import LIMITS, lint_markup, validate_message, validate_view

__all__ = ["SlackEmulator"]

TRIGGER_TTL_SECONDS = 3.0
# A command's or a button's response_url: Slack accepts up to 5 answers within 30 minutes.
RESPONSE_URL_TTL_SECONDS = 30 * 60
RESPONSE_URL_MAX_USES = 5
MAX_VIEW_STACK = 3
DEFAULT_TZ = "Asia/Tokyo"
# Form-encoded API calls carry these as JSON strings.
_JSON_PARAMS = ("blocks", "view", "metadata", "files", "attachments")
_FAULT_KINDS = frozenset({"429", "500", "503", "timeout", "drop"})
_PAGE_TEMPLATE = Path(__file__).with_name("page.html")
_FALLBACK_PAGE = (
    '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>Baton sandbox</title>'
    '<form method="get" action="/">act as'
    ' <select name="as" onchange="this.form.submit()">__AS_OPTIONS__</select></form>'
    "<main>__CONTENT__</main>"
)
_HTML_INPUT_TYPES = {
    "datepicker": "date",
    "timepicker": "time",
    "number_input": "number",
    "email_text_input": "email",
    "url_text_input": "url",
}
_TEXT_KEYS = frozenset({"text", "fields", "elements", "title", "label"})


class _ApiError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class _Fault:
    method: str
    kind: str
    times: int | None
    retry_after: int
    probability: float | None
    rng: random.Random
    channel: str | None = None  # only calls to this channel (None: any)

    def matches(self, method: str, channel: str | None = None) -> bool:
        if self.method not in ("*", method) or self.times == 0 or (self.channel is not None and channel != self.channel):
            return False
        return self.probability is None or self.rng.random() < self.probability


@dataclass
class _Trigger:
    user: str
    issued_at: float
    view_id: str | None = None
    used: bool = False


@dataclass
class _Channel:
    """A conversation as Slack's permission checks see it. ``members`` are user ids (the bot's
    own user id when it was invited or joined); a public channel is readable by everyone but
    its history, files and ephemerals need the bot to be a member."""

    id: str
    name: str
    private: bool = False
    members: set[str] | None = None
    is_im: bool = False
    is_mpim: bool = False

    def has(self, user: str) -> bool:
        return self.members is not None and user in self.members


@dataclass
class _Bucket:
    tokens: float
    updated: float


# Slack's Web API rate tiers (calls per minute per workspace and method; https://api.slack.com/apis/rate-limits),
# for every method Baton calls. Slack allows short bursts over them: each method's bucket holds one
# minute's calls and refills at its rate. chat.postMessage has its own per-channel limit (`rate_limit`).
RATE_TIERS: dict[str, int] = {
    "chat.update": 50, "chat.delete": 50, "conversations.open": 50, "conversations.join": 50,
    "conversations.info": 50, "conversations.history": 50, "conversations.replies": 50,
    "chat.postEphemeral": 100, "users.info": 100, "views.open": 100, "views.push": 100,
    "views.update": 100, "views.publish": 100, "files.getUploadURLExternal": 100, "files.completeUploadExternal": 100,
}  # fmt: skip


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "on")
    return bool(v)


def _iter_elements(blocks: Iterable[dict]) -> Iterator[tuple[dict, dict]]:
    """(block, element) for every interactive element in ``blocks``."""
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("accessory"), dict):
            yield block, block["accessory"]
        if isinstance(block.get("element"), dict):
            yield block, block["element"]
        if block.get("type") == "actions":
            for el in block.get("elements") or []:
                if isinstance(el, dict):
                    yield block, el


def _all_options(element: dict) -> list[dict]:
    opts = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        opts.extend(group.get("options") or [])
    return opts


def _text_of(obj: Any) -> str:
    """All human-readable strings inside a Block Kit structure (for searching)."""
    if isinstance(obj, dict):
        return " ".join(_text_of(v) for k, v in obj.items() if k in _TEXT_KEYS or isinstance(v, (list, dict)))
    if isinstance(obj, list):
        return " ".join(_text_of(v) for v in obj)
    return obj if isinstance(obj, str) else ""


class SlackEmulator:
    """A fake Slack workspace served over HTTP by aiohttp."""

    def __init__(
        self,
        *,
        signing_secret: str,
        bot_token: str = "xoxb-sandbox",
        bot_url: str | None = None,
        users: dict[str, dict] | None = None,
        team_id: str = "T0BATON",
        bot_user_id: str = "UBATONBOT",
        clock: Callable[[], Any] | Any | None = None,
        app_token: str = "xapp-1-sandbox",
    ) -> None:
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.app_token = app_token  # app-level token: the only one apps.connections.open accepts
        self.bot_url = bot_url
        self.users: dict[str, dict] = dict(users or {})
        self.team_id = team_id
        self.team_domain = "baton-sandbox"
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id.lstrip("U")[:10]
        self.bot_name = "baton"
        self.app_id = "A0BATON"
        self.clock = clock
        self.channel_names: dict[str, str] = {"C0GENERAL": "general"}

        # Inspectable state.
        self.messages: list[dict] = []
        self.views: dict[str, dict] = {}
        self.home: dict[str, dict] = {}
        self.calls: list[dict] = []
        self.files: dict[str, dict] = {}
        self.sent: list[dict] = []  # interactions/events delivered to the bot
        self.missing_channels: set[str] = set()
        self.lint: list[str] = []  # markup in plain_text Slack would show literally (bot.slack.blockkit.lint_markup)
        self.failed_events: list[dict] = []  # Events API deliveries the bot did not answer 200
        self.redeliver_events = True
        # Socket Mode: deliver through the bot's WebSocket instead of POSTing to bot_url.
        self.socket_mode = False
        self.envelopes: list[dict] = []  # every envelope sent over a socket (retries included)
        self.unacked: list[dict] = []  # envelopes the bot did not ack in time (Slack counts them as failed)
        # Conversations by id; a C… id never declared is a public channel every person is in and
        # the bot is not (chat:write.public lets it post there, nothing more).
        self.channels: dict[str, _Channel] = {}

        # Fault knobs.
        self.timeout_seconds: float = 5.0
        self.bot_timeout_seconds: float = 3.0  # Slack's ack deadline
        self.faults_injected = 0
        self._faults: list[_Fault] = []
        self._rate_limits: dict[str, float] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self.rate_tiers: dict[str, int] = dict(RATE_TIERS)  # per method per minute, on by default (as Slack)
        # The clock rate limits refill on (default: the emulator's). A test gives it the bot's injectable
        # clock, so a Retry-After the bot waits out on its clock is waited out here too.
        self.rate_clock: Any = None

        self._ids = itertools.count(1)
        self._last_ts_us = 0
        self._triggers: dict[str, _Trigger] = {}
        self._dm_ids: dict[str, str] = {}
        self._home_ids: dict[str, str] = {}
        self._response_urls: dict[str, dict] = {}
        self._ui_flash: str | None = None
        self._ui_flash_ok = False  # a success (the control panel's answer) is not shown in the error colour
        self._verifier = SignatureVerifier(signing_secret)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._base = ""
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_open = asyncio.Event()
        self._tickets: set[str] = set()
        self._acks: dict[str, asyncio.Future] = {}
        self._methods: dict[str, Callable[[dict], dict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "conversations.join": self._conversations_join,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(
            [
                web.route("*", "/api/{method}", self._handle_api),
                web.post("/upload/{file_id}", self._handle_upload),
                web.get("/files/{file_id}", self._handle_file),
                web.post("/response_url/{rid}", self._handle_response_url),
                web.get("/link/", self._handle_socket),
                web.get("/", self._ui_page),
                web.get("/_ui/fragment", self._ui_fragment),
                web.post("/_ui/{action}", self._ui_post),
                web.get("/_state", self._handle_state),
            ]
        )
        # Short shutdown so a pending "timeout" fault does not hold stop() up.
        self._runner = web.AppRunner(app, shutdown_timeout=0.25, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self._base = f"http://{bound_host}:{bound_port}"
        self._session = aiohttp.ClientSession()
        return self.api_url

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "SlackEmulator":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"{self._require_base()}/api/"

    @property
    def web_url(self) -> str:
        return f"{self._require_base()}/"

    def _require_base(self) -> str:
        if not self._base:
            raise RuntimeError("SlackEmulator is not started")
        return self._base

    # ------------------------------------------------------------------ clock & ids

    def _now(self) -> float:
        c = self.clock
        if c is None:
            return time.time()
        value = c() if callable(c) else c
        if not isinstance(value, (int, float, datetime)) and hasattr(value, "now"):
            value = value.now()
        if isinstance(value, datetime):
            return value.timestamp()
        return float(value)

    def _next_ts(self) -> str:
        """Unique, strictly increasing Slack-style ts, even under a frozen clock."""
        us = max(int(self._now() * 1_000_000), self._last_ts_us + 1)
        self._last_ts_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def dm_channel(self, user_id: str) -> str:
        """The stable D-channel id of the bot's DM with ``user_id``."""
        if user_id not in self._dm_ids:
            dm = "D" + hashlib.sha1(user_id.encode()).hexdigest()[:10].upper()
            self._dm_ids[user_id] = dm
            self.channels[dm] = _Channel(dm, "directmessage", private=True, members={user_id, self.bot_user_id}, is_im=True)
        return self._dm_ids[user_id]

    def _resolve_channel(self, channel: str | None, *, need: str = "post") -> str:
        """The conversation id a call names, checked as Slack checks it. ``need``: "post"
        (chat.postMessage/update/delete: public channels need no membership thanks to
        chat:write.public), "member" (history, replies, files, ephemerals: the bot must be in it)."""
        if not channel:
            raise _ApiError("channel_not_found")
        if channel in self.missing_channels:
            raise _ApiError("channel_not_found")
        if channel.startswith(("U", "W")):
            # Posting to a user id lands in the app's DM; reading history needs the D… id.
            if (self.users and channel not in self.users) or need == "member":
                raise _ApiError("channel_not_found")
            return self.dm_channel(channel)
        conv = self.conversation(channel)
        if conv is None:
            raise _ApiError("channel_not_found")
        bot_in = conv.has(self.bot_user_id)
        if (conv.private or conv.is_im or conv.is_mpim) and not bot_in:
            raise _ApiError("channel_not_found")  # Slack does not even admit it exists
        if need == "member" and not bot_in:
            raise _ApiError("not_in_channel")
        return channel

    def conversation(self, channel: str) -> _Channel | None:
        """The conversation ``channel`` names; an undeclared C… id is a public channel."""
        conv = self.channels.get(channel)
        if conv is None and channel.startswith("C"):
            members = set(self.users) if self.users else None
            conv = self.channels[channel] = _Channel(channel, self.channel_names.get(channel, channel.lower()), members=members)
        return conv

    def add_channel(
        self, channel: str, name: str | None = None, *, private: bool = False,
        members: Iterable[str] | None = None, bot: bool = False,
    ) -> str:  # fmt: skip
        """Declare a channel: private ones are invisible to the bot unless ``bot`` (invited)."""
        people = set(members) if members is not None else set(self.users)
        if bot:
            people.add(self.bot_user_id)
        self.channels[channel] = _Channel(channel, name or channel.lower(), private=private, members=people)
        if name:
            self.channel_names[channel] = name
        return channel

    def people_dm(self, *users: str) -> str:
        """A DM (two people) or group DM (more) between people, without the bot: its D…/G… id."""
        key = ",".join(sorted(users))
        prefix = "D" if len(users) == 2 else "G"
        cid = prefix + "P" + hashlib.sha1(key.encode()).hexdigest()[:9].upper()
        self.channels[cid] = _Channel(cid, key, private=True, members=set(users), is_im=len(users) == 2, is_mpim=len(users) > 2)
        return cid

    def _channel_key(self, channel: str) -> str:
        return self.dm_channel(channel) if channel.startswith(("U", "W")) else channel

    def user(self, user_id: str) -> dict:
        """Profile of ``user_id`` with defaults filled in."""
        u = self.users.get(user_id, {})
        name = u.get("name") or user_id.lower()
        return {
            "name": name,
            "real_name": u.get("real_name") or name,
            "display_name": u.get("display_name") or name,
            "tz": u.get("tz") or DEFAULT_TZ,
            "is_admin": bool(u.get("is_admin", False)),
            "email": u.get("email"),
        }

    def _user_ref(self, user_id: str) -> dict:
        name = self.user(user_id)["name"]
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _team_ref(self) -> dict:
        return {"id": self.team_id, "domain": self.team_domain}

    def _channel_ref(self, channel: str) -> dict:
        name = "directmessage" if channel.startswith("D") else self.channel_names.get(channel, channel.lower())
        return {"id": channel, "name": name}

    # ------------------------------------------------------------------ state helpers

    def channel_messages(self, channel: str, include_threads: bool = False) -> list[dict]:
        """Live messages in ``channel`` (ephemerals included), oldest first."""
        ch = self._channel_key(channel)
        return [
            m
            for m in self.messages
            if m["channel"] == ch
            and not m["deleted"]
            and (include_threads or not m["thread_ts"] or m["thread_ts"] == m["ts"] or m.get("reply_broadcast"))
        ]

    def thread(self, channel: str, ts: str) -> list[dict]:
        """Parent followed by its replies, oldest first."""
        ch = self._channel_key(channel)
        return [
            m
            for m in self.messages
            if m["channel"] == ch and not m["deleted"] and (m["ts"] == ts or m["thread_ts"] == ts)
        ]

    def find(self, text_contains: str | None = None, channel: str | None = None) -> list[dict]:
        """Live messages whose text or block text contains ``text_contains``."""
        ch = self._channel_key(channel) if channel else None
        out = []
        for m in self.messages:
            if m["deleted"] or (ch is not None and m["channel"] != ch):
                continue
            if text_contains is not None and text_contains not in f"{m['text'] or ''} {_text_of(m['blocks'])}":
                continue
            out.append(m)
        return out

    def last(self, channel: str) -> dict | None:
        msgs = self.channel_messages(channel, include_threads=True)
        return msgs[-1] if msgs else None

    def get_message(self, channel: str, ts: str) -> dict | None:
        ch = self._channel_key(channel)
        for m in self.messages:
            if m["channel"] == ch and m["ts"] == ts and not m["deleted"]:
                return m
        return None

    def open_views(self, user: str) -> list[dict]:
        """The user's open modal stack, bottom first."""
        return [v for v in self.views.values() if v["user"] == user and v["type"] == "modal" and not v["closed"]]

    def issue_trigger(self, user_id: str, view_id: str | None = None) -> str:
        """A fresh trigger_id, as Slack attaches to every interaction."""
        trigger_id = f"{next(self._ids)}.{int(self._now())}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = _Trigger(user=user_id, issued_at=self._now(), view_id=view_id)
        return trigger_id

    # ------------------------------------------------------------------ faults

    def inject(
        self,
        method: str = "*",
        kind: str = "500",
        times: int | None = 1,
        retry_after: int = 1,
        probability: float | None = None,
        seed: int | None = None,
        channel: str | None = None,
    ) -> None:
        """Make the next ``times`` calls (None = all) of ``method`` (to ``channel``, if given) fail with ``kind``."""
        if kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(_FAULT_KINDS)}")
        self._faults.append(_Fault(method, kind, times, max(1, int(retry_after)), probability, random.Random(seed), channel))

    def clear_faults(self) -> None:
        self._faults.clear()
        self._rate_limits.clear()
        self._buckets.clear()

    def rate_limit(self, method: str = "chat.postMessage", per_channel_per_second: float = 1.0) -> None:
        """Token bucket per (method, channel); excess calls get HTTP 429 + Retry-After."""
        if per_channel_per_second <= 0:
            raise ValueError("per_channel_per_second must be > 0")
        self._rate_limits[method] = per_channel_per_second

    def _take_fault(self, method: str, channel: str | None = None) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(method, channel):
                if fault.times is not None:
                    fault.times -= 1
                self._faults = [f for f in self._faults if f.times != 0]
                return fault
        return None

    def _rate_limited(self, method: str, params: dict) -> int | None:
        """Retry-After seconds when the call exceeds its budget, else None: the method's tier (per
        workspace), then a per-channel limit set with `rate_limit`."""
        tier = self.rate_tiers.get(method)
        if tier is not None:
            wait = self._take(("tier:" + method, ""), tier / 60.0, float(tier))
            if wait is not None:
                return wait
        rate = self._rate_limits.get(method)
        if rate is None:
            return None
        key = (method, self._channel_key(str(params.get("channel") or params.get("channel_id") or "")))
        return self._take(key, rate, max(1.0, rate))

    def _take(self, key: tuple[str, str], rate: float, capacity: float) -> int | None:
        """One call from a token bucket refilling at `rate` per second: None, or the seconds to wait."""
        now = self.rate_clock.now().timestamp() if self.rate_clock is not None else self._now()
        bucket = self._buckets.setdefault(key, _Bucket(capacity, now))
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / rate))

    # ------------------------------------------------------------------ HTTP: Web API

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], str | None]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        token = params.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :].strip()
        for key in _JSON_PARAMS:
            value = params.get(key)
            if isinstance(value, str):
                try:
                    params[key] = json.loads(value) if value.strip() else None
                except json.JSONDecodeError:
                    pass  # left as a string; the method reports it
        return params, token

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params, token = await self._read_params(request)
        call: dict[str, Any] = {"method": method, "params": params, "status": None, "error": None, "at": self._now()}
        self.calls.append(call)

        fault = self._take_fault(method, str(params.get("channel") or "") or None)
        if fault is not None:
            return await self._apply_fault(fault, call, request)
        if method == "apps.connections.open":  # the one method that wants the app-level token
            return self._reply(call, self._apps_connections_open(token))
        handler = self._methods.get(method)
        if handler is None:
            return self._reply(call, {"ok": False, "error": "unknown_method"})
        if token != self.bot_token:
            return self._reply(call, {"ok": False, "error": "invalid_auth"})
        retry_after = self._rate_limited(method, params)
        if retry_after is not None:
            return self._reply(
                call, {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)}
            )
        try:
            body = handler(params)
        except _ApiError as e:
            body = {"ok": False, "error": e.error, **e.extra}
        except (TypeError, ValueError, KeyError, AttributeError) as e:  # malformed params, not an emulator crash
            body = {"ok": False, "error": "invalid_arguments", "detail": f"{type(e).__name__}: {e}"}
        return self._reply(call, body)

    def _reply(self, call: dict, body: dict, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        call["status"] = status
        call["error"] = None if body.get("ok") else body.get("error")
        return web.json_response(body, status=status, headers=headers)

    async def _apply_fault(self, fault: _Fault, call: dict, request: web.Request) -> web.StreamResponse:
        self.faults_injected += 1
        if fault.kind == "429":
            return self._reply(
                call, {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(fault.retry_after)}
            )
        if fault.kind in ("500", "503"):
            error = "internal_error" if fault.kind == "500" else "service_unavailable"
            return self._reply(call, {"ok": False, "error": error}, status=int(fault.kind))
        if fault.kind == "timeout":
            call["error"] = "timeout"
            await asyncio.sleep(self.timeout_seconds)
            return self._reply(call, {"ok": False, "error": "request_timeout"})
        # "drop": close the socket without any response.
        call["error"] = "dropped"
        if request.transport is not None:
            request.transport.close()
        raise asyncio.CancelledError()

    # ------------------------------------------------------------------ message storage

    def _with_block_ids(self, blocks: list[dict] | None) -> list[dict] | None:
        """Copy of ``blocks`` where every block has a block_id (Slack fills them in)."""
        if blocks is None:
            return None
        out = copy.deepcopy(blocks)
        for block in out:
            if isinstance(block, dict) and not block.get("block_id"):
                block["block_id"] = hashlib.sha1(f"{next(self._ids)}".encode()).hexdigest()[:5]
        return out

    def _store(
        self,
        *,
        channel: str,
        text: str | None,
        blocks: list[dict] | None = None,
        metadata: dict | None = None,
        thread_ts: str | None = None,
        user: str | None = None,
        ephemeral_user: str | None = None,
        files: list[dict] | None = None,
        reply_broadcast: bool = False,
    ) -> dict:
        msg = {
            "channel": channel,
            "ts": self._next_ts(),
            "thread_ts": thread_ts or None,
            "text": text or "",
            "blocks": self._with_block_ids(blocks),
            "metadata": metadata,
            "user": user or self.bot_user_id,
            "ephemeral_user": ephemeral_user,
            "edits": [],
            "files": files or [],
            "deleted": False,
            "reply_broadcast": reply_broadcast,
        }
        self.messages.append(msg)
        return msg

    def _api_message(self, m: dict, include_metadata: bool = True) -> dict:
        out: dict[str, Any] = {
            "type": "message",
            "ts": m["ts"],
            "text": m["text"],
            "user": m["user"],
            "team": self.team_id,
        }
        if m["user"] == self.bot_user_id:
            out.update(bot_id=self.bot_id, app_id=self.app_id)
        if m["blocks"] is not None:
            out["blocks"] = m["blocks"]
        if m["thread_ts"]:
            out["thread_ts"] = m["thread_ts"]
        if m["thread_ts"] is None or m["thread_ts"] == m["ts"]:
            replies = [r for r in self.thread(m["channel"], m["ts"]) if r["ts"] != m["ts"] and not r["ephemeral_user"]]
            if replies:
                out.update(thread_ts=m["ts"], reply_count=len(replies), latest_reply=replies[-1]["ts"])
        if m["edits"]:
            out["edited"] = {"user": m["user"], "ts": m["edits"][-1]["at"]}
        if m["files"]:
            out["files"] = m["files"]
            out["subtype"] = "file_share" if m["user"] != self.bot_user_id else "bot_message"
        if include_metadata and m["metadata"] is not None:
            out["metadata"] = m["metadata"]
        return out

    def _validate_message(self, text: Any, blocks: Any) -> None:
        if not text and not blocks:
            raise _ApiError("no_text")
        if isinstance(text, str) and len(text) > LIMITS["message.text"]:
            raise _ApiError("msg_too_long")
        if blocks is not None and not isinstance(blocks, list):
            raise _ApiError("invalid_blocks_format")
        errors = validate_message(text, blocks)
        if errors:
            raise _ApiError("invalid_blocks", errors=errors)
        self.lint += lint_markup({"blocks": blocks})

    def _find_live(self, channel: str, ts: str | None, *, ephemeral: bool = False) -> dict:
        for m in self.messages:
            if m["channel"] == channel and m["ts"] == ts and not m["deleted"]:
                if bool(m["ephemeral_user"]) == ephemeral:
                    return m
        raise _ApiError("message_not_found")

    def _edit(self, m: dict, *, text: str | None, blocks: list[dict] | None, metadata: dict | None) -> None:
        m["edits"].append({"text": m["text"], "blocks": m["blocks"], "metadata": m["metadata"], "at": self._next_ts()})
        if text is not None:
            m["text"] = text
        if blocks is not None:
            m["blocks"] = self._with_block_ids(blocks)
        if metadata is not None:
            m["metadata"] = metadata

    # ------------------------------------------------------------------ methods: auth/chat

    def _auth_test(self, params: dict) -> dict:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": "Baton Sandbox",
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict) -> dict:
        channel = self._resolve_channel(params.get("channel"))
        text, blocks = params.get("text"), params.get("blocks")
        self._validate_message(text, blocks)
        m = self._store(
            channel=channel,
            text=text,
            blocks=blocks,
            metadata=params.get("metadata"),
            thread_ts=params.get("thread_ts"),
            reply_broadcast=_truthy(params.get("reply_broadcast", False)),
        )
        return {"ok": True, "channel": channel, "ts": m["ts"], "message": self._api_message(m)}

    def _chat_update(self, params: dict) -> dict:
        channel = self._resolve_channel(params.get("channel"))
        m = self._find_live(channel, params.get("ts"))
        if m["user"] != self.bot_user_id:
            raise _ApiError("message_not_found")
        text, blocks = params.get("text"), params.get("blocks")
        self._validate_message(text if text is not None else m["text"], blocks if blocks is not None else m["blocks"])
        self._edit(m, text=text, blocks=blocks, metadata=params.get("metadata"))
        return {"ok": True, "channel": channel, "ts": m["ts"], "text": m["text"], "message": self._api_message(m)}

    def _chat_post_ephemeral(self, params: dict) -> dict:
        # Unlike chat.postMessage, chat:write.public does not cover ephemerals: the bot must be in
        # the conversation (a DM between people or a private channel it is not in: channel_not_found).
        channel = self._resolve_channel(params.get("channel"), need="member")
        user = params.get("user")
        if not user:
            raise _ApiError("user_not_found")
        conv = self.channels.get(channel)
        if (self.users and user not in self.users) or (conv is not None and conv.members is not None and not conv.has(user)):
            raise _ApiError("user_not_in_channel")
        text, blocks = params.get("text"), params.get("blocks")
        self._validate_message(text, blocks)
        m = self._store(
            channel=channel, text=text, blocks=blocks, thread_ts=params.get("thread_ts"), ephemeral_user=user
        )
        return {"ok": True, "message_ts": m["ts"]}

    def _chat_delete(self, params: dict) -> dict:
        channel = self._resolve_channel(params.get("channel"))
        m = self._find_live(channel, params.get("ts"))
        if m["user"] != self.bot_user_id:
            raise _ApiError("cant_delete_message")
        m["deleted"] = True
        return {"ok": True, "channel": channel, "ts": m["ts"]}

    # ------------------------------------------------------------------ methods: conversations/users

    def _conversations_open(self, params: dict) -> dict:
        raw = params.get("users") or params.get("channel")
        users = raw if isinstance(raw, list) else [u.strip() for u in str(raw or "").split(",") if u.strip()]
        if not users:
            raise _ApiError("users_list_not_supplied")
        for u in users:
            if self.users and u not in self.users:
                raise _ApiError("user_not_found")
        if len(users) == 1:
            return {"ok": True, "channel": {"id": self.dm_channel(users[0])}}
        key = ",".join(sorted(users))
        gid = "G" + hashlib.sha1(key.encode()).hexdigest()[:10].upper()
        self.channels[gid] = _Channel(gid, key, private=True, members={*users, self.bot_user_id}, is_mpim=True)
        return {"ok": True, "channel": {"id": gid}}

    def _conversations_join(self, params: dict) -> dict:
        channel = str(params.get("channel") or "")
        conv = self.conversation(channel) if channel not in self.missing_channels else None
        if conv is None or ((conv.private or conv.is_im or conv.is_mpim) and not conv.has(self.bot_user_id)):
            raise _ApiError("channel_not_found")
        if conv.private or conv.is_im or conv.is_mpim:
            raise _ApiError("method_not_supported_for_channel_type")
        already = conv.has(self.bot_user_id)
        conv.members = (conv.members or set()) | {self.bot_user_id}
        out: dict[str, Any] = {"ok": True, "channel": self._conversation_info(conv)}
        if already:
            out["warning"] = "already_in_channel"
        return out

    def _conversations_info(self, params: dict) -> dict:
        channel = self._resolve_channel(params.get("channel"))
        conv = self.channels.get(channel)
        return {"ok": True, "channel": self._conversation_info(conv) if conv else {"id": channel}}

    def _conversation_info(self, conv: _Channel) -> dict:
        return {
            "id": conv.id,
            "name": conv.name,
            "is_channel": not (conv.private or conv.is_im or conv.is_mpim),
            "is_group": conv.private and not (conv.is_im or conv.is_mpim),
            "is_im": conv.is_im,
            "is_mpim": conv.is_mpim,
            "is_private": conv.private,
            "is_member": conv.has(self.bot_user_id),
        }

    def _conversations_history(self, params: dict) -> dict:
        channel = self._resolve_channel(params.get("channel"), need="member")
        inclusive = _truthy(params.get("inclusive", False))
        oldest, latest = params.get("oldest"), params.get("latest")
        include_meta = _truthy(params.get("include_all_metadata", False))
        limit = int(params.get("limit") or 100)

        def in_range(ts: str) -> bool:
            t = float(ts)
            if oldest is not None and (t < float(oldest) or (t == float(oldest) and not inclusive)):
                return False
            if latest is not None and (t > float(latest) or (t == float(latest) and not inclusive)):
                return False
            return True

        msgs = [m for m in self.channel_messages(channel) if not m["ephemeral_user"] and in_range(m["ts"])]
        msgs.reverse()
        page = msgs[:limit]
        return {
            "ok": True,
            "messages": [self._api_message(m, include_meta) for m in page],
            "has_more": len(msgs) > limit,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_replies(self, params: dict) -> dict:
        channel = self._resolve_channel(params.get("channel"), need="member")
        ts = params.get("ts")
        msgs = [m for m in self.thread(channel, ts) if not m["ephemeral_user"]] if ts else []
        if not msgs:
            raise _ApiError("thread_not_found")
        include_meta = _truthy(params.get("include_all_metadata", False))
        limit = int(params.get("limit") or 1000)
        return {
            "ok": True,
            "messages": [self._api_message(m, include_meta) for m in msgs[:limit]],
            "has_more": len(msgs) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _users_info(self, params: dict) -> dict:
        uid = params.get("user")
        is_bot = uid == self.bot_user_id
        if not uid or (self.users and uid not in self.users and not is_bot):
            raise _ApiError("user_not_found")
        u = self.user(uid) if not is_bot else {**self.user(uid), "name": self.bot_name, "real_name": "Baton"}
        try:
            offset = ZoneInfo(u["tz"]).utcoffset(datetime.now(timezone.utc))
        except Exception:
            offset = None
        profile = {"real_name": u["real_name"], "display_name": u["display_name"]}
        if u["email"]:
            profile["email"] = u["email"]
        return {
            "ok": True,
            "user": {
                "id": uid,
                "team_id": self.team_id,
                "name": u["name"],
                "real_name": u["real_name"],
                "deleted": False,
                "is_bot": is_bot,
                "is_admin": u["is_admin"],
                "tz": u["tz"],
                "tz_label": u["tz"],
                "tz_offset": int(offset.total_seconds()) if offset else 0,
                "profile": profile,
            },
        }

    # ------------------------------------------------------------------ methods: views

    def _consume_trigger(self, trigger_id: str | None) -> _Trigger:
        trig = self._triggers.get(trigger_id or "")
        if trig is None:
            raise _ApiError("invalid_trigger_id")
        if self._now() - trig.issued_at > getattr(self, "trigger_ttl", TRIGGER_TTL_SECONDS):
            raise _ApiError("expired_trigger_id")
        if trig.used:
            raise _ApiError("trigger_exchanged")
        trig.used = True
        return trig

    def _check_view(self, view: Any, expected: str | None = None) -> dict:
        if not isinstance(view, dict):
            messages = ["[ERROR] missing required field: view"]
            raise _ApiError("invalid_arguments", response_metadata={"messages": messages})
        errors = validate_view(view)
        self.lint += lint_markup(view)
        if expected is not None and view.get("type") != expected:
            errors.append(f"type: must be {expected!r}")
        if errors:
            messages = []
            for e in errors:
                path, _, msg = e.partition(": ")
                pointer = "/view/" + re.sub(r"\[(\d+)\]", r"/\1", path).replace(".", "/")
                messages.append(f"[ERROR] {msg} [json-pointer:{pointer}]")
            raise _ApiError("invalid_arguments", response_metadata={"messages": messages})
        return view

    def _new_hash(self) -> str:
        return f"{int(self._now())}.{secrets.token_hex(4)}"

    def _create_view(self, user: str, view: dict, *, root: dict | None = None, view_id: str | None = None) -> dict:
        stored = copy.deepcopy(view)
        stored["blocks"] = self._with_block_ids(stored.get("blocks") or [])
        vid = view_id or self._new_id("V")
        rec = {
            "id": vid,
            "user": user,
            "type": stored.get("type"),
            "view": stored,
            "hash": self._new_hash(),
            "root_view_id": root["id"] if root else vid,
            "previous_view_id": None,
            "closed": False,
        }
        if root is not None:
            stack = self.open_views(user)
            rec["previous_view_id"] = stack[-1]["id"] if stack else None
        self.views[vid] = rec
        return rec

    def _view_payload(self, rec: dict, state_values: dict | None = None) -> dict:
        v = rec["view"]
        return {
            "id": rec["id"],
            "team_id": self.team_id,
            "type": v.get("type"),
            "blocks": v.get("blocks") or [],
            "private_metadata": v.get("private_metadata", ""),
            "callback_id": v.get("callback_id", ""),
            "external_id": v.get("external_id", ""),
            "state": {"values": state_values or {}},
            "hash": rec["hash"],
            "title": v.get("title"),
            "submit": v.get("submit"),
            "close": v.get("close"),
            "clear_on_close": bool(v.get("clear_on_close", False)),
            "notify_on_close": bool(v.get("notify_on_close", False)),
            "previous_view_id": rec["previous_view_id"],
            "root_view_id": rec["root_view_id"],
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _views_open(self, params: dict) -> dict:
        trig = self._consume_trigger(params.get("trigger_id"))
        view = self._check_view(params.get("view"), "modal")
        rec = self._create_view(trig.user, view)
        return {"ok": True, "view": self._view_payload(rec)}

    def _views_push(self, params: dict) -> dict:
        trig = self._consume_trigger(params.get("trigger_id"))
        view = self._check_view(params.get("view"), "modal")
        stack = self.open_views(trig.user)
        if len(stack) >= MAX_VIEW_STACK:
            raise _ApiError("push_limit_reached")
        root = self.views[stack[0]["root_view_id"]] if stack else None
        rec = self._create_view(trig.user, view, root=root)
        return {"ok": True, "view": self._view_payload(rec)}

    def _find_view(self, params: dict) -> dict:
        vid, ext = params.get("view_id"), params.get("external_id")
        for rec in self.views.values():
            if (vid and rec["id"] == vid) or (ext and not vid and rec["view"].get("external_id") == ext):
                if rec["closed"]:
                    break
                return rec
        raise _ApiError("not_found")

    def _views_update(self, params: dict) -> dict:
        rec = self._find_view(params)
        if params.get("hash") and params["hash"] != rec["hash"]:
            raise _ApiError("hash_conflict")
        view = self._check_view(params.get("view"), rec["type"])
        self._replace_view(rec, view)
        return {"ok": True, "view": self._view_payload(rec)}

    def _replace_view(self, rec: dict, view: dict) -> None:
        stored = copy.deepcopy(view)
        stored["blocks"] = self._with_block_ids(stored.get("blocks") or [])
        rec["view"] = stored
        rec["hash"] = self._new_hash()
        rec["draft"] = rec["errors"] = None  # a new view starts clean

    def _views_publish(self, params: dict) -> dict:
        user = params.get("user_id")
        if not user or (self.users and user not in self.users):
            raise _ApiError("user_not_found")
        view = self._check_view(params.get("view"), "home")
        existing = self.home.get(user)
        if existing is not None:
            if params.get("hash") and params["hash"] != existing["hash"]:
                raise _ApiError("hash_conflict")
            self._replace_view(existing, view)
            rec = existing
        else:
            rec = self._create_view(user, view, view_id=self._home_ids.setdefault(user, self._new_id("VH")))
            self.home[user] = rec
        return {"ok": True, "view": self._view_payload(rec)}

    # ------------------------------------------------------------------ methods: files

    def _files_get_upload_url(self, params: dict) -> dict:
        filename, length = params.get("filename"), params.get("length")
        if not filename:
            raise _ApiError("invalid_arguments")
        try:
            size = int(length)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _ApiError("invalid_arguments") from None
        file_id = self._new_id("F")
        self.files[file_id] = {
            "id": file_id,
            "name": filename,
            "title": filename,
            "length": size,
            "content": None,
            "uploaded": False,
            "completed": False,
            "channel": None,
            "ts": None,
            "user": self.bot_user_id,
        }
        return {"ok": True, "upload_url": f"{self._require_base()}/upload/{file_id}", "file_id": file_id}

    def _file_object(self, f: dict) -> dict:
        return {
            "id": f["id"],
            "name": f["name"],
            "title": f["title"],
            "size": len(f["content"] or b""),
            "user": f["user"],
            "created": int(self._now()),
            "url_private": f"{self._require_base()}/files/{f['id']}",
            "permalink": f"https://{self.team_domain}.slack.com/files/{f['user']}/{f['id']}",
        }

    def _files_complete_upload(self, params: dict) -> dict:
        items = params.get("files")
        if not isinstance(items, list) or not items:
            raise _ApiError("invalid_arguments")
        records = []
        for item in items:
            f = self.files.get(item.get("id")) if isinstance(item, dict) else None
            if f is None or not f["uploaded"]:
                raise _ApiError("file_not_found")
            records.append((f, item))
        channel = params.get("channel_id") or params.get("channel")
        if channel:  # sharing a file is not covered by chat:write.public: the bot must be in the channel
            channel = self._resolve_channel(channel, need="member")
        for f, item in records:
            f["title"] = item.get("title") or f["name"]
            f["completed"] = True
        objs = [self._file_object(f) for f, _ in records]
        if channel:
            m = self._store(
                channel=channel, text=params.get("initial_comment") or "", thread_ts=params.get("thread_ts"), files=objs
            )
            for f, _ in records:
                f["channel"], f["ts"] = channel, m["ts"]
        return {"ok": True, "files": objs}

    async def _handle_upload(self, request: web.Request) -> web.Response:
        f = self.files.get(request.match_info["file_id"])
        if f is None:
            return web.Response(status=404, text="file_not_found", content_type="text/plain")
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            part = await reader.next()
            data = await part.read() if isinstance(part, aiohttp.BodyPartReader) else b""
        else:
            data = await request.read()
        f["content"], f["uploaded"] = bytes(data), True
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _handle_file(self, request: web.Request) -> web.Response:
        """`url_private`: the uploaded bytes (so the sandbox page can show a chart image)."""
        f = self.files.get(request.match_info["file_id"])
        if f is None or not f["uploaded"]:
            return web.Response(status=404, text="file_not_found", content_type="text/plain")
        kind = mimetypes.guess_type(f["name"])[0] or "application/octet-stream"
        return web.Response(body=f["content"] or b"", content_type=kind)

    # ------------------------------------------------------------------ response_url

    def _issue_response_url(self, user: str, channel: str | None, message: dict | None = None) -> str:
        rid = secrets.token_hex(8)
        self._response_urls[rid] = {"user": user, "channel": channel, "message": message, "issued_at": self._now(), "uses": 0}
        return f"{self._require_base()}/response_url/{rid}"

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        ctx = self._response_urls.get(rid)
        call: dict[str, Any] = {"method": "response_url", "params": None, "status": None, "error": None, "at": self._now()}
        self.calls.append(call)
        fault = self._take_fault("response_url")
        if fault is not None:
            return await self._apply_fault(fault, call, request)
        if ctx is None or self._now() - ctx["issued_at"] > RESPONSE_URL_TTL_SECONDS:
            return self._reply(call, {"ok": False, "error": "expired_url"}, status=404)
        if ctx["uses"] >= RESPONSE_URL_MAX_USES:
            return self._reply(call, {"ok": False, "error": "used_url"}, status=404)
        try:
            body = await request.json()
        except (json.JSONDecodeError, aiohttp.ContentTypeError):
            return self._reply(call, {"ok": False, "error": "invalid_payload"}, status=400)
        call["params"] = body
        try:
            self._apply_response(ctx, body if isinstance(body, dict) else {})
        except _ApiError as e:
            return self._reply(call, {"ok": False, "error": e.error, **e.extra}, status=400)
        ctx["uses"] += 1
        return self._reply(call, {"ok": True})

    def _apply_response(self, ctx: dict, body: dict) -> None:
        """Slack's handling of a response_url / slash-command response payload."""
        original: dict | None = ctx["message"]
        if _truthy(body.get("delete_original", False)) and original is not None:
            original["deleted"] = True
            return
        text, blocks = body.get("text"), body.get("blocks")
        if _truthy(body.get("replace_original", False)) and original is not None:
            self._validate_message(text if text is not None else original["text"], blocks)
            self._edit(original, text=text, blocks=blocks, metadata=None)
            return
        if not ctx["channel"]:
            raise _ApiError("channel_not_found")
        self._validate_message(text, blocks)
        in_channel = body.get("response_type") == "in_channel"
        self._store(
            channel=ctx["channel"],
            text=text,
            blocks=blocks,
            thread_ts=body.get("thread_ts"),
            ephemeral_user=None if in_channel else ctx["user"],
        )

    # ------------------------------------------------------------------ Socket Mode

    def _apps_connections_open(self, token: str | None) -> dict:
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}  # a bot token is refused, as by Slack
        if token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        host = self._require_base().split("://", 1)[1]
        return {"ok": True, "url": f"ws://{host}/link/?ticket={ticket}&app_id={self.app_id}"}

    @property
    def socket_connected(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:  # a URL from apps.connections.open is good for one connection
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        # Registered before the hello: once the bot has its hello it may be sent envelopes, and the
        # newest connection is the one they go to (not a closing one of a process that stopped).
        self._sockets.append(ws)
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {"host": "applink-sandbox", "build_number": 1, "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self.app_id},
                }
            )
        except BaseException:
            self._sockets.remove(ws)
            raise
        self._socket_open.set()
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    ack = json.loads(msg.data)
                except json.JSONDecodeError:
                    continue
                waiter = self._acks.get(ack.get("envelope_id")) if isinstance(ack, dict) else None
                if waiter is not None and not waiter.done():
                    waiter.set_result(ack)
        finally:
            self._sockets.remove(ws)
            if not self.socket_connected:
                self._socket_open.clear()
        return ws

    async def _send_envelope(self, kind: str, payload: Any, headers: dict[str, str]) -> dict:
        """One Socket Mode envelope; the ack's payload plays the part of the HTTP response body.
        No ack within bot_timeout_seconds raises asyncio.TimeoutError, as an HTTP timeout does."""
        if not self.socket_connected:  # the bot may still be finishing its handshake
            await asyncio.wait_for(self._socket_open.wait(), timeout=5.0)
        ws = next(ws for ws in reversed(self._sockets) if not ws.closed)
        etype = {"slash_command": "slash_commands", "event_callback": "events_api"}.get(kind, "interactive")
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "type": etype,
            "payload": payload,
            "accepts_response_payload": kind in ("slash_command", "view_submission", "block_suggestion"),
        }
        if etype == "events_api":  # Slack sends these on every events envelope, 0 the first time
            envelope["retry_attempt"] = int(headers.get("X-Slack-Retry-Num", 0))
            envelope["retry_reason"] = headers.get("X-Slack-Retry-Reason", "")
        waiter = asyncio.get_running_loop().create_future()
        self._acks[envelope["envelope_id"]] = waiter
        self.envelopes.append(envelope)
        try:
            await ws.send_str(json.dumps(envelope))
            ack = await asyncio.wait_for(waiter, timeout=self.bot_timeout_seconds)
        except asyncio.TimeoutError:
            self.unacked.append(envelope)
            raise
        finally:
            self._acks.pop(envelope["envelope_id"], None)
        body = ack.get("payload") if envelope["accepts_response_payload"] else None
        result = {"status": 200, "body": body if body is not None else ""}
        self.sent.append({"kind": kind, "payload": payload, "envelope_id": envelope["envelope_id"], **result})
        return result

    # ------------------------------------------------------------------ acting as a user

    async def _post_to_bot(
        self,
        kind: str,
        body: str,
        content_type: str,
        extra_headers: dict[str, str] | None = None,
        payload: Any = None,
    ) -> dict:
        if self.socket_mode:
            return await self._send_envelope(kind, payload, extra_headers or {})
        if not self.bot_url:
            raise RuntimeError("SlackEmulator.bot_url is not set")
        if self._session is None:
            raise RuntimeError("SlackEmulator is not started")
        # Bolt compares against the wall clock, so never use the emulator clock here.
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": self._verifier.generate_signature(timestamp=timestamp, body=body) or "",
            **(extra_headers or {}),
        }
        timeout = aiohttp.ClientTimeout(total=self.bot_timeout_seconds)
        async with self._session.post(self.bot_url, data=body.encode(), headers=headers, timeout=timeout) as resp:
            raw = await resp.text()
            status = resp.status
        parsed: Any = raw
        if raw.strip().startswith(("{", "[")):
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError:
                pass
        self.sent.append({"kind": kind, "payload": payload, "status": status, "body": parsed})
        return {"status": status, "body": parsed}

    async def _send_interaction(self, payload: dict) -> dict:
        body = urlencode({"payload": json.dumps(payload)})
        return await self._post_to_bot(payload["type"], body, "application/x-www-form-urlencoded", payload=payload)

    def _action_for(self, block: dict, element: dict, value: str | None, selected_option: str | None) -> dict:
        etype = element.get("type", "button")
        action: dict[str, Any] = {
            "type": etype,
            "action_id": element["action_id"],
            "block_id": block.get("block_id"),
            "action_ts": self._next_ts(),
        }
        if etype == "button":
            action["text"] = element.get("text")
            action["value"] = value if value is not None else element.get("value")
            if element.get("style"):
                action["style"] = element["style"]
            return action
        options = _all_options(element)
        if options or etype in ("static_select", "overflow", "radio_buttons", "checkboxes"):
            wanted = selected_option if selected_option is not None else value
            chosen = next((o for o in options if o.get("value") == wanted), None)
            if chosen is None:
                raise ValueError(f"option {wanted!r} not in {element['action_id']!r}")
            opt = {"text": chosen.get("text"), "value": chosen["value"]}
            if etype in ("checkboxes", "multi_static_select"):
                action["selected_options"] = [opt]
            else:
                action["selected_option"] = opt
            return action
        key = {
            "datepicker": "selected_date",
            "timepicker": "selected_time",
            "users_select": "selected_user",
            "conversations_select": "selected_conversation",
            "channels_select": "selected_channel",
        }.get(etype, "value")
        action[key] = value if value is not None else selected_option
        return action

    @staticmethod
    def _element_by_action(blocks: list[dict] | None, action_id: str, where: str, block_id: str | None = None) -> tuple[dict, dict]:
        """`block_id` tells apart elements sharing an action id (Slack needs them unique per block only)."""
        for block, element in _iter_elements(blocks or []):
            if element.get("action_id") == action_id and block_id in (None, block.get("block_id")):
                return block, element
        raise ValueError(f"action_id {action_id!r} is not on {where}")

    async def click(
        self,
        user_id: str,
        message: dict | tuple[str, str],
        action_id: str,
        value: str | None = None,
        selected_option: str | None = None,
        block_id: str | None = None,
    ) -> dict:
        """Click a button / pick an option on a message (a ``block_actions`` payload)."""
        channel, ts = (message if isinstance(message, tuple) else (message["channel"], message["ts"]))
        m = self.get_message(channel, ts)
        if m is None:
            raise ValueError(f"no message {ts} in {channel}")
        block, element = self._element_by_action(m["blocks"], action_id, f"message {ts}", block_id)
        is_ephemeral = bool(m["ephemeral_user"])
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": m["ts"],
            "channel_id": m["channel"],
            "is_ephemeral": is_ephemeral,
        }
        if m["thread_ts"]:
            container["thread_ts"] = m["thread_ts"]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_ref(user_id),
            "api_app_id": self.app_id,
            "token": "sandbox-verification-token",
            "container": container,
            "trigger_id": self.issue_trigger(user_id),
            "team": self._team_ref(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": self._channel_ref(m["channel"]),
            "state": {"values": {}},
            "response_url": self._issue_response_url(user_id, m["channel"], m),
            "actions": [self._action_for(block, element, value, selected_option)],
        }
        if not is_ephemeral:  # Slack omits the message for ephemerals
            payload["message"] = self._api_message(m)
        return await self._send_interaction(payload)

    async def click_view(
        self,
        user_id: str,
        view_id: str,
        action_id: str,
        value: str | None = None,
        selected_option: str | None = None,
        block_id: str | None = None,
    ) -> dict:
        """Click a button / pick an option inside an open modal or home tab."""
        rec = self.views.get(view_id)
        if rec is None or rec["closed"]:
            raise ValueError(f"view {view_id} is not open")
        block, element = self._element_by_action(rec["view"].get("blocks"), action_id, f"view {view_id}", block_id)
        payload = {
            "type": "block_actions",
            "user": self._user_ref(user_id),
            "api_app_id": self.app_id,
            "token": "sandbox-verification-token",
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": self.issue_trigger(user_id, view_id),
            "team": self._team_ref(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": self._view_payload(rec),
            "actions": [self._action_for(block, element, value, selected_option)],
        }
        return await self._send_interaction(payload)

    def _state_value(self, element: dict | None, raw: Any) -> dict:
        """Slack's ``state.values`` entry for a plain value typed/picked by the user."""
        etype = (element or {}).get("type", "plain_text_input")
        if isinstance(raw, dict):
            return {"type": etype, **raw}
        out: dict[str, Any] = {"type": etype}
        options = {o.get("value"): o for o in _all_options(element or {})}

        def opt(v: Any) -> dict | None:
            if v is None:
                return None
            o = options.get(v)
            return {"text": o.get("text") if o else {"type": "plain_text", "text": str(v)}, "value": v}

        if etype in ("static_select", "external_select", "radio_buttons"):
            out["selected_option"] = opt(raw)
        elif etype in ("multi_static_select", "multi_external_select", "checkboxes"):
            vals = raw if isinstance(raw, list) else ([] if raw is None else [raw])
            out["selected_options"] = [opt(v) for v in vals]
        else:
            key = {
                "datepicker": "selected_date",
                "timepicker": "selected_time",
                "datetimepicker": "selected_date_time",
                "users_select": "selected_user",
                "multi_users_select": "selected_users",
                "conversations_select": "selected_conversation",
                "multi_conversations_select": "selected_conversations",
                "channels_select": "selected_channel",
                "multi_channels_select": "selected_channels",
            }.get(etype, "value")
            out[key] = raw
        return out

    def _build_state(self, rec: dict, values: dict) -> dict:
        inputs = {
            (b.get("block_id"), b["element"].get("action_id")): b
            for b in rec["view"].get("blocks") or []
            if b.get("type") == "input" and isinstance(b.get("element"), dict)
        }
        state: dict[str, dict] = {}
        # Like Slack, every input block appears in state, unanswered ones as empty.
        for (block_id, action_id), block in inputs.items():
            state.setdefault(block_id, {})[action_id] = self._state_value(block["element"], None)
        for block_id, actions in values.items():
            for action_id, raw in actions.items():
                block = inputs.get((block_id, action_id))
                state.setdefault(block_id, {})[action_id] = self._state_value(block["element"] if block else None, raw)
        for (block_id, action_id), block in inputs.items():
            if not block.get("optional") and not self._has_value(state[block_id][action_id]):
                raise ValueError(f"required input {block_id}.{action_id} has no value")
        return state

    @staticmethod
    def _has_value(entry: dict) -> bool:
        return any(v not in (None, "", []) for k, v in entry.items() if k != "type")

    async def submit_view(self, user_id: str, view_id: str, values: dict) -> dict:
        """Submit a modal (a ``view_submission`` payload) and apply the bot's response_action."""
        rec = self.views.get(view_id)
        if rec is None or rec["closed"] or rec["type"] != "modal":
            raise ValueError(f"modal {view_id} is not open")
        state = self._build_state(rec, values)
        rec["draft"], rec["errors"] = values, {}  # what was typed stays in the form, as in Slack
        payload = {
            "type": "view_submission",
            "team": self._team_ref(),
            "user": self._user_ref(user_id),
            "api_app_id": self.app_id,
            "token": "sandbox-verification-token",
            "trigger_id": self.issue_trigger(user_id, view_id),
            "view": self._view_payload(rec, state),
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        result = await self._send_interaction(payload)
        if result["status"] == 200:
            self._apply_response_action(rec, result["body"])
        return result

    def _apply_response_action(self, rec: dict, body: Any) -> None:
        action = body.get("response_action") if isinstance(body, dict) else None
        if action == "errors":  # shown under their fields (block ids), the input kept
            rec["errors"] = dict(body.get("errors") or {})
            return
        if action == "update" and isinstance(body.get("view"), dict):
            self._replace_view(rec, body["view"])
        elif action == "push" and isinstance(body.get("view"), dict):
            self._create_view(rec["user"], body["view"], root=self.views[rec["root_view_id"]])
        elif action == "clear":
            for v in self.open_views(rec["user"]):
                if v["root_view_id"] == rec["root_view_id"]:
                    v["closed"] = True
        else:
            rec["closed"] = True

    async def close_view(self, user_id: str, view_id: str) -> dict:
        """Close a modal; notifies the bot (``view_closed``) only if notify_on_close is set."""
        rec = self.views.get(view_id)
        if rec is None or rec["closed"]:
            raise ValueError(f"modal {view_id} is not open")
        rec["closed"] = True
        if not rec["view"].get("notify_on_close"):
            return {"status": None, "body": None}
        payload = {
            "type": "view_closed",
            "team": self._team_ref(),
            "user": self._user_ref(user_id),
            "api_app_id": self.app_id,
            "token": "sandbox-verification-token",
            "view": self._view_payload(rec),
            "is_cleared": False,
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return await self._send_interaction(payload)

    async def slash(self, user_id: str, command: str, text: str = "", channel_id: str = "C0GENERAL") -> dict:
        """Run a slash command; an immediate JSON/text response is shown like Slack does."""
        command = command if command.startswith("/") else f"/{command}"
        channel = self._channel_key(channel_id)
        form = {
            "token": "sandbox-verification-token",
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": self._channel_ref(channel)["name"],
            "user_id": user_id,
            "user_name": self.user(user_id)["name"],
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": self._issue_response_url(user_id, channel),
            "trigger_id": self.issue_trigger(user_id),
        }
        result = await self._post_to_bot(
            "slash_command", urlencode(form), "application/x-www-form-urlencoded", payload=form
        )
        body = result["body"]
        if result["status"] == 200 and body:
            reply = body if isinstance(body, dict) else {"text": str(body)}
            if reply.get("text") or reply.get("blocks"):
                self._apply_response({"user": user_id, "channel": channel, "message": None}, reply)
        return result

    async def send_event(
        self,
        event: dict,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> dict:
        """Deliver an Events API ``event_callback`` wrapping ``event``."""
        event = {"event_ts": self._next_ts(), **event}
        envelope = {
            "token": "sandbox-verification-token",
            "team_id": self.team_id,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(self._now()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        # Slack wants HTTP 200 within 3 s; anything else is a failure it counts against the app and
        # redelivers (up to 3 times, X-Slack-Retry-Num 1..3) — as here.
        attempt = retry_num
        while True:
            headers: dict[str, str] = {}
            if attempt is not None:
                headers["X-Slack-Retry-Num"] = str(attempt)
                headers["X-Slack-Retry-Reason"] = retry_reason or "http_error"
            try:
                result = await self._post_to_bot("event_callback", json.dumps(envelope), "application/json", headers, envelope)
            except asyncio.TimeoutError:
                result, retry_reason = {"status": None, "body": "timeout"}, "http_timeout"
            else:
                retry_reason = "http_error"
            if result["status"] == 200:
                return result
            self.failed_events.append({"event_id": envelope["event_id"], "retry_num": attempt, **result})
            attempt = (attempt or 0) + 1
            if not self.redeliver_events or attempt > 3:
                return result

    async def open_home(self, user_id: str) -> dict:
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.dm_channel(user_id),
            "tab": "home",
        }
        if user_id in self.home:
            event["view"] = self._view_payload(self.home[user_id])
        return await self.send_event(event)

    # ------------------------------------------------------------------ debugging JSON

    def state(self) -> dict:
        files = {fid: {k: v for k, v in f.items() if k != "content"} for fid, f in self.files.items()}
        return {"messages": self.messages, "views": self.views, "home": self.home, "files": files}

    async def _handle_state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state(), dumps=lambda o: json.dumps(o, default=str))

    # ------------------------------------------------------------------ web UI
    #
    # A page that looks and behaves enough like Slack: a sidebar of channels and DMs, messages
    # rendered from Block Kit, threads, ephemerals, modals over the page, a message box that runs
    # slash commands, the App Home tab, an "act as" switch, live updates (the page polls
    # /_ui/fragment) and — when the sandbox runner attached one — a control panel that calls the
    # bot over HTTP. Every click/submit goes to the bot through the same signed path as Slack.

    control: Any = None  # bot.sandbox.control.Control, set by the sandbox runner

    def _acting_users(self) -> list[str]:
        return list(self.users) or ["U0TESTER"]

    def _user_label(self, uid: str) -> str:
        u = self.user(uid)
        roles = self.users.get(uid, {}).get("roles")
        name = u.get("real_name") or u["name"]
        return f"{name} ({', '.join(roles)})" if roles else f"{name} ({uid})"

    def _mrkdwn(self, text: str) -> str:
        def mention(m: re.Match[str]) -> str:
            u = self.user(m[1])  # Slack shows the display name (else the full name), never the id
            return f'<b class="mention">@{html.escape(self.users.get(m[1], {}).get("display_name") or u["real_name"])}</b>'

        def channel(m: re.Match[str]) -> str:
            return f"<b>#{m[2] or html.escape(self._channel_ref(m[1])['name'])}</b>"

        def link(m: re.Match[str]) -> str:
            return f'<a href="{m[1]}">{m[2] or m[1]}</a>'

        s = html.escape(text)
        s = re.sub(r"&lt;@([UW][A-Z0-9]+)(?:\|[^&]*)?&gt;", mention, s)
        s = re.sub(r"&lt;#([CDG][A-Z0-9]+)(?:\|([^&]*))?&gt;", channel, s)
        s = re.sub(r"&lt;!(here|channel|everyone)(?:\|[^&]*)?&gt;", r"<b>@\1</b>", s)
        s = re.sub(r"&lt;(https?://[^|\s]+?)(?:\|(.+?))?&gt;", link, s)
        s = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", s)
        s = re.sub(r"(?<!\w)\*([^*\n]+)\*(?!\w)", r"<b>\1</b>", s)
        s = re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"<i>\1</i>", s)
        s = re.sub(r"(?<!\w)~([^~\n]+)~(?!\w)", r"<s>\1</s>", s)
        # Slack-escaped entities in the source were escaped a second time above.
        s = s.replace("&amp;lt;", "&lt;").replace("&amp;gt;", "&gt;").replace("&amp;amp;", "&amp;")
        return s.replace("\n", "<br>")

    def _text_html(self, obj: Any) -> str:
        if not isinstance(obj, dict):
            return ""
        text = str(obj.get("text", ""))
        return self._mrkdwn(text) if obj.get("type") == "mrkdwn" else html.escape(text)

    @staticmethod
    def _hidden(**fields: str) -> str:
        return "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in fields.items())

    def _options_html(self, options: list[dict], selected: str | None = None) -> str:
        out = []
        for o in options:
            v = str(o.get("value"))
            sel = " selected" if selected is not None and v == selected else ""
            out.append(f'<option value="{html.escape(v)}"{sel}>{self._text_html(o.get("text"))}</option>')
        return "".join(out)

    def _element_html(self, el: dict, hidden: str, in_form: bool) -> str:
        """An interactive element; in_form=True means inside a modal form (no nested forms)."""
        etype, aid = el.get("type"), str(el.get("action_id", ""))
        test = f' data-action="{html.escape(aid)}"'
        if etype == "button":
            label, cls = self._text_html(el.get("text")), html.escape(str(el.get("style", "")))
            url = str(el.get("url", ""))
            if url.startswith(("https://", "http://")) and not el.get("action_id"):
                return f'<a class="btn {cls}" href="{html.escape(url)}" target="_blank">{label}</a>'
            if in_form:
                return (
                    f'<button class="btn {cls}"{test} formaction="/_ui/click" formnovalidate'
                    f' name="action_id" value="{html.escape(aid)}">{label}</button>'
                )
            return (
                f'<form class="inline" method="post" action="/_ui/click">{hidden}{self._hidden(action_id=aid)}'
                f'<button class="btn {cls}"{test}>{label}</button></form>'
            )
        if in_form:
            return f'<span class="muted">[{html.escape(str(etype))}]</span>'
        options = _all_options(el)
        if options:
            initial = (el.get("initial_option") or {}).get("value")
            blank = '<option value="">⋯</option>' if etype == "overflow" or initial is None else ""
            cls = "overflow" if etype == "overflow" else "select"
            return (
                f'<form class="inline" method="post" action="/_ui/click">{hidden}{self._hidden(action_id=aid)}'
                f'<select class="{cls}" name="selected_option"{test} onchange="this.form.requestSubmit()">'
                f"{blank}{self._options_html(options, initial)}</select></form>"
            )
        if etype in ("datepicker", "timepicker"):
            kind = "date" if etype == "datepicker" else "time"
            initial = el.get("initial_date") or el.get("initial_time") or ""
            return (
                f'<form class="inline" method="post" action="/_ui/click">{hidden}{self._hidden(action_id=aid)}'
                f'<input type="{kind}" name="value" value="{html.escape(str(initial))}"{test}'
                ' onchange="this.form.requestSubmit()"></form>'
            )
        return f'<span class="muted">[{html.escape(str(etype))}]</span>'

    def _input_html(self, index: int, block: dict, rec: dict | None = None) -> str:
        el = dict(block.get("element") or {})
        block_id = str(block.get("block_id", ""))
        typed = ((rec or {}).get("draft") or {}).get(block_id, {}).get(el.get("action_id"))
        if typed not in (None, "", []):  # a refused submission keeps what was typed
            if isinstance(typed, list) or _all_options(el):
                pick = typed[0] if isinstance(typed, list) else typed
                el["initial_option"] = {"value": pick}
            else:
                el["initial_value"] = el["initial_date"] = el["initial_time"] = typed
        error = ((rec or {}).get("errors") or {}).get(block_id)
        etype, name = str(el.get("type")), f"v.{index}"
        required = "" if block.get("optional") else " required"
        options = _all_options(el)
        if etype in ("users_select", "multi_users_select"):
            options = [
                {"value": u, "text": {"type": "plain_text", "text": self.user(u)["name"]}} for u in self._acting_users()
            ]
        test = f' data-block="{html.escape(str(block.get("block_id", "")))}"'
        if etype == "radio_buttons" and options:
            initial = (el.get("initial_option") or {}).get("value")
            radios = "".join(
                f'<label class="radio"><input type="radio" name="{name}" value="{html.escape(str(o.get("value")))}"'
                f'{" checked" if str(o.get("value")) == str(initial) else ""}> {self._text_html(o.get("text"))}</label>'
                for o in options
            )
            field = f'<div class="radios"{test}>{radios}</div>'
        elif options:
            multiple = " multiple" if etype in ("checkboxes", "multi_static_select", "multi_users_select") else ""
            blank = "" if multiple else "<option></option>"
            initial = (el.get("initial_option") or {}).get("value")
            field = f'<select name="{name}"{multiple}{required}{test}>{blank}{self._options_html(options, initial)}</select>'
        elif etype == "plain_text_input" and el.get("multiline"):
            field = f'<textarea name="{name}"{required}{test}>{html.escape(str(el.get("initial_value", "")))}</textarea>'
        else:
            kind = _HTML_INPUT_TYPES.get(etype, "text")
            initial = el.get("initial_value") or el.get("initial_date") or el.get("initial_time") or ""
            field = f'<input type="{kind}" name="{name}" value="{html.escape(str(initial))}"{required}{test}>'
        err = f'<div class="field-error" style="color:#e01e5a;font-size:13px">{html.escape(str(error))}</div>' if error else ""
        return f'<label class="input">{self._text_html(block.get("label"))}<br>{field}{err}</label>'

    def _image_html(self, url: Any, alt: Any, cls: str = "img") -> str:
        u = str(url or "")
        if not u.startswith(("https://", "http://", "data:image/")):
            return f'<span class="muted">[image: {html.escape(str(alt or ""))}]</span>'
        return f'<img class="{cls}" src="{html.escape(u)}" alt="{html.escape(str(alt or ""))}">'

    def _block_html(self, index: int, b: dict, hidden: str, in_form: bool, rec: dict | None = None) -> str:
        t = b.get("type")
        if t == "header":
            return f'<div class="b-header">{self._text_html(b.get("text"))}</div>'
        if t == "section":
            inner = f'<div class="b-text">{self._text_html(b.get("text"))}</div>' if b.get("text") else ""
            if b.get("fields"):
                inner += '<div class="fields">' + "".join(f"<div>{self._text_html(f)}</div>" for f in b["fields"]) + "</div>"
            acc = b.get("accessory")
            side = ""
            if isinstance(acc, dict):
                side = (
                    self._image_html(acc.get("image_url"), acc.get("alt_text"), "thumb")
                    if acc.get("type") == "image"
                    else self._element_html(acc, hidden + self._hidden(block_id=str(b.get("block_id", ""))), in_form)
                )
                side = f'<div class="accessory">{side}</div>'
            block_id = html.escape(str(b.get("block_id", "")))
            return f'<div class="section" data-block="{block_id}"><div class="s-main">{inner}</div>{side}</div>'
        if t == "context":
            items = [
                self._image_html(e.get("image_url"), e.get("alt_text"), "ctx-img") if e.get("type") == "image" else self._text_html(e)
                for e in b.get("elements") or []
            ]
            return f'<div class="context">{" ".join(items)}</div>'
        if t == "divider":
            return "<hr>"
        if t == "actions":
            in_block = hidden + self._hidden(block_id=str(b.get("block_id", "")))
            elements = "".join(self._element_html(e, in_block, in_form) for e in b.get("elements") or [])
            return f'<div class="actions">{elements}</div>'
        if t == "image":
            title = f'<div class="muted">{self._text_html(b.get("title"))}</div>' if b.get("title") else ""
            return f'<div class="b-image">{title}{self._image_html(b.get("image_url"), b.get("alt_text"))}</div>'
        if t == "input":
            if in_form:
                return self._input_html(index, b, rec)
            return f'<div class="muted">[input: {self._text_html(b.get("label"))}]</div>'
        if t == "rich_text":
            return f"<div>{html.escape(_text_of(b.get('elements')))}</div>"
        return ""

    def _blocks_html(self, blocks: list[dict] | None, hidden: str, in_form: bool = False, rec: dict | None = None) -> str:
        return "".join(self._block_html(i, b, hidden, in_form, rec) for i, b in enumerate(blocks or []))

    def _file_html(self, f: dict) -> str:
        """An image shows as Slack shows it (inline); anything else as its title."""
        title, url = html.escape(str(f.get("title"))), html.escape(str(f.get("url_private") or ""))
        if (mimetypes.guess_type(str(f.get("name") or ""))[0] or "").startswith("image/"):
            return f'<div class="file"><img src="{url}" alt="{title}" style="max-width:480px;display:block"><span class="muted">{title}</span></div>'
        return f'<div class="file">📎 <a href="{url}">{title}</a></div>'

    def _message_html(self, m: dict, acting: str, view: str) -> str:
        hidden = self._hidden(**{"as": acting, "ch": view, "channel": m["channel"], "ts": m["ts"]})
        bot = m["user"] == self.bot_user_id
        who = self.bot_name if bot else (self.user(m["user"]).get("real_name") or self.user(m["user"])["name"])
        tags = ' <span class="tag">APP</span>' if bot else ""
        if m["ephemeral_user"]:
            tags += f' <span class="tag eph">only visible to you (@{html.escape(self.user(m["ephemeral_user"])["name"])})</span>'
        if m["edits"]:
            tags += ' <span class="tag">edited</span>'
        body = self._blocks_html(m["blocks"], hidden) if m["blocks"] else f"<div>{self._mrkdwn(m['text'])}</div>"
        files = "".join(self._file_html(f) for f in m["files"])
        cls = "msg ephemeral" if m["ephemeral_user"] else "msg"
        when = self._clock_label(m["ts"])
        meta = f'<b>{html.escape(who)}</b>{tags} <span class="muted">{html.escape(when)}</span>'
        avatar = '<div class="avatar bot">B</div>' if bot else f'<div class="avatar">{html.escape(who[:1])}</div>'
        return (
            f'<div class="{cls}" data-ts="{html.escape(m["ts"])}">{avatar}<div class="m-body">'
            f'<div class="meta">{meta}</div>{body}{files}</div></div>'
        )

    def _clock_label(self, ts: str) -> str:
        try:
            return datetime.fromtimestamp(float(ts), ZoneInfo(DEFAULT_TZ)).strftime("%m/%d %H:%M")
        except (ValueError, OverflowError, OSError):
            return ts

    def _view_html(self, rec: dict, acting: str, view: str) -> str:
        v = rec["view"]
        hidden = self._hidden(**{"as": acting, "ch": view, "view_id": rec["id"]})
        submit = (
            f'<button class="btn primary" data-action="submit">{self._text_html(v.get("submit"))}</button>'
            if v.get("submit") else ""
        )  # fmt: skip
        close = self._text_html(v.get("close")) or "Close"
        return (
            f'<div class="overlay"><form class="modal" method="post" action="/_ui/submit" data-view="{html.escape(rec["id"])}">{hidden}'
            f'<div class="modal-title">{self._text_html(v.get("title"))}</div>'
            f'<div class="modal-body">{self._blocks_html(v.get("blocks"), hidden, in_form=True, rec=rec)}</div>'
            f'<div class="modal-foot"><button class="btn" formaction="/_ui/close" formnovalidate data-action="close">{close}</button>{submit}</div>'
            "</form></div>"
        )

    def _visible(self, m: dict, acting: str) -> bool:
        return not m["deleted"] and (not m["ephemeral_user"] or m["ephemeral_user"] == acting)

    def _conversations(self, acting: str) -> tuple[list[str], list[str]]:
        """Channels (named ones first) and the acting user's DM with the app."""
        chans = [c for c in self.channel_names if c != "C0GENERAL"] + ["C0GENERAL"]
        for m in self.messages:
            if not m["channel"].startswith("D") and m["channel"] not in chans:
                chans.append(m["channel"])
        dm = self._dm_ids.get(acting)
        return chans, ([dm] if dm else [])

    def _channel_title(self, channel: str) -> str:
        if channel.startswith("D"):
            peer = next((u for u, d in self._dm_ids.items() if d == channel), channel)
            return f"{self.bot_name} (DM with {self.user(peer)['name']})"
        return f"#{self._channel_ref(channel)['name']}"

    def _channel_html(self, channel: str, acting: str, view: str) -> str:
        msgs = [m for m in self.messages if m["channel"] == channel and self._visible(m, acting)]
        parts = []
        for m in msgs:
            if m["thread_ts"] and m["thread_ts"] != m["ts"] and not m.get("reply_broadcast"):
                continue  # rendered under its parent
            parts.append(self._message_html(m, acting, view))
            replies = [r for r in msgs if r["thread_ts"] == m["ts"] and r["ts"] != m["ts"]]
            if replies:
                n = len(replies)
                parts.append(
                    f'<details class="thread" open><summary>{n} {"reply" if n == 1 else "replies"}</summary>'
                    f'{"".join(self._message_html(r, acting, view) for r in replies)}</details>'
                )
        if not parts:
            parts.append('<p class="muted empty">No messages yet.</p>')
        composer = (
            f'<form class="composer" method="post" action="/_ui/slash">{self._hidden(**{"as": acting, "ch": view, "channel_id": channel})}'
            f'<input name="line" placeholder="/baton help — slash commands run as {html.escape(self.user(acting)["name"])}" autocomplete="off">'
            '<button class="btn">Send</button></form>'
        )
        head = f'<div class="conv-head">{html.escape(self._channel_title(channel))} <span class="muted">{html.escape(channel)}</span></div>'
        return f'<section class="conv" data-channel="{html.escape(channel)}">{head}<div class="msgs">{"".join(parts)}</div>{composer}</section>'

    def _home_html(self, acting: str, view: str) -> str:
        head = f'<div class="conv-head">🏠 Home — {html.escape(self.bot_name)}</div>'
        rec = self.home.get(acting)
        if rec is None:
            body = '<p class="muted empty">Opening the Home tab…</p>'
        else:
            hidden = self._hidden(**{"as": acting, "ch": view, "view_id": rec["id"]})
            body = f'<div class="home">{self._blocks_html(rec["view"].get("blocks"), hidden)}</div>'
        return f'<section class="conv home-tab">{head}<div class="msgs">{body}</div></section>'

    def _default_view(self, acting: str) -> str:
        chans, dms = self._conversations(acting)
        for c in chans + dms:
            if any(m["channel"] == c and self._visible(m, acting) for m in self.messages):
                return c
        return chans[0] if chans else "home"

    def _sidebar_html(self, acting: str, view: str) -> str:
        chans, dms = self._conversations(acting)
        q = quote(acting)

        def item(target: str, label: str, unread: int = 0) -> str:
            cls = "active" if target == view else ""
            badge = f' <span class="count">{unread}</span>' if unread else ""
            return f'<a class="{cls}" data-conv="{html.escape(target)}" href="/?as={q}&amp;ch={quote(target)}">{label}{badge}</a>'

        def count(c: str) -> int:
            return sum(1 for m in self.messages if m["channel"] == c and self._visible(m, acting) and not m["thread_ts"])

        out = [item("home", "🏠 Home")]
        out.append('<div class="side-h">Channels</div>')
        out += [item(c, f"# {html.escape(self._channel_ref(c)['name'])}", count(c)) for c in chans]
        out.append('<div class="side-h">Direct messages</div>')
        out += [item(d, f"● {html.escape(self.bot_name)}", count(d)) for d in dms]
        if not dms:
            out.append('<span class="muted">none yet</span>')
        return "".join(out)

    def _fragment(self, acting: str, view: str | None = None) -> str:
        view = view or self._default_view(acting)
        out: list[str] = [f'<nav id="side">{self._sidebar_html(acting, view)}</nav><main id="conv">']
        if self._ui_flash:
            ok = " ok" if self._ui_flash_ok else ""
            out.append(f'<div class="flash{ok}">{html.escape(self._ui_flash)}</div>')
        if view == "home":
            out.append(self._home_html(acting, view))
        else:
            out.append(self._channel_html(view, acting, view))
        out.append("</main>")
        modals = [v for v in self.views.values() if v["type"] == "modal" and not v["closed"] and v["user"] == acting]
        if modals:
            out.append(self._view_html(modals[-1], acting, view))
        return "".join(out)

    def _control_html(self, acting: str, view: str) -> str:
        if self.control is None:
            return ""
        hidden = self._hidden(**{"as": acting, "ch": view})
        jobs = "".join(
            f'<form class="inline" method="post" action="/_ui/job">{hidden}{self._hidden(name=j)}'
            f'<button class="btn small" data-job="{html.escape(j)}">{html.escape(j)}</button></form>'
            for j in self.control.jobs
        ) or '<span class="muted">no scheduled jobs registered</span>'
        log = "".join(f"<li>{html.escape(line)}</li>" for line in self.control.log)
        # The names app.yaml's health measures read (success.health.measures[].signal).
        names = (self.control.signals if self.control else None) or ["logins"]
        signals = "".join(f"<option>{html.escape(n)}</option>" for n in names)
        return (
            '<aside id="panel"><h3>Control panel</h3>'
            f'<form method="post" action="/_ui/lead" class="stack" id="lead-form">{hidden}'
            "<b>Inject a lead</b>"
            '<input name="company" placeholder="会社名" required value="">'
            '<input name="name" placeholder="氏名" required value="">'
            '<input name="title" placeholder="役職 (e.g. 情報システム部長)">'
            '<input name="employees" type="number" min="1" placeholder="従業員数 (500+ → enterprise)">'
            '<select name="activity"><option value="demo_request">demo request (30 min SLA)</option>'
            '<option value="download">download</option><option value="">none (score by attributes)</option></select>'
            '<select name="source"><option>web</option><option>webinar</option><option>download</option><option>event</option></select>'
            '<button class="btn primary" data-action="inject">Send lead</button></form>'
            f'<form method="post" action="/_ui/clock" class="stack">{hidden}<b>Move time</b><div class="row">'
            '<button class="btn small" name="minutes" value="15">+15 min</button>'
            '<button class="btn small" name="minutes" value="60" data-action="advance-hour">+1 h</button>'
            '<button class="btn small" name="minutes" value="1440">+1 day</button></div></form>'
            f'<div class="stack"><b>Run a job now</b><div class="row">{jobs}</div></div>'
            f'<form method="post" action="/_ui/signal" class="stack">{hidden}<b>Add a usage signal</b>'
            '<input name="account" placeholder="account id" required>'
            f'<select name="signal">{signals}</select>'
            '<input name="value" type="number" step="any" placeholder="value" required>'
            '<input name="day" type="date"><button class="btn">Add signal</button></form>'
            f'<div class="stack"><b>Last answers</b><ul class="log">{log}</ul></div></aside>'
        )

    def _acting(self, request: web.Request, form: Any = None) -> str:
        acting = (form.get("as") if form is not None else None) or request.query.get("as")
        return str(acting or self._acting_users()[0])

    def _view_param(self, request: web.Request, form: Any = None) -> str | None:
        v = (form.get("ch") if form is not None else None) or request.query.get("ch")
        return str(v) if v else None

    async def _ui_page(self, request: web.Request) -> web.Response:
        acting = self._acting(request)
        view = self._view_param(request) or self._default_view(acting)
        if view == "home" and acting not in self.home and self.bot_url:
            try:  # like Slack: opening the tab sends app_home_opened
                await self.open_home(acting)
            except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError):
                pass
        options = "".join(
            f'<option value="{html.escape(u)}"{" selected" if u == acting else ""}>{html.escape(self._user_label(u))}</option>'
            for u in self._acting_users()
        )
        # The fallback keeps the page usable if page.html was not packaged.
        page = _PAGE_TEMPLATE.read_text(encoding="utf-8") if _PAGE_TEMPLATE.exists() else _FALLBACK_PAGE
        page = page.replace("__AS_OPTIONS__", options).replace("__AS__", html.escape(acting))
        page = page.replace("__VIEW__", html.escape(view)).replace("__PANEL__", self._control_html(acting, view))
        return web.Response(text=page.replace("__CONTENT__", self._fragment(acting, view)), content_type="text/html")

    async def _ui_fragment(self, request: web.Request) -> web.Response:
        acting = self._acting(request)
        return web.Response(text=self._fragment(acting, self._view_param(request)), content_type="text/html")

    async def _ui_post(self, request: web.Request) -> web.Response:
        form = await request.post()
        acting = self._acting(request, form)
        view = self._view_param(request, form)
        self._ui_flash, self._ui_flash_ok = None, False
        try:
            result = await self._ui_dispatch(request.match_info["action"], form, acting)
            body = result.get("body") if result else None
            if isinstance(body, dict) and body.get("response_action") == "errors":
                pass  # shown under the modal's fields
            elif result and result.get("status") not in (None, 200):
                self._ui_flash = f"bot answered HTTP {result['status']}: {body}"
        except (KeyError, ValueError, RuntimeError, aiohttp.ClientError, asyncio.TimeoutError) as e:
            self._ui_flash = f"{type(e).__name__}: {e}"
        if request.match_info["action"] == "home":
            view = "home"
        target = f"/?as={quote(acting)}" + (f"&ch={quote(view)}" if view else "")
        raise web.HTTPSeeOther(target)

    async def _ui_dispatch(self, action: str, form: Any, acting: str) -> dict | None:
        view_id = form.get("view_id")
        if action == "click":
            selected = form.get("selected_option") or None
            value = form.get("value") or None
            block_id = form.get("block_id") or None
            if view_id:
                return await self.click_view(acting, view_id, form["action_id"], value=value, selected_option=selected, block_id=block_id)
            return await self.click(
                acting, (form["channel"], form["ts"]), form["action_id"], value=value, selected_option=selected, block_id=block_id
            )
        if action == "submit":
            rec = self.views[view_id]
            values: dict[str, dict] = {}
            for i, b in enumerate(rec["view"].get("blocks") or []):
                if b.get("type") != "input" or not isinstance(b.get("element"), dict):
                    continue
                el = b["element"]
                raw = [v for v in form.getall(f"v.{i}", []) if v != ""]
                multi = el.get("type") in ("checkboxes", "multi_static_select", "multi_users_select")
                values.setdefault(b["block_id"], {})[el.get("action_id")] = raw if multi else (raw[0] if raw else None)
            return await self.submit_view(rec["user"], view_id, values)
        if action == "close":
            return await self.close_view(self.views[view_id]["user"], view_id)
        if action == "home":
            return await self.open_home(acting)
        if action == "slash":
            channel = form.get("channel_id") or "C0GENERAL"
            line = str(form.get("line") or "").strip()
            command, text = (line.split(" ", 1) + [""])[:2] if line else (form.get("command", ""), form.get("text", ""))
            if not str(command).startswith("/"):
                raise ValueError("type a slash command, e.g. /baton help (this sandbox has no human chat)")
            return await self.slash(acting, command, text, channel)
        if self.control is None:
            raise ValueError(f"unknown UI action {action!r}")
        if action == "lead":
            self._ui_flash = await self.control.inject_lead(form)
        elif action == "job":
            self._ui_flash = await self.control.run_job(str(form.get("name")))
        elif action == "clock":
            self._ui_flash = await self.control.advance(float(form.get("minutes") or 60))
        elif action == "signal":
            self._ui_flash = await self.control.add_signal(form)
        else:
            raise ValueError(f"unknown UI action {action!r}")
        self._ui_flash_ok = self.control.ok
        return None
