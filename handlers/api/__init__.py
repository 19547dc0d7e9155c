"""The REST API for marketing automation and CRMs, served next to `/slack/events`."""

from __future__ import annotations

from aiohttp import web

from handlers.api import leads


def routes(app: web.Application) -> None:
    leads.routes(app)
    __import__("handlers.api.opportunities", fromlist=["routes"]).routes(app)  # opportunities (issue 5)
    from handlers.api import admin  # noqa: PLC0415

    admin.routes(app)
    __import__("handlers.api.accounts", fromlist=["routes"]).routes(app)  # customer success (issue 7)
