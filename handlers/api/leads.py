"""`POST /api/leads`, `POST /api/leads/{id}/activities`, `GET /api/leads/{id}` (`{id}`: Baton id, or
external id as `ext:<id>` / any id not all digits)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.domain import lead_moves
from bot.domain.events import history
from bot.domain.outcomes import Outcome
from bot.domain.leads import add_activities, find, ingest
from bot.models import Lead
from bot.runtime import BATON_KEY
from handlers.api.auth import bad, json_body, json_response, require_token, upsert_endpoint


async def post_leads(request: web.Request) -> web.Response:
    return await upsert_endpoint(request, "leads", lambda uow, items: ingest(uow, items, actor="api"))


async def post_activities(request: web.Request) -> web.Response:
    require_token(request)
    body = await json_body(request)
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        result = await add_activities(uow, request.match_info["id"], body, actor="api")
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
        lead = await find(uow, request.match_info["id"])
        if lead is None:
            return bad(404, {"error": "no such lead"})
        events = await history(uow, "lead", lead.id)
    return json_response(lead_json(lead, events, baton.config))


_STATUS = {Outcome.NOT_FOUND: 404, Outcome.NOT_ALLOWED: 403, Outcome.ALREADY_DECIDED: 409, Outcome.BAD_INPUT: 422}


async def post_stage(request: web.Request) -> web.Response:
    require_token(request)
    body = await json_body(request)
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        result, lead = await lead_moves.move(uow, request.match_info["id"], body)
        out = lead_json(lead, await history(uow, "lead", lead.id), baton.config) if result.ok else None
    if not result.ok:
        msgs = baton.ctx.messages  # the errors are catalogue keys: said in English here
        errors = [{"field": f, "error": msgs.text("en", e) if msgs.has_text("en", e) else e} for f, e in result.errors.items()] or [
            {"field": "stage", "error": f"{result.outcome.value}" + (f" (the lead is {result.state})" if result.state else "")}]
        return bad(_STATUS.get(result.outcome, 409), {"errors": errors})
    return json_response(out)


def routes(app: web.Application) -> None:
    app.router.add_post("/api/leads", post_leads)
    app.router.add_post("/api/leads/{id}/activities", post_activities)
    app.router.add_get("/api/leads/{id}", get_lead)
    app.router.add_post("/api/leads/{id}/stage", post_stage)
