"""Customer Success in Slack: the new-customer card, health-drop alerts (posted once, updated in
place, escalation DM to the CS manager), renewal reminders, the upsell hand-off to FS, churn."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from bot.context import UnitOfWork, subscribe

from bot.domain.accounts import today
from bot.domain.cs_handoff import HANDOFF, ONBOARDING, CsHandoffDecided
from bot.domain.events import StageChanged
from bot.domain.health_alerts import HealthAlertChanged, HealthAlertRaised, due_at
from bot.domain.relay import HandoffRequested
from bot.domain.renewals import RenewalDue, falling_by
from bot.models import Account, Alert, Opportunity, OutboxMessage, StageEvent
from bot.notify.common import person_locale, slack_id, team_locale_tz
from bot.notify.preferences import notify_person
from bot.slack.delivery import enqueue


def alert_key(alert_id: int) -> str:
    return f"health_alert:{alert_id}"


def account_key(account_id: int) -> str:
    return f"account:{account_id}"


def _cs(uow: UnitOfWork) -> tuple[Any, str, Any]:
    team = uow.config.cs_team()
    locale, tz = team_locale_tz(uow.config, team.id if team else None)
    return team, locale, tz


def _labels(uow: UnitOfWork) -> dict[str, str]:
    return {m.id: (m.label or m.id) for m in uow.config.success.health.measures}


def account_values(uow: UnitOfWork, acc: Account) -> dict[str, Any]:
    d = today(uow)
    return {
        "account": acc,
        "csm": slack_id(uow.config, acc.csm_id),
        "ae": slack_id(uow.config, acc.ae_id),
        "days_to_renewal": (acc.renewal_date - d).days if acc.renewal_date else None,
    }


# -- new customers (the FS → CS hand-off) and churn ---------------------------------------------


async def render_account_card(uow: UnitOfWork, acc: Account, sla_state: str | None = None) -> dict[str, Any]:
    """The new-customer card: while the hand-off is pending, the won deal's items and notes and the SLA."""
    _, locale, tz = _cs(uow)
    deal = await uow.session.get(Opportunity, acc.source_opportunity_id) if acc.source_opportunity_id else None
    by = await uow.session.scalar(
        select(StageEvent.actor).where(StageEvent.entity_type == "account", StageEvent.entity_id == acc.id,
                                       StageEvent.from_stage == HANDOFF, StageEvent.to_stage == ONBOARDING).limit(1)
    )  # fmt: skip
    handoff = {"deal": deal, "notes": (deal.notes or {}) if deal else {}, "today": uow.now(), "sla_state": sla_state,
               "by": slack_id(uow.config, by)}  # fmt: skip
    return uow.ctx.messages.message("account_card", locale, tz, **account_values(uow, acc), handoff=handoff)


@subscribe(StageChanged)
async def on_account_stage(uow: UnitOfWork, ev: StageChanged) -> None:
    if ev.entity_type != "account":
        return
    acc = await uow.session.get(Account, ev.entity_id)
    team, locale, tz = _cs(uow)
    if acc is None or team is None:
        return
    if ev.from_stage is None and acc.source_opportunity_id:  # a won deal became a customer
        msg = await render_account_card(uow, acc)
        key = account_key(acc.id)
        await enqueue(uow, "chat.postMessage", {"channel": team.channel, **msg}, key=key, dedupe_key=f"post:{key}")
    elif ev.to_stage == "churned":
        msg = uow.ctx.messages.message(
            "churn_notice", locale, tz, **account_values(uow, acc), by=slack_id(uow.config, ev.actor), reason=ev.reason
        )
        await enqueue(uow, "chat.postMessage", {"channel": team.channel, **msg}, dedupe_key=f"churn:{acc.id}")
        # Decided: the new-customer card and every renewal reminder say so and lose their buttons.
        if await _posted(uow, account_key(acc.id)):
            await enqueue(uow, "chat.update", dict(await render_account_card(uow, acc)), target_key=account_key(acc.id))
        decided = {"what": "churned", "reason": ev.reason, "by": slack_id(uow.config, ev.actor)}
        await update_renewal_reminders(uow, acc, decided)


@subscribe(CsHandoffDecided)
async def on_cs_handoff_accepted(uow: UnitOfWork, ev: CsHandoffDecided) -> None:
    acc = await uow.session.get(Account, ev.account_id)
    if acc is not None:
        await enqueue(uow, "chat.update", dict(await render_account_card(uow, acc)), target_key=account_key(acc.id))


async def cs_handoff_timer(uow: UnitOfWork, acc: Account, kind: str, timer_id: int) -> None:
    """SLA warning / breach of a pending CS hand-off: the card's state, and a reply naming the CSM
    (and, on a breach, the CS manager) under it."""
    team, locale, tz = _cs(uow)
    await enqueue(uow, "chat.update", dict(await render_account_card(uow, acc, kind)), target_key=account_key(acc.id))
    manager = team.manager if team and kind == "breached" and uow.config.success.handoff.escalate_to_manager else None
    msg = uow.ctx.messages.message(
        "cs_handoff_sla_notice", locale, tz, kind=kind, account=acc, csm=slack_id(uow.config, acc.csm_id),
        manager=slack_id(uow.config, manager), today=uow.now(), due_at=acc.handoff_due_at,
    )  # fmt: skip
    if team:
        await enqueue(uow, "chat.postMessage", {"channel": team.channel, **msg}, thread_key=account_key(acc.id),
                      dedupe_key=f"cs-handoff-sla:{kind}:{timer_id}")  # fmt: skip


# -- health alerts ------------------------------------------------------------------------------


def _baseline_day(alert: Alert) -> date | None:
    base = (alert.data or {}).get("baseline") or {}
    return date.fromisoformat(base["day"]) if base.get("day") else None


def render_alert(uow: UnitOfWork, alert: Alert, acc: Account, *, for_manager: bool = False) -> dict[str, Any]:
    team, locale, tz = _cs(uow)
    if for_manager:
        locale = person_locale(uow.config, team.manager if team else None, team.id if team else None)
    return uow.ctx.messages.message(
        "health_escalation" if for_manager else "health_alert", locale, tz,
        **account_values(uow, acc), alert=alert, data=alert.data, labels=_labels(uow),
        units={m.id: m.unit for m in uow.config.success.health.measures}, due_at=due_at(alert), since=_baseline_day(alert),
        now=uow.now(), by=slack_id(uow.config, alert.acknowledged_by),
        escalated_by=slack_id(uow.config, (alert.data or {}).get("escalated_by")),
        manager=slack_id(uow.config, team.manager if team else None),
    )  # fmt: skip


@subscribe(HealthAlertRaised)
async def on_alert_raised(uow: UnitOfWork, ev: HealthAlertRaised) -> None:
    team, _, _ = _cs(uow)
    alert = await uow.session.get(Alert, ev.alert_id)
    acc = await uow.session.get(Account, ev.account_id)
    if team is None or alert is None or acc is None:
        return
    key = alert_key(alert.id)
    msg = render_alert(uow, alert, acc)
    await enqueue(uow, "chat.postMessage", {"channel": team.channel, **msg}, key=key, dedupe_key=f"post:{key}")


@subscribe(HealthAlertChanged)
async def on_alert_changed(uow: UnitOfWork, ev: HealthAlertChanged) -> None:
    team, _, _ = _cs(uow)
    alert = await uow.session.get(Alert, ev.alert_id)
    acc = await uow.session.get(Account, ev.account_id)
    if team is None or alert is None or acc is None:
        return
    await enqueue(uow, "chat.update", dict(render_alert(uow, alert, acc)), target_key=alert_key(alert.id))
    if not team.manager:
        return
    dm_key = f"{alert_key(alert.id)}:dm:{team.manager}"
    if ev.action == "escalated":
        msg = render_alert(uow, alert, acc, for_manager=True)
        await notify_person(uow, team.manager, "health_alert", msg, key=dm_key, dedupe_key=f"health_escalation:{alert.id}")
    elif ev.action in ("acknowledged", "resolved") and await _posted(uow, dm_key):
        # Decided: the manager's escalation DM says so and loses its button, like the channel post.
        await enqueue(uow, "chat.update", dict(render_alert(uow, alert, acc, for_manager=True)), target_key=dm_key)


async def _posted(uow: UnitOfWork, key: str) -> bool:
    """Whether a keyed message was queued (a DM held by the person's preferences never is)."""
    stmt = select(OutboxMessage.id).where(OutboxMessage.key == key, OutboxMessage.method == "chat.postMessage").limit(1)
    return (await uow.session.scalar(stmt)) is not None


# -- renewals -----------------------------------------------------------------------------------


def renewal_key(account_id: int, renewal: date, offset: int, person_id: str | None = None) -> str:
    """One copy of a renewal reminder: the CS channel's, or a person's DM (recomputable, to update it)."""
    base = f"renewal:{account_id}:{renewal.isoformat()}:{offset}"
    return f"{base}:dm:{person_id}" if person_id else base


@subscribe(HandoffRequested)
async def on_upsell_handed_off(uow: UnitOfWork, ev: HandoffRequested) -> None:
    opp = await uow.session.get(Opportunity, ev.opportunity_id)
    if opp is None or opp.kind != "upsell" or opp.account_id is None:
        return
    acc = await uow.session.get(Account, opp.account_id)
    if acc is not None:
        await update_renewal_reminders(uow, acc, {"what": "upsell", "name": opp.name, "by": slack_id(uow.config, ev.actor)})


async def update_renewal_reminders(uow: UnitOfWork, acc: Account, decided: dict[str, Any]) -> None:
    """Every sent copy of the account's reminders for its renewal date (channel post and DMs), found
    by their recomputed keys, is updated in place without its buttons, saying what was decided."""
    if acc.renewal_date is None:
        return
    team, locale, tz = _cs(uow)
    wanted: dict[str, tuple[int, str | None]] = {}
    for offset in uow.config.success.renewals.offsets:
        wanted[renewal_key(acc.id, acc.renewal_date, offset)] = (offset, None)
        for pid in (acc.csm_id, acc.ae_id):
            if pid:
                wanted[renewal_key(acc.id, acc.renewal_date, offset, pid)] = (offset, pid)
    rows = await uow.session.execute(
        select(OutboxMessage.key, OutboxMessage.created_at)
        .where(OutboxMessage.key.in_(list(wanted)), OutboxMessage.method == "chat.postMessage")
    )  # fmt: skip
    for key, sent_at in rows.all():
        offset, pid = wanted[key]
        sent_on = sent_at.astimezone(tz).date() if sent_at.tzinfo else sent_at.date()
        falling = await falling_by(uow, acc, sent_on)
        due = RenewalDue(acc.id, acc.renewal_date, offset, (acc.renewal_date - sent_on).days,
                         acc.health_band == "red" or falling is not None, falling)  # fmt: skip
        loc = person_locale(uow.config, pid, team.id if team else None) if pid else locale
        msg = uow.ctx.messages.message("renewal_reminder", loc, tz, **account_values(uow, acc), due=due, decided=decided)
        await enqueue(uow, "chat.update", dict(msg), target_key=key)


async def renewal_reminder(uow: UnitOfWork, due: RenewalDue) -> None:
    acc = await uow.session.get(Account, due.account_id)
    team, locale, tz = _cs(uow)
    if acc is None:
        return
    values = {**account_values(uow, acc), "due": due, "decided": None}
    base = renewal_key(acc.id, due.renewal_date, due.offset)
    if uow.config.success.renewals.deliver == "channel" and team is not None:
        msg = uow.ctx.messages.message("renewal_reminder", locale, tz, **values)
        await enqueue(uow, "chat.postMessage", {"channel": team.channel, **msg}, key=base, dedupe_key=base)
        return
    for pid in dict.fromkeys(p for p in (acc.csm_id, acc.ae_id) if p):
        msg = uow.ctx.messages.message("renewal_reminder", person_locale(uow.config, pid, team.id if team else None), tz, **values)
        key = renewal_key(acc.id, due.renewal_date, due.offset, pid)
        await notify_person(uow, pid, "renewal", msg, key=key, dedupe_key=f"{base}:{pid}")
