"""Which IS team and rep get an MQL: first matching rule, then round robin among eligible reps."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import AppConfig, RoutingRule
from bot.rules import matches

REP_ROLES = frozenset({"is_rep", "fs_rep", "csm"})


@dataclass(frozen=True)
class Route:
    team_id: str
    mode: str  # round_robin | claim
    rule_label: str | None


def choose_route(record: Mapping[str, Any], config: AppConfig) -> Route:
    rule: RoutingRule | None = next((r for r in config.routing.rules if matches(r.when, record)), None)
    if rule is None:  # config validation cannot know every record; fall back to the last rule's team
        rule = config.routing.rules[-1]
    return Route(team_id=rule.team, mode=rule.mode, rule_label=rule.label)


def reps_of(config: AppConfig, team_id: str) -> list[str]:
    """Members of a team who work leads (managers receive escalations, not round robin)."""
    team = config.team(team_id)
    if team is None:
        return []
    return [m for m in team.members if (p := config.person(m)) and REP_ROLES.intersection(p.roles)]


def next_in_rotation(
    reps: Sequence[str], last: str | None, eligible: Callable[[str], bool], exclude: frozenset[str] = frozenset()
) -> str | None:
    """The next eligible rep after `last` in config order (wrapping), or None if nobody can take it."""
    if not reps:
        return None
    start = (reps.index(last) + 1) if last in reps else 0
    for i in range(len(reps)):
        candidate = reps[(start + i) % len(reps)]
        if candidate not in exclude and eligible(candidate):
            return candidate
    return None
