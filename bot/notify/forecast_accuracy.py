"""How each forecasting method did on the team's own past periods (the backtest): `/forecast accuracy`,
the monthly digest's line, and the meeting summary's calls far from Baton's forecast. Text from
templates/strings/{ja,en}/forecast_accuracy.yaml; figures defined in docs/metrics.md (Backtest)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot import formatting
from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain.forecast_backtest import METHODS, Latest, Report, Row, Summary
from bot.domain.forecast_gaps import Gap
from bot.notify.common import slack_id


def _t(uow: UnitOfWork, locale: str, key: str, **kw: Any) -> str:
    return uow.ctx.messages.text(locale, f"forecast_accuracy.{key}", **kw)


def _money(locale: str, v: float | Decimal) -> str:
    return formatting.format_money(Decimal(str(round(v))), "JPY", locale)


def signed_pct(locale: str, e: float | None) -> str:
    """An error or a gap: one decimal, with its sign (+ over, − under); "—" when there is none."""
    if e is None:
        return "—"
    shown = formatting.format_percent(abs(e), locale, 1)
    return ("+" if e > 0 else "−" if e < 0 and shown.strip("0.,%") else "±") + shown


def _tol(uow: UnitOfWork, locale: str, kind: str) -> str:
    return formatting.format_percent(uow.config.forecast.tolerance_for(kind), locale)


def _period(uow: UnitOfWork, locale: str, r: Row) -> str:
    return uow.ctx.messages.text(locale, f"forecast.period.{r.kind}", code=r.period.key)


def row_line(uow: UnitOfWork, locale: str, r: Row) -> str:
    methods = [
        _t(uow, locale, "method_value", method=_t(uow, locale, f"method.{m}"), amount=_money(locale, r.forecasts[m]),
           error=signed_pct(locale, r.errors[m]), mark=_t(uow, locale, "inside" if r.inside[m] else "outside"))
        for m in METHODS
    ]  # fmt: skip
    return _t(uow, locale, "row", period=_period(uow, locale, r), actual=_money(locale, r.actual), methods=" · ".join(methods))


def summary_line(uow: UnitOfWork, locale: str, s: Summary, m: str) -> str:
    mape = s.mape[m]
    return _t(uow, locale, "summary", method=_t(uow, locale, f"method.{m}"), mape=formatting.format_percent(mape, locale, 1) if mape is not None else "—",
              inside=s.inside[m], n=s.periods, tolerance=_tol(uow, locale, s.kind))  # fmt: skip


def _who(uow: UnitOfWork, locale: str, scope: str, who: str) -> str:
    if scope == "company":
        return _t(uow, locale, "company")
    named = uow.config.team(who) if scope == "team" else uow.config.person(who)
    return named.name if named else who


def accuracy_message(uow: UnitOfWork, locale: str, report: Report) -> dict[str, Any]:
    kinds = []
    for kind in report.kinds:
        summary = next((s for s in report.summaries if s.kind == kind), None)
        rows = [r for r in report.rows if r.kind == kind]
        kinds.append({
            "heading": _t(uow, locale, f"heading.{kind}", tolerance=_tol(uow, locale, kind)),
            "summary": [summary_line(uow, locale, summary, m) for m in METHODS] if summary else [],
            "rows": [row_line(uow, locale, r) for r in rows],
            "shown": _t(uow, locale, "shown", shown=len(rows), n=summary.periods) if summary and summary.periods > len(rows) else None,
            "empty": None if summary else _t(uow, locale, "too_little", months=report.min_months),
        })  # fmt: skip
    return uow.ctx.messages.message(
        "forecast_accuracy", locale, fc.tz(uow), title=_t(uow, locale, "title", who=_who(uow, locale, report.scope, report.who)),
        intro=_t(uow, locale, f"intro.{report.scope}"), kinds=kinds, note=_t(uow, locale, "note"),
    )  # fmt: skip


def digest_line(uow: UnitOfWork, locale: str, latest: Latest | None) -> str | None:
    """The monthly digest's one line: the last scored period, each method against the actual, and the
    running MAPE of each method over every scored period of that kind."""
    if latest is None:
        return None
    r, s = latest.row, latest.summary
    values: dict[str, Any] = {}
    for m in METHODS:
        values[m] = _money(locale, r.forecasts[m])
        values[f"{m}_error"] = signed_pct(locale, r.errors[m])
        values[f"{m}_mape"] = formatting.format_percent(s.mape[m], locale, 1) if s.mape[m] is not None else "—"
    return _t(uow, locale, "digest", period=_period(uow, locale, r), actual=_money(locale, r.actual), n=s.periods, **values)


def gap_lines(uow: UnitOfWork, locale: str, gaps: list[Gap], kind: str) -> list[str]:
    """The meeting summary's flag: each rep whose call is beyond the tolerance from Baton's forecast."""
    if not gaps:
        return []
    lines = [_t(uow, locale, "gaps_title", tolerance=_tol(uow, locale, kind))]
    for g in gaps:
        sid = slack_id(uow.config, g.rep)
        lines.append(_t(uow, locale, "gap", who=f"<@{sid}>" if sid else g.rep, call=_money(locale, g.call), baton=_money(locale, g.baton), gap=signed_pct(locale, g.gap)))
    return lines
