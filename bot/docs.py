"""Generated documentation: `docs/configuration.md` is produced from the `app.yaml` models
(`AppConfig` and every section), so it cannot drift — `python -m bot docs-config` rewrites it and
tests/test_docs.py fails when the committed file differs from what the models say.

A field's text is its pydantic `description`; core fields that have none are described in NOTES
below (keyed by path). Its example is the field's `examples` (the YAML written after the key).
A key no model has is never listed; a key every model has always is.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from bot.config import RENAMED, AppConfig
from bot.config_sections.notifications import KIND_TABLE
from bot.messages import Messages

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DOC = ROOT / "docs" / "configuration.md"

NOTES: dict[str, str] = {
    "company": "The company: name, default locale and time zone, currency, fiscal year.",
    "company.name": "Shown in messages and digests.",
    "company.locale": "Default language of messages (ja | en); a team or person may override it.",
    "company.timezone": "Default IANA time zone (e.g. Asia/Tokyo) for calendars and people without one.",
    "company.currency": "ISO currency of amounts (JPY shows as 1億5,620万円 in ja — exact to the 万円, under 1万円 in yen — and ¥156,200,000 in en).",
    "company.fiscal_year_start_month": "First month of the fiscal year (4 = April, common in Japan).",
    "company.earliest_date": "Business times (a close date, `occurred_at`) before this day are refused by the API and the import (none: no bound).",
    "pipeline.capacity.min_history_months": "Below this many months of deal history, /capacity uses the configured rates and says so.",
    "pipeline.capacity.min_closed_deals": "Below this many deals closed (won + lost) in that history, /capacity uses the configured rates and says so.",
    "company.clock_skew_minutes": "How far in the future a business time given by the API or an import may be (the sender's clock may run ahead).",
    "calendars": "Named business calendars (working days, hours, holidays); SLAs count business time in them.",
    "calendars.<name>.mode": "business (working hours only) or 24x7.",
    "calendars.<name>.timezone": "IANA zone of the calendar (default: company.timezone).",
    "calendars.<name>.working_days": "Weekdays that are working days, e.g. [mon, tue, wed, thu, fri].",
    "calendars.<name>.hours": "Working hours, HH:MM-HH:MM (may cross midnight).",
    "calendars.<name>.holidays": "Public holidays of this country (ISO code, e.g. JP), or none.",
    "calendars.<name>.extra_holidays": "Company holidays: dates or MM-DD ranges, e.g. 12-29..01-03.",
    "people": "Everyone Baton knows: id, name, Slack user id, roles.",
    "people[].id": "Stable id used everywhere in app.yaml and the API (e.g. tanaka).",
    "people[].name": "Display name.",
    "people[].slack_id": "Slack user id (U…); mentions and DMs go here.",
    "people[].roles": "marketing, is_rep, is_manager, fs_rep, fs_manager, csm, cs_manager, manager, cro, admin.",
    "people[].away": "true, or periods [{from: date, to: date}] when the person gets no new MQLs.",
    "people[].away[].from": "First day away.",
    "people[].away[].to": "Last day away (inclusive).",
    "people[].capacity": "Most open MQLs this rep holds at once; a full rep is skipped by routing.",
    "people[].locale": "This person's language (ja | en), overriding team and company.",
    "people[].timezone": "This person's zone; otherwise the zone of their Slack profile, then the company's.",
    "teams": "Teams of THE MODEL's relay, each with its Slack channel.",
    "teams[].id": "Stable team id, referenced by routing rules and digests.",
    "teams[].name": "Display name.",
    "teams[].function": "marketing, inside_sales, field_sales, customer_success or management.",
    "teams[].channel": "Slack channel id (C…) where the team's hand-offs are posted.",
    "teams[].manager": "Person id of the manager (SLA escalations, team views).",
    "teams[].members": "Person ids of the members.",
    "teams[].calendar": "Name of the calendar in `calendars` (default: the company calendar).",
    "teams[].locale": "Language of this team's channel messages.",
    "scoring": "Lead scoring: attribute points + behaviour points with decay; MQL at the threshold.",
    "scoring.threshold": "Score at which a lead becomes an MQL.",
    "scoring.behaviour_half_life": "Behaviour points halve after this duration (e.g. 30d); empty: no decay.",
    "scoring.attributes": "Points for attributes: [{label, when: condition, points}].",
    "scoring.attributes[].label": "Shown in the score breakdown.",
    "scoring.attributes[].when": "Condition on lead fields (see the condition language in the README).",
    "scoring.attributes[].points": "Points added when the condition holds.",
    "scoring.behaviours": "Points for activities: [{label, activity, points, max_count}].",
    "scoring.behaviours[].label": "Shown in the score breakdown.",
    "scoring.behaviours[].activity": "Activity type (e.g. demo_request, download, webinar).",
    "scoring.behaviours[].points": "Points per occurrence.",
    "scoring.behaviours[].max_count": "Counted at most this many times.",
    "routing": "Which team gets an MQL: the first matching rule wins.",
    "routing.rules": "[{label, when, team, mode}].",
    "routing.rules[].label": "Shown on the card and in logs.",
    "routing.rules[].when": "Condition on lead fields; empty matches everything.",
    "routing.rules[].team": "Team id that gets the lead.",
    "routing.rules[].mode": "round_robin (assigned to the next available rep) or claim (first to accept).",
    "mql": "How an MQL is decided: Accept → SAL, Reject → recycle or close (renamed from `handoff:`, which now means only IS → FS under `relay:`).",
    "mql.who_may_decide": "team (any member or manager) or assignee (only the assigned rep and managers).",
    "mql.burst": "More than `threshold` MQLs for one channel within `window` → one roll-up message.",
    "mql.burst.threshold": "MQLs per channel within the window before rolling up.",
    "mql.burst.window": "The burst window (e.g. 10m).",
    "mql.reject_reasons": "Reasons offered in the Reject modal.",
    "mql.reject_reasons[].id": "Reason id (a label per locale lives in templates/strings/<locale>/common.yaml (reasons.<id>)).",
    "mql.reject_reasons[].action": "recycle (back to marketing on a date) or close.",
    "mql.reject_reasons[].recycle_after": "Default re-approach delay (e.g. 90d).",
    "mql.reject_reasons[].note_required": "The modal requires a note for this reason.",
    "sla": "Service levels on hand-offs, counted in business time of the owning team's calendar.",
    "sla.mql_response": "How fast IS must answer an MQL.",
    "sla.mql_response.warn_at": "Fraction of the SLA after which the card turns to warning (0.75 = 75 %).",
    "sla.mql_response.escalate_to_manager": "On breach, DM the team manager (cannot be muted by them).",
    "sla.mql_response.reassign_after_breach": "Move the lead to the next eligible rep this long after a breach.",
    "sla.mql_response.policies": "[{label, when, within}]: the first matching policy sets the deadline.",
    "sla.mql_response.policies[].label": "Shown on the card.",
    "sla.mql_response.policies[].when": "Condition on the lead (fields, activity).",
    "sla.mql_response.policies[].within": "Business time allowed (e.g. 30m, 4h, 1d).",
    "relay": "SAL → SQL qualification, the FS hand-off and the recycle loop.",
    "pipeline": "Opportunities, daily pipeline digests, capacity, bottleneck.",
    "forecast": "Forecast calls, submissions and diffs.",
    "success": "Customer success: accounts, health scores, alerts, renewals.",
    "notifications": "Noise control for DMs: per-kind defaults, working hours, the personal digest.",
    "api_keys": "More REST API keys besides BATON_API_TOKEN (which can do everything): one per system calling the API, each read-only or read-write; the key itself is in the environment.",
    "api_keys[].name": "Who uses the key (shown in logs and in a 403 answer).",
    "api_keys[].env": "Environment variable holding the key's value (never written in app.yaml).",
    "api_keys[].scope": "read (GET only) or write (everything, including the admin endpoints).",
    "webhooks": "Endpoints Baton tells what happened (stage changes, deals, accounts, forecast submissions), signed, in order per record; payloads in api.md.",
    "inbound": "A CRM / MA tool's own payload shape mapped to Baton's lead fields, by source name (POST /api/inbound/<name>); see api.md.",
}

HEADER = """\
# Configuration reference (`app.yaml`)

<!-- GENERATED by `python -m bot docs-config` from the config models (bot/config.py,
     bot/config_sections/*.py). Do not edit by hand: tests/test_docs.py fails when it drifts. -->

Every key Baton reads from `app.yaml`, with its type, default, meaning and an example line to copy.
Validate a file with `python -m bot check-config app.yaml`: every problem is reported at once, with
its key path and line, in the company's language (`company.locale`).
Durations are written like `30m`, `4h`, `1d`, `90d`; conditions use the small condition language
shared by scoring, routing and SLA policies (`{employees: {gte: 500}}`, `{source: {in: [web, event]}}`).
Secrets and deployment settings never go in `app.yaml`: see [deployment.md](deployment.md).
"""


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return " \\| ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"map of {_type_name(args[0])} → {_type_name(args[1])}" if args else "map"
    if origin is typing.Annotated:
        return _type_name(args[0])
    if tp is type(None):
        return "null"
    name = getattr(tp, "__name__", str(tp))
    return {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "Duration": "duration",
            "date": "date"}.get(name, name)  # fmt: skip


def _default(field: Any) -> str:
    if field.default is not PydanticUndefined:
        value = field.default
    elif field.default_factory is not None:
        try:
            value = field.default_factory()
        except TypeError:
            return "(computed)"
    else:
        return "**required**"
    if isinstance(value, BaseModel):
        return "(see below)"
    if value in ([], {}, None, ""):
        return {list: "[]", dict: "{}", type(None): "—", str: '""'}.get(type(value), str(value))
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return f"{len(value)} built-in entries"
    text = str(value)
    return f"`{text}`" if len(text) < 60 else f"`{text[:57]}…`"


def _models_in(tp: Any) -> list[tuple[str, type[BaseModel]]]:
    """Nested models reachable from a field type, with the path suffix to reach them."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [("", tp)]
    if origin is list and args:
        return [("[]" + s, m) for s, m in _models_in(args[0])]
    if origin is dict and len(args) == 2:
        return [(".<name>" + s, m) for s, m in _models_in(args[1])]
    if origin in (typing.Union, types.UnionType):
        return [x for a in args for x in _models_in(a)]
    return []


def _cell(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|")


def _example(key: str, field: Any) -> str:
    """The field's first example as the line an admin writes: `key: value`."""
    return f"`{key}: {_cell(str(field.examples[0]))}`" if field.examples else ""


def _rows(model: type[BaseModel], prefix: str, out: list[tuple[str, ...]]) -> None:
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}.{key}" if prefix else key
        desc = _cell(field.description or NOTES.get(path, ""))
        out.append((path, _type_name(field.annotation), _default(field), desc, _example(key, field)))
        for suffix, sub in _models_in(field.annotation):
            _rows(sub, path + suffix, out)


def config_reference() -> str:
    parts = [HEADER]
    if RENAMED:
        parts.append("\n## Renamed keys\n\nA file that still uses an old name is refused with the new one.\n\n| old | new |\n|---|---|\n")
        parts.extend(f"| `{'.'.join(map(str, old))}` | `{new}` |\n" for old, new in RENAMED.items())
    for name, field in AppConfig.model_fields.items():
        rows: list[tuple[str, ...]] = []
        subs = _models_in(field.annotation)
        if subs:
            for suffix, sub in subs:
                _rows(sub, name + suffix, rows)
        desc = field.description or NOTES.get(name, "")
        parts.append(f"\n## `{name}`\n\n{desc}\n\n" + ("required\n" if field.is_required() else "optional\n"))
        if rows:
            parts.append("\n| key | type | default | meaning | example |\n|---|---|---|---|---|\n")
            parts.extend(f"| `{p}` | {t} | {d} | {m} | {e} |\n" for p, t, d, m, e in rows)
        else:
            parts.append(f"\nType: {_type_name(field.annotation)}. No keys yet.\n")
    return "".join(parts)


def write_config_reference(path: Path = CONFIG_DOC) -> Path:
    path.write_text(config_reference(), encoding="utf-8")
    return path


# -- the notification kinds, as people see them in App Home (docs/runbook.md) -----------------------------
RUNBOOK = CONFIG_DOC.parent / "runbook.md"
KINDS_BEGIN, KINDS_END = "<!-- kinds:begin (python -m bot docs-config) -->", "<!-- kinds:end -->"


def kinds_table() -> str:
    """One row per kind of DM: its App Home label (ja / en), who is offered it, the choices (default
    first), whether it waits for working hours and whether a digest can hold it."""
    messages = Messages()
    rows = ["| kind | App Home (ja / en) | offered to | choices (first = default) | waits for working hours | can be in the digest |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for kind, k in KIND_TABLE.items():
        label = " / ".join(messages.text(loc, f"home.kinds.{kind}") for loc in ("ja", "en"))
        who = ", ".join(sorted(k.receivers)) or "everyone"
        fixed = " (fixed)" if k.fixed else ""
        rows.append(f"| `{kind}` | {label} | {who} | {' · '.join(k.modes)}{fixed} | {'no' if k.timely else 'yes'} | {'yes' if 'digest' in k.modes else 'no'} |")
    return "\n".join(rows)


def write_runbook_kinds(path: Path = RUNBOOK) -> Path:
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(KINDS_BEGIN, 1)
    _, tail = rest.split(KINDS_END, 1)
    path.write_text(f"{head}{KINDS_BEGIN}\n{kinds_table()}\n{KINDS_END}{tail}", encoding="utf-8")
    return path
