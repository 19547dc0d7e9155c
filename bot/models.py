"""Database tables. All metrics come from `StageEvent`, the one log of every stage change (the
stage roll-up tables below it are a cache derived from it, rebuildable at any time).

Times are stored as timezone-aware UTC; presentation converts to the team's zone.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from bot.clock import as_utc


class UTCDateTime(TypeDecorator):
    """Aware UTC in, aware UTC out — SQLite would otherwise hand back naive datetimes.

    Migrations use the underlying `DateTime(timezone=True)`; this only changes the Python side.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        return as_utc(value)

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        return as_utc(value)


class Stage(StrEnum):
    """Canonical stage ids of the brief (API responses use exactly these)."""

    lead = "lead"
    mql = "mql"
    sal = "sal"
    sql = "sql"
    opportunity = "opportunity"
    won = "won"
    lost = "lost"
    recycled = "recycled"
    closed = "closed"


def _ts(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


def _new_dict() -> dict[str, Any]:
    # A Python function, not `dict`: pydantic inspects a default factory's signature on every
    # instance, and for a builtin that means parsing its text signature (over half of building a Lead).
    return {}


def _new_list() -> list[Any]:
    return []


def _json(**kw: Any) -> Any:
    return Field(default_factory=_new_dict, sa_column=Column(JSON, **kw))


# SQLite autoincrement needs INTEGER; PostgreSQL gets BIGINT for tables that grow without bound.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class Lead(SQLModel, table=True):
    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("external_id", name="uq_leads_external_id"),
        Index("ix_leads_email", "email"),
        Index("ix_leads_stage_team", "stage", "team_id"),
        Index("ix_leads_owner_stage", "owner_id", "stage"),
        Index("ix_leads_recycle_at", "stage", "recycle_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    external_id: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=300)
    title: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    industry: str | None = Field(default=None, max_length=100)
    employees: int | None = None
    country: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=100)
    campaign: str | None = Field(default=None, max_length=200)
    attributes: dict[str, Any] = _json()
    stage: str = Field(default=Stage.lead, max_length=20)
    score: int = 0
    score_breakdown: list[dict[str, Any]] = Field(default_factory=_new_list, sa_column=Column(JSON))
    team_id: str | None = Field(default=None, max_length=100)
    assignee_id: str | None = Field(default=None, max_length=100)  # who is expected to answer (None: claim)
    owner_id: str | None = Field(default=None, max_length=100)  # who accepted it
    sla_policy: str | None = Field(default=None, max_length=200)
    sla_due_at: datetime | None = _ts()
    mql_at: datetime | None = _ts()
    recycle_at: date | None = None
    recycle_count: int = 0
    is_returning: bool = False  # came back round the recycle loop
    rollup_id: int | None = None  # the burst roll-up whose thread holds this lead's card
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class Activity(SQLModel, table=True):
    """A behaviour event (page view, download, webinar, demo request …) that feeds the score."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("lead_id", "type", "at", name="uq_activity_once"),)

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    lead_id: int = Field(index=True)
    type: str = Field(max_length=100)
    at: datetime = _ts(nullable=False)
    data: dict[str, Any] = _json()


def _occurred_default(context: Any) -> Any:
    # A writer that does not say when it happened (a bulk insert, the demo generator) means "now":
    # business time = record time. Per row, also in an executemany.
    return context.get_current_parameters().get("at")


class StageEvent(SQLModel, table=True):
    """Every transition anywhere in the product: who, when, from, to, why. Metrics read only this.

    Two times: `occurred_at` is when it happened in the business (a close date, an activity time,
    given by the API or an import, validated by `bot.domain.events.check_occurred`); `at` is when
    Baton recorded it. Period figures (bookings, win rates, trends, forecast actuals, funnel) use
    `occurred_at`; SLA response times use `at` (they measure Baton's own hand-offs)."""

    __tablename__ = "stage_events"
    __table_args__ = (
        Index("ix_stage_events_entity", "entity_type", "entity_id", "id"),
        Index("ix_stage_events_to_at", "to_stage", "at"),
        Index("ix_stage_events_team_at", "team_id", "at"),
        Index("ix_stage_events_to_occurred", "to_stage", "occurred_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    entity_type: str = Field(max_length=20)  # lead | opportunity | account
    entity_id: int
    from_stage: str | None = Field(default=None, max_length=30)
    to_stage: str = Field(max_length=30)
    at: datetime = _ts(nullable=False)  # recorded by Baton
    occurred_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False, default=_occurred_default))
    actor: str = Field(max_length=100)  # a person id, or system / api / import
    team_id: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=100)
    note: str | None = None
    data: dict[str, Any] = _json()


class StageDayCount(SQLModel, table=True):
    """Derived cache of `stage_events` (bot/domain/stage_rollup.py): events per day in the roll-up
    zone and key. Rebuildable from stage_events at any time; never written by product code paths.
    NULL key parts are stored as '' so the key can be a primary key (upserts)."""

    __tablename__ = "stage_day_counts"

    day: date = Field(primary_key=True)
    entity_type: str = Field(primary_key=True, max_length=20)
    from_stage: str = Field(primary_key=True, max_length=30)
    to_stage: str = Field(primary_key=True, max_length=30)
    team_id: str = Field(primary_key=True, max_length=100)
    reason: str = Field(primary_key=True, max_length=100)
    n: int = Field(sa_column=Column(BigInteger, nullable=False))


class StageExit(SQLModel, table=True):
    """Derived cache of `stage_events`: for each stage change, how long the entity had been in the
    stage it left (seconds since its last entry into it with a smaller id; NULL: no entry seen)."""

    __tablename__ = "stage_exits"
    # Covering: a median over a window reads the index alone.
    __table_args__ = (Index("ix_stage_exits_move_at", "from_stage", "to_stage", "at", "entity_type", "seconds"),)

    event_id: int = Field(sa_column=Column(_BigId, primary_key=True, autoincrement=False))
    entity_type: str = Field(max_length=20)
    from_stage: str = Field(max_length=30)
    to_stage: str = Field(max_length=30)
    at: datetime = _ts(nullable=False)
    seconds: float | None = None


class StageFold(SQLModel, table=True):
    """How far the derived stage tables have folded `stage_events`: every event with id <= `watermark`
    is in them. `pending_*`: the next watermark, taken once every transaction that might still hold
    a smaller id has ended (PostgreSQL commits ids out of order)."""

    __tablename__ = "stage_fold"

    id: int = Field(default=1, primary_key=True)
    zone: str = Field(max_length=64)  # the roll-up's day boundary; another zone means a rebuild
    watermark: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    pending_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    pending_xmax: int | None = Field(default=None, sa_column=Column(BigInteger))
    updated_at: datetime | None = _ts(nullable=True)


class OutboxMessage(SQLModel, table=True):
    """One Slack Web API write waiting to be delivered: the single way out to Slack.

    `key` names the message a post creates (e.g. ``lead:12:card``) so later updates and thread
    replies can target it before its `ts` is known; `dedupe_key` makes enqueueing idempotent.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),
        Index("ix_outbox_ready", "status", "next_attempt_at"),
        Index("ix_outbox_key", "key"),  # a post's later updates and replies find it by key
        Index("ix_outbox_lane", "lane", "status"),  # a webhook lane's head: its oldest undelivered row
    )

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    method: str = Field(max_length=60)
    payload: dict[str, Any] = _json()
    channel: str | None = Field(default=None, max_length=40)  # for per-channel rate limiting
    key: str | None = Field(default=None, max_length=200)  # message created by this post
    target_key: str | None = Field(default=None, max_length=200)  # message this update/delete targets
    thread_key: str | None = Field(default=None, max_length=200)  # message this post replies under
    dedupe_key: str | None = Field(default=None, max_length=200)
    # Webhooks: rows of one lane (endpoint × record) go out one at a time in id order.
    lane: str | None = Field(default=None, max_length=200)
    status: str = Field(default="pending", max_length=20)  # pending | sending | sent | failed | superseded
    attempts: int = 0
    next_attempt_at: datetime = _ts(nullable=False)
    lease_until: datetime | None = _ts()
    last_error: str | None = None
    created_at: datetime = _ts(nullable=False)
    sent_at: datetime | None = _ts()


class SlackMessage(SQLModel, table=True):
    """Where a keyed message landed in Slack, so `chat.update` targets the original post."""

    __tablename__ = "slack_messages"

    key: str = Field(primary_key=True, max_length=200)
    channel: str = Field(max_length=40)
    ts: str = Field(max_length=40)
    thread_ts: str | None = Field(default=None, max_length=40)
    posted_at: datetime = _ts(nullable=False)


class Rollup(SQLModel, table=True):
    """A burst of MQLs for one channel, shown as one parent message with the cards in its thread."""

    __tablename__ = "rollups"
    __table_args__ = (Index("ix_rollups_channel_started", "channel", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=40)
    team_id: str = Field(max_length=100)
    started_at: datetime = _ts(nullable=False)
    source: str | None = Field(default=None, max_length=100)


class Timer(SQLModel, table=True):
    """A durable moment to act (SLA warning, breach …). Firing is a compare-and-set on `fired_at`."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("kind", "subject", "due_at", name="uq_timer_once"),
        Index("ix_timers_pending", "fired_at", "cancelled_at", "due_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    kind: str = Field(max_length=40)
    subject: str = Field(max_length=100)  # e.g. lead:12
    due_at: datetime = _ts(nullable=False)
    fired_at: datetime | None = _ts()
    cancelled_at: datetime | None = _ts()
    data: dict[str, Any] = _json()


class RoutingCursor(SQLModel, table=True):
    """Round-robin position per team."""

    __tablename__ = "routing_cursors"

    team_id: str = Field(primary_key=True, max_length=100)
    last_person_id: str | None = Field(default=None, max_length=100)


class ProcessedRequest(SQLModel, table=True):
    """Slack delivers events at least once; an id seen here is not processed again."""

    __tablename__ = "processed_requests"

    id: str = Field(primary_key=True, max_length=200)
    received_at: datetime = _ts(nullable=False)


class PersonStatus(SQLModel, table=True):
    """A person's availability set at run time (App Home, `set_away`), on top of `away` in app.yaml.

    Away when `away` is set and `away_until` is empty or still ahead. Routing skips away reps.
    """

    __tablename__ = "person_status"

    person_id: str = Field(primary_key=True, max_length=100)
    away: bool = False
    away_until: datetime | None = _ts()
    set_at: datetime = _ts(nullable=False)
    set_by: str | None = Field(default=None, max_length=100)


# -- pipeline (FS), customers (CS), forecasts, alerts ---------------------------------------------------
from decimal import Decimal  # noqa: E402

from sqlalchemy import Numeric  # noqa: E402


def _money(**kw: Any) -> Any:
    return Field(default=Decimal(0), sa_column=Column(Numeric(18, 2), nullable=False, **kw))


class Opportunity(SQLModel, table=True):
    """A deal worked by Field Sales through phases 1–5 (THE MODEL), with the 7 management items."""

    __tablename__ = "opportunities"
    __table_args__ = (
        UniqueConstraint("external_id", name="uq_opportunities_external_id"),
        Index("ix_opps_status_close", "status", "close_date"),
        Index("ix_opps_owner_status", "owner_id", "status"),
        Index("ix_opps_team_status", "team_id", "status"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    external_id: str | None = Field(default=None, max_length=200)
    name: str = Field(max_length=300)
    account_name: str | None = Field(default=None, max_length=300)
    account_id: int | None = None
    owner_id: str | None = Field(default=None, max_length=100)  # FS rep (AE)
    team_id: str | None = Field(default=None, max_length=100)
    kind: str = Field(default="new", max_length=20)  # new | upsell
    amount: Decimal = _money()
    currency: str = Field(default="JPY", max_length=3)
    close_date: date | None = None
    phase: int = 1  # 1..5
    forecast_category: str = Field(default="pipeline", max_length=20)  # commit | best_case | pipeline | omitted
    category_overridden: bool = False
    next_action: str | None = None
    next_action_due: date | None = None
    key_person: str | None = Field(default=None, max_length=200)
    competitors: str | None = None
    risks: str | None = None
    status: str = Field(default="open", max_length=10)  # open | won | lost
    lost_reason: str | None = Field(default=None, max_length=100)
    closed_at: datetime | None = _ts()
    phase_changed_at: datetime | None = _ts()
    source_lead_id: int | None = None
    handoff_state: str | None = Field(default=None, max_length=20)  # pending | accepted | sent_back (SQL → FS)
    handoff_from: str | None = Field(default=None, max_length=100)  # the IS (or CS) person who handed it over
    notes: dict[str, Any] = _json()  # qualification (BANT) / CS notes from the hand-off
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class Account(SQLModel, table=True):
    """A customer: the first contract is only the entrance; LTV is the goal."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("external_id", name="uq_accounts_external_id"),
        Index("ix_accounts_csm", "csm_id"),
        Index("ix_accounts_renewal", "churned", "renewal_date"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    external_id: str | None = Field(default=None, max_length=200)
    name: str = Field(max_length=300)
    csm_id: str | None = Field(default=None, max_length=100)
    ae_id: str | None = Field(default=None, max_length=100)
    arr: Decimal = _money()
    currency: str = Field(default="JPY", max_length=3)
    contract_start: date | None = None
    renewal_date: date | None = None
    seats: int | None = None
    cs_stage: str = Field(default="onboarding", max_length=20)  # handoff (waiting for the CSM) | onboarding | adoption | renewal
    churned: bool = False
    churned_at: datetime | None = _ts()
    churn_reason: str | None = Field(default=None, max_length=100)
    health_score: int | None = None
    health_band: str | None = Field(default=None, max_length=10)  # green | yellow | red
    source_opportunity_id: int | None = None
    # FS → CS hand-off of a won deal: pending (the CSM has not accepted) | accepted; None: none was timed
    handoff_state: str | None = Field(default=None, max_length=20)
    handoff_due_at: datetime | None = _ts()
    kickoff_on: date | None = None  # the onboarding kickoff the CSM scheduled when accepting
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class UsageSignal(SQLModel, table=True):
    """One usage measure of one account on one day; idempotent per account + date + signal."""

    __tablename__ = "usage_signals"
    __table_args__ = (UniqueConstraint("account_id", "day", "signal", name="uq_signal_once"),)

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    account_id: int = Field(index=True)
    day: date
    signal: str = Field(max_length=50)
    value: float


class HealthSnapshot(SQLModel, table=True):
    """The health score of an account on a day (the maturity curve is read from these)."""

    __tablename__ = "health_snapshots"
    __table_args__ = (UniqueConstraint("account_id", "day", name="uq_health_day"),)

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    account_id: int = Field(index=True)
    day: date
    score: int
    band: str = Field(max_length=10)
    measures: dict[str, Any] = _json()


class Recycle(SQLModel, table=True):
    """Something that left the funnel (rejected MQL, disqualified SAL, sent-back hand-off, lost deal,
    churned customer) and is due back to Marketing/IS on a date. Nothing leaves silently."""

    __tablename__ = "recycles"
    __table_args__ = (Index("ix_recycles_due", "state", "due_date"),)

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    entity_type: str = Field(max_length=20)  # lead | opportunity | account
    entity_id: int
    lead_id: int | None = None  # the lead that re-engages (created for a lost deal / churn when missing)
    reason: str | None = Field(default=None, max_length=100)
    note: str | None = None
    due_date: date
    state: str = Field(default="waiting", max_length=20)  # waiting | re_engaged | closed
    owner_id: str | None = Field(default=None, max_length=100)  # owner of the original record
    team_id: str | None = Field(default=None, max_length=100)  # where it is nudged
    snoozes: int = 0
    created_at: datetime = _ts(nullable=False)
    closed_at: datetime | None = _ts()
    close_reason: str | None = Field(default=None, max_length=100)


class ForecastSubmission(SQLModel, table=True):
    """A rep's (or a manager's team) forecast call for a period, with a snapshot of every deal behind it."""

    __tablename__ = "forecast_submissions"
    __table_args__ = (Index("ix_forecast_person_period", "person_id", "period_kind", "period_start", "submitted_at"),)

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    person_id: str = Field(max_length=100)
    scope: str = Field(default="rep", max_length=10)  # rep | team
    team_id: str | None = Field(default=None, max_length=100)
    period_kind: str = Field(max_length=10)  # month | quarter
    period_start: date
    commit_amount: Decimal = _money()  # "commit" is an SQL keyword
    best_case_amount: Decimal = _money()
    pipeline_amount: Decimal = _money()
    currency: str = Field(default="JPY", max_length=3)
    note: str | None = None
    snapshot: list[dict[str, Any]] = Field(default_factory=_new_list, sa_column=Column(JSON))
    submitted_at: datetime = _ts(nullable=False)


class ForecastAdjustment(SQLModel, table=True):
    """A manager's override of a rep's or the team's number for a period, with the reason. Never
    updated or deleted: the latest row is the adjusted number, the earlier ones are its history."""

    __tablename__ = "forecast_adjustments"
    __table_args__ = (Index("ix_forecast_adjustments_subject", "scope", "subject", "period_kind", "period_start", "adjusted_at"),)

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    scope: str = Field(max_length=10)  # rep | team
    subject: str = Field(max_length=100)  # the rep's id, or the team's id
    team_id: str | None = Field(default=None, max_length=100)  # the team the number rolls up into
    period_kind: str = Field(max_length=10)  # month | quarter
    period_start: date
    from_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2), nullable=True))  # the number it replaced (None: no call yet)
    amount: Decimal = _money()
    currency: str = Field(default="JPY", max_length=3)
    reason: str
    adjusted_by: str = Field(max_length=100)
    adjusted_at: datetime = _ts(nullable=False)


class ForecastMeeting(SQLModel, table=True):
    """One occurrence of a forecast meeting of app.yaml (`forecast.meetings[].id`): opened when its
    prompts go out, marked when the managers' summary is posted. The prompt/summary timers only
    trigger; what the meeting knows lives here and in the two tables below."""

    __tablename__ = "forecast_meetings"
    __table_args__ = (UniqueConstraint("meeting_id", "occurrence", name="uq_forecast_meeting_occurrence"),)

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    meeting_id: str = Field(max_length=100)
    occurrence: datetime = _ts(nullable=False)  # when the meeting starts
    period_kind: str = Field(max_length=10)  # month | quarter
    period_start: date
    prompted_at: datetime = _ts(nullable=False)
    summarised_at: datetime | None = _ts()


class ForecastMeetingBaseline(SQLModel, table=True):
    """What one rep's prompt diffed against, and the rep's deals at the prompt (the next meeting in
    the same period diffs against that snapshot). A row exists for every rep who was prompted."""

    __tablename__ = "forecast_meeting_baselines"

    occurrence_id: int = Field(sa_column=Column(_BigId, primary_key=True, autoincrement=False))
    rep_id: str = Field(primary_key=True, max_length=100)
    baseline: list[dict[str, Any]] = Field(default_factory=_new_list, sa_column=Column(JSON))
    baseline_at: datetime | None = _ts()  # when the baseline was taken (None: nothing before)
    snapshot: list[dict[str, Any]] = Field(default_factory=_new_list, sa_column=Column(JSON))


class ForecastExplanation(SQLModel, table=True):
    """One answer in a rep's Explain-changes form for a meeting: a deal's change (`block` deal_<id>)
    or the overall note. Re-submitting the form replaces the rep's answers for that meeting."""

    __tablename__ = "forecast_explanations"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "rep_id", "block", name="uq_forecast_explanation_answer"),
        Index("ix_forecast_explanations_deal", "opportunity_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    occurrence_id: int = Field(sa_column=Column(_BigId, nullable=False))
    rep_id: str = Field(max_length=100)  # whose prompt it answers
    block: str = Field(max_length=40)  # the form's block: deal_<id> | note
    opportunity_id: int | None = Field(default=None, sa_column=Column(_BigId))  # None: the overall note
    text: str
    written_by: str = Field(max_length=100)
    written_at: datetime = _ts(nullable=False)


class Alert(SQLModel, table=True):
    """A raised alert (health drop, bottleneck …): one row per fingerprint, so repeats roll up."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("fingerprint", name="uq_alert_fingerprint"),
        Index("ix_alerts_kind_state", "kind", "state"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    kind: str = Field(max_length=40)  # health_drop | bottleneck | renewal …
    subject: str = Field(max_length=100)  # e.g. account:12, stage:sal_to_sql
    fingerprint: str = Field(max_length=200)
    state: str = Field(default="open", max_length=20)  # open | acknowledged | snoozed | escalated | resolved
    data: dict[str, Any] = _json()
    repeats: int = 0
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    acknowledged_by: str | None = Field(default=None, max_length=100)
    acknowledged_at: datetime | None = _ts()
    snoozed_until: datetime | None = _ts()
    next_step: str | None = None
    next_step_due: date | None = None


class NotificationPreference(SQLModel, table=True):
    """How a person wants one kind of notification: immediate | digest | off (set from App Home)."""

    __tablename__ = "notification_preferences"

    person_id: str = Field(primary_key=True, max_length=100)
    kind: str = Field(primary_key=True, max_length=40)
    mode: str = Field(default="immediate", max_length=20)
    updated_at: datetime = _ts(nullable=False)


class PersonSettings(SQLModel, table=True):
    """One person's own settings and what Slack told us about them: the working hours they chose in
    App Home (their quiet hours), the zone of their Slack profile, when they first opened App Home."""

    __tablename__ = "person_settings"

    person_id: str = Field(primary_key=True, max_length=100)
    working_hours: str | None = Field(default=None, max_length=20)
    slack_tz: str | None = Field(default=None, max_length=64)
    home_opened_at: datetime | None = _ts(nullable=True)
    updated_at: datetime = _ts(nullable=False)


class HeldNotification(SQLModel, table=True):
    """A notification a person chose to receive in their daily digest instead of immediately."""

    __tablename__ = "held_notifications"
    __table_args__ = (Index("ix_held_person_sent", "person_id", "sent_at"), Index("ix_held_person_link", "person_id", "link_key"))

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    person_id: str = Field(max_length=100)
    kind: str = Field(max_length=40)
    text: str
    link_key: str | None = Field(default=None, max_length=200)  # the notification's identity, if any
    # The DM's buttons (Block Kit elements): the digest shows them, so the item can still be acted on.
    actions: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _ts(nullable=False)
    sent_at: datetime | None = _ts()
