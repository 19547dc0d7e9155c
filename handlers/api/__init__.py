"""The REST API for marketing automation and CRMs, served next to `/slack/events`."""

from __future__ import annotations

from aiohttp import web

from handlers.api import leads


def routes(app: web.Application) -> None:
    leads.routes(app)
