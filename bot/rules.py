"""One condition language for every config rule (scoring, routing, SLA policies, recycle rules).

A condition is a mapping ``{field: test}``; all fields must pass. A test is either a plain value
(equality; a list means "any of") or a mapping of operators::

    employees: {gte: 100, lt: 1000}
    region: [関東, 関西]
    title: {contains: [部長, Director]}
    activity: demo_request          # the record's value is a list → "contains"

Keeping this in one place means the RevOps admin learns one syntax and we test one matcher.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _num(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _cmp(op: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def test(actual: Any, expected: Any) -> bool:
        a, e = _num(actual), _num(expected)
        return a is not None and e is not None and op(a, e)

    return test


def _as_list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, (list, tuple, set, frozenset)) else [v]


def _eq(actual: Any, expected: Any) -> bool:
    if isinstance(actual, (list, tuple, set, frozenset)):
        return any(_eq(a, expected) for a in actual)
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.casefold() == expected.casefold()
    return actual == expected


def _in(actual: Any, expected: Any) -> bool:
    return any(_eq(actual, e) for e in _as_list(expected))


def _text_op(fn: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def test(actual: Any, expected: Any) -> bool:
        if actual is None:
            return False
        values = [str(a).casefold() for a in _as_list(actual)]
        return any(fn(v, str(e).casefold()) for v in values for e in _as_list(expected))

    return test


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _eq,
    "ne": lambda a, e: not _eq(a, e),
    "in": _in,
    "not_in": lambda a, e: not _in(a, e),
    "gte": _cmp(lambda a, e: a >= e),
    "gt": _cmp(lambda a, e: a > e),
    "lte": _cmp(lambda a, e: a <= e),
    "lt": _cmp(lambda a, e: a < e),
    "contains": _text_op(lambda a, e: e in a),
    "starts_with": _text_op(lambda a, e: a.startswith(e)),
    "ends_with": _text_op(lambda a, e: a.endswith(e)),
    "exists": lambda a, e: (a not in (None, "", [])) == bool(e),
}


def unknown_operators(when: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, operator) for every operator the language does not know."""
    return [(field, op) for field, test in when.items() if isinstance(test, Mapping) for op in test if op not in OPERATORS]


def check_condition(when: Mapping[str, Any]) -> None:
    """Raise ValueError naming the first unknown operator."""
    for field, op in unknown_operators(when):
        raise ValueError(f"unknown operator '{op}' for field '{field}' (use one of: {', '.join(OPERATORS)})")


def matches(when: Mapping[str, Any] | None, record: Mapping[str, Any]) -> bool:
    """True when ``record`` passes every test of ``when`` (an empty condition matches everything)."""
    for field, test in (when or {}).items():
        actual = record.get(field)
        if isinstance(test, Mapping):
            if not all(OPERATORS[op](actual, expected) for op, expected in test.items()):
                return False
        elif isinstance(test, list):
            if not _in(actual, test):
                return False
        elif not _eq(actual, test):
            return False
    return True
