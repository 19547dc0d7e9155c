"""The company's forecast for whoever sees the whole company (a CRO): each Field Sales team's call
and system commit, which add up to the company's, the company target, and Baton's own forecast for
every Field Sales rep's deals (the model's company scope)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain import forecast_adjust as fa
from bot.domain import forecast_model as model
from bot.domain import permissions
from bot.domain import pipeline as pl
from bot.periods import Period


@dataclass(frozen=True)
class TeamLine:
    team_id: str
    name: str
    call: Decimal | None  # the team call, else its reps' calls summed; None: nobody has called
    won: Decimal
    commit: Decimal  # system commit: won + open commit


@dataclass(frozen=True)
class CompanyForecast:
    period: Period
    teams: list[TeamLine]
    target: Decimal | None  # the company's: every team's target summed (`pipeline.team_target`)
    baton: model.Forecast


def may_view(uow: UnitOfWork, person_id: str) -> bool:
    return permissions.allows("forecast.company", uow.config, uow.config.person(person_id), None)


async def company(uow: UnitOfWork, kind: str) -> CompanyForecast:
    p = fc.period(uow, kind)
    lines = []
    for t in uow.config.teams_by_function("field_sales"):
        n = await fc.numbers(uow, kind, team=t.id)
        lines.append(TeamLine(t.id, t.name, await fa.submitted_number(uow, kind, p.start, "team", t.id), n.won, n.commit))
    target = pl.team_target(uow, p, None)
    return CompanyForecast(p, lines, target, await model.current(uow, kind))
