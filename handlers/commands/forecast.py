"""`/forecast` — see (default), `submit`, `diff [@rep|team] [month|quarter] [since DATE]`, `team`.

Everything it shows is private (ephemeral); a rep sees only their own numbers unless they manage
the rep asked for. Bad arguments get the usage line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.notify import forecast as nf
from bot.slack.delivery import enqueue
from handlers.common import actor, baton_of, locale_for, tell

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass
class Args:
    sub: str  # show | submit | diff | team
    kind: str = "quarter"
    subject: str | None = None  # a person id, "team", or None (the caller)
    since: date | None = None


def parse(text: str, config: Any) -> Args | None:
    words = (text or "").split()
    if not words:
        return Args("show")
    sub, rest = words[0].lower(), words[1:]
    if len(words) == 1 and (words[0].startswith("@") or _MENTION.match(words[0])):
        other = parse(f"diff {words[0]}", config)  # `/forecast @rep`: a rep's numbers (theirs or a manager's)
        return Args("show", subject=other.subject) if other else None
    if sub not in ("submit", "diff", "team"):
        return None
    args = Args(sub)
    i = 0
    while i < len(rest):
        w = rest[i]
        low = w.lower()
        if low in ("month", "quarter"):
            args.kind = low
        elif low == "since" and sub == "diff" and i + 1 < len(rest):
            try:
                args.since = date.fromisoformat(rest[i + 1])
            except ValueError:
                return None
            i += 1
        elif sub == "diff" and low == "team" and args.subject is None:
            args.subject = "team"
        elif sub == "diff" and args.subject is None and (m := _MENTION.match(w)):
            p = config.person_by_slack(m.group(1))
            if p is None:
                return None
            args.subject = p.id
        elif sub == "diff" and args.subject is None and w.startswith("@"):
            name = w[1:]
            p = config.person(name) or next((x for x in config.people if x.name.replace(" ", "") == name), None)
            if p is None:
                return None
            args.subject = p.id
        else:
            return None
        i += 1
    return args




def text_msg(uow: UnitOfWork, locale: str, key: str, **kw: Any) -> dict[str, Any]:
    return {"text": uow.ctx.messages.text(locale, key, **kw)}


async def show_diff(
    uow: UnitOfWork, body: dict[str, Any], user: str, locale: str, caller: str, subject: str | None, kind: str,
    since: date | None, *, offset: int = 0, limit: int | None = None,
) -> None:  # fmt: skip
    """The diff for the caller, a rep they manage, or their team — or a refusal."""
    if subject == "team":
        teams = fc.teams_managed(uow, caller)
        if not teams:
            await tell(uow, body, user, text_msg(uow, locale, "forecast.refused_team"))
            return
        owners, label, subj = fc.team_members(uow, teams[0]), uow.config.team(teams[0]).name, f"team={teams[0]}"
    else:
        rep = subject or caller
        if not fc.may_view(uow, caller, rep):
            await tell(uow, body, user, text_msg(uow, locale, "forecast.refused_other"))
            return
        owners, label, subj = [rep], nf.who(uow, rep), rep
    before = datetime.combine(since + timedelta(days=1), time(0), tzinfo=fc.tz(uow)) if since else None
    res = await fc.diff_for(uow, owners, kind, since=before)
    more = f"s|{subj}|{kind}|{since.isoformat() if since else ''}"
    await tell(uow, body, user, nf.diff_message(uow, locale, res, label, offset=offset, limit=limit, more_value=more))


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    baton = baton_of(context)
    user, person = actor(baton, body)
    locale = locale_for(baton, person)
    args = parse(body.get("text") or "", baton.config)
    async with baton.ctx.uow() as uow:
        if person is None:
            await tell(uow, body, user, text_msg(uow, locale, "forecast.not_in_config"))
        elif args is None:
            await tell(uow, body, user, text_msg(uow, locale, "forecast.usage"))
        elif args.sub == "show":
            rep = args.subject or person.id
            if fc.may_view(uow, person.id, rep):
                await tell(uow, body, user, await nf.overview_message(uow, locale, rep))
            else:
                await tell(uow, body, user, text_msg(uow, locale, "forecast.refused_other"))
        elif args.sub == "submit":
            view = await nf.submit_modal(uow, locale, person.id, args.kind)
            await enqueue(uow, "views.open", {"trigger_id": body["trigger_id"], "view": view})
        elif args.sub == "diff":
            await show_diff(uow, body, user, locale, person.id, args.subject, args.kind, args.since)
        else:  # team
            teams = fc.teams_managed(uow, person.id)
            if not teams:
                await tell(uow, body, user, text_msg(uow, locale, "forecast.refused_team"))
            for team_id in teams[:3]:
                await tell(uow, body, user, await nf.team_message(uow, locale, team_id, args.kind))
    await ack()


def register(app: AsyncApp) -> None:
    app.command("/forecast")(handle)
