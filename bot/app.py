"""The app factory: one `Baton` holds the Bolt app, the database, delivery, the scheduler and the
aiohttp server that serves Slack (`/slack/events`), the REST API (`/api/*`) and `/healthz`."""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError

import bot.integrations
import bot.notify
import jobs
from bot.clock import Clock, SystemClock
from bot.config import AppConfig, Settings
from bot.context import Context
from bot.db import database_down, make_engine, make_sessionmaker, migrate
from bot.integrations.webhooks import Sender
from bot.leader import Leadership, SqliteProcessLock
from bot.logsafe import bolt_logger
from bot.messages import Messages
from bot.models import ProcessedRequest
from bot.runtime import BATON_KEY
from bot.scheduler import Scheduler
from bot.slack.delivery import Delivery
from handlers import register
from handlers.api import routes as api_routes
from handlers.api.guard import request_guard
from handlers.common import tell

log = logging.getLogger(__name__)


class Baton:
    def __init__(self, config: AppConfig, settings: Settings, clock: Clock | None = None):
        bot.notify.load()  # notification subscribers
        bot.integrations.load()  # outbound webhooks
        jobs.load()  # timer handlers and scheduled jobs

        self.config = config
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        sessions = make_sessionmaker(self.engine)
        clock = clock or SystemClock()
        self.ctx = Context(
            config=config, settings=settings, sessions=sessions, clock=clock, messages=Messages(links=config.links, clock=clock)
        )
        # Our own durable outbox retries; the SDK's retry handlers would retry behind its back.
        self.client = AsyncWebClient(
            token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10, retry_handlers=[]
        )
        self.delivery = Delivery(
            sessions, self.client, self.ctx.clock, per_channel_per_second=settings.per_channel_per_second,
            webhooks=Sender(config, self.ctx.clock),
        )
        self.scheduler = Scheduler(self.ctx)
        self.ctx.after_commit.append(self.delivery.kick)
        self.ctx.after_commit.append(self.scheduler.request_arm)
        self.bolt = self._make_bolt()
        self.ready = False
        self._process_lock = SqliteProcessLock(settings.database_url)
        self.leadership = Leadership(
            self.engine, settings.database_url, self._lead, self._follow, retry_seconds=settings.leader_retry_seconds
        )

    async def _lead(self) -> None:
        self.scheduler.start()

    async def _follow(self) -> None:
        await self.scheduler.shutdown()

    def _make_bolt(self) -> AsyncApp:
        bolt = AsyncApp(
            signing_secret=self.settings.slack_signing_secret or "",
            client=self.client,
            # Listeners ack themselves as soon as the decision is durable; Slack I/O happens later.
            process_before_response=False,
            request_verification_enabled=True,
            logger=bolt_logger(),
        )
        baton = self

        @bolt.middleware
        async def inject(context: dict[str, Any], body: dict[str, Any], next: Any) -> Any:  # noqa: A002
            context["baton"] = baton
            # Events API delivers at least once: an event id seen before has no second effect.
            event_id = body.get("event_id") if isinstance(body, dict) else None
            if event_id and not await baton.first_time(f"event:{event_id}"):
                # Answered 200, like the first time: Slack counts anything else as a failed
                # delivery, retries, and disables the subscriptions of apps that fail too often.
                return BoltResponse(status=200, body="")
            if await baton.refuse_outsider(body):
                return BoltResponse(status=200, body="")  # the ack: Slack closes a modal / shows nothing
            return await next()

        register(bolt)
        return bolt

    async def refuse_outsider(self, body: dict[str, Any]) -> bool:
        """Buttons, modals and commands are for people of app.yaml only: anyone else is told so
        privately, before any listener runs, and nothing changes."""
        if not isinstance(body, dict):
            return False
        kind = body.get("type") or ("command" if body.get("command") else None)
        if kind not in ("block_actions", "view_submission", "command", "shortcut", "message_action"):
            return False
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        if not user or self.config.person_by_slack(user) is not None:
            return False
        async with self.ctx.uow() as uow:
            await tell(uow, body, user, self.ctx.messages.text(self.config.company.locale, "not_in_config", user=f"<@{user}>"))
        return True

    async def first_time(self, request_id: str) -> bool:
        try:
            async with self.ctx.sessions() as s, s.begin():
                s.add(ProcessedRequest(id=request_id[:200], received_at=self.ctx.now()))
            return True
        except IntegrityError:
            return False

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self, *, migrate_schema: bool = True, background: bool = True) -> None:
        """Serve: with `background`, drain the outbox and (as leader) run the scheduler."""
        if background:
            self._process_lock.acquire()  # SQLite: refuse a second serving process
        try:
            if migrate_schema:
                await migrate(self.settings.database_url)
            if background:
                if self._process_lock.path is not None:  # we hold the only process lock: no one else is sending
                    await self.delivery.recover_abandoned()
                self.delivery.start()
                await self.leadership.start()
        except BaseException:
            self._process_lock.release()
            raise
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        await self.ctx.settle()  # answers already acked are still queued before the outbox stops
        await self.leadership.stop()
        await self.scheduler.shutdown()
        await self.delivery.stop()
        await self.engine.dispose()
        self._process_lock.release()

    # -- Socket Mode --------------------------------------------------------------------------------
    def socket_mode(self) -> AsyncSocketModeHandler:
        """The same Bolt app fed by Slack's WebSocket: `apps.connections.open` goes through the
        bot's client, so SLACK_API_URL (Slack's, or the emulator's) decides where it connects."""
        return AsyncSocketModeHandler(self.bolt, self.settings.slack_app_token, web_client=self.client)

    # -- HTTP ---------------------------------------------------------------------------------------
    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=self.settings.max_body_bytes, middlewares=[_json_errors, request_guard])
        app[BATON_KEY] = self
        app.router.add_post("/slack/events", self._slack)
        app.router.add_get("/healthz", self._healthz)
        api_routes(app)
        return app

    async def _slack(self, request: web.Request) -> web.Response:
        if not _well_formed_signature(request.headers):
            # Logged like Bolt's own rejection, never with what was sent.
            log.info("Invalid request signature detected (malformed headers); the request is refused")
            return web.Response(status=401, text="invalid request")  # never a 500 for a bad header
        bolt_response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": self.ready, "leader": self.leadership.is_leader}, status=200 if self.ready else 503
        )


def _well_formed_signature(headers: Any) -> bool:
    """Slack's signature headers as Slack sends them: a timestamp in whole seconds and a `v0=`
    hex digest (the verifier itself raises on anything else instead of refusing it)."""
    timestamp, signature = headers.get("X-Slack-Request-Timestamp", ""), headers.get("X-Slack-Signature", "")
    return bool(_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature))


_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


@web.middleware
async def _json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """No stack trace ever reaches a caller: unexpected errors become a JSON 500 and a log line."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.content_type == "application/json" or e.status < 400:
            raise
        return web.json_response({"error": e.reason}, status=e.status)
    except Exception as e:
        if database_down(e):  # nothing was written; the caller retries (one log line, not a traceback per request)
            log.warning("database unavailable on %s %s (%s)", request.method, request.path, type(e).__name__)
            return web.json_response({"error": "database unavailable, retry later"}, status=503, headers={"Retry-After": "5"})
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)
