"""`POST /api/accounts` (one or a list, upsert by external_id), `GET /api/accounts/{id}` (with the
health history), `PATCH /api/accounts/{id}` (partial update), `POST /api/accounts/{id}/signals` (usage) and
`POST /api/accounts/{id}/churn`. `{id}`: Baton id, or external id as `ext:<id>` / any id not all digits."""

from __future__ import annotations

from aiohttp import web

from bot.domain import accounts, health
from bot.domain.health_alerts import refresh
from bot.runtime import BATON_KEY
from handlers.api.auth import bad, json_body, json_response, require_token, upsert_endpoint


async def post_accounts(request: web.Request) -> web.Response:
    return await upsert_endpoint(request, "accounts", lambda uow, items: accounts.upsert(uow, items, actor="api"))


async def post_signals(request: web.Request) -> web.Response:
    require_token(request)
    body = await json_body(request)
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        acc = await accounts.find(uow, request.match_info["id"])
        if acc is None:
            return bad(404, {"errors": [{"field": "id", "error": "no such account"}]})
        result = await accounts.add_signals(uow, acc, body)
        if not result.ok:
            return bad(422, {"errors": [e.as_dict() for e in result.errors]})
        h = await refresh(uow, acc, accounts.today(uow))
        payload = {"stored": result.stored, "health_score": h.score, "health_band": h.band, "measures": h.measures}
    return json_response(payload)


async def post_churn(request: web.Request) -> web.Response:
    require_token(request)
    parsed = accounts.parse_churn(await json_body(request))
    if isinstance(parsed, list):
        return bad(422, {"errors": [e.as_dict() for e in parsed]})
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        acc = await accounts.find(uow, request.match_info["id"])
        if acc is None:
            return bad(404, {"errors": [{"field": "id", "error": "no such account"}]})
        errors = await accounts.churn(uow, acc, parsed.reason, actor=parsed.actor or "api", note=parsed.note or None, occurred_at=parsed.occurred_at)
        if errors:
            return bad(409 if errors[0].field == "churned" else 422, {"errors": [e.as_dict() for e in errors]})
        out = accounts.as_dict(acc)
    return json_response(out)


async def get_account(request: web.Request) -> web.Response:
    require_token(request)
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        acc = await accounts.find(uow, request.match_info["id"])
        if acc is None:
            return bad(404, {"error": "no such account"})
        snaps = await health.history(uow, acc.id)
        out = {**accounts.as_dict(acc), "health_history": [
            {"day": s.day.isoformat(), "score": s.score, "band": s.band, "measures": s.measures} for s in snaps
        ]}  # fmt: skip
    return json_response(out)


async def patch_account(request: web.Request) -> web.Response:
    require_token(request)
    raw = await json_body(request)
    baton = request.app[BATON_KEY]
    async with baton.ctx.uow() as uow:
        r = await accounts.patch(uow, request.match_info["id"], raw, actor="api")
        out = accounts.as_dict(r.account) if r.ok else {"errors": [e.as_dict() for e in r.errors]}
    return json_response(out) if r.ok else bad(r.status, out)


def routes(app: web.Application) -> None:
    app.router.add_post("/api/accounts", post_accounts)
    app.router.add_get("/api/accounts/{id}", get_account)
    app.router.add_patch("/api/accounts/{id}", patch_account)
    app.router.add_post("/api/accounts/{id}/signals", post_signals)
    app.router.add_post("/api/accounts/{id}/churn", post_churn)
