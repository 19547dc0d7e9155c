"""The SAL menu (overflow on the accepted MQL card): Qualify / Disqualify open their modals."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.actions.sal_qualify import opener

_qualify = opener("sal_qualify", "sal_qualify_modal")
_disqualify = opener("sal_disqualify", "sal_disqualify_modal")


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    action = (body.get("actions") or [{}])[0]
    choice, _, lead_id = ((action.get("selected_option") or {}).get("value") or "").partition(":")
    action["value"] = lead_id  # the openers read the lead id from the action's value
    await (_disqualify if choice == "disqualify" else _qualify)(ack, body, context)


def register(app: AsyncApp) -> None:
    app.action("sal_menu")(handle)
