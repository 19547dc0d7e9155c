"""The REST API for marketing automation and CRMs, served next to `/slack/events`."""

from __future__ import annotations

from aiohttp import web

from handlers.api import accounts, admin, inbound, leads, opportunities, webhooks


def routes(app: web.Application) -> None:
    leads.routes(app)
    opportunities.routes(app)  # opportunities (issue 5)
    admin.routes(app)
    accounts.routes(app)  # customer success (issue 7)
    webhooks.routes(app)  # outbound webhooks' failure view (issue 16)
    inbound.routes(app)  # a CRM / MA tool's own payload shape (issue 16)
