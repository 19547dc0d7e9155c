"""`POST /api/opportunities` (one, a list, or {"opportunities": [...]}; upsert by external_id) and
`GET /api/opportunities/{id}` (with its stage-event history and hygiene)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.app import BATON_KEY
from bot.domain import opportunities as opps
from bot.domain.events import history
from bot.models import Opportunity
from handlers.api.auth import MAX_BATCH, bad, json_body, json_response, require_token


async def post_opportunities(request: web.Request) -> web.Response:
    require_token(request)
    body = await json_body(request)
    single = isinstance(body, dict) and "opportunities" not in body
    items = [body] if single else (body.get("opportunities") if isinstance(body, dict) else body)
    if not isinstance(items, list) or not items:
        return bad(400, {"error": "send one opportunity object, a list of them, or {\"opportunities\": [...]}"})
    if len(items) > MAX_BATCH:
        return bad(413, {"error": f"at most {MAX_BATCH} opportunities per request"})
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        results = await opps.upsert_many(uow, items, actor="api")
    out = [r.as_dict() for r in results]
    if single:
        r = results[0]
        return json_response(out[0], status=(201 if r.created else 200) if r.ok else 422)
    ok = sum(r.ok for r in results)
    status = 200 if ok == len(results) else (207 if ok else 422)
    return json_response({"ok": ok, "failed": len(results) - ok, "results": out}, status=status)


async def get_opportunity(request: web.Request) -> web.Response:
    require_token(request)
    try:
        opp_id = int(request.match_info["id"])
    except ValueError:
        return bad(404, {"error": "no such opportunity"})
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        opp = await uow.session.get(Opportunity, opp_id)
        if opp is None:
            return bad(404, {"error": "no such opportunity"})
        events = await history(uow, "opportunity", opp.id)
        body: dict[str, Any] = opps.as_dict(opp)
        body["history"] = [
            {"at": e.at.isoformat(), "from": e.from_stage, "to": e.to_stage, "by": e.actor, "reason": e.reason, "note": e.note}
            for e in events
        ]
    return json_response(body)


def routes(app: web.Application) -> None:
    app.router.add_post("/api/opportunities", post_opportunities)
    app.router.add_get("/api/opportunities/{id}", get_opportunity)
