"""`/forecast` — see (default), `submit`, `diff [@rep|team] [month|quarter] [since DATE]`, `team`,
`accuracy [month|quarter]` (the backtest: both kinds unless one is named).
Everything it shows is private (ephemeral); a rep sees only their own numbers unless they manage
the rep asked for (the domain's scopes decide). Bad arguments get the usage line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.config import AppConfig
from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain import forecast_backtest as fb
from bot.domain.outcomes import Outcome, Result
from bot.notify import forecast as nf
from bot.notify.forecast_accuracy import accuracy_message
from bot.notify.forecast_company import team_messages
from bot.slack.ids import Command
from handlers.common import Interaction

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass
class Args:
    sub: str  # show | submit | diff | team | accuracy
    kind: str = "quarter"  # accuracy: "" = both kinds
    subject: str | None = None  # a person id, "team", or None (the caller)
    since: date | None = None


def _person(word: str, config: AppConfig) -> str | None:
    if m := _MENTION.match(word):
        p = config.person_by_slack(m.group(1))
    else:
        name = word[1:]
        p = config.person(name) or next((x for x in config.people if x.name.replace(" ", "") == name), None)
    return p.id if p else None


def parse(text: str, config: AppConfig) -> Args | None:
    words = (text or "").split()
    if not words:
        return Args("show")
    if len(words) == 1 and (words[0].startswith("@") or _MENTION.match(words[0])):
        who = _person(words[0], config)  # `/forecast @rep`: a rep's numbers (theirs or a manager's)
        return Args("show", subject=who) if who else None
    sub = words[0].lower()
    if sub == "accuracy":
        rest = [w.lower() for w in words[1:]]
        return Args(sub, rest[0] if rest else "") if rest in ([], ["month"], ["quarter"]) else None
    return _options(sub, words[1:], config) if sub in ("submit", "diff", "team") else None


def _options(sub: str, rest: list[str], config: AppConfig) -> Args | None:
    """`[month|quarter]`, and for diff `[@rep|team] [since YYYY-MM-DD]`, in any order."""
    kind, subject, since, words = "quarter", None, None, iter(rest)
    for w in words:
        low = w.lower()
        if low in fc.KINDS:
            kind = low
        elif sub == "diff" and low == "since" and since is None:
            try:
                since = date.fromisoformat(next(words, ""))
            except ValueError:
                return None
        elif sub == "diff" and subject is None and (low == "team" or w.startswith("@") or _MENTION.match(w)):
            subject = "team" if low == "team" else _person(w, config)
            if subject is None:
                return None
        else:
            return None
    return Args(sub, kind, subject, since)


async def _answer(it: Interaction, uow: UnitOfWork, args: Args) -> Result | None:
    me, locale = it.person.id, it.locale()
    if args.sub == "accuracy":
        report = await fb.accuracy(uow, me, (args.kind,) if args.kind else fc.KINDS)
        if report.ok:
            await it.tell(uow, accuracy_message(uow, locale, report))
        return report
    if args.sub == "submit":
        scope = fc.submit_scope(uow, me, args.kind, None)
        if scope.ok:
            await it.open_view(uow, await nf.submit_modal(uow, locale, me, args.kind))
        return scope
    if args.sub == "team":
        messages = await team_messages(uow, locale, me, args.kind)
        for message in messages:
            await it.tell(uow, message)
        return None if messages else fc.Scope(Outcome.NOT_ALLOWED, subject="forecast_team")
    scope = fc.view_scope(uow, me, args.subject)
    if scope.ok and args.sub == "show":
        await it.tell(uow, await nf.overview_message(uow, locale, scope.rep))
    elif scope.ok:
        await it.tell(uow, await nf.diff_reply(uow, locale, scope, args.kind, args.since))
    return scope


async def handle(ack: Any, body: dict[str, Any], context: dict[str, Any]) -> None:
    it = Interaction.of(body, context)
    args = parse(body.get("text") or "", it.baton.config)

    async def answer(uow: UnitOfWork) -> Result | None:
        if args is None:
            await it.tell(uow, it.text("forecast.usage"))
            return None
        return await _answer(it, uow, args)

    await it.report(ack, answer)


COMMANDS = {Command.FORECAST: handle}
