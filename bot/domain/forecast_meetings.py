"""Forecast meetings: one occurrence of a meeting of app.yaml (`forecast.meetings`), what each rep's
prompt diffed against, and the reps' explanations for the managers' summary.

An occurrence is opened when its prompts go out (jobs/forecast_meetings.py decides when; the
timers only trigger). No Slack here: plain values in, plain results out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain.outcomes import Outcome, Result
from bot.models import ForecastExplanation, ForecastMeeting, ForecastMeetingBaseline

# A meeting is over this long after it starts: no summary is posted, no answer is taken.
OVER_AFTER = timedelta(hours=1)
ANSWER_CHARS = 1000
# The Explain-changes form (templates/forecast_explain_modal.json.j2): up to 20 deals and one note.
BLOCK = re.compile(r"deal_(\d{1,18})|note")
MAX_ANSWERS = 21
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Occurrence:
    id: int
    meeting_id: str
    occurrence: datetime  # when the meeting starts
    period_kind: str
    period_start: date
    prompted_at: datetime
    summarised_at: datetime | None


@dataclass(frozen=True)
class Baseline:
    rep: str
    deals: list[dict[str, Any]]  # what the rep's prompt diffed against
    at: datetime | None  # when that was taken (None: nothing before, everything is new)
    snapshot: list[dict[str, Any]]  # the rep's deals at the prompt


@dataclass(frozen=True)
class Opened:
    occurrence: Occurrence
    baselines: list[Baseline] = field(default_factory=list)


@dataclass(frozen=True)
class Explanation:
    rep: str
    block: str  # deal_<id> | note
    opportunity_id: int | None  # None: the overall note
    text: str
    written_by: str
    written_at: datetime


@dataclass(frozen=True)
class ExplainResult(Result):
    """saved, or bad input (nothing written) / not found / not allowed (not the prompted rep) / expired (the meeting is over)."""

    saved: int = 0
    late: bool = False  # saved after the summary was posted: the managers will not read it there
    _: KW_ONLY
    subject: str = "forecast_meeting"


@dataclass(frozen=True)
class PromptDiff(Result):
    """allowed (with the rep's prompt diff), or a refusal, before the Explain form opens."""

    diff: fc.DiffResult | None = None
    _: KW_ONLY
    subject: str = "forecast_form"


def _occurrence(row: ForecastMeeting) -> Occurrence:
    return Occurrence(row.id, row.meeting_id, row.occurrence, row.period_kind, row.period_start, row.prompted_at, row.summarised_at)


def _baseline(row: ForecastMeetingBaseline) -> Baseline:
    return Baseline(row.rep_id, list(row.baseline or []), row.baseline_at, list(row.snapshot or []))


def _valid_id(occurrence_id: Any) -> bool:
    return isinstance(occurrence_id, int) and not isinstance(occurrence_id, bool) and 0 < occurrence_id <= _MAX_ID


def is_over(occ: Occurrence, now: datetime) -> bool:
    return now >= occ.occurrence + OVER_AFTER


# -- reads -------------------------------------------------------------------------------------------------
async def get(uow: UnitOfWork, occurrence_id: int) -> Occurrence | None:
    row = await uow.session.get(ForecastMeeting, occurrence_id) if _valid_id(occurrence_id) else None
    return _occurrence(row) if row else None


async def find(uow: UnitOfWork, meeting_id: str, occurrence: datetime) -> Occurrence | None:
    row = await uow.session.scalar(
        select(ForecastMeeting).where(ForecastMeeting.meeting_id == meeting_id, ForecastMeeting.occurrence == occurrence)
    )
    return _occurrence(row) if row else None


async def previous_occurrence(uow: UnitOfWork, meeting_id: str, before: datetime) -> Occurrence | None:
    """The last occurrence of the meeting before `before` whose prompts went out."""
    row = await uow.session.scalar(
        select(ForecastMeeting)
        .where(ForecastMeeting.meeting_id == meeting_id, ForecastMeeting.occurrence < before)
        .order_by(ForecastMeeting.occurrence.desc())
        .limit(1)
    )
    return _occurrence(row) if row else None


async def baselines(uow: UnitOfWork, occurrence_id: int) -> dict[str, Baseline]:
    """Every prompted rep's baseline, by rep."""
    rows = await uow.session.scalars(select(ForecastMeetingBaseline).where(ForecastMeetingBaseline.occurrence_id == occurrence_id))
    return {r.rep_id: _baseline(r) for r in rows}


async def explanations_for(
    uow: UnitOfWork, occurrence_id: int | None, *, rep: str | None = None, opportunity_id: int | None = None
) -> list[Explanation]:
    """The answers given for an occurrence (every occurrence with None), in the order of the form;
    narrowed to one rep and/or one deal."""
    e = ForecastExplanation
    q = select(e)
    if occurrence_id is not None:
        q = q.where(e.occurrence_id == occurrence_id)
    if rep is not None:
        q = q.where(e.rep_id == rep)
    if opportunity_id is not None:
        q = q.where(e.opportunity_id == opportunity_id)
    rows = await uow.session.scalars(q.order_by(e.occurrence_id, e.id))
    return [Explanation(r.rep_id, r.block, r.opportunity_id, r.text, r.written_by, r.written_at) for r in rows]


async def prompt_diff(uow: UnitOfWork, occurrence_id: int, rep: str) -> fc.DiffResult | None:
    """A rep's prompt diff as it is now (same baseline); None when the rep had no such prompt."""
    occ = await get(uow, occurrence_id)
    row = await uow.session.get(ForecastMeetingBaseline, (occurrence_id, rep)) if occ else None
    if row is None:
        return None
    b = _baseline(row)
    return await fc.diff_for(uow, [rep], occ.period_kind, baseline=b.deals, baseline_at=b.at)


async def explain_form(uow: UnitOfWork, occurrence_id: int, person: str | None, rep: str) -> PromptDiff:
    """What the Explain-changes form asks about: only the prompted rep, only until the meeting is over."""
    if person is None or person != rep:
        return PromptDiff(Outcome.NOT_ALLOWED)
    occ = await get(uow, occurrence_id)
    if occ is None:
        return PromptDiff(Outcome.NOT_FOUND)
    if is_over(occ, uow.now()):
        return PromptDiff(Outcome.EXPIRED)
    res = await prompt_diff(uow, occ.id, rep)
    return PromptDiff(Outcome.ALLOWED, res) if res is not None else PromptDiff(Outcome.NOT_ALLOWED)


# -- writes ------------------------------------------------------------------------------------------------
async def open_occurrence(uow: UnitOfWork, meeting_id: str, occurrence: datetime, period_kind: str, reps: list[str]) -> Opened | None:
    """Record an occurrence as its prompts go out, with each rep's baseline: the rep's snapshot at
    the previous meeting when that was in the same period, else the rep's last submission for the
    period. None when the occurrence was opened already (a second prompt timer of it)."""
    now = uow.now()
    p = fc.period(uow, period_kind)
    prev = await previous_occurrence(uow, meeting_id, occurrence)
    same_period = prev is not None and (prev.period_kind, prev.period_start) == (period_kind, p.start)
    prev_base = await baselines(uow, prev.id) if same_period else {}
    insert = {"sqlite": sqlite_insert, "postgresql": pg_insert}[uow.session.bind.dialect.name]
    occ_id = await uow.session.scalar(
        insert(ForecastMeeting)
        .values(meeting_id=meeting_id, occurrence=occurrence, period_kind=period_kind, period_start=p.start, prompted_at=now)
        .on_conflict_do_nothing(index_elements=["meeting_id", "occurrence"])
        .returning(ForecastMeeting.id)
    )
    if occ_id is None:
        return None
    out: list[Baseline] = []
    for rep in reps:
        if rep in prev_base:
            base, at = prev_base[rep].snapshot, prev.prompted_at
        else:  # first meeting of the period: since the rep's last submission
            sub = await fc.last_submission(uow, rep, period_kind, p.start, before=now)
            base = [d for d in sub.snapshot if d.get("owner") == rep] if sub else []
            at = sub.submitted_at if sub else None
        b = Baseline(rep, base, at, await fc.snapshot(uow, [rep], p.start))
        uow.session.add(ForecastMeetingBaseline(occurrence_id=occ_id, rep_id=rep, baseline=b.deals, baseline_at=b.at, snapshot=b.snapshot))
        out.append(b)
    await uow.session.flush()
    return Opened(Occurrence(occ_id, meeting_id, occurrence, period_kind, p.start, now, None), out)


async def mark_summarised(uow: UnitOfWork, occurrence_id: int) -> None:
    await uow.session.execute(
        update(ForecastMeeting).where(ForecastMeeting.id == occurrence_id, ForecastMeeting.summarised_at.is_(None)).values(summarised_at=uow.now())
    )


async def record_explanation(uow: UnitOfWork, occurrence_id: int | None, person: str | None, answers: Mapping[str, Any]) -> ExplainResult:
    """Keep a rep's answers to their Explain-changes form (block → text), replacing what they gave
    before for this occurrence. Only the rep the prompt was for, and only until the meeting is over;
    a refusal changes nothing. Blocks the form does not have are ignored."""
    given: dict[str, str] = {}
    for block, text in answers.items():
        if isinstance(block, str) and BLOCK.fullmatch(block) and isinstance(text, str) and text.strip():
            given[block] = text.strip()[:ANSWER_CHARS]
            if len(given) == MAX_ANSWERS:
                break
    if not given:
        return ExplainResult(Outcome.BAD_INPUT, errors={"note": "forecast.explain.empty"})
    occ = await get(uow, occurrence_id) if occurrence_id is not None else None
    if occ is None:
        return ExplainResult(Outcome.NOT_FOUND)
    # The rep's baseline row is the proof the prompt was theirs, and locks their answers: two
    # submissions of one form (a double click) replace each other instead of colliding.
    prompted = person is not None and await uow.session.scalar(
        select(ForecastMeetingBaseline.rep_id)
        .where(ForecastMeetingBaseline.occurrence_id == occ.id, ForecastMeetingBaseline.rep_id == person)
        .with_for_update()
    )
    if not prompted:
        return ExplainResult(Outcome.NOT_ALLOWED)
    now = uow.now()
    if is_over(occ, now):
        return ExplainResult(Outcome.EXPIRED)
    e = ForecastExplanation
    await uow.session.execute(delete(e).where(e.occurrence_id == occ.id, e.rep_id == person))
    uow.session.add_all(
        e(occurrence_id=occ.id, rep_id=person, block=block, opportunity_id=int(m.group(1)) if (m := BLOCK.fullmatch(block)) and m.group(1) else None,
          text=text, written_by=person, written_at=now)
        for block, text in given.items()
    )  # fmt: skip
    await uow.session.flush()
    return ExplainResult(Outcome.SAVED, len(given), late=occ.summarised_at is not None, by=person)
