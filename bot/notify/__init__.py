"""Subscribers that turn domain events into Slack messages (outbox rows) in the same transaction.

Every module in this package registers its subscribers on import; `load()` imports them all.
"""

from __future__ import annotations

from bot.discover import import_all


def load() -> None:
    import_all("bot.notify")
