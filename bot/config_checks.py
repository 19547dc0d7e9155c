"""What check-config says about a mistake in app.yaml: each problem located (key path and line)
and named by a `cli.config.<key>` string, so the admin reads it in the company's language, with a
"did you mean" for a misspelt key or id. Never a raw Python, regex or library message.

`references` checks the ids the file points at (people, teams, calendars, in every section) and
duplicate ids on the raw YAML, so they are reported together with the schema's problems, each on
its own line.
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


# Where the file names a person, team or calendar ("*": every item of a list).
REFERENCES: tuple[tuple[Loc, str], ...] = (
    (("teams", "*", "members", "*"), "person"), (("teams", "*", "manager"), "person"),
    (("teams", "*", "calendar"), "calendar"), (("routing", "rules", "*", "team"), "team"),
    (("relay", "fs_team"), "team"), (("pipeline", "fs_team"), "team"), (("success", "cs_team"), "team"),
    (("pipeline", "targets", "*", "team"), "team"), (("pipeline", "targets", "*", "person"), "person"),
    (("pipeline", "digests", "*", "team"), "team"), (("pipeline", "bottleneck", "managers", "*"), "person"),
    (("pipeline", "capacity", "hires", "*", "person"), "person"),
    (("forecast", "meetings", "*", "team"), "team"), (("forecast", "meetings", "*", "participants", "*"), "person"),
)  # fmt: skip


def _at(node: Any, pattern: Loc, loc: Loc = ()) -> list[tuple[Loc, Any]]:
    """(location, value) of every value the pattern reaches in the raw file."""
    if not pattern:
        return [(loc, node)]
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        return [hit for i, x in enumerate(node) for hit in _at(x, rest, (*loc, i))] if isinstance(node, list) else []
    return _at(node[head], rest, (*loc, head)) if isinstance(node, dict) and node.get(head) is not None else []


def references(data: dict[str, Any]) -> list[tuple[Loc, str, dict[str, Any], str]]:
    """(path, key, values, English) for every id the file points at that is not defined, and for
    duplicate ids: found on the raw file, so reported even when other parts do not validate."""
    known = {"person": _ids(data.get("people")), "team": _ids(data.get("teams")),
             "calendar": list(data["calendars"]) if isinstance(data.get("calendars"), dict) else []}  # fmt: skip
    out: list[tuple[Loc, str, dict[str, Any], str]] = []
    for pattern, what in REFERENCES:
        for loc, value in _at(data, pattern):
            if isinstance(value, (str, int)) and str(value) not in known[what]:
                hint = suggest(value, known[what])
                out.append((loc, f"unknown_{what}", {"id": str(value), "hint": hint}, _hinted(f"unknown {what} '{value}'", hint)))
    for section, key in (("people", "id"), ("people", "slack_id"), ("teams", "id")):
        values = [str(x[key]) for x in data.get(section) or [] if isinstance(x, dict) and key in x] if isinstance(data.get(section), list) else []
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            which = "duplicate_id" if key == "id" else "duplicate_slack_id"
            out.append(((section,), which, {"ids": ", ".join(dupes)}, f"duplicate {key} {dupes}"))
    return out


# Found again by the whole-file check at a coarser path (teams.x.members): reported once, from the raw file.
_REFERENCE_KEYS = ("unknown_person", "unknown_team", "unknown_calendar")


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


def located(issues: Any, data: dict[str, Any], lines: dict[tuple, int]) -> list[Problem]:
    """The whole-file checks' issues (`path`, `key`, `values`, `text`), each on the line of its own key."""
    out = []
    for issue in issues:
        loc = _resolve(issue.path, data)
        covered = issue.path.startswith(("teams.", "routing.rules")) and issue.key in _REFERENCE_KEYS
        if not covered:
            out.append(Problem(_where(loc), _line_for_loc(loc, lines), issue.key, dict(issue.values), issue.text))
    return out


def data_loc(loc: Loc, data: Any) -> Loc:
    """A pydantic error location without the union members it names (`int`, `list[AwayPeriod]` …):
    only the keys and indexes of the file (and a missing key, last)."""
    out: list[str | int] = []
    node, missing = data, False
    for seg in loc:
        if isinstance(seg, str) and seg.startswith("function-"):
            continue
        if not missing and isinstance(node, (dict, list)) and _has(node, seg):
            node = node[seg]
        elif not missing and isinstance(seg, str) and ("[" in seg or seg in _TAGS or not isinstance(node, dict)):
            continue  # a union member's tag, not a key of the file
        else:
            missing = True  # a key the file lacks ("required key missing"): the rest of the path follows it
        out.append(seg)
    return tuple(out)


def _has(node: dict | list, seg: str | int) -> bool:
    if isinstance(node, dict):
        return seg in node
    return isinstance(seg, int) and 0 <= seg < len(node)


_TAGS = {"int", "str", "float", "bool", "Decimal", "date", "datetime", "none", "dict", "list"}


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
    r"^[UW][A-Z0-9]{2,}$": "slack_user_id",
    r"^[A-Z][A-Z0-9_]*$": "env_name",
    r"^https?://[^\s]+$": "url",
    r"^[a-z0-9_]+$": "id_format",
    r"^[a-z][a-z0-9_]{0,49}$": "id_format",
    r"^[a-z][a-z0-9_-]{0,39}$": "id_format",
    r"^[a-z][a-z0-9_.]{0,49}$": "id_format",
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
        # pydantic's "'a', 'b' or 'c'" has an English "or": the choices are listed by the catalogue.
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        if isinstance(value, bool) and {"on", "off", "yes", "no"} & set(choices):  # YAML reads a bare off as false
            return Problem(where, line, "yaml_bool", {"expected": ", ".join(choices)}, "YAML reads a bare off/on/yes/no as true or false: quote it (\"off\")")
        hint = suggest(value, choices) if isinstance(value, str) else None
        expected = ", ".join(choices)
        return Problem(where, line, "one_of", {"expected": expected, "value": shown, "hint": hint}, _hinted(f"use one of {expected}, not '{shown}'", hint))
    if kind in _TYPES:
        limit = next((ctx[k] for k in ("gt", "ge", "lt", "le", "min_length", "max_length") if k in ctx), "")
        return Problem(where, line, _TYPES[kind], {"value": shown, "limit": limit}, english)
    # Our own validators' messages (durations, rules, periods …): said as they are, under a
    # localised heading; raw library text never reaches here (those validators raise `problem`).
    return Problem(where, line, "invalid", {"detail": english}, english)
