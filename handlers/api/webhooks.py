"""Outbound webhooks' failure view (a write-scoped API key: what it shows is about to be changed).

- `GET  /api/admin/webhooks/failed[?endpoint=crm]` → deliveries set aside after their last attempt.
- `POST /api/admin/webhooks/replay` `{"ids": [..]}` | `{"endpoint": "crm"}` | `{"all": true}` → queued again.
"""

from __future__ import annotations

from aiohttp import web

from bot.integrations import webhooks
from bot.runtime import BATON_KEY
from handlers.api.auth import MAX_BATCH, bad, json_body, json_response, require_token


def _endpoint(request: web.Request, name: str | None) -> str | None | web.Response:
    known = {w.id for w in request.app[BATON_KEY].config.webhooks}
    if name is not None and (not isinstance(name, str) or name not in known):
        return bad(404, {"error": f"no webhook '{name}' in app.yaml", "field": "endpoint", "known": sorted(known)})
    return name


async def list_failed(request: web.Request) -> web.Response:
    require_token(request, write=True)
    endpoint = _endpoint(request, request.query.get("endpoint"))
    if isinstance(endpoint, web.Response):
        return endpoint
    async with request.app[BATON_KEY].ctx.uow() as uow:
        return json_response(await webhooks.failed(uow, endpoint=endpoint))


async def replay(request: web.Request) -> web.Response:
    require_token(request, write=True)
    body = await json_body(request)
    if not isinstance(body, dict) or not ({"ids", "endpoint", "all"} & set(body)):
        return bad(400, {"error": 'send {"ids": [1, 2]}, {"endpoint": "crm"} or {"all": true}'})
    ids = body.get("ids")
    if ids is not None and (
        not isinstance(ids, list) or len(ids) > MAX_BATCH or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**63 for i in ids)
    ):
        return bad(422, {"error": f"ids must be a list of at most {MAX_BATCH} delivery ids (numbers)", "field": "ids"})
    if "all" in body and body["all"] is not True:
        return bad(422, {"error": "all must be true", "field": "all"})
    endpoint = _endpoint(request, body.get("endpoint"))
    if isinstance(endpoint, web.Response):
        return endpoint
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        n = await webhooks.replay(uow, ids=ids, endpoint=endpoint)
    baton.delivery.kick()
    return json_response({"replayed": n})


def routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/webhooks/failed", list_failed)
    app.router.add_post("/api/admin/webhooks/replay", replay)
