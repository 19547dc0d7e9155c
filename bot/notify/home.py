"""App Home: rendered from `bot.domain.home.home_data` and published with `views.publish` through
the outbox — when the person opens the tab, and again whenever a record it shows changes stage.

Refreshes coalesce: a new publish for a person supersedes their publishes still waiting in the
outbox (views.publish replaces the whole tab, so only the newest matters). People who never opened
the tab are not published to.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from bot.config_sections.notifications import KINDS, kinds_for
from bot.context import UnitOfWork, subscribe
from bot.domain.events import StageChanged
from bot.domain.health_alerts import HealthAlertChanged, HealthAlertRaised
from bot.domain.home import SLA_DAYS, affected_people, home_data
from bot.domain.opportunities import DealUpdated
from bot.domain.routing import LeadReassigned
from bot.domain.sla import BREACH, SlaFired
from bot.models import OutboxMessage, PersonSettings
from bot.notify import preferences as prefs
from bot.notify.common import person_locale
from bot.slack.delivery import enqueue

TEAM_CAP = 12


def _prefix(person_id: str) -> str:
    return f"home:{person_id}:"


async def render_home(uow: UnitOfWork, person_id: str) -> dict[str, Any]:
    config = uow.config
    data = await home_data(uow, person_id)
    tz, zone_source = await prefs.zone_and_source(uow, person_id)
    modes = await prefs.preferences(uow, person_id)
    hours = await prefs.working_hours(uow, person_id)
    choices = list(config.notifications.quiet_hour_choices)
    if hours not in choices:
        choices.append(hours)
    person = config.person(person_id)
    settings = [{"kind": k, "mode": modes[k], "allowed": list(KINDS[k])} for k in kinds_for(person.roles if person else [])]
    msgs, locale = uow.ctx.messages, person_locale(config, person_id)

    def item_label(item: str) -> str:  # issue 5 may flag more items than this file names
        key = f"home.items.{item}"
        return msgs.text(locale, key) if msgs.has_text(locale, key) else item

    return msgs.view(
        "home", locale, tz, item_label=item_label,
        d=data, now=uow.now(), settings=settings, hours=hours, hour_choices=choices, zone=str(tz.key), zone_source=zone_source,
        team=data.team[:TEAM_CAP], sla_days=SLA_DAYS, team_more=max(0, len(data.team) - TEAM_CAP),
        slack=lambda pid: (config.person(pid).slack_id if config.person(pid) else None),
    )  # fmt: skip


async def publish_home(uow: UnitOfWork, person_id: str) -> OutboxMessage | None:
    """Queue the person's App Home (superseding any publish of theirs still waiting)."""
    person = uow.config.person(person_id)
    if person is None or not person.slack_id:
        return None
    view = await render_home(uow, person_id)
    prefix = _prefix(person_id)
    await uow.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.method == "views.publish",
            OutboxMessage.status == "pending",
            OutboxMessage.dedupe_key.like(prefix + "%"),
        )
        .values(status="superseded")
    )
    return await enqueue(
        uow, "views.publish", {"user_id": person.slack_id, "view": view},
        dedupe_key=f"{prefix}{uow.now().isoformat()}:{uuid.uuid4().hex[:10]}",
    )  # fmt: skip


async def has_opened_home(uow: UnitOfWork, person_id: str) -> bool:
    """Stage changes ask this for every person they touch: one query per transaction, not per ask."""
    opened = uow.cache.get("home_opened")
    if opened is None:
        rows = await uow.session.execute(
            select(PersonSettings.person_id).where(PersonSettings.home_opened_at.is_not(None))
        )
        opened = uow.cache["home_opened"] = {pid for (pid,) in rows}
    return person_id in opened


async def mark_opened(uow: UnitOfWork, person_id: str) -> None:
    if not await has_opened_home(uow, person_id):
        await prefs.change_settings(uow, person_id, home_opened_at=uow.now())
        uow.cache["home_opened"].add(person_id)


async def refresh(uow: UnitOfWork, person_ids: set[str]) -> None:
    for pid in sorted(person_ids):
        if await has_opened_home(uow, pid):
            await publish_home(uow, pid)


@subscribe(StageChanged)
async def on_stage_changed(uow: UnitOfWork, ev: StageChanged) -> None:
    who = await affected_people(uow, ev.entity_type, ev.entity_id, ev.team_id)
    if ev.actor and uow.config.person(ev.actor):
        who.add(ev.actor)
    await refresh(uow, who)


@subscribe(DealUpdated)
async def on_deal_updated(uow: UnitOfWork, ev: DealUpdated) -> None:
    """An edit of the 7 items is no stage change, but the owner's and manager's Home list the deal."""
    await refresh(uow, await affected_people(uow, "opportunity", ev.opportunity_id, None))


@subscribe(SlaFired)
async def on_sla_fired(uow: UnitOfWork, ev: SlaFired) -> None:
    """A breach is no stage change, but the assignee's and the manager's Home show it (overdue)."""
    entity_type, entity_id = ev.entity
    if ev.kind == BREACH and entity_id is not None:
        await refresh(uow, await affected_people(uow, entity_type, entity_id, None))


@subscribe(LeadReassigned)
async def on_reassigned(uow: UnitOfWork, ev: LeadReassigned) -> None:
    who = {p for p in (ev.from_person, ev.to_person) if p}
    team = uow.config.team(ev.team_id)
    if team and team.manager:
        who.add(team.manager)
    await refresh(uow, who)


@subscribe(HealthAlertRaised)
@subscribe(HealthAlertChanged)
async def on_health_alert(uow: UnitOfWork, ev: HealthAlertRaised | HealthAlertChanged) -> None:
    """The account's CSM (and AE) list its open alert; a CS manager lists what is escalated to them."""
    who = await affected_people(uow, "account", ev.account_id, None)
    who |= {t.manager for t in uow.config.teams_by_function("customer_success") if t.manager}
    if getattr(ev, "actor", None) and uow.config.person(ev.actor):
        who.add(ev.actor)
    await refresh(uow, who)
