"""Bolt listeners, one per file, in folders named by Slack surface (actions, views, commands,
events, home). The REST API (`handlers/api`) is the non-Slack surface served on the same port."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.actions import mql_accept, mql_reject
from handlers.views import mql_reject_modal

LISTENERS = (mql_accept, mql_reject, mql_reject_modal)


def register(app: AsyncApp) -> None:
    for module in LISTENERS:
        module.register(app)
