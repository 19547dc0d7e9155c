"""Integrations with the CRM / marketing-automation tools a company runs on: outbound webhooks
(subscribers queueing signed deliveries on the outbox) and the inbound field mapping.

Every module registers its subscribers on import; `load()` imports them all. The domain never
imports this package: it only announces domain events.
"""

from __future__ import annotations

from bot.discover import import_all


def load() -> None:
    import_all("bot.integrations")
