"""Customer accounts: created from won deals, the API or CSV; usage signals; CS stage and churn.

CS stage changes and churn are stage events of entity ``account`` (``onboarding`` → ``adoption`` →
``renewal``; ``churned`` with a reason — the recycle loop subscribes to that one). A won upsell
adds its amount to the account's ARR.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import KW_ONLY, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.config import Person
from bot.context import UnitOfWork, subscribe
from bot.domain import cs_handoff, health, opportunities, permissions, relay
from bot.domain.amounts import parse_amount
from bot.domain.events import StageChanged, check_occurred, occurred_on, record_transition
from bot.domain.health_alerts import refresh
from bot.domain.outcomes import Outcome, Result
from bot.domain.lead_input import CleanInput, FieldError, business_time, find_by_ref, validation_errors
from bot.domain.routing import next_rep
from bot.models import Account, Opportunity, UsageSignal

CS_STAGES = ("onboarding", "adoption", "renewal")


@dataclass(frozen=True)
class AccountUpdated:
    """An account was created or changed through the API or CSV (integrations tell the CRM)."""

    account_id: int
    actor: str


def today(uow: UnitOfWork) -> date:
    team = uow.config.cs_team()
    return uow.now().astimezone(uow.config.team_calendar(team.id if team else None).tz).date()


def won_on(uow: UnitOfWork, opp: Opportunity) -> date:
    """The day the deal was won, in business time (a deal synced late as won months ago became a
    customer then: its contract and renewal date count from that day), else today."""
    if opp.closed_at is None:
        return today(uow)
    team = uow.config.cs_team()
    return opp.closed_at.astimezone(uow.config.team_calendar(team.id if team else None).tz).date()


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (2026-01-31 + 1 → 2026-02-28)."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, min(d.day, _cal.monthrange(y, m)[1]))


# -- accounts -----------------------------------------------------------------------------------


class AccountIn(CleanInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: str | None = Field(None, min_length=1, max_length=200)
    name: str | None = Field(None, min_length=1, max_length=300)
    csm: str | None = Field(None, max_length=100)  # person id or Slack id
    ae: str | None = Field(None, max_length=100)
    arr: Decimal | None = Field(None, ge=0, le=Decimal("1e15"))
    mrr: Decimal | None = Field(None, ge=0, le=Decimal("1e14"))
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    contract_start: date | None = None
    renewal_date: date | None = None
    seats: int | None = Field(None, ge=0, le=10_000_000)
    cs_stage: Literal["onboarding", "adoption", "renewal"] | None = None
    kickoff_on: date | None = None  # with cs_stage onboarding: accepts a pending CS hand-off
    churned: bool | None = None
    churn_reason: str | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _one_of_arr_mrr(self) -> AccountIn:
        if self.arr is not None and self.mrr is not None and self.arr != self.mrr * 12:
            raise ValueError("give arr or mrr, not two that disagree")
        return self


@dataclass
class AccountResult:
    index: int
    ok: bool
    account: Account | None = None
    created: bool = False
    errors: list[FieldError] = field(default_factory=list)
    status: int = 422  # the HTTP status of a refusal (404 no such account, 409 external id of another)

    def as_dict(self) -> dict[str, Any]:
        if not self.ok:
            return {"index": self.index, "ok": False, "errors": [e.as_dict() for e in self.errors]}
        return {"index": self.index, "ok": True, "created": self.created, **as_dict(self.account)}


def _person(uow: UnitOfWork, ref: str | None) -> str | None:
    p = uow.config.person(ref) or uow.config.person_by_slack(ref)
    return p.id if p else None


async def change_stage(uow: UnitOfWork, account: Account, to: str, *, actor: str, reason: str | None = None) -> bool:
    if account.cs_stage == to or account.churned:
        return False
    old = account.cs_stage
    account.cs_stage, account.updated_at = to, uow.now()
    await uow.session.flush()
    await record_transition(uow, "account", account.id, old, to, actor=actor, team_id=_team_id(uow), reason=reason)
    return True


def _team_id(uow: UnitOfWork) -> str | None:
    team = uow.config.cs_team()
    return team.id if team else None


async def create(uow: UnitOfWork, *, name: str, actor: str, **values: Any) -> Account:
    now = uow.now()
    acc = Account(name=name, created_at=now, updated_at=now, currency=uow.config.company.currency)
    for k, v in values.items():
        if v is not None:
            setattr(acc, k, v)
    uow.session.add(acc)
    await uow.session.flush()
    await record_transition(
        uow, "account", acc.id, None, acc.cs_stage, actor=actor, team_id=_team_id(uow),
        data={"arr": str(acc.arr), "csm": acc.csm_id, "ae": acc.ae_id, "source_opportunity": acc.source_opportunity_id},
    )  # fmt: skip
    return acc


async def _upsert_one(uow: UnitOfWork, index: int, raw: Any, actor: str, target: Account | None = None) -> AccountResult:
    if not isinstance(raw, dict):
        return AccountResult(index, False, errors=[FieldError("(account)", "must be a JSON object")])
    try:
        data = AccountIn.model_validate(raw)
    except ValidationError as e:
        errs = [FieldError("(account)" if x.field == "(lead)" else x.field, x.message) for x in validation_errors(e)]
        return AccountResult(index, False, errors=errs)
    fields = data.model_fields_set
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for key, attr in (("csm", "csm_id"), ("ae", "ae_id")):
        if key in fields:
            pid = _person(uow, getattr(data, key)) if getattr(data, key) else None
            if getattr(data, key) and pid is None:
                errors.append(FieldError(key, f"'{getattr(data, key)}' is not a person in app.yaml"))
            values[attr] = pid
    for key in ("name", "currency", "contract_start", "renewal_date", "seats"):
        if key in fields:
            values[key] = getattr(data, key)
    if data.arr is not None:
        values["arr"] = data.arr
    elif data.mrr is not None:
        values["arr"] = data.mrr * 12
    start = values.get("contract_start")
    renewal = values.get("renewal_date")
    if start and renewal and renewal <= start:
        errors.append(FieldError("renewal_date", "must be after contract_start"))
    if data.churned and not data.churn_reason:
        errors.append(FieldError("churn_reason", "a churned account needs a reason"))
    if errors:
        return AccountResult(index, False, errors=errors)
    acc = target
    if data.external_id and (acc is None or data.external_id != acc.external_id):
        other = await uow.session.scalar(select(Account).where(Account.external_id == data.external_id).limit(1))
        if acc is None:
            acc = other
        elif other is not None:
            return AccountResult(index, False, errors=[FieldError("external_id", f"already the external id of account {other.id}")], status=409)
        else:
            acc.external_id = data.external_id  # a CRM attaches its id to an account Baton made
    created = acc is None
    if acc is None:
        if not data.name:
            return AccountResult(index, False, errors=[FieldError("name", "a new account needs a name")])
        name = values.pop("name")
        acc = await create(uow, name=name, actor=actor, external_id=data.external_id, **values)
        if data.cs_stage and data.cs_stage != acc.cs_stage:
            await change_stage(uow, acc, data.cs_stage, actor=actor)
    else:
        for k, v in values.items():
            setattr(acc, k, v)
        acc.updated_at = uow.now()
        await uow.session.flush()
        if acc.handoff_state == "pending" and (data.cs_stage or data.kickoff_on):
            # The CRM says the CSM took the customer: the same acceptance as the card's button.
            r = await cs_handoff.accept(uow, acc.id, None, data.kickoff_on, actor=actor)
            if not r.ok:
                return AccountResult(index, False, errors=[FieldError("kickoff_on", "a kickoff date from today on accepts the hand-off")])
        if data.cs_stage:
            await change_stage(uow, acc, data.cs_stage, actor=actor)
    if data.churned and not acc.churned:
        await churn(uow, acc, data.churn_reason or "other", actor=actor)
    uow.emit(AccountUpdated(acc.id, actor))
    return AccountResult(index, True, acc, created)


async def upsert(uow: UnitOfWork, items: list[Any], *, actor: str = "api") -> list[AccountResult]:
    """Create or update by `external_id`; each item in its own savepoint (a bad row writes nothing)."""
    out = []
    for i, raw in enumerate(items):
        try:
            async with uow.savepoint():
                r = await _upsert_one(uow, i, raw, actor)
                if not r.ok:
                    raise _Rollback(r)
        except _Rollback as rb:
            r = rb.result
        out.append(r)
    return out


class _Rollback(Exception):
    def __init__(self, result: AccountResult):
        self.result = result


async def patch(uow: UnitOfWork, ref: str, raw: Any, *, actor: str = "api") -> AccountResult:
    """`PATCH /api/accounts/{ref}`: a partial update of one account (e.g. the CRM's `external_id`)."""
    acc = await find(uow, ref)
    if acc is None:
        return AccountResult(0, False, errors=[FieldError("id", "no such account")], status=404)
    try:
        async with uow.savepoint():
            r = await _upsert_one(uow, 0, raw, actor, target=acc)
            if not r.ok:
                raise _Rollback(r)
    except _Rollback as rb:
        r = rb.result
    return r


async def find(uow: UnitOfWork, ref: str) -> Account | None:
    """An account named in a URL: Baton id (digits) or external id (`ext:<id>`, or any id not all digits)."""
    return await find_by_ref(uow, Account, ref)


async def find_loosely(uow: UnitOfWork, ref: str) -> Account | None:
    """A CSV cell: Baton id, else the external id (a numeric external id there needs no prefix)."""
    acc = await find(uow, ref)
    if acc is None and ref.isdecimal():
        acc = await uow.session.scalar(select(Account).where(Account.external_id == ref).limit(1))
    return acc


def as_dict(acc: Account) -> dict[str, Any]:
    return {
        "id": acc.id,
        "external_id": acc.external_id,
        "name": acc.name,
        "csm": acc.csm_id,
        "ae": acc.ae_id,
        "arr": str(Decimal(acc.arr or 0).quantize(Decimal("0.01"))),
        "currency": acc.currency,
        "contract_start": acc.contract_start.isoformat() if acc.contract_start else None,
        "renewal_date": acc.renewal_date.isoformat() if acc.renewal_date else None,
        "seats": acc.seats,
        "cs_stage": acc.cs_stage,
        "handoff_state": acc.handoff_state,
        "handoff_due_at": acc.handoff_due_at.isoformat() if acc.handoff_due_at else None,
        "kickoff_on": acc.kickoff_on.isoformat() if acc.kickoff_on else None,
        "churned": acc.churned,
        "churn_reason": acc.churn_reason,
        "health_score": acc.health_score,
        "health_band": acc.health_band,
        "source_opportunity_id": acc.source_opportunity_id,
    }


# -- churn --------------------------------------------------------------------------------------


class ChurnIn(CleanInput):
    """The body of `POST /api/accounts/{id}/churn`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field("", max_length=100)
    note: str | None = Field(None, max_length=2000)
    actor: str | None = Field(None, min_length=1, max_length=100)
    # When the customer churned in the business (a datetime with a zone, or a day); default now.
    occurred_at: datetime | date | None = None

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _when(cls, v: Any) -> Any:
        return business_time(v)


def parse_churn(raw: Any) -> ChurnIn | list[FieldError]:
    if not isinstance(raw, dict):
        return [FieldError("(body)", 'send {"reason": ..., "note": ...}')]
    try:
        return ChurnIn.model_validate(raw)
    except ValidationError as e:
        return validation_errors(e)


async def churn(
    uow: UnitOfWork, acc: Account, reason: str, *, actor: str, note: str | None = None, occurred_at: datetime | date | None = None
) -> list[FieldError]:
    """Mark churned with a reason: the stage event ``churned`` (the recycle loop subscribes to it),
    dated `occurred_at` in the business when the sender knows it (a late notice), else now."""
    if acc.churned:
        return [FieldError("churned", "the account is already churned")]
    if not reason:
        return [FieldError("reason", "a churned account needs a reason")]
    if reason not in uow.config.success.churn_reasons:
        return [FieldError("reason", f"unknown reason '{reason}' (one of: {', '.join(uow.config.success.churn_reasons)})")]
    if problem := check_occurred(uow, occurred_at):
        return [FieldError("occurred_at", problem)]
    now = uow.now()
    when = occurred_at if occurred_at is None or isinstance(occurred_at, datetime) else occurred_on(uow, occurred_at)
    old = acc.cs_stage
    acc.churned, acc.churned_at, acc.churn_reason, acc.updated_at = True, when or now, reason, now
    await uow.session.flush()
    await record_transition(
        uow, "account", acc.id, old, "churned", actor=actor, team_id=_team_id(uow), reason=reason, note=note,
        data={"arr": str(acc.arr), "currency": acc.currency, "csm": acc.csm_id, "ae": acc.ae_id}, occurred_at=when,
    )  # fmt: skip
    return []


# -- usage signals ------------------------------------------------------------------------------


class SignalIn(CleanInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    day: date | None = Field(None, ge=date(2000, 1, 1), le=date(2100, 12, 31))
    week: str | None = Field(None, pattern=r"^\d{4}-W\d{2}$")  # ISO week → its Monday
    signal: str | None = Field(None, max_length=50)
    value: float | None = Field(None, ge=-1e12, le=1e12)
    values: dict[str, float] | None = Field(None, max_length=50)

    @field_validator("week")
    @classmethod
    def _iso_week(cls, v: str | None) -> str | None:
        if v is not None:
            y, w = v.split("-W")
            try:
                date.fromisocalendar(int(y), int(w), 1)
            except ValueError:
                raise ValueError(f"'{v}' is not an ISO week (year {y} has weeks 01 to 52 or 53)") from None
        return v

    @model_validator(mode="after")
    def _shape(self) -> SignalIn:
        if (self.day is None) == (self.week is None):
            raise ValueError("give exactly one of 'day' or 'week'")
        if self.values is None and (self.signal is None or self.value is None):
            raise ValueError("give 'signal' and 'value', or 'values': {signal: value}")
        return self

    def on(self) -> date:
        if self.day:
            return self.day
        y, w = self.week.split("-W")
        return date.fromisocalendar(int(y), int(w), 1)

    def pairs(self) -> dict[str, float]:
        out = dict(self.values or {})
        if self.signal is not None:
            out[self.signal] = self.value
        return out


def signal_errors(config: Any, where: str, pairs: dict[str, float]) -> list[FieldError]:
    """Only the signals the health measures of app.yaml read, each within its measure's range."""
    measures = {m.signal: m for m in config.success.health.measures}
    errors = []
    for name, value in pairs.items():
        m = measures.get(name)
        if m is None:
            known = ", ".join(sorted(measures)) or "(none configured)"
            errors.append(FieldError(f"{where}.signal", f"unknown signal '{name[:50]}' (app.yaml success.health.measures reads: {known})"))
        elif not m.min_value <= value <= m.max_value:
            errors.append(FieldError(f"{where}.{name}", f"must be between {m.min_value:g} and {m.max_value:g}"))
    return errors


@dataclass
class SignalsResult:
    ok: bool
    stored: int = 0
    errors: list[FieldError] = field(default_factory=list)
    health: dict[str, Any] | None = None


async def _upsert_signal(uow: UnitOfWork, account_id: int, day: date, signal: str, value: float) -> None:
    dialect = uow.session.bind.dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(UsageSignal).values(
        account_id=account_id, day=day, signal=signal, value=value
    )
    await uow.session.execute(
        ins.on_conflict_do_update(index_elements=["account_id", "day", "signal"], set_={"value": ins.excluded.value})
    )


async def add_signals(uow: UnitOfWork, acc: Account, raw: Any) -> SignalsResult:
    """One item, a list, or {"signals": [...]}; all or nothing. Idempotent per account + day + signal."""
    items = raw.get("signals") if isinstance(raw, dict) and "signals" in raw else raw
    items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list) or not items:
        return SignalsResult(False, errors=[FieldError("signals", "send one signal, a list, or {\"signals\": [...]}")])
    rows: list[tuple[date, str, float]] = []
    errors: list[FieldError] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(FieldError(f"signals[{i}]", "must be a JSON object"))
            continue
        try:
            s = SignalIn.model_validate(item)
        except ValidationError as e:
            errors += [
                FieldError(f"signals[{i}]" + ("" if x.field == "(lead)" else f".{x.field}"), x.message)
                for x in validation_errors(e)
            ]
            continue
        if bad := signal_errors(uow.config, f"signals[{i}]", s.pairs()):
            errors += bad
            continue
        rows += [(s.on(), k, float(v)) for k, v in s.pairs().items()]
    if errors:
        return SignalsResult(False, errors=errors)
    for day, signal, value in rows:
        await _upsert_signal(uow, acc.id, day, signal, value)
    # Back-dated signals build their days' history (snapshots) and restate the later days they
    # reach, so drops and the maturity curve are measured against it; today's score is the caller's refresh.
    now_day = today(uow)
    await health.rebuild(uow, acc, {d for d, _, _ in rows if d < now_day}, now_day)
    return SignalsResult(True, len(rows))


# -- won deals become customers -----------------------------------------------------------------


@subscribe(StageChanged)
async def on_deal_won(uow: UnitOfWork, ev: StageChanged) -> None:
    if ev.entity_type != "opportunity" or ev.to_stage != "won":
        return
    opp = await uow.session.get(Opportunity, ev.entity_id)
    if opp is None:
        return
    if opp.kind == "upsell" and opp.account_id:
        acc = await uow.session.get(Account, opp.account_id)
        if acc is not None:
            acc.arr = (acc.arr or Decimal(0)) + (opp.amount or Decimal(0))
            acc.updated_at = uow.now()
            await uow.session.flush()
        return
    existing = await uow.session.scalar(select(Account).where(Account.source_opportunity_id == opp.id))
    if existing is not None:
        return
    start = won_on(uow, opp)
    team = uow.config.cs_team()
    # The CSM by rule: the customer's CSM when the deal names a known account, else round robin in CS.
    known = await uow.session.get(Account, opp.account_id) if opp.account_id else None
    csm = (known.csm_id if known is not None else None) or (await next_rep(uow, team.id) if team else None)
    handoff = cs_handoff.plan(uow) if team else {}  # no CS team: nobody to hand to, onboarding at once
    acc = await create(
        uow, name=opp.account_name or opp.name, actor=ev.actor, csm_id=csm, ae_id=opp.owner_id, arr=opp.amount,
        currency=opp.currency, contract_start=start,
        renewal_date=add_months(start, uow.config.success.renewals.term_months),
        source_opportunity_id=opp.id, **handoff,
    )  # fmt: skip
    opp.account_id = acc.id
    await uow.session.flush()
    if handoff:
        await cs_handoff.start(uow, acc)


# -- upsell: CS hands an expansion opportunity to Field Sales ------------------------------------


async def handoff_upsell(
    uow: UnitOfWork, acc: Account, *, by: str, name: str, amount: Decimal, notes: str | None = None
) -> Opportunity:
    """A phase-1 upsell opportunity linked to the account, routed round robin in the FS team and
    handed over like an SQL: a card with Accept / Send back, timed by the hand-off SLA."""
    fs = uow.config.fs_team()
    owner = (await next_rep(uow, fs.id) if fs else None) or acc.ae_id
    opp = await opportunities.create(
        uow, name=name, actor=by, phase=1, kind="upsell", account_id=acc.id, account_name=acc.name,
        amount=amount, owner_id=owner, team_id=fs.id if fs else None,
        notes={"cs_notes": notes, "from": by, "health_score": acc.health_score, "health_band": acc.health_band},
    )  # fmt: skip
    await relay.request_handoff(uow, opp, by)
    return opp


# -- CSV of usage signals: account,day|week,<signal>,<signal>… (one row per account and day) ------


async def import_signals(uow: UnitOfWork, items: list[dict[str, Any]], *, actor: str = "import") -> list[AccountResult]:
    out: list[AccountResult] = []
    touched: dict[int, Account] = {}
    for i, row in enumerate(items):
        ref = str(row.get("account") or row.get("account_id") or row.get("external_id") or "").strip()
        acc = await find_loosely(uow, ref) if ref else None
        if acc is None:
            out.append(AccountResult(i, False, errors=[FieldError("account", f"no account '{ref}'" if ref else "missing")]))
            continue
        when = {k: row[k] for k in ("day", "week") if k in row}
        values: dict[str, Any] = {}
        bad: list[FieldError] = []
        for k, v in row.items():
            if k in ("account", "account_id", "external_id", "day", "week"):
                continue
            try:
                values[k] = float(str(v).replace(",", ""))
            except ValueError:
                bad.append(FieldError(k, f"'{v}' is not a number"))
        if bad:
            out.append(AccountResult(i, False, errors=bad))
            continue
        async with uow.savepoint():
            r = await add_signals(uow, acc, {**when, "values": values})
        if not r.ok:
            out.append(AccountResult(i, False, errors=[FieldError(e.field.removeprefix("signals[0]."), e.message) for e in r.errors]))
            continue
        touched[acc.id] = acc
        out.append(AccountResult(i, True, acc, False))
    for acc in touched.values():
        await refresh(uow, acc, today(uow))
    return out


# -- a CSM's decisions from Slack (churn, upsell) -----------------------------------------------------


@dataclass(frozen=True)
class AccountDecision(Result):
    """churned (closed) | upsell handed to FS (accepted), allowed (a check), or a refusal."""

    account: Account | None = None
    _: KW_ONLY
    subject: str = "account"


async def check_account(uow: UnitOfWork, account_id: int, person: Person | None) -> AccountDecision:
    """May this person act on this customer now (the churn or upsell modal)? Nothing changes."""
    acc = await uow.session.get(Account, account_id)
    if acc is None:
        return AccountDecision(Outcome.NOT_FOUND)
    if acc.churned:
        return AccountDecision(Outcome.CHURNED, acc)
    if not permissions.allows("account.act", uow.config, person, acc):
        return AccountDecision(Outcome.NOT_ALLOWED, acc)
    return AccountDecision(Outcome.ALLOWED, acc)


async def mark_churned(uow: UnitOfWork, account_id: int, person: Person | None, reason: str, note: str | None) -> AccountDecision:
    if reason not in uow.config.success.churn_reasons:
        return AccountDecision(Outcome.BAD_INPUT, errors={"reason": "success.errors.reason_required"})
    check = await check_account(uow, account_id, person)
    if not check.ok:
        return check
    await churn(uow, check.account, reason, actor=person.id, note=note)
    return AccountDecision(Outcome.CLOSED, check.account, by=person.id)


async def request_upsell(
    uow: UnitOfWork, account_id: int, person: Person | None, name: str | None, amount: str | None, notes: str | None
) -> AccountDecision:
    errors = {}
    if not name:
        errors["name"] = "success.errors.name_required"
    try:
        value = parse_amount(amount)
    except ValueError:
        value = None
    if value is None:
        errors["amount"] = "success.errors.amount_invalid"
    if errors:
        return AccountDecision(Outcome.BAD_INPUT, errors=errors)
    check = await check_account(uow, account_id, person)
    if not check.ok:
        return check
    await handoff_upsell(uow, check.account, by=person.id, name=name, amount=value, notes=notes)
    return AccountDecision(Outcome.ACCEPTED, check.account, by=person.id)
