"""Scheduled jobs and timer handlers. Importing this package registers them with bot.scheduler."""

from jobs import sla  # noqa: F401
