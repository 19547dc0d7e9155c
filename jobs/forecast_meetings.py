"""Forecast meetings: before each occurrence of a meeting's rule, every participant gets a DM with
their diff since the last meeting (Explain changes / Submit forecast), and later the managers'
channel gets one summary.

Exactly once by construction: each occurrence is two durable timers (prompt, summary) keyed by
(kind, meeting:occurrence, due_at) — scheduling them again is a no-op, firing is a compare-and-set
— and every post carries an outbox dedupe key with the occurrence. The daily `forecast_meetings`
job (four times a day, and every fired prompt) arms the occurrences of the next two weeks; a restart loses nothing
because the timers are rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.config_sections.forecast import occurrences
from bot.context import Context, UnitOfWork
from bot.domain import forecast as fc
from bot.domain import timers
from bot.models import Timer
from bot.notify import forecast as nf
from bot.scheduler import Cron, job, on_timer

HORIZON = timedelta(days=14)


def subject(meeting_id: str, occurrence: datetime) -> str:
    return f"forecast:{meeting_id}:{occurrence.isoformat()}"


async def arm(uow: UnitOfWork, now: datetime) -> int:
    """Arm the prompt and summary timers of every occurrence in the next two weeks (idempotent)."""
    tz = fc.tz(uow)
    armed = 0
    for m in uow.config.forecast.meetings:
        for occ in occurrences(m, tz, now, now + HORIZON):
            data = {"meeting": m.id, "occurrence": occ.isoformat()}
            await timers.schedule(uow, "forecast_prompt", subject(m.id, occ), occ - timedelta(minutes=m.lead_time), data)
            await timers.schedule(uow, "forecast_summary", subject(m.id, occ), occ - timedelta(minutes=m.summary_before), data)
            armed += 1
    return armed


@job(
    "forecast_meetings",
    schedule=lambda config: [
        Cron(hour=h, minute=5, timezone=config.company.timezone, day_of_week="mon-sun", working_days_only=False) for h in (0, 6, 12, 18)
    ] if config.forecast.meetings else [],
)  # fmt: skip
async def plan(ctx: Context, now: datetime) -> int:
    async with ctx.uow() as uow:
        return await arm(uow, now)


async def _previous_prompt(uow: UnitOfWork, meeting_id: str, before: datetime) -> Timer | None:
    return await uow.session.scalar(
        select(Timer)
        .where(Timer.kind == "forecast_prompt", Timer.subject.like(f"forecast:{meeting_id}:%"), Timer.due_at < before, Timer.fired_at.is_not(None))
        .order_by(Timer.due_at.desc())
        .limit(1)
    )


@on_timer("forecast_prompt")
async def prompt(uow: UnitOfWork, timer: Timer) -> None:
    meeting = uow.config.forecast.meeting((timer.data or {}).get("meeting", ""))
    if meeting is None:
        return  # removed from app.yaml since it was armed
    occurrence = datetime.fromisoformat(timer.data["occurrence"])
    now = uow.now()
    await arm(uow, now)  # keep the chain going even if the daily job did not run
    if now >= occurrence:
        return  # the meeting has started (the bot was down): a late prompt helps nobody
    row = await uow.session.get(Timer, timer.id)
    prev = await _previous_prompt(uow, meeting.id, timer.due_at)
    prev_data: dict[str, Any] = (prev.data or {}) if prev else {}
    p = fc.period(uow, meeting.period)
    baselines, baseline_at, snapshots = {}, {}, {}
    for rep in nf.meeting_participants(uow, meeting):
        if prev_data.get("period_start") == p.start.isoformat() and rep in (prev_data.get("snapshots") or {}):
            base, at = prev_data["snapshots"][rep], prev_data.get("at")
        else:  # first meeting of the period: since the rep's last submission
            sub = await fc.last_submission(uow, rep, meeting.period, p.start, before=now)
            base = [d for d in sub.snapshot if d.get("owner") == rep] if sub else []
            at = sub.submitted_at.isoformat() if sub else None
        res = await fc.diff_for(uow, [rep], meeting.period, baseline=base, baseline_at=datetime.fromisoformat(at) if at else None)
        baselines[rep], baseline_at[rep] = base, at
        snapshots[rep] = await fc.snapshot(uow, [rep], p.start)
        await nf.send_prompt(uow, meeting, occurrence, rep, res, timer.id)
    row.data = {
        **(row.data or {}), "period": meeting.period, "period_start": p.start.isoformat(), "at": now.isoformat(),
        "baselines": baselines, "baseline_at": baseline_at, "snapshots": snapshots,
    }  # fmt: skip


@on_timer("forecast_summary")
async def summary(uow: UnitOfWork, timer: Timer) -> None:
    meeting = uow.config.forecast.meeting((timer.data or {}).get("meeting", ""))
    if meeting is None:
        return
    occurrence = datetime.fromisoformat(timer.data["occurrence"])
    if uow.now() >= occurrence + timedelta(hours=1):
        return  # long past: the meeting is over
    prompt_row = await uow.session.scalar(
        select(Timer).where(Timer.kind == "forecast_prompt", Timer.subject == timer.subject)
    )
    await nf.send_summary(uow, meeting, occurrence, (prompt_row.data or {}) if prompt_row else {})
