"""Every action id, view callback id and slash command Baton uses, once. Templates read them as
`A.MQL_ACCEPT` / `V.MQL_REJECT` (bot.messages passes these enums in) and listeners register with
them, so a misspelt id fails at import or in the template test, never silently in Slack."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    BOTTLENECK_ACK = "bottleneck_ack"
    BOTTLENECK_SNOOZE = "bottleneck_snooze"
    CHURN_MARK = "churn_mark"
    CS_HANDOFF_ACCEPT = "cs_handoff_accept"
    DEAL_EDIT = "deal_edit"
    DEAL_LOST = "deal_lost"
    DEAL_MENU = "deal_menu"  # App Home: update / close won / close lost
    DEAL_WON = "deal_won"
    FORECAST_ADJUST = "forecast_adjust"  # /forecast team: a manager adjusts a rep's or the team's number
    FORECAST_DIFF_MORE = "forecast_diff_more"
    FORECAST_DIFF_SHOW = "forecast_diff_show"
    FORECAST_EXPLAIN = "forecast_explain"
    FORECAST_SUBMIT = "forecast_submit"
    FORECAST_SUBMIT_TEAM = "forecast_submit_team"
    HANDOFF_ACCEPT = "handoff_accept"
    HANDOFF_SEND_BACK = "handoff_send_back"
    HEALTH_ACK = "health_ack"
    HEALTH_ESCALATE = "health_escalate"
    HEALTH_SNOOZE = "health_snooze"
    HOME_AWAY = "home_away"
    HOME_HOURS = "home_hours"
    HOME_PREF = "home_pref"  # every notification kind's select; the option value says which kind
    MQL_ACCEPT = "mql_accept"
    MQL_REJECT = "mql_reject"
    RECYCLE_CLOSE = "recycle_close"
    RECYCLE_REENGAGE = "recycle_reengage"
    RECYCLE_SHOW_MORE = "recycle_show_more"
    RECYCLE_SNOOZE = "recycle_snooze"
    SAL_DISQUALIFY = "sal_disqualify"
    SAL_MENU = "sal_menu"
    SAL_QUALIFY = "sal_qualify"
    UPSELL_HANDOFF = "upsell_handoff"


class View(StrEnum):
    """A modal's callback id; also the name of its template (`templates/<id>.json.j2`)."""

    CHURN = "churn_modal"
    CS_HANDOFF = "cs_handoff_modal"
    DEAL_EDIT = "deal_edit_modal"
    DEAL_LOST = "deal_lost_modal"
    DEAL_WON = "deal_won_modal"
    FORECAST_ADJUST = "forecast_adjust_modal"
    FORECAST_EXPLAIN = "forecast_explain_modal"
    FORECAST_SUBMIT = "forecast_submit_modal"
    HANDOFF_SENDBACK = "handoff_sendback_modal"
    HEALTH_ACK = "health_ack_modal"
    HOME = "home"
    MQL_REJECT = "mql_reject_modal"
    RECYCLE_CLOSE = "recycle_close_modal"
    SAL_DISQUALIFY = "sal_disqualify_modal"
    SAL_QUALIFY = "sal_qualify_modal"
    UPSELL = "upsell_modal"


class Command(StrEnum):
    BATON = "/baton"
    BOTTLENECK = "/bottleneck"
    CAPACITY = "/capacity"
    FORECAST = "/forecast"
