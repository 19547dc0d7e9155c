"""Noise control: the ONE way a direct message to a person is queued.

`notify_person(uow, person_id, kind, message, key=, dedupe_key=)` applies the person's choice for
that kind of notification (App Home → notification settings, defaults in app.yaml `notifications:`):

- immediate → queued in the outbox, held (`not_before`) until the person's working hours in their
  own time zone (except the `TIMELY` kinds, whose moment app.yaml sets) (app.yaml person `timezone`, else the zone of their Slack profile cached from
  `users.info`, else the company zone) — never at 3 a.m.;
- digest    → kept as a `HeldNotification`, sent once a day by `jobs/personal_digest.py`;
- off       → dropped, unless the kind cannot be switched off (an SLA escalation to a manager).

The same alert is never sent twice to the same place: a `dedupe_key` (or `key`) posts once; a
repeat held for the digest rolls up into the one line already waiting.

A person's own settings (chosen working hours, the Slack profile zone, "has opened App Home") are a
`person_settings` row.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.calendar import BusinessCalendar, _parse_hours  # noqa: PLC2701
from bot.config_sections.notifications import KIND_TABLE, KINDS, TIMELY, kinds_for
from bot.context import UnitOfWork
from bot.domain.outcomes import Outcome, Result
from bot.models import HeldNotification, NotificationPreference, OutboxMessage, PersonSettings
from bot.slack.delivery import enqueue

MODES = ("immediate", "digest", "off")


def allowed_modes(kind: str) -> tuple[str, ...]:
    return KINDS.get(kind, ("immediate",))


def is_mandatory(kind: str) -> bool:
    return "off" not in allowed_modes(kind)


async def _row(uow: UnitOfWork, person_id: str, kind: str) -> NotificationPreference | None:
    return await uow.session.get(NotificationPreference, (person_id, kind))


async def _put(uow: UnitOfWork, person_id: str, kind: str, value: str) -> None:
    row = await _row(uow, person_id, kind)
    if row is None:
        uow.session.add(NotificationPreference(person_id=person_id, kind=kind, mode=value, updated_at=uow.now()))
    else:
        row.mode, row.updated_at = value, uow.now()
    await uow.session.flush()


async def preferences(uow: UnitOfWork, person_id: str) -> dict[str, str]:
    """Every kind → the mode in force for `person_id` (their choice, else the app.yaml default)."""
    rows = (
        await uow.session.execute(select(NotificationPreference).where(NotificationPreference.person_id == person_id))
    ).scalars()
    chosen = {r.kind: r.mode for r in rows}
    section = uow.config.notifications
    return {k: (chosen[k] if chosen.get(k) in allowed_modes(k) else section.default_mode(k)) for k in KINDS}


async def mode_of(uow: UnitOfWork, person_id: str, kind: str) -> str:
    row = await _row(uow, person_id, kind)
    if row is not None and row.mode in allowed_modes(kind):
        return row.mode
    return uow.config.notifications.default_mode(kind)


async def set_mode(uow: UnitOfWork, person_id: str, kind: str, mode: str) -> None:
    """Raises ValueError naming what is wrong (unknown person / kind, a mode this kind does not allow)."""
    if uow.config.person(person_id) is None:
        raise ValueError(f"unknown person '{person_id}'")
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind '{kind}'")
    if mode not in allowed_modes(kind):
        raise ValueError(f"'{mode}' is not allowed for {kind} (allowed: {', '.join(allowed_modes(kind))})")
    await _put(uow, person_id, kind, mode)


async def choose(uow: UnitOfWork, person_id: str, kind: str, mode: str) -> Result:
    """A person's own choice in App Home: only a kind they receive, only a mode it allows; a fixed
    kind (an SLA escalation) is explained, never changed."""
    person = uow.config.person(person_id)
    if person is None or kind not in kinds_for(person.roles):
        return Result(Outcome.NOT_ALLOWED, subject="notification")
    if KIND_TABLE[kind].fixed or mode not in allowed_modes(kind):
        return Result(Outcome.BAD_INPUT, subject="notification", state=kind)
    await _put(uow, person_id, kind, mode)
    return Result(Outcome.SAVED, subject="notification", by=person_id)


async def settings_of(uow: UnitOfWork, person_id: str) -> PersonSettings | None:
    return await uow.session.get(PersonSettings, person_id)


async def change_settings(uow: UnitOfWork, person_id: str, **values: Any) -> None:
    row = await settings_of(uow, person_id)
    if row is None:
        row = PersonSettings(person_id=person_id, updated_at=uow.now())
        uow.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = uow.now()
    await uow.session.flush()


async def working_hours(uow: UnitOfWork, person_id: str) -> str:
    row = await settings_of(uow, person_id)
    return (row.working_hours if row else None) or uow.config.notifications.working_hours


async def set_working_hours(uow: UnitOfWork, person_id: str, hours: str) -> None:
    if uow.config.person(person_id) is None:
        raise ValueError(f"unknown person '{person_id}'")
    _parse_hours(hours)  # ValueError with the reason
    await change_settings(uow, person_id, working_hours=hours)


async def remember_slack_tz(uow: UnitOfWork, person_id: str, tz: str | None) -> None:
    """Cache the zone of the person's Slack profile (users.info); ignored when unknown or too long."""
    if not tz or len(tz) > 64:
        return
    try:
        ZoneInfo(tz)
    except (KeyError, ValueError):
        return
    row = await settings_of(uow, person_id)
    if row is None or row.slack_tz != tz:
        await change_settings(uow, person_id, slack_tz=tz)


async def person_zone(uow: UnitOfWork, person_id: str) -> ZoneInfo:
    return (await zone_and_source(uow, person_id))[0]


async def zone_and_source(uow: UnitOfWork, person_id: str) -> tuple[ZoneInfo, str]:
    """The person's zone and where it comes from: app.yaml (`config`), their Slack profile (`slack`),
    else the company's (`company`)."""
    person = uow.config.person(person_id)
    if person and person.timezone:
        return ZoneInfo(person.timezone), "config"
    row = await settings_of(uow, person_id)
    if row is not None and row.slack_tz:
        try:
            return ZoneInfo(row.slack_tz), "slack"
        except (KeyError, ValueError):
            pass
    return ZoneInfo(uow.config.company.timezone), "company"


@lru_cache(maxsize=256)
def _calendar(tz: str, hours: str, base: BusinessCalendar) -> BusinessCalendar:
    opens, closes = _parse_hours(hours)
    if base.always_open:  # a round-the-clock team works every day: only the person's hours apply
        return BusinessCalendar(tz=ZoneInfo(tz), working_days=frozenset(range(7)), opens=opens, closes=closes, holiday_country=None)
    return BusinessCalendar(
        tz=ZoneInfo(tz), working_days=base.working_days, opens=opens, closes=closes,
        holiday_country=base.holiday_country, extra_holidays=base.extra_holidays,
    )  # fmt: skip


async def personal_calendar(uow: UnitOfWork, person_id: str) -> BusinessCalendar:
    """Working days and holidays of the person's (first) team calendar, else the company's; the
    hours the person chose; their zone."""
    zone = await person_zone(uow, person_id)
    teams = uow.config.teams_of(person_id)
    base = uow.config.team_calendar(teams[0].id) if teams else uow.config.calendar(None)
    return _calendar(str(zone.key), await working_hours(uow, person_id), base)


async def next_working_moment(uow: UnitOfWork, person_id: str, at: datetime | None = None) -> datetime:
    cal = await personal_calendar(uow, person_id)
    return cal.next_open(at or uow.now())


async def notify_person(
    uow: UnitOfWork,
    person_id: str | None,
    kind: str,
    message: dict[str, Any],
    *,
    key: str | None = None,
    dedupe_key: str | None = None,
) -> str:
    """Queue a DM to `person_id` as they want it. Returns what happened: sent | held | digest |
    rolled_up | off | duplicate | no_slack (the person has no Slack id)."""
    person = uow.config.person(person_id)
    if person is None or not person.slack_id:
        return "no_slack"
    mode = await mode_of(uow, person.id, kind)
    if mode == "off" and not is_mandatory(kind):
        return "off"
    dedupe = dedupe_key or (f"post:{key}" if key else None)
    if mode == "digest":
        link = dedupe or key
        if link:
            # The notification's identity, not the day a job ran: held already → one line; in a
            # digest already sent → not again.
            held = (await uow.session.execute(
                select(HeldNotification.sent_at).where(HeldNotification.person_id == person.id, HeldNotification.link_key == link[:200])
            )).scalars().all()  # fmt: skip
            if held:
                return "rolled_up" if any(at is None for at in held) else "duplicate"
        uow.session.add(
            HeldNotification(person_id=person.id, kind=kind, text=str(message.get("text") or ""), actions=_buttons(message),
                             link_key=link[:200] if link else None, created_at=uow.now())
        )  # fmt: skip
        await uow.session.flush()
        return "digest"
    now = uow.now()
    not_before = now if kind in TIMELY else await next_working_moment(uow, person.id, now)
    row = await enqueue(
        uow, "chat.postMessage", {"channel": person.slack_id, **message}, key=key, dedupe_key=dedupe,
        not_before=not_before if not_before > now else None,
    )  # fmt: skip
    if row is None:
        return "duplicate"
    return "held" if not_before > now else "sent"


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The interactive elements of a DM's action blocks, kept so its digest line can still be acted on."""
    elements = [e for b in message.get("blocks") or [] if b.get("type") == "actions" for e in b.get("elements") or []]
    return elements[:5] or None


async def pending_dm_count(uow: UnitOfWork, slack_id: str) -> int:
    """DMs waiting in the outbox for working hours (shown in App Home)."""
    rows = await uow.session.execute(
        select(OutboxMessage.id).where(
            OutboxMessage.channel == slack_id, OutboxMessage.status == "pending", OutboxMessage.next_attempt_at > uow.now()
        )
    )
    return len(rows.all())
