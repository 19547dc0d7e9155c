"""`pipeline:` — opportunities, deal hygiene, targets, digests, bottleneck, capacity (issue 5)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.config_sections.base import Section

ForecastCategory = Literal["commit", "best_case", "pipeline", "omitted"]


class PipelineConfig(Section):
    # THE MODEL's phases: 1 beyond lead · 2 problem recognised · 3 evaluation · 4 negotiation · 5 approval.
    phase_categories: dict[int, ForecastCategory] = Field(
        default_factory=lambda: {1: "pipeline", 2: "pipeline", 3: "best_case", 4: "commit", 5: "commit"}
    )
    fs_team: str | None = None  # the Field Sales team that receives SQL hand-offs and upsells (default: the first)
    win_rate_fallback: float = Field(0.25, gt=0, le=1)
