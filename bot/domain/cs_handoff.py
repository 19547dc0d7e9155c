"""FS → CS: a won deal's customer is handed to Customer Success like an SQL is handed to FS — the
CSM chosen by rules (the account's CSM, else round robin in the CS team), timed by the one SLA engine
(subject ``account:{id}``, warning + breach → the CS manager), accepted with a kickoff date.

Account stages: (won) ──▶ handoff ──Accept──▶ onboarding → adoption → renewal.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import date
from typing import Any

from sqlalchemy import update

from bot.config import AppConfig, Person, SlaClock, SlaPolicy
from bot.context import UnitOfWork
from bot.domain import permissions, sla
from bot.domain.events import record_transition
from bot.domain.outcomes import Outcome, Result
from bot.models import Account

HANDOFF = "handoff"
ONBOARDING = "onboarding"


@dataclass(frozen=True)
class CsHandoffDecided:
    """The CSM accepted a new customer: the card shows it, with the kickoff date."""

    account_id: int
    actor: str


@dataclass(frozen=True)
class CsHandoffResult(Result):
    account: Account | None = None
    _: KW_ONLY
    subject: str = "cs_handoff"


def clock(config: AppConfig) -> SlaClock:
    h = config.success.handoff
    return SlaClock(warn_at=h.warn_at, escalate_to_manager=h.escalate_to_manager,
                    policies=[SlaPolicy(label="cs_handoff", within=h.within)])  # fmt: skip


def subject(account_id: int) -> str:
    return f"account:{account_id}"


def team_id(config: AppConfig) -> str | None:
    team = config.cs_team()
    return team.id if team else None


def plan(uow: UnitOfWork) -> dict[str, Any]:
    """The account values of a hand-off starting now (before the account exists: its card shows them)."""
    start = sla.plan(clock(uow.config), {}, uow.config.team_calendar(team_id(uow.config)), uow.now())
    return {"cs_stage": HANDOFF, "handoff_state": "pending", "handoff_due_at": start.due_at}


async def start(uow: UnitOfWork, acc: Account) -> None:
    """Arm the hand-off's warning and breach timers (the deadline `plan` put on the account)."""
    start = sla.plan(clock(uow.config), {}, uow.config.team_calendar(team_id(uow.config)), acc.created_at)
    await sla.start(uow, subject(acc.id), start)


def may_accept(config: AppConfig, acc: Account, person: Person | None) -> bool:
    return permissions.allows("cs_handoff.accept", config, person, acc)


async def check_accept(uow: UnitOfWork, account_id: int, person: Person | None) -> CsHandoffResult:
    """Before the kickoff modal opens: still pending, and this person's to accept? Nothing changes."""
    acc = await uow.session.get(Account, account_id)
    if acc is None:
        return CsHandoffResult(Outcome.NOT_FOUND)
    if acc.handoff_state != "pending":
        return CsHandoffResult(Outcome.ALREADY_DECIDED, acc, state=acc.handoff_state)
    if person is None or not may_accept(uow.config, acc, person):
        return CsHandoffResult(Outcome.NOT_ALLOWED, acc)
    return CsHandoffResult(Outcome.ALLOWED, acc)


def kickoff_errors(uow: UnitOfWork, raw: str | date | None) -> tuple[date | None, dict[str, str]]:
    try:
        day = raw if isinstance(raw, date) else date.fromisoformat(raw) if raw else None
    except ValueError:
        day = None
    today = uow.now().astimezone(uow.config.team_calendar(team_id(uow.config)).tz).date()
    if day is None or day < today:
        return None, {"kickoff_on": "cs_handoff.err_kickoff"}
    return day, {}


async def accept(uow: UnitOfWork, account_id: int, person: Person | None, kickoff_on: str | date | None,
                 *, actor: str | None = None) -> CsHandoffResult:  # fmt: skip
    """The CSM takes the customer and schedules the kickoff: handoff → onboarding (one winner).
    `actor` names a system acting for nobody in app.yaml (the CRM through the API)."""
    day, errors = kickoff_errors(uow, kickoff_on)
    if errors:
        return CsHandoffResult(Outcome.BAD_INPUT, errors=errors)
    if actor is None:
        check = await check_accept(uow, account_id, person)
        if not check.ok:
            return check
    who = actor or person.id
    result = await uow.session.execute(
        update(Account).where(Account.id == account_id, Account.handoff_state == "pending")
        .values(handoff_state="accepted", kickoff_on=day, cs_stage=ONBOARDING, updated_at=uow.now())
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    acc = await uow.session.get(Account, account_id)
    if acc is None:
        return CsHandoffResult(Outcome.NOT_FOUND)
    await uow.session.refresh(acc)
    if (result.rowcount or 0) != 1:
        return CsHandoffResult(Outcome.ALREADY_DECIDED, acc, state=acc.handoff_state)
    await sla.stop(uow, subject(acc.id))
    response = sla.response_time(uow.config.team_calendar(team_id(uow.config)), acc.created_at, uow.now(), acc.handoff_due_at)
    await record_transition(
        uow, "account", acc.id, HANDOFF, ONBOARDING, actor=who, team_id=team_id(uow.config),
        data={**response.as_data(), "kickoff_on": day.isoformat(), "csm": acc.csm_id},
    )  # fmt: skip
    uow.emit(CsHandoffDecided(acc.id, who))
    return CsHandoffResult(Outcome.ACCEPTED, acc, by=who)
