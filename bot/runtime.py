"""What listeners and API routes are given at run time: the configuration, the context (units of
work, messages, clock), delivery and the scheduler. Handlers depend on this, not on the app
factory (`bot.app.Baton` is one), so the app can import its handlers without a cycle."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from bot.config import AppConfig, Settings
from bot.context import Context
from bot.scheduler import Scheduler
from bot.slack.delivery import Delivery


class Runtime(Protocol):
    config: AppConfig
    settings: Settings
    ctx: Context
    delivery: Delivery
    scheduler: Scheduler


# Where the runtime sits: `context["baton"]` for Bolt listeners, `request.app[BATON_KEY]` for routes.
BATON_KEY: web.AppKey[Runtime] = web.AppKey("baton")
