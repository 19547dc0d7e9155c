"""`POST /api/inbound/{source}`: a CRM / MA tool's own payload, mapped by `inbound.<source>` of
app.yaml to leads exactly as `POST /api/leads` takes them (docs/api.md, "Inbound mapping").
Signed senders are verified by their signature; others need a write-scoped bearer key."""

from __future__ import annotations

import json
import os

from aiohttp import web

from bot.domain.leads import ingest
from bot.integrations.inbound import MappingError, map_record, records, verify
from bot.runtime import BATON_KEY
from handlers.api.auth import MAX_BATCH, bad, json_response, require_token


async def post_inbound(request: web.Request) -> web.Response:
    baton = request.app[BATON_KEY]
    name = request.match_info["source"]
    source = baton.config.inbound.get(name)
    if source is None:
        require_token(request, write=True)  # say nothing about which sources exist to a stranger
        return bad(404, {"error": f"no inbound source '{name}' in app.yaml", "field": "source"})
    body = await request.read()
    if source.signature is None:
        require_token(request, write=True)
    elif not verify(source.signature, os.environ, request.headers, body, method=request.method, url=str(request.url), now=baton.ctx.now()):
        return bad(401, {"error": "missing or wrong signature"})
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return bad(400, {"error": "body is not valid JSON"})
    items = records(source, payload)
    if not items:
        return bad(400, {"error": f"no records at '{source.items or '(the body)'}'"})
    if len(items) > MAX_BATCH:
        return bad(413, {"error": f"at most {MAX_BATCH} records per request"})
    results: list[dict | None] = [None] * len(items)
    mapped, where = [], []
    for i, record in enumerate(items):
        try:
            mapped.append(map_record(source, record))
            where.append(i)
        except MappingError as e:
            results[i] = {"index": i, "ok": False, "errors": [{"field": e.field, "message": str(e)}]}
    if mapped:
        async with baton.ctx.uow() as uow:
            for r in await ingest(uow, mapped, actor=f"inbound:{name}"):
                results[where[r.index]] = r.as_dict() | {"index": where[r.index]}
    ok = sum(1 for r in results if r and r["ok"])
    status = 200 if ok == len(results) else (207 if ok else 422)
    return json_response({"ok": ok, "failed": len(results) - ok, "results": results}, status=status)


def routes(app: web.Application) -> None:
    app.router.add_post("/api/inbound/{source}", post_inbound)
