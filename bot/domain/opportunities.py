"""Opportunities: Field Sales deals through THE MODEL's phases 1–5, with the 7 management items.

Stage events for deals: created → ``phase_1``; phase moves ``phase_N`` → ``phase_M``; closing →
``won`` / ``lost`` (subscribers create the customer account, or send the deal to the recycle loop).
Forecast-category moves are logged as entity type ``opportunity.category``.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select

from bot.config import AppConfig, Person
from bot.context import UnitOfWork
from bot.domain import permissions
from bot.domain.amounts import parse_amount
from bot.domain.events import check_occurred, occurred_on, record_transition
from bot.domain.lead_input import MAX_REF, CleanInput, FieldError, find_by_ref, validation_errors
from bot.domain.outcomes import Outcome, Result
from bot.models import Opportunity

PHASES = (1, 2, 3, 4, 5)
CATEGORIES = ("commit", "best_case", "pipeline", "omitted")
# The 7 items THE MODEL asks managers to see on every deal.
SEVEN_ITEMS = ("amount", "close_date", "phase", "next_action", "key_person", "competitors", "risks")
EDITABLE = (
    "name", "account_name", "account_id", "owner_id", "team_id", "kind", "amount", "currency", "close_date",
    "phase", "forecast_category", "next_action", "next_action_due", "key_person", "competitors", "risks",
    "source_lead_id", "notes",
)  # fmt: skip


@dataclass(frozen=True)
class DealUpdated:
    """A deal's fields or status changed (Slack or the API): its cards and App Homes show it again."""

    opportunity_id: int
    actor: str


def phase_stage(phase: int) -> str:
    return f"phase_{phase}"


class OpportunityIn(CleanInput):
    """The opportunity JSON of the public API (a CRM syncs by `external_id`, or names Baton's `id`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: int | None = Field(None, ge=1)
    external_id: str | None = Field(None, max_length=200)
    name: str | None = Field(None, min_length=1, max_length=300)
    account: str | None = Field(None, max_length=300)
    account_id: int | None = Field(None, ge=1, le=MAX_REF)
    owner: str | None = Field(None, max_length=100)  # a person id of app.yaml, or their Slack id
    amount: Decimal | None = Field(None, ge=0, le=Decimal("1e15"))
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    close_date: date | None = None
    phase: int | None = Field(None, ge=1, le=5)
    forecast_category: Literal["commit", "best_case", "pipeline", "omitted"] | None = None
    next_action: str | None = Field(None, max_length=2000)
    next_action_due: date | None = None
    key_person: str | None = Field(None, max_length=200)
    competitors: str | Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=50)] | None = None
    risks: str | None = Field(None, max_length=4000)
    source_lead_id: int | None = Field(None, ge=1, le=MAX_REF)
    kind: Literal["new", "upsell"] | None = None
    status: Literal["open", "won", "lost"] | None = None
    lost_reason: str | None = Field(None, max_length=100)
    phase_change_reason: str | None = Field(None, max_length=500)
    # When the change happened in the CRM (the close, the phase move); default: a closing deal's
    # close_date if it is in the past, else now. Bounded by `check_occurred`.
    occurred_at: datetime | None = None

    @field_validator("external_id", mode="before")
    @classmethod
    def _id_as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("competitors")
    @classmethod
    def _join(cls, v: str | list[str] | None) -> str | None:
        joined = ", ".join(x.strip() for x in v if x.strip()) if isinstance(v, list) else v
        if joined is not None and len(joined) > 2000:
            raise ValueError("at most 2000 characters of competitors")
        return joined


@dataclass
class OpportunityResult:
    ok: bool
    opportunity: Opportunity | None = None
    created: bool = False
    errors: list[FieldError] = field(default_factory=list)
    index: int = 0
    status: int = 422  # the HTTP status of a refusal: 404 no such deal, 409 conflicts with another, 422 bad values

    def as_dict(self) -> dict[str, Any]:
        """One item of an API / import answer (like `/api/leads`)."""
        if not self.ok:
            return {"index": self.index, "ok": False, "errors": [e.as_dict() for e in self.errors]}
        opp = self.opportunity
        return {
            "index": self.index, "ok": True, "created": self.created, "id": opp.id, "external_id": opp.external_id,
            "stage": phase_stage(opp.phase) if opp.status == "open" else opp.status, "owner": opp.owner_id,
            "missing_items": missing_items(opp),
        }  # fmt: skip


class _Rollback(Exception):
    pass


async def upsert_many(uow: UnitOfWork, items: list[Any], *, actor: str = "api") -> list[OpportunityResult]:
    """Each item in its own savepoint: a bad item writes nothing (and announces nothing), the others go on."""
    results = []
    for index, raw in enumerate(items):
        result = OpportunityResult(False)
        try:
            async with uow.savepoint():
                result = await upsert(uow, raw, actor=actor)
                if not result.ok:
                    raise _Rollback
        except _Rollback:
            if result.opportunity is not None:
                # The object was rolled back with its savepoint: do not hand out stale state.
                result.opportunity = None
        result.index = index
        results.append(result)
    return results


def default_category(uow: UnitOfWork, phase: int) -> str:
    return uow.config.pipeline.phase_categories.get(phase, "pipeline")


def resolve_owner(uow: UnitOfWork, owner: str | None) -> str | None:
    if not owner:
        return None
    person = uow.config.person(owner) or uow.config.person_by_slack(owner)
    return person.id if person else None


def check_changes(uow: UnitOfWork, opp: Opportunity | None, changes: dict[str, Any], reason: str | None) -> list[FieldError]:
    """Rules a change must pass; each error names the field. `opp` None means a new deal."""
    errors: list[FieldError] = []
    today = uow.now().astimezone(uow.config.calendar(None).tz).date()
    status = changes.get("status") or (opp.status if opp else "open")
    close = changes.get("close_date", opp.close_date if opp else None)
    if status == "open" and "close_date" in changes and close is not None and close < today:
        errors.append(FieldError("close_date", "is in the past on an open deal"))
    if opp is not None and "phase" in changes and changes["phase"] < opp.phase and not (reason or "").strip():
        errors.append(FieldError("phase", f"moves back from {opp.phase} to {changes['phase']}: give a reason"))
    if "owner_id" in changes and changes["owner_id"] is None:
        errors.append(FieldError("owner", "not a person in app.yaml"))
    if opp is not None and opp.status != "open":
        if status != opp.status:
            errors.append(FieldError("status", f"the deal is already {opp.status}"))
        if "phase" in changes and changes["phase"] != opp.phase:
            errors.append(FieldError("phase", f"the deal is already {opp.status}"))
        return errors
    if status == "lost" and not (changes.get("lost_reason") or (opp.lost_reason if opp else None)):
        errors.append(FieldError("lost_reason", "a lost deal needs a reason"))
    if status == "won":
        if not changes.get("amount", opp.amount if opp else None):
            errors.append(FieldError("amount", "a won deal needs an amount"))
        if close is not None and "close_date" in changes and close > today:
            errors.append(FieldError("close_date", "is after today on a won deal"))
    return errors


async def create(
    uow: UnitOfWork, *, name: str, actor: str, phase: int = 1, external_id: str | None = None, occurred_at: datetime | None = None,
    **values: Any,
) -> Opportunity:
    now = uow.now()
    opp = Opportunity(name=name, external_id=external_id, phase=phase, created_at=now, updated_at=now, phase_changed_at=now)
    opp.currency = uow.config.company.currency
    for key, value in values.items():
        if key in EDITABLE and value is not None:
            setattr(opp, key, value)
    if not values.get("forecast_category"):
        opp.forecast_category = default_category(uow, phase)
    else:
        opp.category_overridden = True
    uow.session.add(opp)
    await uow.session.flush()
    await record_transition(
        uow, "opportunity", opp.id, None, phase_stage(phase), actor=actor, team_id=opp.team_id,
        data={"amount": str(opp.amount), "owner": opp.owner_id, "source_lead": opp.source_lead_id, "kind": opp.kind},
        occurred_at=occurred_at,
    )  # fmt: skip
    return opp


async def update(
    uow: UnitOfWork, opp: Opportunity, changes: dict[str, Any], *, actor: str, reason: str | None = None,
    status: str | None = None, occurred_at: datetime | None = None,
) -> list[FieldError]:
    """Apply validated changes; phase and category moves are events, closing (`status`, checked here
    with the changes: a closing sync may carry a past close date) is `close()`, which checks the lost
    reason it is given. `occurred_at`: when it happened in the business (None: now)."""
    errors = check_changes(uow, opp, changes | ({"status": status} if status else {}), reason)
    if status in ("won", "lost"):
        errors = [e for e in errors if e.field != "lost_reason"]
    if errors:
        return errors
    now = uow.now()
    old_phase, old_category = opp.phase, opp.forecast_category
    for key, value in changes.items():
        if key in EDITABLE:
            setattr(opp, key, value)
    if "forecast_category" in changes:
        opp.category_overridden = changes["forecast_category"] is not None
    if opp.phase != old_phase:
        opp.phase_changed_at = occurred_at or now
        if not opp.category_overridden:
            opp.forecast_category = default_category(uow, opp.phase)
        await record_transition(
            uow, "opportunity", opp.id, phase_stage(old_phase), phase_stage(opp.phase),
            actor=actor, team_id=opp.team_id, reason=reason, data={"amount": str(opp.amount)}, occurred_at=occurred_at,
        )  # fmt: skip
    if opp.forecast_category != old_category:
        await record_transition(
            uow, "opportunity.category", opp.id, old_category, opp.forecast_category, actor=actor, team_id=opp.team_id,
            occurred_at=occurred_at,
        )
    opp.updated_at = now
    await uow.session.flush()
    return []


async def close(
    uow: UnitOfWork, opp: Opportunity, outcome: str, *, actor: str, reason: str | None = None, note: str | None = None,
    occurred_at: datetime | None = None,
) -> list[FieldError]:
    """Won or lost: the last stage event of a deal (won → customer account, lost → recycle loop).
    `closed_at` is when it closed in the business (`occurred_at`), which dates bookings and losses."""
    if opp.status != "open":
        return [FieldError("status", f"the deal is already {opp.status}")]
    if outcome == "lost" and not reason:
        return [FieldError("lost_reason", "a lost deal needs a reason")]
    now = uow.now()
    from_stage = phase_stage(opp.phase)
    opp.status, opp.closed_at, opp.updated_at = outcome, occurred_at or now, now
    if outcome == "lost":
        opp.lost_reason = reason
    today = (occurred_at or now).astimezone(uow.config.calendar(None).tz).date()
    if outcome == "won" and (opp.close_date is None or opp.close_date > today):
        opp.close_date = today  # the planned date becomes the day it was won
    await uow.session.flush()
    await record_transition(
        uow, "opportunity", opp.id, from_stage, outcome, actor=actor, team_id=opp.team_id,
        reason=reason, note=note, data={"amount": str(opp.amount), "currency": opp.currency, "owner": opp.owner_id},
        occurred_at=occurred_at,
    )  # fmt: skip
    return []


def _changes_from(uow: UnitOfWork, data: OpportunityIn) -> dict[str, Any]:
    fields = data.model_fields_set
    changes: dict[str, Any] = {}
    mapping = {"account": "account_name"}
    for name in fields:
        if name in ("id", "external_id", "owner", "status", "lost_reason", "phase_change_reason", "occurred_at"):
            continue
        changes[mapping.get(name, name)] = getattr(data, name)
    if "owner" in fields:
        changes["owner_id"] = resolve_owner(uow, data.owner)
    return changes


def _parse(raw: Any) -> OpportunityIn | OpportunityResult:
    if not isinstance(raw, dict):
        return OpportunityResult(False, errors=[FieldError("(opportunity)", "must be a JSON object")])
    try:
        return OpportunityIn.model_validate(raw)
    except ValidationError as e:
        return OpportunityResult(False, errors=validation_errors(e))


async def _by_external_id(uow: UnitOfWork, external_id: str) -> Opportunity | None:
    return await uow.session.scalar(
        select(Opportunity).where(Opportunity.external_id == external_id).order_by(Opportunity.id).limit(1)
    )


async def handoff_deal(uow: UnitOfWork, lead_id: int) -> Opportunity | None:
    """The deal Baton's own relay made for this lead (the latest not sent back), if any."""
    return await uow.session.scalar(
        select(Opportunity).where(
            Opportunity.source_lead_id == lead_id, Opportunity.kind == "new",
            Opportunity.handoff_state.is_(None) | (Opportunity.handoff_state != "sent_back"),
        ).order_by(Opportunity.id.desc()).limit(1)
    )  # fmt: skip


async def _existing(uow: UnitOfWork, data: OpportunityIn) -> Opportunity | OpportunityResult | None:
    """The deal an upsert names: by Baton `id`, else `external_id`, else the hand-off deal of its
    `source_lead_id` (so a CRM posting the deal of a lead Baton handed off links to it, not a second one)."""
    if data.id is not None:
        opp = await uow.session.get(Opportunity, data.id)
        return opp or OpportunityResult(False, errors=[FieldError("id", "no such opportunity")], status=404)
    opp = await _by_external_id(uow, data.external_id) if data.external_id else None
    if opp is None and data.source_lead_id is not None:
        opp = await handoff_deal(uow, data.source_lead_id)
        if opp is not None and opp.external_id and data.external_id and opp.external_id != data.external_id:
            return OpportunityResult(False, errors=[FieldError(
                "source_lead_id", f"lead {data.source_lead_id} already has deal {opp.id} (external_id {opp.external_id})"
            )], status=409)  # fmt: skip
    return opp


async def _attach_external_id(uow: UnitOfWork, opp: Opportunity, external_id: str | None) -> list[FieldError]:
    """A CRM gives its own id to a deal (one Baton made, or renames its id); one deal per external id."""
    if not external_id or external_id == opp.external_id:
        return []
    other = await _by_external_id(uow, external_id)
    if other is not None and other.id != opp.id:
        return [FieldError("external_id", f"already the external id of deal {other.id}")]
    opp.external_id = external_id
    return []


async def _apply(uow: UnitOfWork, opp: Opportunity, data: OpportunityIn, actor: str) -> OpportunityResult:
    """Change an existing deal: attach the external id, the fields, then close it if `status` says so."""
    errors = await _attach_external_id(uow, opp, data.external_id)
    if errors:
        return OpportunityResult(False, opp, errors=errors, status=409)
    when, errors = _business_time(uow, data, opp)
    if errors:
        return OpportunityResult(False, opp, errors=errors)
    errors = await update(
        uow, opp, _changes_from(uow, data), actor=actor, reason=data.phase_change_reason, status=data.status, occurred_at=when
    )
    if errors:
        return OpportunityResult(False, opp, errors=errors, status=409 if errors[0].field == "status" else 422)
    if data.status in ("won", "lost") and opp.status == "open":
        errors = await close(uow, opp, data.status, actor=actor, reason=data.lost_reason, occurred_at=when)
        if errors:
            return OpportunityResult(False, opp, errors=errors)
    uow.emit(DealUpdated(opp.id, actor))
    return OpportunityResult(True, opp, False)


async def upsert(uow: UnitOfWork, raw: Any, *, actor: str = "api") -> OpportunityResult:
    """`POST /api/opportunities`: create, or update the deal `_existing` finds; closing via `status`."""
    data = _parse(raw)
    if isinstance(data, OpportunityResult):
        return data
    found = await _existing(uow, data)
    if isinstance(found, OpportunityResult):
        return found
    if found is not None:
        return await _apply(uow, found, data, actor)
    if not data.name:
        return OpportunityResult(False, errors=[FieldError("name", "a new opportunity needs a name")])
    changes = _changes_from(uow, data)
    when, errors = _business_time(uow, data, None)
    errors = errors or check_changes(uow, None, changes | ({"status": data.status} if data.status else {}), None)
    if data.status in ("won", "lost"):
        errors = [e for e in errors if e.field != "lost_reason"]  # `close()` checks the reason it is given
    if errors:
        return OpportunityResult(False, errors=errors)
    fs = uow.config.fs_team()
    changes.setdefault("team_id", fs.id if fs else None)
    phase = changes.pop("phase", None) or 1
    name = changes.pop("name")
    opp = await create(uow, name=name, actor=actor, phase=phase, external_id=data.external_id, occurred_at=when, **changes)
    if data.status in ("won", "lost"):
        errors = await close(uow, opp, data.status, actor=actor, reason=data.lost_reason, occurred_at=when)
        if errors:
            return OpportunityResult(False, opp, errors=errors)
    return OpportunityResult(True, opp, True)


async def find(uow: UnitOfWork, ref: str) -> Opportunity | None:
    """A deal named in a URL: Baton id (digits) or external id (`ext:<id>`, or any id not all digits)."""
    return await find_by_ref(uow, Opportunity, ref)


async def patch(uow: UnitOfWork, ref: str, raw: Any, *, actor: str = "api") -> OpportunityResult:
    """`PATCH /api/opportunities/{ref}`: a partial update of one deal, validated as an upsert is."""
    opp = await find(uow, ref)
    if opp is None:
        return OpportunityResult(False, errors=[FieldError("id", "no such opportunity")], status=404)
    data = _parse(raw)
    if isinstance(data, OpportunityResult):
        return data
    if data.id is not None and data.id != opp.id:
        return OpportunityResult(False, opp, errors=[FieldError("id", "differs from the deal in the path")])
    result = OpportunityResult(False)
    try:
        async with uow.savepoint():
            result = await _apply(uow, opp, data, actor)
            if not result.ok:
                raise _Rollback
    except _Rollback:
        result.opportunity = None  # rolled back with its savepoint: nothing stale handed out
    return result


def _business_time(uow: UnitOfWork, data: OpportunityIn, opp: Opportunity | None) -> tuple[datetime | None, list[FieldError]]:
    """When this sync's changes happened: `occurred_at` if given; for a deal being closed, its
    close date if that is in the past (a CRM syncing a deal won last quarter); else now (None).
    A late fact restates the figures of the period it happened in."""
    if data.occurred_at is not None:
        problem = check_occurred(uow, data.occurred_at)
        return (None, [FieldError("occurred_at", problem)]) if problem else (data.occurred_at, [])
    closing = data.status in ("won", "lost") and (opp is None or opp.status == "open")
    if not closing or data.close_date is None:
        return None, []
    if data.close_date > uow.now().astimezone(uow.config.calendar(None).tz).date():
        return None, []  # a planned date not reached: it closed now
    problem = check_occurred(uow, data.close_date)
    return (None, [FieldError("close_date", problem)]) if problem else (occurred_on(uow, data.close_date), [])


def missing_items(opp: Opportunity) -> list[str]:
    """Which of the 7 items are empty (amount 0 counts as missing)."""
    missing = []
    for item in SEVEN_ITEMS:
        value = getattr(opp, item)
        if value in (None, "") or (item == "amount" and not value):
            missing.append(item)
    return missing


def as_dict(opp: Opportunity) -> dict[str, Any]:
    return {
        "id": opp.id,
        "external_id": opp.external_id,
        "name": opp.name,
        "account": opp.account_name,
        "account_id": opp.account_id,
        "owner": opp.owner_id,
        "team": opp.team_id,
        "kind": opp.kind,
        "amount": str(Decimal(opp.amount or 0).quantize(Decimal("0.01"))),  # as read back from the database
        "currency": opp.currency,
        "close_date": opp.close_date.isoformat() if opp.close_date else None,
        "phase": opp.phase,
        "stage": phase_stage(opp.phase) if opp.status == "open" else opp.status,
        "forecast_category": opp.forecast_category,
        "next_action": opp.next_action,
        "next_action_due": opp.next_action_due.isoformat() if opp.next_action_due else None,
        "key_person": opp.key_person,
        "competitors": opp.competitors,
        "risks": opp.risks,
        "status": opp.status,
        "lost_reason": opp.lost_reason,
        "source_lead_id": opp.source_lead_id,
        "handoff_state": opp.handoff_state,
        "missing_items": missing_items(opp),
    }


# -- the Update deal modal -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealResult(Result):
    """saved (or allowed: the modal may open), or a refusal; `errors` by the modal's block ids."""

    opportunity: Opportunity | None = None
    _: KW_ONLY
    subject: str = "deal"


@dataclass(frozen=True)
class DealForm:
    """What the Update deal modal sent, as typed. Empty means unchanged: Slack sends the initial
    values back, so only what the owner edited differs from the deal."""

    phase: str | None = None
    close_date: str | None = None
    next_action_due: str | None = None
    amount: str | None = None
    texts: dict[str, str | None] = field(default_factory=dict)  # next_action, key_person, competitors, risks
    phase_reason: str | None = None


FORM_TEXTS = ("next_action", "key_person", "competitors", "risks")
# check_changes' field → the modal block its error shows under, and the words for it
_FORM_ERRORS = {"close_date": ("close_date", "pl_err_past_close"), "phase": ("phase_reason", "pl_err_back_reason")}


def may_edit(config: AppConfig, opp: Opportunity, person: Person | None) -> bool:
    return permissions.allows("deal.edit", config, person, opp)


async def check_edit(uow: UnitOfWork, opp_id: int, person: Person | None) -> DealResult:
    opp = await uow.session.get(Opportunity, opp_id)
    if opp is None:
        return DealResult(Outcome.NOT_FOUND)
    if not may_edit(uow.config, opp, person):
        return DealResult(Outcome.NOT_ALLOWED, opp)
    if opp.status != "open":  # a won or lost deal is history: a forged or stale Update button changes nothing
        return DealResult(Outcome.ALREADY_DECIDED, opp, state=opp.status)
    return DealResult(Outcome.ALLOWED, opp)


def _form_changes(opp: Opportunity, form: DealForm) -> tuple[dict[str, Any], dict[str, str]]:
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if form.phase and form.phase.isdecimal() and len(form.phase) == 1 and int(form.phase) != opp.phase:
        changes["phase"] = int(form.phase)
    for f in ("close_date", "next_action_due"):
        raw = getattr(form, f)
        if raw:
            try:
                d = date.fromisoformat(raw)
            except ValueError:
                errors[f] = "pl_err_amount"
                continue
            if d != getattr(opp, f):
                changes[f] = d
    try:
        amount = parse_amount(form.amount)
    except ValueError:
        errors["amount"] = "pl_err_amount"
    else:
        if amount is not None and amount != opp.amount:
            changes["amount"] = amount
    for f in FORM_TEXTS:
        v = form.texts.get(f)
        if v and v != (getattr(opp, f) or ""):
            changes[f] = v
    return changes, errors


async def edit(uow: UnitOfWork, opp_id: int, person: Person | None, form: DealForm) -> DealResult:
    check = await check_edit(uow, opp_id, person)
    if not check.ok:
        return check
    opp = check.opportunity
    changes, errors = _form_changes(opp, form)
    if not errors and changes:
        for e in check_changes(uow, opp, changes, form.phase_reason):
            block, key = _FORM_ERRORS.get(e.field, (e.field if e.field in ("amount", "next_action_due") else "phase", "pl_err_invalid"))
            errors[block] = key
    if errors:
        return DealResult(Outcome.BAD_INPUT, opp, errors=errors)
    if changes:
        await update(uow, opp, changes, actor=person.id, reason=form.phase_reason)
        uow.emit(DealUpdated(opp.id, person.id))
    return DealResult(Outcome.SAVED, opp, by=person.id)


# -- Close won / Close lost (the deal's card, App Home) ------------------------------------------------


def lost_reasons(config: AppConfig) -> list[str]:
    """The reasons a rep picks when a deal is lost: those with a recycle rule, then `other`."""
    return [*config.relay.lost_rules, *(["other"] if "other" not in config.relay.lost_rules else [])]


async def check_close(uow: UnitOfWork, opp_id: int, person: Person | None) -> DealResult:
    """Before the Close won / Close lost modal opens: this person's deal, and still open? Nothing changes."""
    check = await check_edit(uow, opp_id, person)
    if check.ok and check.opportunity.status != "open":
        return DealResult(Outcome.ALREADY_DECIDED, check.opportunity, state=check.opportunity.status)
    return check


async def close_won(uow: UnitOfWork, opp_id: int, person: Person | None, amount: str | None, close_date: str | None) -> DealResult:
    """Won with its final amount and the day it was won (default today): the customer is handed to CS."""
    errors: dict[str, str] = {}
    try:
        value = parse_amount(amount)
    except ValueError:
        value = None
    if not value:
        errors["amount"] = "deals.err_won_amount"
    try:
        day = date.fromisoformat(close_date) if close_date else None
    except ValueError:
        day, errors["close_date"] = None, "deals.err_won_date"
    if day is not None and day > uow.now().astimezone(uow.config.calendar(None).tz).date():
        errors["close_date"] = "deals.err_won_future"
    if errors:
        return DealResult(Outcome.BAD_INPUT, errors=errors)
    check = await check_close(uow, opp_id, person)
    if not check.ok:
        return check
    opp = check.opportunity
    changes = {"amount": value, **({"close_date": day} if day else {})}
    bad = await update(uow, opp, changes, actor=person.id, status="won")
    if bad:
        return DealResult(Outcome.BAD_INPUT, opp, errors={e.field: "pl_err_invalid" for e in bad})
    await close(uow, opp, "won", actor=person.id)
    uow.emit(DealUpdated(opp.id, person.id))
    return DealResult(Outcome.WON, opp, by=person.id)


async def close_lost(uow: UnitOfWork, opp_id: int, person: Person | None, reason: str | None, note: str | None) -> DealResult:
    """Lost with a reason: the deal goes round the recycle loop by that reason's rule."""
    if reason not in lost_reasons(uow.config):
        return DealResult(Outcome.BAD_INPUT, errors={"reason": "errors.reason_required"})
    check = await check_close(uow, opp_id, person)
    if not check.ok:
        return check
    opp = check.opportunity
    await close(uow, opp, "lost", actor=person.id, reason=reason, note=(note or "").strip() or None)
    uow.emit(DealUpdated(opp.id, person.id))
    return DealResult(Outcome.LOST, opp, by=person.id)
