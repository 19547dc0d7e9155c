"""`POST /api/opportunities` (one, a list, or {"opportunities": [...]}; upsert by id, external_id or
the hand-off deal of source_lead_id), `GET` and `PATCH /api/opportunities/{id}` (`{id}`: Baton id, or
external id as `ext:<id>` / any id not all digits)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.domain import opportunities as opps
from bot.domain.events import history
from bot.runtime import BATON_KEY
from handlers.api.auth import bad, json_body, json_response, require_token, upsert_endpoint


async def post_opportunities(request: web.Request) -> web.Response:
    return await upsert_endpoint(request, "opportunities", lambda uow, items: opps.upsert_many(uow, items, actor="api"))


async def _body(uow: Any, opp: Any) -> dict[str, Any]:
    events = await history(uow, "opportunity", opp.id)
    body: dict[str, Any] = opps.as_dict(opp)
    body["history"] = [
        {"at": e.at.isoformat(), "occurred_at": e.occurred_at.isoformat(), "from": e.from_stage, "to": e.to_stage, "by": e.actor, "reason": e.reason, "note": e.note}
        for e in events
    ]
    return body


async def get_opportunity(request: web.Request) -> web.Response:
    require_token(request)
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        opp = await opps.find(uow, request.match_info["id"])
        if opp is None:
            return bad(404, {"error": "no such opportunity"})
        body = await _body(uow, opp)
    return json_response(body)


async def patch_opportunity(request: web.Request) -> web.Response:
    require_token(request)
    raw = await json_body(request)
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        result = await opps.patch(uow, request.match_info["id"], raw, actor="api")
        body = await _body(uow, result.opportunity) if result.ok else None
    if not result.ok:
        return bad(result.status, {"errors": [e.as_dict() for e in result.errors]})
    return json_response(body)


def routes(app: web.Application) -> None:
    app.router.add_post("/api/opportunities", post_opportunities)
    app.router.add_get("/api/opportunities/{id}", get_opportunity)
    app.router.add_patch("/api/opportunities/{id}", patch_opportunity)
