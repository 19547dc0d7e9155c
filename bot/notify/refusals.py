"""The one mapper from a decision that changed nothing to the private line the person reads.

A table, not a chain of ifs: (subject, outcome) → catalogue key, else the outcome's own key. Every
string says what happened and that nothing changed; the values a string may use (who decided
first, the state it is in, the owning team and assignee) are passed to all of them."""

from __future__ import annotations

from typing import Any

from bot.config import AppConfig
from bot.domain.outcomes import Outcome, Result
from bot.messages import Messages

O = Outcome

KEYS: dict[tuple[str, Outcome] | Outcome, str] = {
    ("lead", O.NOT_FOUND): "lead_not_found",
    ("lead", O.ALREADY_DECIDED): "already_decided",
    ("lead", O.NOT_ALLOWED): "not_yours",
    ("sal", O.NOT_FOUND): "lead_not_found",
    ("sal", O.NOT_ALLOWED): "relay.not_sal_owner",
    ("sal", O.NO_FS_REP): "relay.no_fs_rep",
    ("handoff", O.NOT_ALLOWED): "relay.not_handoff_owner",
    ("recycle", O.NOT_FOUND): "lead_not_found",
    ("recycle", O.NOT_ALLOWED): "relay.not_allowed_recycle",
    ("recycle", O.BAD_INPUT): "relay.errors.snooze_days",
    ("health_alert", O.NOT_FOUND): "success.not_found",
    ("health_alert", O.WRONG_KIND): "success.not_found",
    ("health_alert", O.NOT_ALLOWED): "success.not_allowed",
    ("health_alert", O.ALREADY_DECIDED): "success.already",
    ("account", O.NOT_FOUND): "success.not_found",
    ("account", O.NOT_ALLOWED): "success.not_allowed",
    ("account", O.CHURNED): "success.already_churned",
    ("cs_handoff", O.NOT_FOUND): "success.not_found",
    ("cs_handoff", O.NOT_ALLOWED): "cs_handoff.not_yours",
    ("cs_handoff", O.ALREADY_DECIDED): "cs_handoff.already",
    ("deal", O.NOT_FOUND): "pl_deal_not_found",
    ("deal", O.NOT_ALLOWED): "pl_deal_not_owner",
    ("deal", O.ALREADY_DECIDED): "deals.already_closed",
    ("bottleneck", O.NOT_ALLOWED): "pl_not_manager",
    ("bottleneck", O.NOT_FOUND): "pl_alert_not_found",
    ("bottleneck", O.WRONG_KIND): "pl_alert_not_found",
    ("manager", O.NOT_ALLOWED): "pl_not_manager",
    ("notification", O.NOT_ALLOWED): "home.pref_not_yours",
    ("notification", O.BAD_INPUT): "home.pref_fixed",
    ("forecast", O.NOT_ALLOWED): "forecast.refused_other",
    ("forecast", O.NOT_FOUND): "forecast.usage",
    ("forecast_team", O.NOT_ALLOWED): "forecast.refused_team",
    ("forecast_team_submit", O.NOT_ALLOWED): "forecast.err.not_manager",
    ("forecast_team_submit", O.BAD_INPUT): "forecast.err.not_manager",
    ("forecast_adjust", O.NOT_ALLOWED): "forecast_adjust.refused",
    ("forecast_adjust", O.EXPIRED): "forecast_adjust.period_over",
    ("forecast_form", O.NOT_ALLOWED): "forecast.refused_other",
    ("forecast_form", O.NOT_FOUND): "forecast.refused_other",
    ("forecast_form", O.EXPIRED): "forecast.explain.over",
    ("forecast_meeting", O.NOT_FOUND): "forecast.explain.not_found",
    ("forecast_meeting", O.NOT_ALLOWED): "forecast.explain.not_yours",
    ("forecast_meeting", O.EXPIRED): "forecast.explain.over",
    O.BUSY: "busy_retry",
    O.ALREADY_DECIDED: "relay.already_handled",
    O.NOT_FOUND: "relay.already_handled",
}


def refusal_text(messages: Messages, config: AppConfig, locale: str, result: Result, user: str) -> str:
    """The ephemeral line for `result` (a refusal) shown to the Slack user `user`."""
    if result.outcome == O.NOT_ALLOWED and config.person_by_slack(user) is None:
        return messages.text(locale, "not_in_config", user=f"<@{user}>")
    key = KEYS.get((result.subject, result.outcome)) or KEYS.get(result.outcome, "relay.already_handled")
    return messages.text(locale, key, **_values(messages, config, locale, result))


def _values(messages: Messages, config: AppConfig, locale: str, result: Result) -> dict[str, Any]:
    who = config.person(result.by) if result.by else None
    lead = getattr(result, "lead", None)
    team = config.team(lead.team_id) if lead is not None else None
    assignee = config.person(lead.assignee_id) if lead is not None and lead.assignee_id else None
    state = result.state or ""
    label_key = "success.states." if result.subject == "health_alert" else "outcomes."
    return {
        "who": f"<@{who.slack_id}>" if who else "",
        "outcome": messages.text(locale, label_key + state) if state and messages.has_text(locale, label_key + state) else "",
        "state": messages.text(locale, label_key + (state or "open")) if messages.has_text(locale, label_key + (state or "open")) else "",
        "team": team.name if team else "",
        "assignee": f"<@{assignee.slack_id}>" if assignee else "",
    }
