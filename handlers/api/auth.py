"""Bearer-token auth for `/api/*` (token from BATON_API_TOKEN), compared in constant time."""

from __future__ import annotations

import hmac
import json
from functools import partial
from typing import Any

from aiohttp import web

from bot.app import BATON_KEY

MAX_BATCH = 5000


def require_token(request: web.Request) -> None:
    expected = request.app[BATON_KEY].settings.api_token
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not expected or not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "missing or wrong bearer token (Authorization: Bearer $BATON_API_TOKEN)"}),
            content_type="application/json",
        )


async def json_body(request: web.Request) -> Any:
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
