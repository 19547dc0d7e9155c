"""`POST /api/leads`, `POST /api/leads/{id}/activities`, `GET /api/leads/{id}`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.domain.events import history
from bot.domain.leads import add_activities, ingest
from bot.models import Lead
from bot.runtime import BATON_KEY
from handlers.api.auth import bad, json_body, json_response, require_token, upsert_endpoint


async def post_leads(request: web.Request) -> web.Response:
    return await upsert_endpoint(request, "leads", lambda uow, items: ingest(uow, items, actor="api"))


def _lead_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None


async def post_activities(request: web.Request) -> web.Response:
    require_token(request)
    body = await json_body(request)
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        result = await add_activities(uow, _lead_id(request), body, actor="api")
    if isinstance(result, list):
        status = 404 if result and result[0].field == "id" else 422
        return bad(status, {"errors": [e.as_dict() for e in result]})
    return json_response(result.as_dict())


def lead_json(lead: Lead, events: list[Any], config: Any) -> dict[str, Any]:
    return {
        "id": lead.id,
        "external_id": lead.external_id,
        "stage": lead.stage,
        "score": lead.score,
        "score_breakdown": lead.score_breakdown,
        "owner": lead.owner_id or lead.assignee_id,  # as in POST results: who holds it now
        "accepted_by": lead.owner_id,
        "assignee": lead.assignee_id,
        "team": lead.team_id,
        "name": lead.name,
        "email": lead.email,
        "company": lead.company,
        "title": lead.title,
        "phone": lead.phone,
        "industry": lead.industry,
        "employees": lead.employees,
        "country": lead.country,
        "region": lead.region,
        "source": lead.source,
        "campaign": lead.campaign,
        "attributes": lead.attributes,
        "sla_due_at": lead.sla_due_at.isoformat() if lead.sla_due_at else None,
        "recycle_at": lead.recycle_at.isoformat() if lead.recycle_at else None,
        "recycle_count": lead.recycle_count,
        "returning": lead.is_returning,
        "history": [
            {
                "at": e.at.isoformat(),
                "occurred_at": e.occurred_at.isoformat(),
                "from": e.from_stage,
                "to": e.to_stage,
                "by": e.actor,
                "reason": e.reason,
                "note": e.note,
                "data": e.data,
            }
            for e in events
        ],
    }


async def get_lead(request: web.Request) -> web.Response:
    require_token(request)
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        lead = await uow.session.get(Lead, _lead_id(request))
        if lead is None:
            return bad(404, {"error": "no such lead"})
        events = await history(uow, "lead", lead.id)
    return json_response(lead_json(lead, events, baton.config))


def routes(app: web.Application) -> None:
    app.router.add_post("/api/leads", post_leads)
    app.router.add_post("/api/leads/{id}/activities", post_activities)
    app.router.add_get("/api/leads/{id}", get_lead)
