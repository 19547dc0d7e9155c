"""Health-drop alerts: a drop (score fell ≥ N points vs M days ago, band downgrade, one measure
collapsing) opens ONE alert per account (an `Alert` row) until the account recovers; staying low
does not alert again. The CS team acknowledges (next step + date), snoozes or escalates it; an
unacknowledged alert escalates to the CS manager after its SLA (deadline planned by the one SLA
engine, bot/domain/sla.py, in the CS team's business calendar; fired by jobs/health_alerts.py).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.clock import as_utc
from bot.config import Person, SlaClock, SlaPolicy
from bot.context import UnitOfWork
from bot.domain import health, permissions, sla, timers
from bot.domain.outcomes import Outcome, Result
from bot.models import Account, Alert

KIND = "health_drop"
OPEN_STATES = ("open", "acknowledged", "snoozed", "escalated")
ACKNOWLEDGEABLE = ("open", "snoozed", "escalated")
UNANSWERED = ("open", "snoozed")  # what the SLA escalates


@dataclass(frozen=True)
class HealthAlertRaised:
    alert_id: int
    account_id: int


@dataclass(frozen=True)
class HealthAlertChanged:
    alert_id: int
    account_id: int
    action: str  # updated | acknowledged | snoozed | escalated | resolved
    actor: str


def subject(alert_id: int) -> str:
    return f"alert:{alert_id}"


def _clock(uow: UnitOfWork) -> SlaClock:
    return SlaClock(policies=[SlaPolicy(label="health_alert", within=uow.config.success.alerts.acknowledge_within)])


def _calendar(uow: UnitOfWork) -> Any:
    team = uow.config.cs_team()
    return uow.config.team_calendar(team.id if team else None)


async def triggers(uow: UnitOfWork, acc: Account, day: date, result: health.Result) -> tuple[list[dict[str, Any]], Any]:
    """Which drops hold on `day`, and the baseline snapshot they are measured against."""
    cfg = uow.config.success.alerts
    out: list[dict[str, Any]] = []
    # Against the highest score within the window, whatever history exists (not a snapshot exactly
    # drop_days old, which a young or imported account does not have).
    baseline = await health.highest_since(uow, acc.id, day - timedelta(days=cfg.drop_days), day)
    previous = await health.latest_before(uow, acc.id, day)
    if cfg.drop_points and baseline is not None and baseline.score - result.score >= cfg.drop_points:
        out.append({"kind": "score_drop", "from": baseline.score, "to": result.score, "days": (day - baseline.day).days})
    if cfg.band_downgrade and previous is not None and health.BAND_RANK[result.band] < health.BAND_RANK[previous.band]:
        out.append({"kind": "band_down", "from": previous.band, "to": result.band})
    if cfg.collapse:
        earlier = await health.measure_values(uow, acc, day - timedelta(days=cfg.collapse.days), uow.config.success.health)
        for mid in cfg.collapse.measures or [m.id for m in uow.config.success.health.measures]:
            now_v = (result.measures.get(mid) or {}).get("value")
            then_v = earlier.get(mid)
            if now_v is None or not then_v or then_v <= 0 or (result.measures[mid].get("status") != "ok"):
                continue
            change = (now_v - then_v) / then_v * 100
            if -change >= cfg.collapse.percent:
                out.append({"kind": "collapse", "measure": mid, "from": then_v, "to": now_v, "pct": round(change), "days": cfg.collapse.days})
    return out, baseline or previous


def _whole_points(config: Any, mid: str, entry: dict[str, Any]) -> int | None:
    """A measure's points as shown: whole, half up, like the score — from its value (not from the
    stored 0.1-rounded points, which would round twice)."""
    m = next((m for m in config.measures if m.id == mid), None)
    value = entry.get("value")
    if m is not None and value is not None:
        return health._round(health.points(m, float(value)))
    return None if entry.get("points") is None else health._round(entry["points"])


def moved(config: Any, before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-measure changes (largest fall first), for the alert message: each measure whose value or
    shown points moved, its value in its own unit first (8 → 4 features), its points second — whole
    points like the score, so the shown change is exactly the shown `to − from`."""
    out = []
    for mid, now in after.items():
        then = (before or {}).get(mid) or {}
        to, frm = _whole_points(config, mid, now), _whole_points(config, mid, then)
        if to is None or frm is None:
            continue
        values_moved = now.get("value") != then.get("value") and now.get("value") is not None and then.get("value") is not None
        if to != frm or values_moved:
            out.append({"measure": mid, "from": frm, "to": to, "delta": to - frm,
                        "value_from": then.get("value"), "value_to": now.get("value")})  # fmt: skip
    return sorted(out, key=lambda m: m["delta"])


async def open_alert(uow: UnitOfWork, account_id: int) -> Alert | None:
    return await uow.session.scalar(
        select(Alert)
        .where(Alert.kind == KIND, Alert.subject == f"account:{account_id}", Alert.state.in_(OPEN_STATES))
        .order_by(Alert.id.desc())
        .limit(1)
    )


def _recovered(uow: UnitOfWork, alert: Alert, result: health.Result) -> bool:
    base = alert.data.get("baseline") or {}
    if not base:
        return True
    points = uow.config.success.alerts.drop_points or 0
    return health.BAND_RANK[result.band] >= health.BAND_RANK[base["band"]] and result.score > base["score"] - points


async def evaluate(uow: UnitOfWork, acc: Account, day: date, result: health.Result) -> Alert | None:
    """After a recompute: open an alert on a new drop, add new triggers to the open one, or
    resolve it once the account has recovered. Returns the alert when one was opened."""
    cfg = uow.config.success.alerts
    if not cfg.enabled or result.score is None or acc.churned:
        return None
    found, baseline = await triggers(uow, acc, day, result)
    alert = await open_alert(uow, acc.id)
    if alert is not None:
        if found:
            known = {(t["kind"], t.get("measure")) for t in alert.data.get("triggers", [])}
            new = [t for t in found if (t["kind"], t.get("measure")) not in known]
            if new:
                alert.data = {**alert.data, "triggers": [*alert.data.get("triggers", []), *new], "score": result.score, "band": result.band}
                alert.repeats += 1
                alert.updated_at = uow.now()
                await uow.session.flush()
                uow.emit(HealthAlertChanged(alert.id, acc.id, "updated", "system"))
        elif _recovered(uow, alert, result):
            alert.state, alert.updated_at = "resolved", uow.now()
            alert.data = {**alert.data, "resolved_score": result.score, "resolved_band": result.band}
            await uow.session.flush()
            await _stop(uow, alert)
            uow.emit(HealthAlertChanged(alert.id, acc.id, "resolved", "system"))
        return None
    if not found:
        return None
    n = await uow.session.scalar(select(func.count()).select_from(Alert).where(Alert.kind == KIND, Alert.subject == f"account:{acc.id}"))
    now = uow.now()
    data = {
        "account_id": acc.id,
        "day": day.isoformat(),
        "score": result.score,
        "band": result.band,
        "baseline": {"score": baseline.score, "band": baseline.band, "day": baseline.day.isoformat()} if baseline else None,
        "triggers": found,
        "moved": moved(uow.config.success.health, baseline.measures if baseline else None, result.measures),
    }
    alert = Alert(kind=KIND, subject=f"account:{acc.id}", fingerprint=f"{KIND}:{acc.id}:{(n or 0) + 1}",
                  state="open", data=data, created_at=now, updated_at=now)  # fmt: skip
    uow.session.add(alert)
    await uow.session.flush()
    await _start_clock(uow, alert, now)
    uow.emit(HealthAlertRaised(alert.id, acc.id))
    return alert


async def _start_clock(uow: UnitOfWork, alert: Alert, start: datetime) -> None:
    plan = sla.plan(_clock(uow), alert.data, _calendar(uow), as_utc(start))
    alert.data = {**alert.data, "due_at": plan.due_at.isoformat()}
    # The SLA engine's breach timer; jobs/health_alerts.py says what a breach means for an alert.
    await timers.schedule(uow, sla.BREACH, subject(alert.id), plan.due_at, {"due_at": plan.due_at.isoformat()})
    await uow.session.flush()


async def _stop(uow: UnitOfWork, alert: Alert) -> None:
    await sla.stop(uow, subject(alert.id))


def due_at(alert: Alert) -> datetime | None:
    raw = (alert.data or {}).get("due_at")
    return as_utc(datetime.fromisoformat(raw)) if raw else None


# -- decisions from Slack -----------------------------------------------------------------------


@dataclass(frozen=True)
class AlertDecision(Result):
    """acknowledged | snoozed | escalated, allowed (a check), or a refusal (`state`: the state it is already in)."""

    alert: Alert | None = None
    account: Account | None = None
    _: KW_ONLY
    subject: str = "health_alert"


def may_act(uow: UnitOfWork, person: Person | None, acc: Account | None = None) -> bool:
    return permissions.allows("health.act", uow.config, person, acc)


async def load(uow: UnitOfWork, alert_id: int, person: Person | None, allowed: tuple[str, ...]) -> AlertDecision:
    """May this person act on this health alert in its present state? Nothing changes."""
    alert = await uow.session.get(Alert, alert_id)
    if alert is None:
        return AlertDecision(Outcome.NOT_FOUND)
    if alert.kind != KIND:
        return AlertDecision(Outcome.WRONG_KIND)
    acc = await uow.session.get(Account, alert.data.get("account_id"))
    if not may_act(uow, person, acc):
        return AlertDecision(Outcome.NOT_ALLOWED, alert, acc)
    if alert.state not in allowed:
        return AlertDecision(Outcome.ALREADY_DECIDED, alert, acc, state=alert.state)
    return AlertDecision(Outcome.ALLOWED, alert, acc)


async def check_acknowledge(uow: UnitOfWork, alert_id: int, person: Person | None) -> AlertDecision:
    """Before the Acknowledge modal opens."""
    return await load(uow, alert_id, person, ACKNOWLEDGEABLE)


def _ack_errors(uow: UnitOfWork, next_step: str, due: date | None) -> dict[str, str]:
    errors = {}
    if not next_step.strip():
        errors["next_step"] = "success.errors.next_step_required"
    if due is None or due < uow.now().astimezone(_calendar(uow).tz).date():
        errors["due"] = "success.errors.date_not_past"
    return errors


async def acknowledge(uow: UnitOfWork, alert_id: int, person: Person | None, next_step: str, due: date | None) -> AlertDecision:
    """A next step and its date: the alert is acknowledged, its SLA clock stops."""
    errors = _ack_errors(uow, next_step, due)
    if errors:
        return AlertDecision(Outcome.BAD_INPUT, errors=errors)
    d = await load(uow, alert_id, person, ACKNOWLEDGEABLE)
    if not d.ok:
        return d
    a = d.alert
    now = uow.now()
    a.state, a.acknowledged_by, a.acknowledged_at = "acknowledged", person.id, now
    a.next_step, a.next_step_due, a.snoozed_until, a.updated_at = next_step, due, None, now
    await uow.session.flush()
    await _stop(uow, a)
    uow.emit(HealthAlertChanged(a.id, a.data.get("account_id"), "acknowledged", person.id))
    return AlertDecision(Outcome.ACKNOWLEDGED, a, d.account, by=person.id)


async def snooze(uow: UnitOfWork, alert_id: int, person: Person | None) -> AlertDecision:
    """Quiet for the configured snooze; the SLA clock starts again from its end."""
    d = await load(uow, alert_id, person, ("open",))
    if not d.ok:
        return d
    a = d.alert
    until = as_utc(_calendar(uow).add(uow.now(), uow.config.success.alerts.snooze))
    a.state, a.snoozed_until, a.updated_at = "snoozed", until, uow.now()
    await _stop(uow, a)
    await _start_clock(uow, a, until)
    uow.emit(HealthAlertChanged(a.id, a.data.get("account_id"), "snoozed", person.id))
    return AlertDecision(Outcome.SNOOZED, a, d.account, by=person.id)


async def escalate(uow: UnitOfWork, alert_id: int, person: Person | None, *, actor: str | None = None) -> AlertDecision:
    """To the CS manager (DM). `person` None with actor "system": the SLA ran out."""
    if person is None and actor == "system":
        a = await uow.session.get(Alert, alert_id)
        if a is None or a.state not in UNANSWERED:
            return AlertDecision(Outcome.ALREADY_DECIDED, a, state=a.state if a else None)
        d = AlertDecision(Outcome.ALLOWED, a)
    else:
        d = await load(uow, alert_id, person, ("open", "snoozed", "acknowledged"))
        if not d.ok:
            return d
    a = d.alert
    a.state, a.updated_at = "escalated", uow.now()
    a.data = {**a.data, "escalated_by": actor or person.id, "escalated_at": uow.now().isoformat()}
    await uow.session.flush()
    await _stop(uow, a)
    uow.emit(HealthAlertChanged(a.id, a.data.get("account_id"), "escalated", actor or person.id))
    return AlertDecision(Outcome.ESCALATED, a, d.account, by=actor or person.id)


async def refresh(uow: UnitOfWork, acc: Account, day: date) -> health.Result:
    """Recompute the account's health on `day` and raise / update / resolve its drop alert."""
    result = await health.recompute(uow, acc, day)
    if result.score is not None:
        await evaluate(uow, acc, day, result)
    return result
