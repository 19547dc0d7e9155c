"""Operator endpoints (bearer token): run a scheduled job now, move the sandbox clock.

- `GET  /api/admin/jobs` → the registered jobs.
- `POST /api/admin/jobs/{name}` → run that job now (the sandbox control panel uses this; the sandbox
  never calls the bot's internals). A job may do what an admin means by "now" rather than its
  scheduled run (forecast_meetings: prompt the next meeting now); docs/api.md lists them.
- `POST /api/admin/clock` `{"minutes": 30}` → move time forward, then fire due timers. Only where the
  clock can be moved (the sandbox and tests); a production bot answers 409.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.runtime import BATON_KEY
from bot.scheduler import registered_jobs
from handlers.api.auth import bad, json_body, json_response, require_token

MAX_ADVANCE = timedelta(days=400)


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


async def list_jobs(request: web.Request) -> web.Response:
    require_token(request)
    return json_response({"jobs": registered_jobs()})


async def run_job(request: web.Request) -> web.Response:
    require_token(request)
    name = request.match_info["name"]
    if name not in registered_jobs():
        return bad(404, {"error": f"no job named '{name}'", "field": "name", "known": registered_jobs()})
    baton = request.app[BATON_KEY]
    result = await baton.scheduler.run_on_demand(name)
    baton.delivery.kick()
    return json_response({"job": name, "result": _jsonable(result), "ran_at": baton.ctx.now().isoformat()})


async def move_clock(request: web.Request) -> web.Response:
    require_token(request)
    baton = request.app[BATON_KEY]
    clock = baton.ctx.clock
    if not callable(getattr(clock, "advance", None)):
        return bad(409, {"error": "this bot runs on the system clock; time can only be moved in the sandbox"})
    body = await json_body(request)
    if not isinstance(body, dict):
        return bad(400, {"error": "send {\"minutes\": n} (or hours / days)"})
    try:
        delta = timedelta(
            days=float(body.get("days", 0)), hours=float(body.get("hours", 0)), minutes=float(body.get("minutes", 0))
        )
    except (TypeError, ValueError):
        return bad(422, {"error": "minutes, hours and days must be numbers", "field": "minutes"})
    if delta <= timedelta(0) or delta > MAX_ADVANCE:
        return bad(422, {"error": "time only moves forward, by at most 400 days", "field": "minutes"})
    clock.advance(delta)
    fired = await baton.scheduler.run_due()
    baton.delivery.kick()
    return json_response({"now": baton.ctx.now().isoformat(), "timers_fired": fired})


def routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/jobs", list_jobs)
    app.router.add_post("/api/admin/jobs/{name}", run_job)
    app.router.add_post("/api/admin/clock", move_clock)
