"""The one request guard in front of every HTTP endpoint (`/slack/events`, `/api/*`, `/healthz`).

Before any handler runs: the body is at most `Settings.max_body_bytes` (413); an `/api/*` request is
authenticated, then its JSON body is parsed once and walked without recursion — nesting depth, element
count, string length, control characters and integer range — so a hostile body is refused with a
clear 4xx naming the field and nothing downstream (pydantic, the JSON columns, the database driver) can
meet it. Path ids that cannot exist (too large for the database, control characters) answer 404.
The limits are listed in docs/reliability.md.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.domain.lead_input import CONTROL
from handlers.api.auth import BODY_KEY, require_token

MAX_DEPTH = 12  # a lead's attributes may nest; nothing legitimate goes deeper
MAX_ELEMENTS = 200_000  # values in one body (a 5000-lead batch of 30 fields fits)
MAX_STRING = 10_000  # characters of any one string; fields have lower limits of their own
MAX_KEY = 100  # characters of an object key
MAX_INT = 2**63 - 1


def _error(status: int, field: str, message: str) -> web.Response:
    return web.json_response({"errors": [{"field": field, "error": message}]}, status=status)


def _not_finite(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _path(parts: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in parts) or "(body)"


def check_value(body: Any) -> tuple[int, str, str] | None:
    """Walk a parsed JSON value with an explicit stack (no recursion); the first problem as (status, field, message)."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), body)]
    seen = 0
    while stack:
        path, v = stack.pop()
        seen += 1
        if seen > MAX_ELEMENTS:
            return 413, "(body)", f"more than {MAX_ELEMENTS} values in one request"
        if len(path) > MAX_DEPTH:
            return 422, _path(path), f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(v, str):
            if len(v) > MAX_STRING:
                return 422, _path(path), f"longer than {MAX_STRING} characters"
            if m := CONTROL.search(v):
                return 422, _path(path), f"contains a control character (U+{ord(m.group()):04X})"
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, int) and not -MAX_INT <= v <= MAX_INT:
            return 422, _path(path), "number out of range"
        elif isinstance(v, dict):
            for k, x in v.items():
                if len(k) > MAX_KEY or CONTROL.search(k):
                    return 422, _path((*path, k[:MAX_KEY])), f"a key must be text of at most {MAX_KEY} characters without control characters"
                stack.append(((*path, k), x))
        elif isinstance(v, list):
            stack.extend(((*path, i), x) for i, x in enumerate(v))
    return None


def path_id_ok(value: str) -> bool:
    """A path segment can name a record: short text without control characters (ranges: `record_id`)."""
    return not CONTROL.search(value) and len(value) <= 200


async def _read_json(request: web.Request) -> Any:
    raw = await request.read()  # client_max_size makes this a 413 beyond the limit
    if not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_not_finite)
    except RecursionError:
        return web.HTTPRequestEntityTooLarge  # a marker: nested far beyond any limit
    except (ValueError, UnicodeDecodeError):
        return web.HTTPBadRequest


# Routes whose sender proves itself (an HMAC signature a CRM computes, or a key) in the route itself:
# a HubSpot webhook carries no bearer token of ours.
SIGNED_BY_SENDER = ("/api/inbound/",)


@web.middleware
async def request_guard(request: web.Request, handler: Any) -> web.StreamResponse:
    limit = request.app._client_max_size  # noqa: SLF001  (one number, set from Settings.max_body_bytes)
    if request.content_length is not None and request.content_length > limit:
        return _error(413, "(body)", f"the body is larger than {limit} bytes")
    if not request.path.startswith("/api/"):
        return await handler(request)
    if request.match_info.http_exception is None:
        for value in request.match_info.values():
            if not path_id_ok(value):
                return web.json_response({"error": "not found"}, status=404)
    if not request.path.startswith(SIGNED_BY_SENDER):
        require_token(request)
    if request.method in ("POST", "PUT", "PATCH") and request.can_read_body:
        try:
            body = await _read_json(request)
        except web.HTTPRequestEntityTooLarge:
            return _error(413, "(body)", f"the body is larger than {limit} bytes")
        if body is web.HTTPBadRequest:
            return web.json_response({"error": "body is not valid JSON"}, status=400)
        if body is web.HTTPRequestEntityTooLarge:
            return _error(422, "(body)", f"nested deeper than {MAX_DEPTH} levels")
        if problem := check_value(body):
            return _error(*problem)
        request[BODY_KEY] = body
    return await handler(request)
