"""Manager adjustments in Slack: the select on `/forecast team` that opens the adjust modal, the
lines the roll-up and the rep's `/forecast` show (submitted · adjusted · Baton's, and each
adjustment of the history), and the confirmation. Text from templates/strings/*/forecast_adjust.yaml."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot import formatting
from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain import forecast_adjust as fa
from bot.domain import forecast_model as baton_model
from bot.messages import escape_mrkdwn
from bot.models import ForecastAdjustment
from bot.notify.common import slack_id
from bot.slack.payloads import AdjustTarget

HISTORY_SHOWN = 5  # per number; older adjustments are counted
OPTIONS_MAX = 100  # Slack's limit for a static select


def _t(uow: UnitOfWork, locale: str, key: str, **kw: Any) -> str:
    return uow.ctx.messages.text(locale, f"forecast_adjust.{key}", **kw)


def _money(uow: UnitOfWork, locale: str, v: Decimal | None) -> str:
    return formatting.format_money(v, "JPY", locale) if v is not None else _t(uow, locale, "none")


def _who(uow: UnitOfWork, person_id: str | None) -> str:
    sid = slack_id(uow.config, person_id)
    return f"<@{sid}>" if sid else escape_mrkdwn(person_id or "?")


def _name(uow: UnitOfWork, person_id: str) -> str:
    p = uow.config.person(person_id)
    return p.name if p else person_id


def _label(uow: UnitOfWork, locale: str, scope: str, subject: str) -> str:
    if scope == "team":
        team = uow.config.team(subject)
        return _t(uow, locale, "team_label", team=escape_mrkdwn(team.name if team else subject))
    return _who(uow, subject)


def _period(uow: UnitOfWork, locale: str, kind: str, start: date) -> str:
    p = fc.period_from(kind, start, fc.fiscal_start(uow))
    return uow.ctx.messages.text(locale, f"forecast.period.{p.kind}", code=p.key)


def options(uow: UnitOfWork, locale: str, team_id: str, kind: str, reps: list[str]) -> list[dict[str, str]]:
    """The adjust select's options: the team's number, then each rep's."""
    team, start = uow.config.team(team_id), fc.period(uow, kind).start
    out = [{"text": _t(uow, locale, "option_team", team=team.name if team else team_id), "value": AdjustTarget(kind, "team", team_id, start).encode()}]
    out += [{"text": _t(uow, locale, "option_rep", who=_name(uow, r)), "value": AdjustTarget(kind, "rep", r, start).encode()} for r in reps]
    return out[:OPTIONS_MAX]


async def modal(uow: UnitOfWork, locale: str, target: AdjustTarget) -> dict[str, Any]:
    """The adjust modal (a check the domain allowed): what was submitted, the system commit, the
    number as adjusted now, prefilled with the number it replaces."""
    kind, scope, subject = target.period, target.scope, target.subject
    n = await fc.numbers(uow, kind, rep=subject if scope == "rep" else None, team=subject if scope == "team" else None)
    submitted = await fa.submitted_number(uow, kind, n.period.start, scope, subject)
    rows = await fa.history(uow, kind, n.period.start, scope, subject)
    now = rows[-1].amount if rows else None
    prefill = next(v for v in (now, submitted, n.commit) if v is not None)
    intro = _t(
        uow, locale, "modal.intro", who=_label(uow, locale, scope, subject), period=_period(uow, locale, kind, n.period.start),
        submitted=_money(uow, locale, submitted), commit=_money(uow, locale, n.commit),
        adjusted=_money(uow, locale, now) if now is not None else "",
    )  # fmt: skip
    return uow.ctx.messages.view(
        "forecast_adjust_modal", locale, fc.tz(uow), intro=intro, amount=str(int(prefill)), metadata=target.encode()
    )


def saved_text(uow: UnitOfWork, locale: str, row: ForecastAdjustment) -> str:
    return _t(
        uow, locale, "saved", who=_label(uow, locale, row.scope, row.subject), period=_period(uow, locale, row.period_kind, row.period_start),
        frm=_money(uow, locale, row.from_amount), to=_money(uow, locale, row.amount), reason=escape_mrkdwn(row.reason)[:500],
    )  # fmt: skip


def history_lines(uow: UnitOfWork, locale: str, rows: list[ForecastAdjustment]) -> list[str]:
    """The latest adjustments of one number, newest last; older ones counted."""
    tz = fc.tz(uow)
    shown = rows[-HISTORY_SHOWN:]
    out = [_t(uow, locale, "earlier", n=len(rows) - len(shown))] if len(rows) > len(shown) else []
    return out + [
        _t(uow, locale, "history", when=formatting.format_datetime(r.adjusted_at, locale, tz), by=_who(uow, r.adjusted_by),
           frm=_money(uow, locale, r.from_amount), to=_money(uow, locale, r.amount), reason=escape_mrkdwn(r.reason)[:300])
        for r in shown
    ]  # fmt: skip


async def team_lines(
    uow: UnitOfWork, locale: str, team_id: str, kind: str, submitted: dict[str, Any]
) -> tuple[dict[str, list[str]], list[str]]:
    """For the roll-up: each adjusted rep's lines (submitted · adjusted · Baton, then the history)
    and the team number's. `submitted`: rep → their last submission (or None). Baton's number is
    worked out only for what was adjusted."""
    p = fc.period(uow, kind)
    found = await fa.for_team(uow, team_id, kind, p.start)
    if not found:
        return {}, []
    log = await baton_model.load(uow)
    reps: dict[str, list[str]] = {}
    for (scope, subject), rows in found.items():
        if scope != "rep":
            continue
        sub = submitted.get(subject)
        baton = await baton_model.current(uow, kind, rep=subject, log=log)
        head = _t(uow, locale, "line", submitted=_money(uow, locale, sub.commit_amount if sub else None),
                  adjusted=_money(uow, locale, rows[-1].amount), baton=_money(uow, locale, baton.point))  # fmt: skip
        reps[subject] = [head, *history_lines(uow, locale, rows)]
    rows = found.get(("team", team_id))
    if not rows:
        return reps, []
    team_call = await fa.submitted_number(uow, kind, p.start, "team", team_id)
    baton = await baton_model.current(uow, kind, team=team_id, log=log)
    head = _t(uow, locale, "team_line", submitted=_money(uow, locale, team_call), adjusted=_money(uow, locale, rows[-1].amount),
              baton=_money(uow, locale, baton.point))  # fmt: skip
    return reps, [head, *history_lines(uow, locale, rows)]


async def rep_note(uow: UnitOfWork, locale: str, rep: str, kind: str, start: date, sub: Any, baton_point: Decimal) -> str | None:
    """On the rep's own `/forecast`: their number as their manager adjusted it, with the history (None: not adjusted)."""
    rows = await fa.history(uow, kind, start, "rep", rep)
    if not rows:
        return None
    head = _t(uow, locale, "rep_note", submitted=_money(uow, locale, sub.commit_amount if sub else None),
              adjusted=_money(uow, locale, rows[-1].amount), baton=_money(uow, locale, baton_point))  # fmt: skip
    return "\n".join([head, *history_lines(uow, locale, rows)])
