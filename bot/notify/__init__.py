"""Subscribers that turn domain events into Slack messages (outbox rows) in the same transaction.

Importing this package registers them all.
"""

from bot.notify import mql  # noqa: F401
from bot.notify import sla  # noqa: F401
