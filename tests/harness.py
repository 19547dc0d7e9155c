"""The bot as Slack sees it: served on a real port, driven through the Slack emulator with signed
requests (or, with `socket_mode`, Socket Mode envelopes over the WebSocket the bot opens), its REST
API called with the bearer token, time moved by a ManualClock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import Baton
from bot.clock import ManualClock
from bot.config import Settings, load_config
from bot.sandbox import SlackEmulator

SECRET = "test-signing-secret"
TOKEN = "xoxb-test"
APP_TOKEN = "xapp-1-test"
API_TOKEN = "test-api-token"


class Harness:
    def __init__(
        self, *, database_url: str, config_path: Path, start: datetime, channel_rate: float = 1000.0,
        socket_mode: bool = False,
    ):
        self.database_url = database_url
        self.socket_mode = socket_mode
        self.config = load_config(config_path)
        self.clock = ManualClock(start)
        self.channel_rate = channel_rate
        self.emu = SlackEmulator(
            signing_secret=SECRET,
            bot_token=TOKEN,
            app_token=APP_TOKEN,
            users={p.slack_id: {"name": p.id, "real_name": p.name, "tz": "Asia/Tokyo"} for p in self.config.people},
        )
        # Slack's 3 s trigger lifetime is wall time; a CI machine under load must not turn it into flakiness.
        self.emu.trigger_ttl = 30.0
        # Rate limits refill on the bot's clock: a Retry-After the bot waits out is waited out here too.
        self.emu.rate_clock = self.clock
        self.baton: Baton | None = None
        self._runner: web.AppRunner | None = None
        self._socket = None  # the bot's AsyncSocketModeHandler in Socket Mode
        self.http: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self, *, migrate_schema: bool = False) -> None:
        api_url = await self.emu.start()
        settings = Settings(
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_app_token=APP_TOKEN if self.socket_mode else None,
            slack_api_url=api_url,
            database_url=self.database_url,
            api_token=API_TOKEN,
            per_channel_per_second=self.channel_rate,
        )
        self.baton = Baton(self.config, settings, clock=self.clock)
        # Background workers stay off: tests deliver and fire timers explicitly, deterministically.
        await self.baton.start(migrate_schema=migrate_schema, background=False)
        self._runner = web.AppRunner(self.baton.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        self.url = f"http://127.0.0.1:{port}"
        self.emu.bot_url = f"{self.url}/slack/events"
        await self._connect_socket()
        self.http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_TOKEN}"})

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database (a process restart)."""
        await self._stop_bot()
        await self.start_bot_again()

    async def start_bot_again(self) -> None:
        settings = self.baton.settings
        self.baton = Baton(self.config, settings, clock=self.clock)
        await self.baton.start(migrate_schema=False, background=False)
        self._runner = web.AppRunner(self.baton.web_app(), access_log=None)
        await self._runner.setup()
        port = int(self.url.rsplit(":", 1)[1])
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        await self._connect_socket()

    async def _connect_socket(self) -> None:
        """Socket Mode: the bot opens its WebSocket to the emulator; every interaction goes through it."""
        if not self.socket_mode:
            return
        self._socket = self.baton.socket_mode()
        await self._socket.connect_async()
        self.emu.socket_mode = True

    async def _stop_bot(self) -> None:
        if self._socket:
            await self._socket.close_async()
            self._socket = None
        if self._runner:
            await self._runner.cleanup()
        if self.baton:
            await self.baton.stop()

    async def stop(self) -> None:
        if self.http:
            await self.http.close()
        await self._stop_bot()
        await self.emu.stop()

    # -- acting ---------------------------------------------------------------------------------
    async def post(self, path: str, payload: Any, token: str | None = API_TOKEN) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {"Authorization": ""}
        async with self.http.post(self.url + path, json=payload, headers=headers) as r:
            return r.status, await _body(r)

    async def patch(self, path: str, payload: Any, token: str | None = API_TOKEN) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {"Authorization": ""}
        async with self.http.patch(self.url + path, json=payload, headers=headers) as r:
            return r.status, await _body(r)

    async def post_raw(self, path: str, data: bytes, content_type: str = "application/json") -> tuple[int, Any]:
        async with self.http.post(self.url + path, data=data, headers={"Content-Type": content_type}) as r:
            return r.status, await _body(r)

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.url + path) as r:
            return r.status, await _body(r)

    async def lead(self, lead_id: int) -> dict[str, Any]:
        status, body = await self.get(f"/api/leads/{lead_id}")
        assert status == 200, body
        return body

    async def deliver(self, rounds: int = 50) -> int:
        """Drain the outbox until nothing more is ready now (after work acked early has queued its answer)."""
        await self.baton.ctx.settle()
        total = 0
        for _ in range(rounds):
            n = await self.baton.delivery.drain_once()
            total += n
            if n == 0:
                break
        return total

    async def advance(self, **kw: float) -> int:
        """Move time forward, fire due timers, deliver what they queued."""
        self.clock.advance(timedelta(**kw))
        fired = await self.baton.scheduler.run_due()
        await self.deliver()
        return fired

    def person(self, person_id: str) -> str:
        return self.config.person(person_id).slack_id

    async def card(self, lead_id: int, episode: int = 0) -> dict[str, Any]:
        """The MQL card of a lead as the emulator holds it now (found through the bot's message keys)."""
        from bot.models import SlackMessage

        async with self.baton.ctx.sessions() as s:
            ref = await s.get(SlackMessage, f"lead:{lead_id}:mql:{episode}")
        assert ref is not None, f"lead {lead_id} has no posted card"
        message = self.emu.get_message(ref.channel, ref.ts)
        assert message is not None
        return message

    async def click(self, person_id: str, message: dict[str, Any], action_id: str) -> dict[str, Any]:
        result = await self.emu.click(self.person(person_id), message, action_id)
        await self.deliver()
        return result

    def ephemerals(self, person_id: str) -> list[str]:
        uid = self.person(person_id)
        return [m["text"] for m in self.emu.messages if m.get("ephemeral_user") == uid]


async def _body(r: aiohttp.ClientResponse) -> Any:
    text = await r.text()
    try:
        import json

        return json.loads(text)
    except ValueError:
        return text
