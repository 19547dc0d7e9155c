"""What people see after acceptance: the SAL follow-up (Qualify / Disqualify) in the MQL card's
thread, the hand-off to the FS channel (Accept hand-off / Send back, SLA deadline), its outcome,
and the IS owner told when FS sends it back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.context import UnitOfWork, subscribe
from bot.domain.events import StageChanged
from bot.domain.opportunities import DealUpdated, missing_items
from bot.domain.relay import HandoffDecided, HandoffRequested, fs_team
from sqlalchemy import select

from bot.models import Account, Lead, Opportunity, Stage, StageEvent
from bot.notify.common import person_locale, slack_id, team_locale_tz
from bot.notify.preferences import notify_person
from bot.notify.mql import card_key, update_card_decided
from bot.slack.delivery import enqueue


def sal_key(lead: Lead) -> str:
    return f"{card_key(lead)}:sal"


def handoff_key(opp_id: int) -> str:
    return f"opportunity:{opp_id}:handoff"


def render_sal(uow: UnitOfWork, lead: Lead, state: dict[str, Any] | None = None) -> dict[str, Any]:
    locale, tz = team_locale_tz(uow.config, lead.team_id)
    return uow.ctx.messages.message(
        "sal_followup", locale, tz, lead=lead, owner=slack_id(uow.config, lead.owner_id), state=state, today=uow.now()
    )


async def _team_channel(uow: UnitOfWork, lead: Lead) -> str | None:
    team = uow.config.team(lead.team_id)
    return team.channel if team else None


@subscribe(StageChanged)
async def on_lead_stage(uow: UnitOfWork, ev: StageChanged) -> None:
    if ev.entity_type != "lead":
        return
    lead = await uow.session.get(Lead, ev.entity_id)
    channel = await _team_channel(uow, lead) if lead else None
    if lead is None or channel is None:
        return
    if (ev.from_stage == Stage.sal and ev.to_stage in (Stage.sql, Stage.recycled, Stage.closed)) or (
        ev.from_stage == Stage.sql and ev.to_stage == Stage.sal
    ):
        # The accepted card carries the SAL menu while the lead is an SAL: re-render it.
        accepted = await uow.session.scalar(
            select(StageEvent).where(StageEvent.entity_type == "lead", StageEvent.entity_id == lead.id,
                                     StageEvent.from_stage == Stage.mql, StageEvent.to_stage == Stage.sal)
            .order_by(StageEvent.id.desc()).limit(1)
        )  # fmt: skip
        if accepted is not None:
            await update_card_decided(uow, StageChanged(
                "lead", lead.id, Stage.mql, Stage.sal, accepted.actor, accepted.team_id, accepted.reason, accepted.data or {}
            ))  # fmt: skip
    if ev.from_stage == Stage.sal and ev.to_stage in (Stage.sql, Stage.recycled, Stage.closed):
        state = {"stage": ev.to_stage, "by": slack_id(uow.config, ev.actor), "reason": ev.reason,
                 "recycle_at": lead.recycle_at, "fs_owner": slack_id(uow.config, ev.data.get("fs_owner"))}  # fmt: skip
        key = f"{sal_key(lead)}:{ev.to_stage}"
        await enqueue(uow, "chat.postMessage", {"channel": channel, **render_sal(uow, lead, state)},
                      thread_key=card_key(lead), dedupe_key=f"post:{key}:{lead.updated_at.isoformat()}")  # fmt: skip


async def _handoff_values(uow: UnitOfWork, opp: Opportunity, lead: Lead | None) -> dict[str, Any]:
    config = uow.config
    due = (opp.notes or {}).get("handoff_due_at")
    account = await uow.session.get(Account, opp.account_id) if opp.account_id else None
    return {
        "opp": opp, "lead": lead, "notes": opp.notes or {}, "fs_owner": slack_id(config, opp.owner_id),
        "is_owner": slack_id(config, opp.handoff_from), "due_at": datetime.fromisoformat(due) if due else None,
        "today": uow.now(), "decision": None, "sla_state": None,
        # An upsell from CS carries its customer instead of a lead.
        "upsell": opp.kind == "upsell", "account": account,
        "days_to_renewal": (account.renewal_date - uow.now().date()).days if account and account.renewal_date else None,
        "deal": None,
    }  # fmt: skip


async def deal_state(uow: UnitOfWork, opp: Opportunity) -> dict[str, Any]:
    """What an accepted hand-off card shows of its deal: the missing items, who closed it and why."""
    config, msgs = uow.config, uow.ctx.messages
    locale = team_locale_tz(config, opp.team_id)[0]

    def label(value: str, key: str) -> str:
        return msgs.text(locale, key) if msgs.has_text(locale, key) else value

    closed = None
    if opp.status != "open":
        closed = await uow.session.scalar(
            select(StageEvent.actor).where(StageEvent.entity_type == "opportunity", StageEvent.entity_id == opp.id,
                                           StageEvent.to_stage == opp.status).order_by(StageEvent.id.desc()).limit(1)
        )  # fmt: skip
    return {
        "missing": [label(m, f"home.items.{m}") for m in missing_items(opp)],
        "by": slack_id(config, closed),
        "reason": label(opp.lost_reason, f"reasons.{opp.lost_reason}") if opp.lost_reason else None,
    }


def accepted_decision(uow: UnitOfWork, opp: Opportunity) -> dict[str, Any]:
    by = (opp.notes or {}).get("handoff_accepted_by") or opp.owner_id
    return {"outcome": "accepted", "by": slack_id(uow.config, by), "reason": None, "note": None, "lead_stage": None, "recycle_at": None}


async def render_handoff(uow: UnitOfWork, opp: Opportunity, lead: Lead | None, **extra: Any) -> dict[str, Any]:
    locale, tz = team_locale_tz(uow.config, opp.team_id)
    return uow.ctx.messages.message("handoff_card", locale, tz, **{**(await _handoff_values(uow, opp, lead)), **extra})


@subscribe(HandoffRequested)
async def on_handoff(uow: UnitOfWork, ev: HandoffRequested) -> None:
    opp = await uow.session.get(Opportunity, ev.opportunity_id)
    team = uow.config.team(opp.team_id) or fs_team(uow.config)
    if team is None:
        return
    lead = await uow.session.get(Lead, ev.lead_id) if ev.lead_id else None
    key = handoff_key(opp.id)
    await enqueue(uow, "chat.postMessage", {"channel": team.channel, **(await render_handoff(uow, opp, lead))},
                  key=key, dedupe_key=f"post:{key}")  # fmt: skip


@subscribe(HandoffDecided)
async def on_handoff_decided(uow: UnitOfWork, ev: HandoffDecided) -> None:
    config = uow.config
    opp = await uow.session.get(Opportunity, ev.opportunity_id)
    lead = await uow.session.get(Lead, ev.lead_id) if ev.lead_id else None
    decision = {"outcome": ev.outcome, "by": slack_id(config, ev.actor), "reason": ev.reason, "note": ev.note,
                "lead_stage": lead.stage if lead else None, "recycle_at": lead.recycle_at if lead else None}  # fmt: skip
    deal = await deal_state(uow, opp) if ev.outcome == "accepted" else None
    await enqueue(uow, "chat.update", dict(await render_handoff(uow, opp, lead, decision=decision, deal=deal)), target_key=handoff_key(opp.id))
    if ev.outcome == "sent_back" and lead is not None:
        channel = await _team_channel(uow, lead)
        if channel:
            locale, tz = team_locale_tz(config, lead.team_id)
            msg = uow.ctx.messages.message("handoff_sent_back", locale, tz, lead=lead, opp=opp, decision=decision,
                                           is_owner=slack_id(config, opp.handoff_from))  # fmt: skip
            await enqueue(uow, "chat.postMessage", {"channel": channel, **msg}, thread_key=card_key(lead),
                          dedupe_key=f"handoff:{opp.id}:sent_back")  # fmt: skip
    elif ev.outcome == "sent_back" and opp.handoff_from:
        # An upsell sent back: the CS person who handed it over hears why.
        msg = uow.ctx.messages.message("handoff_sent_back", person_locale(config, opp.handoff_from), team_locale_tz(config, opp.team_id)[1],
                                       lead=None, opp=opp, decision=decision, is_owner=slack_id(config, opp.handoff_from))  # fmt: skip
        await notify_person(uow, opp.handoff_from, "handover", msg, dedupe_key=f"handoff:{opp.id}:sent_back")


@subscribe(DealUpdated)
async def on_deal_updated(uow: UnitOfWork, ev: DealUpdated) -> None:
    """A deal moved, was edited or closed (Slack or the CRM): its accepted hand-off card shows it, in place."""
    opp = await uow.session.get(Opportunity, ev.opportunity_id)
    if opp is None or opp.handoff_state != "accepted":
        return
    lead = await uow.session.get(Lead, opp.source_lead_id) if opp.source_lead_id else None
    msg = await render_handoff(uow, opp, lead, decision=accepted_decision(uow, opp), deal=await deal_state(uow, opp))
    await enqueue(uow, "chat.update", dict(msg), target_key=handoff_key(opp.id))


async def handoff_timer(uow: UnitOfWork, opp: Opportunity, kind: str, timer_id: int) -> None:
    """SLA warning / breach of a pending hand-off: card state + a reply naming the FS rep (and manager)."""
    config = uow.config
    lead = await uow.session.get(Lead, opp.source_lead_id) if opp.source_lead_id else None
    team = config.team(opp.team_id)
    manager = team.manager if team and kind == "breached" and config.relay.escalate_to_manager else None
    await enqueue(uow, "chat.update", dict(await render_handoff(uow, opp, lead, sla_state=kind)), target_key=handoff_key(opp.id))
    locale, tz = team_locale_tz(config, opp.team_id)
    msg = uow.ctx.messages.message("handoff_sla_notice", locale, tz, kind=kind, opp=opp, fs_owner=slack_id(config, opp.owner_id),
                                   manager=slack_id(config, manager), today=uow.now(), due_at=(await _handoff_values(uow, opp, lead))["due_at"])  # fmt: skip
    if team:
        await enqueue(uow, "chat.postMessage", {"channel": team.channel, **msg}, thread_key=handoff_key(opp.id),
                      dedupe_key=f"handoff-sla:{kind}:{timer_id}")  # fmt: skip
