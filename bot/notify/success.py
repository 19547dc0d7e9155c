"""Customer Success in Slack: the new-customer card, health-drop alerts (posted once, updated in
place, escalation DM to the CS manager), renewal reminders, the upsell hand-off to FS, churn."""

from __future__ import annotations

from typing import Any

from bot.context import UnitOfWork, subscribe

from bot.domain.accounts import today
from bot.domain.events import StageChanged
from bot.domain.health_alerts import HealthAlertChanged, HealthAlertRaised, due_at
from bot.domain.renewals import RenewalDue
from bot.models import Account, Alert
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


# -- new customers and churn --------------------------------------------------------------------


@subscribe(StageChanged)
async def on_account_stage(uow: UnitOfWork, ev: StageChanged) -> None:
    if ev.entity_type != "account":
        return
    acc = await uow.session.get(Account, ev.entity_id)
    team, locale, tz = _cs(uow)
    if acc is None or team is None:
        return
    if ev.from_stage is None and acc.source_opportunity_id:  # a won deal became a customer
        msg = uow.ctx.messages.message("account_card", locale, tz, **account_values(uow, acc))
        key = account_key(acc.id)
        await enqueue(uow, "chat.postMessage", {"channel": team.channel, **msg}, key=key, dedupe_key=f"post:{key}")
    elif ev.to_stage == "churned":
        msg = uow.ctx.messages.message(
            "churn_notice", locale, tz, **account_values(uow, acc), by=slack_id(uow.config, ev.actor), reason=ev.reason
        )
        await enqueue(uow, "chat.postMessage", {"channel": team.channel, **msg}, dedupe_key=f"churn:{acc.id}")


# -- health alerts ------------------------------------------------------------------------------


def render_alert(uow: UnitOfWork, alert: Alert, acc: Account, *, for_manager: bool = False) -> dict[str, Any]:
    team, locale, tz = _cs(uow)
    if for_manager:
        locale = person_locale(uow.config, team.manager if team else None, team.id if team else None)
    return uow.ctx.messages.message(
        "health_escalation" if for_manager else "health_alert", locale, tz,
        **account_values(uow, acc), alert=alert, data=alert.data, labels=_labels(uow),
        units={m.id: m.unit for m in uow.config.success.health.measures}, due_at=due_at(alert),
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
    if ev.action == "escalated" and team.manager:
        msg = render_alert(uow, alert, acc, for_manager=True)
        await notify_person(uow, team.manager, "health_alert", msg, dedupe_key=f"health_escalation:{alert.id}")


# -- renewals -----------------------------------------------------------------------------------


async def renewal_reminder(uow: UnitOfWork, due: RenewalDue) -> None:
    acc = await uow.session.get(Account, due.account_id)
    team, locale, tz = _cs(uow)
    if acc is None:
        return
    values = {**account_values(uow, acc), "due": due}
    base = f"renewal:{acc.id}:{due.renewal_date.isoformat()}:{due.offset}"
    if uow.config.success.renewals.deliver == "channel" and team is not None:
        msg = uow.ctx.messages.message("renewal_reminder", locale, tz, **values)
        await enqueue(uow, "chat.postMessage", {"channel": team.channel, **msg}, dedupe_key=base)
        return
    for pid in dict.fromkeys(p for p in (acc.csm_id, acc.ae_id) if p):
        msg = uow.ctx.messages.message("renewal_reminder", person_locale(uow.config, pid, team.id if team else None), tz, **values)
        await notify_person(uow, pid, "renewal", msg, dedupe_key=f"{base}:{pid}")
