"""The MQL card: posted when a lead becomes an MQL (in a burst roll-up's thread when a channel is
flooded), updated in place when IS accepts or rejects it (an erasure redacts it: bot/notify/erasure.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.clock import as_utc
from bot.context import UnitOfWork, subscribe
from bot.domain.events import StageChanged
from bot.models import Lead, Rollup, Stage
from bot.notify.common import slack_id, team_locale_tz
from bot.slack.delivery import Outgoing, enqueue, enqueue_many


def card_key(lead: Lead) -> str:
    # A lead that comes back round the recycle loop gets a fresh card.
    return f"lead:{lead.id}:mql:{lead.recycle_count}"


def rollup_key(rollup_id: int) -> str:
    return f"rollup:{rollup_id}"


def card_values(
    uow: UnitOfWork, lead: Lead, decision: dict[str, Any] | None = None, sla_state: str | None = None
) -> dict[str, Any]:
    config = uow.config
    team = config.team(lead.team_id)
    remaining = None
    if sla_state == "warning" and lead.sla_due_at is not None:
        remaining = config.team_calendar(lead.team_id).between(uow.now(), as_utc(lead.sla_due_at))
    return {
        "sla_state": sla_state,  # None | "warning" | "breached" (the decided render ignores it)
        "remaining": remaining,
        "lead": lead,
        "team_name": team.name if team else lead.team_id,
        "assignee": slack_id(config, lead.assignee_id),
        "due_at": lead.sla_due_at,
        "today": uow.now(),
        "breakdown": lead.score_breakdown or [],
        "decision": decision,
    }


def render_card(
    uow: UnitOfWork, lead: Lead, decision: dict[str, Any] | None = None, sla_state: str | None = None
) -> dict[str, Any]:
    locale, tz = team_locale_tz(uow.config, lead.team_id)
    return uow.ctx.messages.message("mql_card", locale, tz, **card_values(uow, lead, decision, sla_state))


@subscribe(StageChanged)
async def on_lead_stage(uow: UnitOfWork, ev: StageChanged) -> None:
    if ev.entity_type != "lead":
        return
    if ev.to_stage == Stage.mql:
        posted = uow.cache.setdefault(_POSTED, set())
        if id(ev) not in posted:
            # The cards of one transaction (a webinar batch) are queued together, when the first is due.
            batch = [e for e in uow.upcoming(StageChanged) if e.entity_type == "lead" and e.to_stage == Stage.mql]
            posted.update(id(e) for e in batch)
            await post_cards(uow, list(dict.fromkeys(e.entity_id for e in batch)))
    elif ev.from_stage == Stage.mql and ev.to_stage in (Stage.sal, Stage.recycled, Stage.closed):
        await update_card_decided(uow, ev)


_POSTED = "mql:cards_posted"


async def post_cards(uow: UnitOfWork, lead_ids: list[int]) -> None:
    leads = [lead for lead in [await uow.session.get(Lead, i) for i in lead_ids] if lead is not None]
    by_channel: dict[str, list[Lead]] = {}
    for lead in leads:
        team = uow.config.team(lead.team_id)
        if team is not None:
            by_channel.setdefault(team.channel, []).append(lead)
    outgoing = []
    for channel, batch in by_channel.items():
        rollup = await _burst_rollup(uow, batch[0], channel)
        for lead in batch:
            key = card_key(lead)
            if rollup:
                lead.rollup_id = rollup.id
            outgoing.append(Outgoing(
                "chat.postMessage", {"channel": channel, **render_card(uow, lead)}, key=key, dedupe_key=f"post:{key}",
                thread_key=rollup_key(rollup.id) if rollup else None,
            ))  # fmt: skip
        if rollup:
            uow.once(rollup_key(rollup.id), lambda rollup=rollup: refresh_rollup(uow, rollup))
    await enqueue_many(uow, outgoing)


async def update_card_decided(uow: UnitOfWork, ev: StageChanged) -> None:
    lead = await uow.session.get(Lead, ev.entity_id)
    decision = {
        "outcome": {Stage.sal: "accepted", Stage.recycled: "rejected", Stage.closed: "closed"}[ev.to_stage],
        "by": slack_id(uow.config, ev.actor),
        "reason": ev.reason,
        "wall": timedelta(seconds=ev.data.get("response_seconds", 0)),
        "business": timedelta(seconds=ev.data.get("response_business_seconds", 0)),
        "within_sla": ev.data.get("within_sla"),
        "recycle_at": lead.recycle_at,
    }
    msg = render_card(uow, lead, decision)
    await enqueue(uow, "chat.update", dict(msg), target_key=card_key(lead))
    if lead.rollup_id:
        rollup = await uow.session.get(Rollup, lead.rollup_id)
        if rollup:
            uow.once(rollup_key(rollup.id), lambda: refresh_rollup(uow, rollup))


async def _burst_rollup(uow: UnitOfWork, lead: Lead, channel: str) -> Rollup | None:
    """More MQLs than the burst threshold for one channel within the window (these included) → one roll-up."""
    burst = uow.config.mql.burst
    since = uow.now() - timedelta(seconds=burst.window.to_timedelta_24x7().total_seconds())
    team_ids = [t.id for t in uow.config.teams if t.channel == channel]
    recent = await uow.session.scalar(
        select(func.count()).select_from(Lead).where(Lead.team_id.in_(team_ids), Lead.mql_at >= since)
    )
    if (recent or 0) <= burst.threshold:
        return None
    rollup = await uow.session.scalar(
        select(Rollup).where(Rollup.channel == channel, Rollup.started_at >= since).order_by(Rollup.id.desc()).limit(1)
    )
    if rollup is None:
        rollup = Rollup(channel=channel, team_id=lead.team_id, started_at=uow.now(), source=lead.source)
        uow.session.add(rollup)
        await uow.session.flush()
        msg = await _render_rollup(uow, rollup)
        await enqueue(
            uow, "chat.postMessage", {"channel": channel, **msg},
            key=rollup_key(rollup.id), dedupe_key=f"post:{rollup_key(rollup.id)}",
        )  # fmt: skip
    return rollup


async def _render_rollup(uow: UnitOfWork, rollup: Rollup) -> dict[str, Any]:
    rows = (
        await uow.session.execute(
            select(Lead.source, Lead.assignee_id, Lead.stage, func.count())
            .where(Lead.rollup_id == rollup.id)
            .group_by(Lead.source, Lead.assignee_id, Lead.stage)
        )
    ).all()
    sources: dict[str, int] = {}
    reps: dict[str | None, int] = {}
    decided = 0
    for source, assignee, stage, n in rows:
        sources[source or "-"] = sources.get(source or "-", 0) + n
        reps[assignee] = reps.get(assignee, 0) + n
        decided += n if stage != Stage.mql else 0
    locale, tz = team_locale_tz(uow.config, rollup.team_id)
    return uow.ctx.messages.message(
        "mql_rollup", locale, tz,
        total=sum(sources.values()), decided=decided, started_at=rollup.started_at,
        sources=sorted(sources.items(), key=lambda kv: -kv[1]),
        reps=[(slack_id(uow.config, pid), n) for pid, n in sorted(reps.items(), key=lambda kv: -kv[1])],
    )  # fmt: skip


async def refresh_rollup(uow: UnitOfWork, rollup: Rollup) -> None:
    msg = await _render_rollup(uow, rollup)
    await enqueue(uow, "chat.update", dict(msg), target_key=rollup_key(rollup.id))
