"""What check-config says about a mistake in app.yaml: each problem located (key path and line)
and named by a `cli.config.<key>` string, so the admin reads it in the company's language, with a
"did you mean" for a misspelt key or id. Never a raw Python, regex or library message.

`references` checks the ids the file points at (people, teams, calendars) on the raw YAML, so they
are reported together with the schema's problems, each on its own line.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One mistake: where (key path and line) and what, as `cli.config.<key>` with `values` for the
    admin's language, and in English (`text`) for logs and tests."""

    where: str
    line: int | None
    key: str
    values: dict[str, Any]
    text: str

    def __str__(self) -> str:
        if not self.where:
            return self.text
        return f"{self.where} (line {self.line}): {self.text}" if self.line else f"{self.where}: {self.text}"


def suggest(word: Any, choices: Any) -> str | None:
    """The closest of `choices` to a misspelt `word` (difflib), or None."""
    found = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return found[0] if found else None


def _hinted(english: str, hint: str | None) -> str:
    return f"{english} (did you mean '{hint}'?)" if hint else english


# -- ids the file points at ------------------------------------------------------------------------------
def _ids(items: Any) -> list[str]:
    return [str(x["id"]) for x in items if isinstance(x, dict) and "id" in x] if isinstance(items, list) else []


def references(data: dict[str, Any]) -> list[tuple[Loc, str, dict[str, Any], str]]:
    """(path, key, values, English) for every person / team / calendar id that is not defined."""
    people, team_ids = _ids(data.get("people")), _ids(data.get("teams"))
    calendars = list(data["calendars"]) if isinstance(data.get("calendars"), dict) else []
    out: list[tuple[Loc, str, dict[str, Any], str]] = []

    def check(loc: Loc, value: Any, known: list[str], key: str, what: str) -> None:
        if isinstance(value, str) and value not in known:
            hint = suggest(value, known)
            out.append((loc, key, {"id": value, "hint": hint}, _hinted(f"unknown {what} '{value}'", hint)))

    teams = data.get("teams") if isinstance(data.get("teams"), list) else []
    for i, t in enumerate(teams):
        if not isinstance(t, dict):
            continue
        for j, m in enumerate(t.get("members") or [] if isinstance(t.get("members"), list) else []):
            check(("teams", i, "members", j), m, people, "unknown_person", "person")
        if t.get("manager") is not None:
            check(("teams", i, "manager"), t.get("manager"), people, "unknown_person", "person")
        if t.get("calendar") is not None:
            check(("teams", i, "calendar"), t.get("calendar"), calendars, "unknown_calendar", "calendar")
    routing = data.get("routing") if isinstance(data.get("routing"), dict) else {}
    for i, r in enumerate(routing.get("rules") or [] if isinstance(routing.get("rules"), list) else []):
        if isinstance(r, dict) and "team" in r:
            check(("routing", "rules", i, "team"), r["team"], team_ids, "unknown_team", "team")
    return out


_REFERENCE = re.compile(r"unknown (person|team|calendar) '")
_PATH = re.compile(r"^([A-Za-z_][\w.\[\]-]*): (.*)$", re.S)


def _resolve(dotted: str, data: Any) -> Loc:
    """"teams.fs.members" → ("teams", 2, "members"): ids inside lists become their index."""
    loc: list[str | int] = []
    node = data
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", dotted):
        seg: str | int = int(part[1:-1]) if part.startswith("[") else part
        if isinstance(node, list) and not isinstance(seg, int):
            seg = next((i for i, x in enumerate(node) if isinstance(x, dict) and str(x.get("id")) == seg), seg)
        loc.append(seg)
        try:
            node = node[seg] if isinstance(node, (list, dict)) else None
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(loc)


def located(message: str, data: dict[str, Any], lines: dict[tuple, int]) -> list[Problem]:
    """The whole-file checks ("a.b: msg; c.d: msg"), each on the line of its own key."""
    from_line = _line_for_loc
    out = []
    for part in message.split("; "):
        m = _PATH.match(part)
        if not m:
            out.append(Problem("", None, "invalid", {"detail": part}, part))
            continue
        loc = _resolve(m.group(1), data)
        # teams / routing references are found on the raw file already (`references`): not twice
        covered = m.group(1).startswith(("teams.", "routing.rules")) and _REFERENCE.search(m.group(2))
        key = "reference" if covered else "invalid"
        out.append(Problem(_where(loc), from_line(loc, lines), key, {"detail": m.group(2)}, m.group(2)))
    return out


def _line_for_loc(loc: Loc, lines: dict[tuple, int]) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _where(loc: Loc) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out or "(top level)"


# -- the schema's problems -----------------------------------------------------------------------------
def _unwrap(tp: Any) -> Any:
    """Annotated[X, …] → X; X | None → X (the model member of a union first)."""
    for _ in range(10):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else (args[0] if args else Any)
        else:
            break
    return tp


def keys_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys a mapping at `loc` may have (for "did you mean"), following the config models."""
    tp: Any = model
    for seg in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(seg))
            if field is None:
                return []
            tp = field.annotation
        elif origin in (list, tuple, set, frozenset) or origin is dict:
            tp = typing.get_args(tp)[-1] if typing.get_args(tp) else Any
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or name for name, f in tp.model_fields.items()]
    return []


_PATTERNS = {
    r"^[CGD][A-Z0-9]{2,}$": "channel_id",
    r"^([01]\d|2[0-3]):[0-5]\d$": "bad_time",
}
_TYPES = {
    "missing": "missing", "int_parsing": "integer", "int_type": "integer", "int_from_float": "integer",
    "float_parsing": "number", "float_type": "number", "decimal_parsing": "number", "decimal_type": "number",
    "bool_parsing": "boolean", "bool_type": "boolean", "string_type": "text", "list_type": "list", "tuple_type": "list",
    "dict_type": "mapping", "model_type": "mapping", "model_attributes_type": "mapping",
    "date_parsing": "date", "date_type": "date", "date_from_datetime_parsing": "date",
    "greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt", "less_than_equal": "le",
    "too_short": "too_short", "too_long": "too_long", "string_too_short": "too_short", "string_too_long": "too_long",
}  # fmt: skip


def from_pydantic(err: dict[str, Any], loc: Loc, line: int | None, where: str, renamed: str | None, model: type[BaseModel]) -> Problem:
    """One pydantic error as a Problem in the admin's words (English kept as the pydantic text)."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    english = str(err["msg"]).removeprefix("Value error, ")
    shown = value if isinstance(value, (str, int, float, bool)) else ""
    if kind == "extra_forbidden":
        if renamed:
            return Problem(where, line, "renamed", {"new": renamed}, f"renamed: write '{renamed}:' instead")
        hint = suggest(loc[-1], keys_at(model, loc[:-1])) if loc else None
        return Problem(where, line, "unknown_key", {"name": loc[-1] if loc else "", "hint": hint}, _hinted("unknown key", hint))
    if kind == "baton":
        values = {k: v for k, v in ctx.items() if k != "key"}
        return Problem(where, line, str(ctx["key"]), values, english)
    if kind == "string_pattern_mismatch":
        key = _PATTERNS.get(str(ctx.get("pattern")), "pattern")
        english = {"channel_id": f"a Slack channel ID (C…, G…), not the name '{shown}'",
                   "bad_time": f"a time as HH:MM (24 h), e.g. 08:30, not '{shown}'"}.get(key, english)  # fmt: skip
        return Problem(where, line, key, {"value": shown}, english)
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        hint = suggest(value, re.findall(r"'([^']*)'", expected)) if isinstance(value, str) else None
        return Problem(where, line, "one_of", {"expected": expected, "value": shown, "hint": hint}, _hinted(english, hint))
    if kind in _TYPES:
        limit = next((ctx[k] for k in ("gt", "ge", "lt", "le", "min_length", "max_length") if k in ctx), "")
        return Problem(where, line, _TYPES[kind], {"value": shown, "limit": limit}, english)
    # Our own validators' messages (durations, rules, periods …): said as they are, under a
    # localised heading; raw library text never reaches here (those validators raise `problem`).
    return Problem(where, line, "invalid", {"detail": english}, english)
