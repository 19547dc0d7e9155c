"""The one bottleneck (『ザ・ゴール』: a flow has one constraint): per funnel stage, a recent window
against the baseline window before it — arrivals, forward conversion, median time in stage, work
in progress and its growth, load vs capacity — each shortfall converted into revenue at stake, and
exactly one stage named.

Counts come from the stage roll-up (`stage_rollup.event_counts`, exact); the median time in stage
from the folded exits (`stage_rollup.exit_days`) plus the raw events not folded yet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from bot.config import Person
from bot.context import UnitOfWork
from bot.domain import permissions
from bot.domain import pipeline as pl
from bot.domain.outcomes import Outcome, Result
from bot.domain import stage_rollup as rollup
from bot.domain.stage_rollup import Key
from bot.models import Alert, Lead, Opportunity

# stage id → (entity type, the stage an entity sits in, the forward stage it moves to)
STAGES: dict[str, tuple[str, str, str]] = {
    "mql_to_sal": ("lead", "mql", "sal"),
    "sal_to_sql": ("lead", "sal", "sql"),
    "sql_to_opportunity": ("lead", "sql", "opportunity"),
    "phase1": ("opportunity", "phase_1", "phase_2"),
    "phase2": ("opportunity", "phase_2", "phase_3"),
    "phase3": ("opportunity", "phase_3", "phase_4"),
    "phase4": ("opportunity", "phase_4", "phase_5"),
    "phase5": ("opportunity", "phase_5", "won"),
}
ORDER = list(STAGES)
# Each entity's stages in order. A move to any later one is forward: a deal jumping from phase 2 to
# phase 4 (or won from phase 3) made progress — it passed the phases it skipped. The skipped phases
# count nothing (the deal never sat in them); moves back, lost, recycled and closed are the other exits.
SEQUENCE: dict[str, tuple[str, ...]] = {
    "lead": ("mql", "sal", "sql", "opportunity"),
    "opportunity": ("phase_1", "phase_2", "phase_3", "phase_4", "phase_5", "won"),
}


def forward_of(entity: str, stage: str) -> tuple[str, ...]:
    """The stages a move out of `stage` counts as forward to: every later stage of its entity."""
    seq = SEQUENCE[entity]
    return seq[seq.index(stage) + 1 :]

SLOWDOWN = 1.25
MIN_SAMPLE = 20  # fewer forward moves than this: the median is too noisy to compare  # a median time in stage this much longer than the baseline counts as slower


@dataclass
class Window:
    arrivals: int = 0
    forward: int = 0
    other_exits: int = 0
    median_days: float | None = None

    @property
    def conversion(self) -> float | None:
        done = self.forward + self.other_exits
        return self.forward / done if done else None


@dataclass
class StageStats:
    stage: str
    recent: Window
    baseline: Window
    wip: int = 0
    wip_growth: int = 0  # during the recent window
    load: float | None = None  # arrivals per working day ÷ capacity per day (stages worked by people)
    downstream_yield: float = 0.0
    lost_units: float = 0.0
    delayed_units: float = 0.0
    at_stake: Decimal = Decimal(0)


@dataclass
class Analysis:
    now: datetime
    recent_days: int
    baseline_days: int
    stages: list[StageStats]
    bottleneck: StageStats | None
    watch: list[StageStats] = field(default_factory=list)
    average_deal: Decimal = Decimal(0)
    team: str | None = None  # `/bottleneck team`: one team's moves only

    def as_data(self) -> dict[str, Any]:
        b = self.bottleneck
        return {"stage": b.stage if b else None, "at_stake": str(b.at_stake) if b else "0", "watch": [w.stage for w in self.watch]}


TARGETS = sorted({s for _, frm, fwd in STAGES.values() for s in (frm, fwd)} | {"recycled", "closed", "lost"})


def _moves(counts: Counter[Key], team: str | None = None) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Entries per stage and exits per (from, to), from grouped lead and deal events (of `team` when given)."""
    entries: dict[str, int] = {}
    exits: dict[tuple[str, str], int] = {}
    for (et, frm, to, team_id, _), n in counts.items():
        if et not in ("lead", "opportunity") or frm == to or (team is not None and team_id != team):
            continue  # frm == to: a reassignment, not a stage change
        entries[to] = entries.get(to, 0) + n
        if frm:
            exits[(frm, to)] = exits.get((frm, to), 0) + n
    return entries, exits


async def _median_days(uow: UnitOfWork, entity: str, stage: str, forward: tuple[str, ...], since: datetime, until: datetime, team: str | None = None) -> float | None:
    """Median days from entering `stage` to moving forward (to any later stage), for the forward moves in the window."""
    return await rollup.median_exit_days(uow, entity, stage, forward, since, until, team=team)


async def _wip_now(uow: UnitOfWork, team: str | None = None) -> dict[str, int]:
    lw = [Lead.stage.in_(("mql", "sal", "sql"))] + ([Lead.team_id == team] if team is not None else [])
    ow = [Opportunity.status == "open"] + ([Opportunity.team_id == team] if team is not None else [])
    leads = dict((await uow.session.execute(select(Lead.stage, func.count()).where(*lw).group_by(Lead.stage))).all())
    opps = (await uow.session.execute(select(Opportunity.phase, func.count()).where(*ow).group_by(Opportunity.phase))).all()
    return {**leads, **{f"phase_{p}": n for p, n in opps}}


async def average_deal(uow: UnitOfWork, now: datetime, months: int = 12) -> Decimal:
    o = Opportunity
    jpy = pl.jpy(uow)
    avg = await uow.session.scalar(select(func.avg(jpy)).where(o.status == "won", o.closed_at >= now - relativedelta(months=months)))
    if avg:
        return _yen(Decimal(str(avg)))
    fallback = uow.config.pipeline.capacity.average_deal_size
    if fallback:
        return fallback
    return _yen(Decimal(await uow.session.scalar(select(func.coalesce(func.avg(jpy), 0))) or 0))


def _yen(v: Decimal) -> Decimal:
    """Money to the yen, half up (docs/metrics.md) — not Decimal's default half-to-even."""
    return v.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _is_capacity_per_day(uow: UnitOfWork, team: str | None = None) -> float:
    cfg = uow.config
    teams = [t for t in cfg.teams_by_function("inside_sales") if team is None or t.id == team]
    reps = {m for t in teams for m in t.members if cfg.person(m) and "is_rep" in cfg.person(m).roles}
    return len(reps) * cfg.pipeline.capacity.is_mqls_per_rep_per_day


async def analyse(uow: UnitOfWork, *, now: datetime | None = None, team: str | None = None) -> Analysis:
    """The company's bottleneck, or one team's (`/bottleneck team`: that team's moves, work and capacity)."""
    cfg = uow.config.pipeline.bottleneck
    now = now or uow.now()
    recent_from = now - timedelta(days=cfg.recent_days)
    base_from = recent_from - timedelta(days=cfg.baseline_days)
    recent_counts, base_counts = await rollup.event_counts(uow, [(recent_from, now), (base_from, recent_from)], TARGETS)
    r_entries, r_exits = _moves(recent_counts, team)
    b_entries, b_exits = _moves(base_counts, team)
    wip = await _wip_now(uow, team)
    cal = uow.config.calendar(None)
    working_days = sum(1 for i in range(cfg.recent_days) if cal.is_working_day((recent_from + timedelta(days=i)).astimezone(cal.tz).date())) or 1
    stats: list[StageStats] = []
    for name, (entity, stage, _) in STAGES.items():

        ahead = forward_of(entity, stage)

        def window(entries: dict[str, int], exits: dict[tuple[str, str], int]) -> Window:
            out = sum(n for (f, _), n in exits.items() if f == stage)
            forward = sum(n for (f, t), n in exits.items() if f == stage and t in ahead)
            return Window(entries.get(stage, 0), forward, out - forward)

        recent, base = window(r_entries, r_exits), window(b_entries, b_exits)
        recent.median_days = await _median_days(uow, entity, stage, ahead, recent_from, now, team)
        base.median_days = await _median_days(uow, entity, stage, ahead, base_from, recent_from, team)
        s = StageStats(name, recent, base, wip=wip.get(stage, 0))
        s.wip_growth = recent.arrivals - recent.forward - recent.other_exits
        if name == "mql_to_sal":
            capacity = _is_capacity_per_day(uow, team)
            s.load = (recent.arrivals / working_days) / capacity if capacity else None
        stats.append(s)

    # Downstream yield: the share of what leaves a stage forward that is eventually won (recent rates).
    rest = 1.0
    for s in reversed(stats):
        s.downstream_yield = rest
        conv = s.recent.conversion if s.recent.conversion is not None else s.baseline.conversion
        rest *= conv if conv is not None else 0.0
    avg = await average_deal(uow, now)
    for s in stats:
        rc, bc = s.recent.conversion, s.baseline.conversion
        done = s.recent.forward + s.recent.other_exits
        if rc is not None and bc is not None and done:
            # Only a drop beyond one standard error counts: small stages are noisy.
            drop = bc - rc - (bc * (1 - bc) / done) ** 0.5
            s.lost_units = done * max(0.0, drop)
        rm, bm = s.recent.median_days, s.baseline.median_days
        if rm and bm and rm > bm * SLOWDOWN and s.recent.forward >= MIN_SAMPLE:
            # Slower, not lost: half of the extra time's throughput is counted as at stake.
            s.delayed_units = 0.5 * min(float(max(s.wip, 0)), s.recent.forward * (rm / bm - 1))
        s.at_stake = _yen(Decimal(str((s.lost_units + s.delayed_units) * s.downstream_yield)) * avg)
    ranked = sorted((s for s in stats if s.at_stake > 0), key=lambda s: s.at_stake, reverse=True)
    return Analysis(now, cfg.recent_days, cfg.baseline_days, stats, ranked[0] if ranked else None, ranked[1:3], avg, team)


def managers(uow: UnitOfWork) -> list[str]:
    cfg = uow.config
    return list(cfg.pipeline.bottleneck.managers) or [p.id for p in cfg.people if p.is_manager]


def managers_channel(uow: UnitOfWork) -> str | None:
    cfg = uow.config
    return cfg.pipeline.bottleneck.channel or next((t.channel for t in cfg.teams_by_function("management")), None)


@dataclass(frozen=True)
class AlertDecision:
    alert: bool  # a new or worse bottleneck: DM managers + post with buttons
    reason: str  # new | changed | worse | same | snoozed | none
    alert_id: int | None


async def record(uow: UnitOfWork, analysis: Analysis) -> AlertDecision:
    """Keep the bottleneck's state in one `Alert` row; alert only on a change or a worsening beyond the threshold."""
    cfg = uow.config.pipeline.bottleneck
    now = uow.now()
    row = await uow.session.scalar(select(Alert).where(Alert.fingerprint == "bottleneck"))
    b = analysis.bottleneck
    if b is None:
        if row is not None and row.state != "resolved":
            row.state, row.updated_at = "resolved", now
        return AlertDecision(False, "none", row.id if row else None)
    data = {**analysis.as_data(), "at": now.isoformat()}
    if row is None:
        row = Alert(kind="bottleneck", subject=f"stage:{b.stage}", fingerprint="bottleneck", data=data, created_at=now, updated_at=now)
        uow.session.add(row)
        await uow.session.flush()
        return AlertDecision(True, "new", row.id)
    previous = Decimal(str((row.data or {}).get("at_stake") or 0))
    changed = row.subject != f"stage:{b.stage}" or row.state == "resolved"
    worse = not changed and b.at_stake > previous * Decimal(str(1 + cfg.worsen_threshold))
    snoozed = row.state == "snoozed" and row.snoozed_until is not None and row.snoozed_until > now
    if snoozed and not changed:  # a snooze holds for the same stage, even if it got worse
        row.repeats += 1
        row.updated_at = now
        return AlertDecision(False, "snoozed", row.id)
    reason = "changed" if changed else "worse" if worse else "same"
    if changed or worse:
        row.subject, row.data, row.repeats = f"stage:{b.stage}", data, 0
        row.state, row.acknowledged_by, row.acknowledged_at, row.snoozed_until = "open", None, None, None
    else:
        row.repeats += 1
    row.updated_at = now
    return AlertDecision(changed or worse, reason, row.id)


# -- a manager's answer to the alert ----------------------------------------------------------------


@dataclass(frozen=True)
class BottleneckResult(Result):
    """acknowledged | snoozed (until `until`), or a refusal."""

    alert: Alert | None = None
    until: datetime | None = None
    _: KW_ONLY
    subject: str = "bottleneck"


async def _alert(uow: UnitOfWork, alert_id: int, person: Person | None) -> BottleneckResult | Alert:
    if not permissions.allows("manager.commands", uow.config, person, None):
        return BottleneckResult(Outcome.NOT_ALLOWED)
    alert = await uow.session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        return BottleneckResult(Outcome.NOT_FOUND)
    if alert.kind != "bottleneck":  # a forged id of another alert (a health alert …) changes nothing
        return BottleneckResult(Outcome.WRONG_KIND)
    return alert


async def acknowledge(uow: UnitOfWork, alert_id: int, person: Person | None) -> BottleneckResult:
    """Recorded on the alert (who, when); every copy of the alert then shows it."""
    got = await _alert(uow, alert_id, person)
    if isinstance(got, BottleneckResult):
        return got
    now = uow.now()
    got.state, got.acknowledged_by, got.acknowledged_at, got.updated_at = "acknowledged", person.id, now, now
    return BottleneckResult(Outcome.ACKNOWLEDGED, got, by=person.id)


async def snooze(uow: UnitOfWork, alert_id: int, person: Person | None) -> BottleneckResult:
    """No new alert for the same stage until the snooze ends (`pipeline.bottleneck.snooze_days`)."""
    got = await _alert(uow, alert_id, person)
    if isinstance(got, BottleneckResult):
        return got
    now = uow.now()
    until = now + timedelta(days=uow.config.pipeline.bottleneck.snooze_days)
    got.state, got.snoozed_until, got.updated_at = "snoozed", until, now
    return BottleneckResult(Outcome.SNOOZED, got, until, by=person.id)
