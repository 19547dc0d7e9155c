"""Scheduled jobs and timer handlers. `load()` imports every module here; each registers itself
with bot.scheduler (`@on_timer(kind)` for timers, `@daily(...)`-style registrations for jobs)."""

from __future__ import annotations

from bot.discover import import_all


def load() -> None:
    import_all("jobs")
