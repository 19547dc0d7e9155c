"""Managers' pipeline messages: the bottleneck alert/summary, the daily digest (with its chart) and capacity.

Jobs and commands call these inside their unit of work; everything goes out through the outbox.
"""

from __future__ import annotations

import base64
from dataclasses import asdict
from datetime import date
from typing import Any

from bot import charts
from bot.config import AppConfig
from bot.context import UnitOfWork
from bot.formatting import format_date
from bot.domain import bottleneck as bn
from bot.domain import digest as dg
from bot.domain.capacity import plan
from bot.notify.common import person_locale
from bot.notify.forecast_accuracy import digest_line
from bot.notify.preferences import notify_person
from bot.slack.delivery import enqueue


def stage_view(s: bn.StageStats | None) -> dict[str, Any] | None:
    if s is None:
        return None
    d = asdict(s)
    d["recent"]["conversion"], d["baseline"]["conversion"] = s.recent.conversion, s.baseline.conversion
    d["at_stake"] = s.at_stake
    return d


def render_bottleneck(uow: UnitOfWork, analysis: bn.Analysis, locale: str, *, alert_id: int | None = None, state_line: str | None = None) -> dict[str, Any]:
    tz = uow.config.calendar(None).tz
    return uow.ctx.messages.message(
        "bottleneck", locale, tz, b=stage_view(analysis.bottleneck), watch=[stage_view(w) for w in analysis.watch],
        recent_days=analysis.recent_days, baseline_days=analysis.baseline_days, average_deal=analysis.average_deal,
        alert_id=alert_id, state_line=state_line, team_name=(t.name if (t := uow.config.team(analysis.team)) else None),
    )  # fmt: skip


async def post_bottleneck(uow: UnitOfWork, analysis: bn.Analysis, decision: bn.AlertDecision, occurrence: str) -> list[str]:
    """A new/worse bottleneck: DM every manager and post in the managers' channel, with Acknowledge/Snooze.
    Otherwise the weekly summary in the managers' channel only. Returns the message keys."""
    config = uow.config
    keys: list[str] = []
    channel = bn.managers_channel(uow)
    locale = config.company.locale
    if channel:
        key = f"bottleneck:{occurrence}:{channel}"
        msg = render_bottleneck(uow, analysis, locale, alert_id=decision.alert_id if decision.alert else None)
        if await enqueue(uow, "chat.postMessage", {"channel": channel, **msg}, key=key, dedupe_key=key):
            keys.append(key)
    if decision.alert:
        for pid in bn.managers(uow):
            key = f"bottleneck:{occurrence}:dm:{pid}"
            msg = render_bottleneck(uow, analysis, person_locale(config, pid), alert_id=decision.alert_id)
            if await notify_person(uow, pid, "bottleneck", msg, key=key, dedupe_key=key) in ("sent", "held"):
                keys.append(key)
    return keys


async def show_bottleneck_decision(uow: UnitOfWork, result: Any, message: dict[str, Any], user: str) -> None:
    """Acknowledged / snoozed: every copy of the alert (channel post and managers' DMs) says so."""
    keys, who = list((result.alert.data or {}).get("keys") or []), f"<@{user}>"
    if result.outcome == "snoozed":
        until = result.until.astimezone(uow.config.calendar(None).tz).date()
        await update_bottleneck_messages(uow, keys, message, "pl_snoozed", who=who, until=until)
    else:
        await update_bottleneck_messages(uow, keys, message, "pl_ack_done", who=who)


async def update_bottleneck_messages(uow: UnitOfWork, keys: list[str], data: dict[str, Any], state_key: str, **kw: Any) -> None:
    """After Acknowledge/Snooze: every copy of the alert shows who did what, without buttons."""
    config = uow.config
    for key in keys:
        pid = key.rsplit(":dm:", 1)[1] if ":dm:" in key else None
        locale = person_locale(config, pid) if pid else config.company.locale
        # dates read in each copy's own language
        line = uow.ctx.messages.text(locale, state_key, **{k: format_date(v, locale) if isinstance(v, date) else v for k, v in kw.items()})
        blocks = [*(data.get("blocks") or [])]
        text = data.get("text") or ""
        msg = {"text": text, "blocks": [b for b in blocks if b.get("type") != "actions"]}
        msg["blocks"].append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
        await enqueue(uow, "chat.update", {"channel": "", **msg}, target_key=key)


async def upload_png(uow: UnitOfWork, png: bytes, *, channel: str, filename: str, title: str, thread_key: str | None = None, dedupe_key: str | None = None) -> None:
    payload = {"channel": channel, "content_b64": base64.b64encode(png).decode("ascii"), "filename": filename, "title": title}
    await enqueue(uow, "files.upload_v2", payload, thread_key=thread_key, dedupe_key=dedupe_key)


def chart_inputs(uow: UnitOfWork, d: Any, locale: str, stage_names: dict[str, str]) -> dict[str, Any]:
    """The digest chart's words and figures: the digest's own cohort funnel and monthly series (no
    figure computed a second way), labels from the catalogues. Win rate is left out: the digest
    gives 0 for a month with no closed deal, which a line would show as a real 0%."""
    msgs = uow.ctx.messages
    axes = {k: msgs.text(locale, f"pl_chart_axis.{k}") for k in ("month", "cohort", "count", "yen", "yen_man", "pct")}
    series = [
        charts.Series(msgs.text(locale, f"pl_kpi.{k['kpi']}"), "yen" if k["money"] else "count", d.series[k["kpi"]])
        for k in d.trends if not k["ratio"]
    ]  # fmt: skip
    if d.cs is not None:  # a CS team's population is accounts: its live accounts by health band, not a lead funnel
        bars = [(msgs.text(locale, f"pl_chart_band.{b}"), d.cs.bands.get(b, 0), None) for b in ("green", "yellow", "red", "none")]
        left_title = msgs.text(locale, "pl_chart_health", n=d.cs.accounts)
        axes["cohort"] = msgs.text(locale, "pl_chart_axis.accounts")
        series = [s for s in series if any(s.values)]  # its lead KPIs are not its population
    else:
        bars = [(stage_names[s["stage"]], s["n"], s["rate"]) for s in d.funnel]
        left_title = msgs.text(locale, "pl_chart_funnel", period=d.funnel_period)
    return {
        "labels": charts.Labels(
            title=msgs.text(locale, "pl_chart_title", day=d.day.isoformat()), funnel_title=left_title,
            trend_title=msgs.text(locale, "pl_chart_trend"), axes=axes,
        ),
        "funnel": bars, "months": d.months, "series": series, "locale": locale,
    }


def digest_locale(config: AppConfig, digest: Any) -> str:
    return digest.locale or config.locale_of(digest.team)


def _reason_label(uow: UnitOfWork, locale: str, reason: str) -> str:
    key = f"reasons.{reason}"
    return uow.ctx.messages.text(locale, key) if uow.ctx.messages.has_text(locale, key) else reason


async def post_digest(uow: UnitOfWork, digest: Any, now: Any, key: str) -> bool:
    """Compute and queue one digest (and its chart in the digest's thread). False when already queued."""
    config = uow.config
    locale = digest_locale(config, digest)
    tz = config.team_calendar(digest.team).tz
    d = await dg.build(uow, scope=digest.scope, team_id=digest.team, now=now, cap=digest.attention_cap)
    msgs = uow.ctx.messages
    values = {
        "d": d,
        "reasons_shown": [{"label": _reason_label(uow, locale, r), "n": n} for r, n in d.flow["top_reasons"]],
        "stage_names": {s: msgs.text(locale, f"pl_funnel.{s}") for s in dg.FUNNEL},
        "win_window": config.pipeline.win_rate_window_months,
        "backtest": digest_line(uow, locale, d.backtest),
    }
    msg = msgs.message("digest", locale, tz, **values)
    row = await enqueue(uow, "chat.postMessage", {"channel": digest.channel, **msg}, key=key, dedupe_key=key)
    if row is None:
        return False
    if digest.chart and (d.funnel or d.cs is not None):
        png = charts.digest_chart(**chart_inputs(uow, d, locale, values["stage_names"]))
        await upload_png(
            uow, png, channel=digest.channel, filename=f"digest-{d.day.isoformat()}.png",
            title=msgs.text(locale, "pl_chart_title", day=d.day.isoformat()), thread_key=key, dedupe_key=f"{key}:chart",
        )  # fmt: skip
    return True


def capacity_message(uow: UnitOfWork, c: Any, locale: str) -> dict[str, Any]:
    cap = uow.config.pipeline.capacity
    return uow.ctx.messages.message(
        "capacity", locale, uow.config.calendar(None).tz, c=c, ramp=cap.ramp_months, per_day=cap.is_mqls_per_rep_per_day,
        min_months=cap.min_history_months, min_closed=cap.min_closed_deals,
    )


async def post_capacity_summary(uow: UnitOfWork, occurrence: str) -> None:
    """The capacity section of the managers' weekly summary (once per week, in the managers' channel)."""
    channel = bn.managers_channel(uow)
    if not channel:
        return
    key = f"capacity:{occurrence}:{channel}"
    msg = capacity_message(uow, await plan(uow), uow.config.company.locale)
    await enqueue(uow, "chat.postMessage", {"channel": channel, **msg}, key=key, dedupe_key=key)
