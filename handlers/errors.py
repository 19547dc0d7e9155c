"""The one catch-all for a listener that failed unexpectedly: the person gets a short apology in
their language with a reference, the log gets the same reference with the traceback (and no
request body), and Slack gets its ack so it shows no generic error of its own."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt.response import BoltResponse

from handlers.common import Interaction

log = logging.getLogger("baton.listeners")


_LETTERS, _CHARS = "abcdefghjkmnpqrstuvwxyz", "abcdefghjkmnpqrstuvwxyz23456789"


def new_reference() -> str:
    """Short enough to read out, unique enough for a log search; starts with a letter so it never
    looks like a phone number the log filter would mask."""
    return secrets.choice(_LETTERS) + "".join(secrets.choice(_CHARS) for _ in range(7))


async def on_error(error: Exception, body: dict[str, Any], context: dict[str, Any], response: BoltResponse | None) -> BoltResponse | None:
    ref = new_reference()
    kind = body.get("type") or ("command" if body.get("command") else "event") if isinstance(body, dict) else "?"
    log.error("listener failed (ref %s, %s): %s", ref, kind, type(error).__name__, exc_info=error)
    try:
        it = Interaction.of(body if isinstance(body, dict) else {}, context)
        if it.user:
            async with it.uow() as uow:
                await it.tell(uow, it.text("errors.unexpected", ref=ref))
    except Exception:  # noqa: BLE001 - the apology must never fail the request; the log has the reference
        log.exception("could not tell the user about ref %s", ref)
    # Not acked yet: ack now (Slack would show its own error and retry); acked already: nothing to add.
    return BoltResponse(status=200, body="") if response is not None else None
