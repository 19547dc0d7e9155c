"""`POST /api/opportunities` (one, a list, or {"opportunities": [...]}; upsert by external_id) and
`GET /api/opportunities/{id}` (with its stage-event history and hygiene)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.domain import opportunities as opps
from bot.domain.events import history
from bot.models import Opportunity
from bot.runtime import BATON_KEY
from handlers.api.auth import bad, json_response, require_token, upsert_endpoint


async def post_opportunities(request: web.Request) -> web.Response:
    return await upsert_endpoint(request, "opportunities", lambda uow, items: opps.upsert_many(uow, items, actor="api"))


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
            {"at": e.at.isoformat(), "occurred_at": e.occurred_at.isoformat(), "from": e.from_stage, "to": e.to_stage, "by": e.actor, "reason": e.reason, "note": e.note}
            for e in events
        ]
    return json_response(body)


def routes(app: web.Application) -> None:
    app.router.add_post("/api/opportunities", post_opportunities)
    app.router.add_get("/api/opportunities/{id}", get_opportunity)
