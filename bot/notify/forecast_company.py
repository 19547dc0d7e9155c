"""`/forecast team` as a whole: the roll-up of each team a person manages and, for whoever sees the
company, the company message — the teams' calls, won and system commit adding up on screen to the
company's, the target, and Baton's company forecast with why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot import formatting
from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain import forecast_company as fcomp
from bot.messages import escape_mrkdwn
from bot.notify import forecast as nf
from bot.notify import forecast_model as baton_view

TEAMS_SHOWN = 3  # team roll-ups per /forecast team (each is its own message)


async def team_messages(uow: UnitOfWork, locale: str, person_id: str, kind: str) -> list[dict[str, Any]]:
    """Each team the person manages (up to TEAMS_SHOWN), then the company for a CRO; [] when neither."""
    out = [await nf.team_message(uow, locale, team_id, kind) for team_id in fc.teams_managed(uow, person_id)[:TEAMS_SHOWN]]
    if fcomp.may_view(uow, person_id) and uow.config.teams_by_function("field_sales"):
        out.append(await company_message(uow, locale, kind))
    return out


def _column(values: list[Decimal], locale: str) -> tuple[list[str], str]:
    return formatting.format_money_parts(values, locale) if values else ([], nf.money(locale, Decimal(0)))


async def company_message(uow: UnitOfWork, locale: str, kind: str) -> dict[str, Any]:
    c = await fcomp.company(uow, kind)
    t = lambda key, **kw: uow.ctx.messages.text(locale, f"forecast_company.{key}", **kw)  # noqa: E731
    called = [x.call for x in c.teams if x.call is not None]
    # Every column is apportioned with its total: the teams' figures add up to the company's on screen.
    calls, call_total = _column(called, locale)
    wons, won_total = _column([x.won for x in c.teams], locale)
    commits, commit_total = _column([x.commit for x in c.teams], locale)
    shown_calls = iter(calls)
    rows = [
        t("row", team=escape_mrkdwn(x.name), call=next(shown_calls) if x.call is not None else t("no_call"), won=won, commit=commit)
        for x, won, commit in zip(c.teams, wons, commits, strict=True)
    ]
    commit_sum = sum((x.commit for x in c.teams), Decimal(0))
    total = t("total", call=call_total if called else t("no_call"), won=won_total, commit=commit_total)
    target = t("target", target=nf.money(locale, c.target), pct=formatting.format_percent(float(commit_sum / c.target), locale)) if c.target else None
    baton = baton_view.view(uow, locale, c.baton, call=sum(called, Decimal(0)) if called else None, commit=commit_sum)
    return uow.ctx.messages.message(
        "forecast_company", locale, fc.tz(uow), title=t("title", period=nf.period_label(uow, locale, c.period)),
        header=t("header"), rows=rows, total=total, target=target, baton=baton,
    )  # fmt: skip
