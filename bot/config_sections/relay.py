"""`relay:` — SAL → SQL qualification, the FS hand-off and the recycle loop (issue 4)."""

from __future__ import annotations

from bot.config_sections.base import Section


class RelayConfig(Section):
    pass
