"""Bolt listeners, one file per message or card they serve, in folders named by Slack surface
(actions, views, commands, events, home). A module declares what it answers in tables (`ACTIONS`,
`VIEWS`, `COMMANDS`, `EVENTS`: id → listener) and is registered by living there — no central list.
The REST API (`handlers/api`) is the non-Slack surface served on the same port."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.discover import import_all
from handlers.errors import on_error

# A listener module declares what it answers as tables: {action id: listener}, {callback id: listener} …
TABLES = {"ACTIONS": "action", "VIEWS": "view", "COMMANDS": "command", "EVENTS": "event"}
SURFACES = ("handlers.actions", "handlers.views", "handlers.commands", "handlers.events", "handlers.home")


def register(app: AsyncApp) -> None:
    app.error(on_error)
    for surface in SURFACES:
        for module in import_all(surface):
            for table, kind in TABLES.items():
                for matcher, listener in getattr(module, table, {}).items():
                    getattr(app, kind)(matcher)(listener)
