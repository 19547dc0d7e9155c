"""Bearer-token auth for `/api/*` (token from BATON_API_TOKEN), compared in constant time."""

from __future__ import annotations

import hmac
import json
from functools import partial
from typing import Any

from aiohttp import web

from bot.runtime import BATON_KEY

MAX_BATCH = 5000
# The body as the request guard (handlers/api/guard.py) parsed and checked it.
BODY_KEY = web.RequestKey("baton_json_body", object)


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _keys(request: web.Request) -> list[tuple[str, str, str]]:
    """(name, value, scope) of every configured key; BATON_API_TOKEN is the full-access key."""
    import os

    baton = request.app[BATON_KEY]
    keys = [("BATON_API_TOKEN", baton.settings.api_token, "write")] if baton.settings.api_token else []
    for k in baton.config.api_keys:
        value = os.environ.get(k.env)
        if value:
            keys.append((k.name, value, k.scope))
    return keys


def _deny(status: int, message: str) -> web.HTTPException:
    cls = web.HTTPUnauthorized if status == 401 else web.HTTPForbidden
    return cls(text=json.dumps({"error": message}), content_type="application/json")


def require_token(request: web.Request, *, write: bool | None = None) -> str:
    """Check the bearer token (constant-time); writes need a write-scoped key. Returns the key name."""
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip().encode() if header.startswith("Bearer ") else b""
    match = None
    for name, value, scope in _keys(request):
        # Compare against every key, not stopping early, so timing says nothing about which matched.
        if given and hmac.compare_digest(given, value.encode()):
            match = (name, scope)
    if match is None:
        raise _deny(401, "missing or wrong bearer token (Authorization: Bearer $BATON_API_TOKEN)")
    needs_write = (request.method not in READ_METHODS) if write is None else write
    if needs_write and match[1] != "write":
        raise _deny(403, f"the key '{match[0]}' is read-only")
    return match[0]


async def json_body(request: web.Request) -> Any:
    if BODY_KEY in request:
        return request[BODY_KEY]
    try:
        return await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "body is not valid JSON"}), content_type="application/json"
        ) from None


# Japanese stays readable in API responses (no \uXXXX escapes).
json_response = partial(web.json_response, dumps=partial(json.dumps, ensure_ascii=False))


def bad(status: int, payload: dict[str, Any]) -> web.Response:
    return json_response(payload, status=status)


async def upsert_endpoint(request: web.Request, key: str, upsert: Any) -> web.Response:
    """The one shape of every upsert API: one object, a list, or `{key: [...]}`.

    One object answers 201 created / 200 updated / 422; a batch answers 200 all ok / 207 some /
    422 none, with a result per item. `upsert(uow, items)` returns results with `ok`, `created`
    and `as_dict()`; each item is its own savepoint, so a bad item writes nothing.
    """
    require_token(request)
    body = await json_body(request)
    single = isinstance(body, dict) and key not in body
    items = [body] if single else (body.get(key) if isinstance(body, dict) else body)
    if not isinstance(items, list) or not items:
        return bad(400, {"error": f"send one object, a list, or {{\"{key}\": [...]}}"})
    if len(items) > MAX_BATCH:
        return bad(413, {"error": f"at most {MAX_BATCH} {key} per request"})
    async with request.app[BATON_KEY].ctx.uow() as uow:
        results = await upsert(uow, items)
        out = [r.as_dict() for r in results]
    if single:
        r = results[0]
        return json_response(out[0], status=(201 if r.created else 200) if r.ok else getattr(r, "status", 422))
    ok = sum(r.ok for r in results)
    status = 200 if ok == len(results) else (207 if ok else 422)
    return json_response({"ok": ok, "failed": len(results) - ok, "results": out}, status=status)
