"""What the team sees when an SLA clock runs down: the card's warning / breached state, replies in
the card's thread, the escalation DM to the manager and the hand-over DM to a new owner.

The timer handlers (jobs/sla.py) call `warn` and `breach`; reassignment is announced by the domain
event `LeadReassigned`; when the lead is decided, the DMs it caused lose their buttons.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, literal, or_, select

from bot.context import UnitOfWork, subscribe
from bot.domain.events import StageChanged
from bot.domain.routing import LeadReassigned
from bot.domain.sla import BREACH, WARN
from bot.models import Lead, OutboxMessage, Stage, StageEvent, Timer
from bot.notify.common import person_locale, slack_id, team_locale_tz
from bot.notify.mql import card_key, render_card
from bot.notify.preferences import notify_person
from bot.slack.delivery import enqueue

DECIDED = (Stage.sal, Stage.recycled, Stage.closed)


def escalation_key(lead: Lead, timer_id: int) -> str:
    """Each breach's escalation is its own DM (a lead reassigned after a breach can breach again)."""
    return f"{card_key(lead)}:dm:escalation:{timer_id}"


def warning_key(lead: Lead, timer_id: int) -> str:
    return f"{card_key(lead)}:dm:warning:{timer_id}"


def handover_key(lead: Lead, event_id: int) -> str:
    return f"{card_key(lead)}:dm:handover:{event_id}"


def _notice(uow: UnitOfWork, lead: Lead, kind: str, **values: Any) -> dict[str, Any]:
    locale, tz = team_locale_tz(uow.config, lead.team_id)
    base = {"lead": lead, "due_at": lead.sla_due_at, "today": uow.now(), "assignee": None, "manager": None,
            "remaining": None, "escalated": False, "from_person": None, "to_person": None, "reason": None}  # fmt: skip
    return uow.ctx.messages.message("sla_notice", locale, tz, kind=kind, **{**base, **values})


def _dm(uow: UnitOfWork, lead: Lead, to_person: str, purpose: str, **values: Any) -> dict[str, Any]:
    config = uow.config
    _, tz = team_locale_tz(config, lead.team_id)
    team = config.team(lead.team_id)
    base = {"lead": lead, "due_at": lead.sla_due_at, "today": uow.now(), "assignee": slack_id(config, lead.assignee_id),
            "channel": team.channel if team else "", "from_person": None, "reason": None, "decided": None, "remaining": None}  # fmt: skip
    locale = person_locale(config, to_person, lead.team_id)
    return uow.ctx.messages.message("sla_dm", locale, tz, purpose=purpose, **{**base, **values})


async def _reply_in_thread(uow: UnitOfWork, lead: Lead, msg: dict[str, Any], dedupe: str) -> None:
    team = uow.config.team(lead.team_id)
    if team is None:
        return
    await enqueue(
        uow, "chat.postMessage", {"channel": team.channel, **msg}, thread_key=card_key(lead), dedupe_key=dedupe
    )


async def _update_card(uow: UnitOfWork, lead: Lead, sla_state: str | None) -> None:
    await enqueue(uow, "chat.update", dict(render_card(uow, lead, sla_state=sla_state)), target_key=card_key(lead))


# -- called by the timer handlers --------------------------------------------------------------------


async def warn(uow: UnitOfWork, lead: Lead, timer_id: int) -> None:
    """Card → warning; the assignee (or, in claim mode, the team without a single mention) is told."""
    config = uow.config
    remaining = config.team_calendar(lead.team_id).between(uow.now(), lead.sla_due_at)
    await _update_card(uow, lead, "warning")
    msg = _notice(uow, lead, "warning", assignee=slack_id(config, lead.assignee_id), remaining=remaining)
    await _reply_in_thread(uow, lead, msg, f"sla:warn:{timer_id}")
    if lead.assignee_id:  # the owner hears it in a DM too, as they chose (App Home: SLA warning)
        dm = _dm(uow, lead, lead.assignee_id, "warning", remaining=remaining)
        key = warning_key(lead, timer_id)
        await notify_person(uow, lead.assignee_id, "sla_warning", dm, key=key, dedupe_key=f"post:{key}")


async def breach(uow: UnitOfWork, lead: Lead, timer_id: int, *, escalate: bool) -> None:
    """Card → breached; the thread names the assignee and the manager; the manager gets a DM with
    the lead and working Accept / Reject buttons."""
    config = uow.config
    team = config.team(lead.team_id)
    manager = team.manager if team and escalate else None
    await _update_card(uow, lead, "breached")
    msg = _notice(
        uow, lead, "breach", assignee=slack_id(config, lead.assignee_id), manager=slack_id(config, manager),
        escalated=bool(manager and slack_id(config, manager)),
    )  # fmt: skip
    await _reply_in_thread(uow, lead, msg, f"sla:breach:{timer_id}")
    manager_slack = slack_id(config, manager)
    if manager_slack:
        dm = _dm(uow, lead, manager, "escalation")
        key = escalation_key(lead, timer_id)
        await notify_person(uow, manager, "sla_escalation", dm, key=key, dedupe_key=f"post:{key}")


# -- domain events -------------------------------------------------------------------------------------


@subscribe(LeadReassigned)
async def on_reassigned(uow: UnitOfWork, ev: LeadReassigned) -> None:
    """Old and new owner are named in the thread, the new owner gets a DM, the card shows the new
    owner and deadline (a fresh clock: no warning / breached state)."""
    config = uow.config
    lead = await uow.session.get(Lead, ev.lead_id)
    if lead is None:
        return
    await _update_card(uow, lead, None)
    who = {"from_person": slack_id(config, ev.from_person), "to_person": slack_id(config, ev.to_person)}
    msg = _notice(uow, lead, "reassigned", reason=ev.reason, **who)
    await _reply_in_thread(uow, lead, msg, f"sla:handover:{ev.event_id}")
    to_slack = slack_id(config, ev.to_person)
    if to_slack:
        dm = _dm(uow, lead, ev.to_person, "handover", from_person=who["from_person"], reason=ev.reason)
        key = handover_key(lead, ev.event_id)
        await notify_person(uow, ev.to_person, "handover", dm, key=key, dedupe_key=f"post:{key}")


@subscribe(StageChanged)
async def on_decided(uow: UnitOfWork, ev: StageChanged) -> None:
    """A decided lead's escalation / hand-over DMs keep their summary but lose their buttons."""
    if ev.entity_type != "lead" or ev.from_stage != Stage.mql or ev.to_stage not in DECIDED:
        return
    lead = await uow.session.get(Lead, ev.entity_id)
    if lead is None:
        return
    # The DMs this episode may have sent, by key (index look-ups, not a LIKE over the outbox): a
    # warning and an escalation per SLA timer of the lead, a hand-over per reassignment.
    handovers = select(literal(handover_key(lead, 0)[:-1]) + cast(StageEvent.id, String)).where(
        StageEvent.entity_type == "lead", StageEvent.entity_id == lead.id, StageEvent.reason == "reassigned"
    )
    def per_timer(key_of: Any, kind: str) -> Any:
        return select(literal(key_of(lead, 0)[:-1]) + cast(Timer.id, String)).where(Timer.subject == f"lead:{lead.id}", Timer.kind == kind)

    keys = (
        await uow.session.execute(
            select(OutboxMessage.key, OutboxMessage.payload)
            .where(
                OutboxMessage.method == "chat.postMessage",
                or_(
                    OutboxMessage.key.in_(handovers.scalar_subquery()),
                    OutboxMessage.key.in_(per_timer(escalation_key, BREACH).scalar_subquery()),
                    OutboxMessage.key.in_(per_timer(warning_key, WARN).scalar_subquery()),
                ),
            )
            .order_by(OutboxMessage.id)
        )
    ).all()
    decided = {"by": slack_id(uow.config, ev.actor), "stage": ev.to_stage}
    for key, payload in keys:
        recipient = uow.config.person_by_slack((payload or {}).get("channel"))
        person_id = recipient.id if recipient else None
        purpose = key.split(":dm:", 1)[1].split(":", 1)[0]
        if purpose in ("escalation", "warning"):
            # The rep who held the lead when this timer fired, not whoever holds it now.
            timer = await uow.session.get(Timer, int(key.rsplit(":", 1)[1]))
            held = (timer.data or {}).get("assignee", lead.assignee_id) if timer else lead.assignee_id
            due = timer.data.get("due_at") if timer and purpose == "escalation" else None
            dm = _dm(uow, lead, person_id, purpose, decided=decided, assignee=slack_id(uow.config, held),
                     **({"due_at": datetime.fromisoformat(due)} if due else {}))  # the deadline that was missed
        else:
            event = await uow.session.get(StageEvent, int(key.rsplit(":", 1)[1]))
            data = event.data if event else {}
            dm = _dm(
                uow, lead, person_id, "handover", decided=decided,
                from_person=slack_id(uow.config, data.get("from")), reason=data.get("why"),
            )  # fmt: skip
        await enqueue(uow, "chat.update", dict(dm), target_key=key)
