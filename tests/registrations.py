"""What the listeners actually register with Bolt, recorded by running every `register(app)` of
handlers/ against a recorder (not by reading source): the ids tests drive and the manifest check
compare against."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from typing import Any

import handlers


class _Recorder:
    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = defaultdict(set)

    def __getattr__(self, kind: str) -> Any:
        def register(matcher: Any, *args: Any, **kwargs: Any) -> Any:
            self.seen[kind].add(matcher.pattern if isinstance(matcher, re.Pattern) else str(matcher))
            return lambda listener: listener

        return register


@cache
def _all() -> dict[str, frozenset[str]]:
    recorder = _Recorder()
    handlers.register(recorder)  # type: ignore[arg-type]
    return {kind: frozenset(ids) for kind, ids in recorder.seen.items()}


def registered(kind: str) -> set[str]:
    """Ids registered as `app.<kind>(…)`: action, view, command, event, shortcut, options."""
    return set(_all().get(kind, ()))
