"""Baton's own forecast in Slack: its number and range next to the call and the system commit, and
"why" — the open deals and the corrections that move it most, and which parameters are configured
defaults (too little history). Text from templates/strings/{ja,en}/forecast_model.yaml."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot import formatting
from bot.context import UnitOfWork
from bot.domain.forecast_model import Forecast
from bot.messages import escape_mrkdwn

FACTORS = ("rep", "close_in_period", "season", "new_business")


def _money(locale: str, v: Decimal | None) -> str:
    return formatting.format_money(v or 0, "JPY", locale)


def _signed(locale: str, v: Decimal) -> str:
    return ("+" if v >= 0 else "−") + _money(locale, abs(v))


def _param_label(uow: UnitOfWork, locale: str, name: str) -> str:
    t = uow.ctx.messages.text
    kind, _, rest = name.partition("/")
    if kind.startswith("phase_"):
        return t(locale, "baton_forecast.param.phase", phase=kind[6:])
    if kind == "rep":
        p = uow.config.person(rest)
        return t(locale, "baton_forecast.param.rep", who=p.name if p else rest)
    if kind == "season":
        return t(locale, "baton_forecast.param.season")
    return t(locale, f"baton_forecast.param.{kind}")


def view(uow: UnitOfWork, locale: str, f: Forecast, *, call: Decimal | None, commit: Decimal) -> dict[str, Any]:
    """`line` (Baton · call · commit), `why` (lines) and `fallback` (or None) for a template."""
    t = uow.ctx.messages.text
    pct = lambda x: formatting.format_percent(x, locale)  # noqa: E731
    line = t(
        locale, "baton_forecast.line", point=_money(locale, f.point), low=_money(locale, f.low), high=_money(locale, f.high),
        interval=pct(f.interval), call=_money(locale, call) if call is not None else t(locale, "baton_forecast.no_call"),
        commit=_money(locale, commit),
    )  # fmt: skip
    why = [t(locale, "baton_forecast.won", amount=_money(locale, f.won))] if f.won else []
    why += [
        t(locale, "baton_forecast.deal", name=escape_mrkdwn(d.name or str(d.deal_id)), amount=_money(locale, d.amount), p=pct(d.probability), expected=_money(locale, d.expected))
        for d in f.drivers
    ]  # fmt: skip
    params = f.params
    values = {"rep": "", "close_in_period": pct(params.close_in_period.value), "season": f"×{params.season.value:.2f}", "new_business": ""}
    samples = {"close_in_period": params.close_in_period.sample, "season": params.season.sample, "new_business": params.new_business.sample, "rep": ""}
    moved = sorted((k for k in FACTORS if f.factors.get(k)), key=lambda k: -abs(f.factors[k]))[:3]
    why += [t(locale, f"baton_forecast.factor.{k}", amount=_signed(locale, f.factors[k]), value=values[k], n=samples[k]) for k in moved]
    names = list(dict.fromkeys(_param_label(uow, locale, n) for n in f.fallbacks))
    fallback = t(locale, "baton_forecast.fallback", names=", ".join(names)) if names else None
    return {"line": line, "why": why, "why_title": t(locale, "baton_forecast.why"), "fallback": fallback}
