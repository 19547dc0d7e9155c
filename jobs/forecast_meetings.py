"""Forecast meetings: before each occurrence of a meeting's rule, every participant gets a DM with
their diff since the last meeting (Explain changes / Submit forecast), and later the managers'
channel gets one summary.

Exactly once by construction: each occurrence is two durable timers (prompt, summary) keyed by
(kind, meeting:occurrence, due_at) — scheduling them again is a no-op, firing is a compare-and-set
— and every post carries an outbox dedupe key with the occurrence. The daily `forecast_meetings`
job (four times a day, and every fired prompt) arms the occurrences of the next two weeks; a restart loses nothing
because the timers are rows. The timers only trigger (their data: meeting and occurrence); what a
meeting knows — baselines, snapshots, explanations — is in bot/domain/forecast_meetings.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.config_sections.forecast import occurrences
from bot.context import Context, UnitOfWork
from bot.domain import forecast as fc
from bot.domain import forecast_meetings as fm
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
            await timers.schedule(uow, "forecast_over", subject(m.id, occ), occ + fm.OVER_AFTER, data)
            armed += 1
    return armed


async def prompt_now(ctx: Context, now: datetime) -> dict[str, Any]:
    """An admin's "run now": arm as usual, and prompt each meeting's next occurrence at once (the
    participants get their DM now instead of `lead_time` before; the summary keeps its time)."""
    out: dict[str, Any] = {"armed": 0, "prompted": []}
    async with ctx.uow() as uow:
        out["armed"] = await arm(uow, now)
        for m in uow.config.forecast.meetings:
            nxt = next(iter(occurrences(m, fc.tz(uow), now, now + HORIZON)), None)
            if nxt is None:
                continue
            reps = await _prompt(uow, m, nxt)
            out["prompted"].append({"meeting": m.id, "occurrence": nxt.isoformat(), "reps": reps,
                                    "already": reps is None})  # fmt: skip
    return out


@job(
    "forecast_meetings",
    schedule=lambda config: [
        Cron(hour=h, minute=5, timezone=config.company.timezone, day_of_week="mon-sun", working_days_only=False) for h in (0, 6, 12, 18)
    ] if config.forecast.meetings else [],
    on_demand=prompt_now,
)  # fmt: skip
async def plan(ctx: Context, now: datetime) -> int:
    async with ctx.uow() as uow:
        return await arm(uow, now)


async def _prompt(uow: UnitOfWork, meeting: Any, occurrence: datetime) -> list[str] | None:
    """Open the occurrence and DM each participant their diff; None when it was prompted already."""
    opened = await fm.open_occurrence(uow, meeting.id, occurrence, meeting.period, nf.meeting_participants(uow, meeting))
    if opened is None:
        return None
    for b in opened.baselines:
        res = await fc.diff_for(uow, [b.rep], meeting.period, baseline=b.deals, baseline_at=b.at)
        await nf.send_prompt(uow, meeting, occurrence, b.rep, res, opened.occurrence.id)
    return [b.rep for b in opened.baselines]


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
    await _prompt(uow, meeting, occurrence)  # None: prompted already (another prompt timer, or on demand)


@on_timer("forecast_summary")
async def summary(uow: UnitOfWork, timer: Timer) -> None:
    meeting = uow.config.forecast.meeting((timer.data or {}).get("meeting", ""))
    if meeting is None:
        return
    occurrence = datetime.fromisoformat(timer.data["occurrence"])
    if uow.now() >= occurrence + fm.OVER_AFTER:
        return  # long past: the meeting is over
    occ = await fm.find(uow, meeting.id, occurrence)
    await nf.send_summary(uow, meeting, occurrence, occ)
    if occ is not None:
        await fm.mark_summarised(uow, occ.id)


@on_timer("forecast_over")
async def over(uow: UnitOfWork, timer: Timer) -> None:
    """The meeting is over: its prompts lose their buttons (answers are no longer taken)."""
    meeting = uow.config.forecast.meeting((timer.data or {}).get("meeting", ""))
    if meeting is not None:
        await nf.close_prompts(uow, meeting, datetime.fromisoformat(timer.data["occurrence"]))
