"""Every user-visible string: one Jinja2 template per message, the language only in the catalogues.

- `templates/<name>.json.j2` render to Block Kit (a message `{text, blocks}` or a view) and are
  checked against Slack's limits before anything is queued. A template holds structure only: every
  word comes from `t("key", **values)`.
- `templates/strings/<locale>/*.yaml` are the string catalogues (Jinja expressions, so each language
  keeps its own word order); both locales define exactly the same keys.
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot import formatting
from bot.config_sections.integrations import RecordLinks
from bot.slack.blockkit import check_message, check_view
from bot.slack import payloads
from bot.slack.ids import Action, View

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LOCALES = ("ja", "en")

_MRKDWN_SPECIAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_mrkdwn(value: Any) -> str:
    """User text must not become a mention, link or `<!channel>` in Slack."""
    return "" if value is None else str(value).translate(_MRKDWN_SPECIAL)


def truncate(value: Any, limit: int) -> str:
    s = "" if value is None else str(value)
    return s if len(s) <= limit else s[: max(0, limit - 1)] + "…"


class Messages:
    def __init__(self, templates: Path = TEMPLATES, links: RecordLinks | None = None, clock: Any = None):
        self.templates = templates
        self.links = links or RecordLinks()  # app.yaml `links`: each record's URL in the CRM
        self.clock = clock  # when set, a date in another year than today (in the message's zone) shows its year
        self.env = Environment(
            loader=FileSystemLoader(str(templates)),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            extensions=["jinja2.ext.do"],
        )
        self.env.filters.update(
            esc=escape_mrkdwn,
            truncate_to=truncate,
            mention=lambda slack_id: f"<@{slack_id}>" if slack_id else "",
        )
        self._strings: dict[str, dict[str, Any]] = {}
        self._compiled: dict[str, Any] = {}  # catalogue string → compiled Jinja template

    # -- locale-bound formatting, available inside templates ------------------------------------
    def _globals(self, locale: str, tz: Any) -> dict[str, Any]:
        return {
            "locale": locale,
            "money": lambda v, cur="JPY": formatting.format_money(v, cur, locale),
            # parts of a total: (shown parts, shown total), the parts adding up to the total on screen
            "money_parts": lambda parts, total=None: formatting.format_money_parts(list(parts), locale, total),
            "num": lambda v: formatting.format_number(v, locale),
            "avg": lambda v: formatting.format_average(v, locale),  # an average or a per-period rate
            "pct": lambda v, d=0: formatting.format_percent(v, locale, d),
            "dt": lambda v, today=None: formatting.format_datetime(v, locale, tz, today=today),
            "hm": lambda v: formatting.format_time(v, locale, tz),
            "day": lambda v: formatting.format_date(v, locale, self._today(tz)),
            "dur": lambda v: formatting.format_duration(v if isinstance(v, timedelta) else timedelta(seconds=v), locale),
            "tzname": lambda v: formatting.tz_label(tz, v, locale),
            "t": lambda key, **kw: self.text(locale, key, **kw),
            "A": Action,  # action ids: "action_id": A.MQL_ACCEPT (a typo fails the template test)
            "V": View,  # modal callback ids
            "P": payloads,  # button values / private_metadata: "value": P.Ref(lead.id)|string
            "links": self.links,  # links.url("lead", lead) → the CRM page, or None when not configured
        }

    def _today(self, tz: Any) -> date | None:
        if self.clock is None or not tz:
            return None
        return self.clock.now().astimezone(tz if isinstance(tz, ZoneInfo) else ZoneInfo(str(tz))).date()

    def _strings_for(self, locale: str) -> dict[str, Any]:
        """`strings/<locale>/*.yaml` merged (one file per flow or message); a key may live in one file only."""
        if locale not in self._strings:
            merged: dict[str, Any] = {}
            for path in sorted((self.templates / "strings" / locale).glob("*.yaml")):
                for key, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
                    if key in merged:
                        raise ValueError(f"templates/strings/{locale}: string key '{key}' is defined twice ({path.name})")
                    merged[key] = value
            self._strings[locale] = merged
        return self._strings[locale]

    def text(self, locale: str, key: str, **kw: Any) -> str:
        """A short string, e.g. ``text("ja", "not_yours", who="<@U1>")``; keys may be dotted."""
        node: Any = self._strings_for(_locale(locale))
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"templates/strings/{locale} has no '{key}'")
            node = node[part]
        source = str(node)
        if "{" not in source:
            return source
        # Compiled once: a card asks for a dozen strings, and compiling each one every time cost
        # ~15x the render itself (the MQL card is rendered before Accept / Reject is acked).
        if (template := self._compiled.get(source)) is None:
            template = self._compiled[source] = self.env.from_string(source)
        return template.render(**kw).strip()

    def has_text(self, locale: str, key: str) -> bool:
        try:
            self.text(locale, key)
            return True
        except KeyError:
            return False

    def _render(self, name: str, locale: str, tz: Any, values: dict[str, Any]) -> dict[str, Any]:
        locale = _locale(locale)
        path = f"{name}.json.j2"
        raw = self.env.get_template(path).render({**self._globals(locale, tz), **values})  # a sample may pass its own links
        try:
            return json.loads(raw)
        except json.JSONDecodeError as e:  # a template bug, not user input: fail loudly in tests
            raise ValueError(f"templates/{path} rendered invalid JSON: {e}\n{raw}") from e

    def message(self, name: str, locale: str, tz: Any = "UTC", **values: Any) -> dict[str, Any]:
        """Render a message template to ``{"text", "blocks"}`` and check Slack's limits."""
        msg = self._render(name, locale, tz, values)
        check_message(msg.get("text"), msg.get("blocks"))
        return msg

    def view(self, name: str, locale: str, tz: Any = "UTC", **values: Any) -> dict[str, Any]:
        view = self._render(name, locale, tz, values)
        check_view(view)
        return view


def _locale(locale: str | None) -> str:
    return locale if locale in LOCALES else "ja"


@lru_cache(maxsize=1)
def _terminal_messages() -> Messages:
    return Messages()


def terminal_text(key: str, locale: str | None = None, **kw: Any) -> str:
    """A line `python -m bot …` prints for the admin (`cli.*` strings): in app.yaml's company
    locale once it is known, before that in the terminal's ($LC_ALL / $LANG)."""
    if locale is None:
        lang = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
        locale = "ja" if lang.lower().startswith("ja") else "en"
    return _terminal_messages().text(locale, f"cli.{key}", **kw)
