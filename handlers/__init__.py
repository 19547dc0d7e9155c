"""Bolt listeners, one per file, in folders named by Slack surface (actions, views, commands,
events, home). Every module there with a `register(app)` is registered — no central list to edit.
The REST API (`handlers/api`) is the non-Slack surface served on the same port."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.discover import import_all
from handlers.errors import on_error

SURFACES = ("handlers.actions", "handlers.views", "handlers.commands", "handlers.events", "handlers.home")


def register(app: AsyncApp) -> None:
    app.error(on_error)
    for surface in SURFACES:
        for module in import_all(surface):
            if hasattr(module, "register"):
                module.register(app)
