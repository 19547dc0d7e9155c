"""Disqualify on the SAL follow-up: open the reason modal."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.actions.sal_qualify import opener


def register(app: AsyncApp) -> None:
    app.action("sal_disqualify")(opener("sal_disqualify", "sal_disqualify_modal"))
