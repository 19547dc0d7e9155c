"""1. Interaction ack: latency of Accept presses on MQL cards (signed block_actions over HTTP) at
concurrency 1 and 50, against a bare Bolt AsyncApp whose listener only acks, served by the same
aiohttp adapter. Every press is on a distinct MQL created (and its card delivered) beforehand.

The bot runs like tests/harness.py: Baton + SlackEmulator in-process, `background=False` — the
delivery worker is not running, so the card updates the presses queue stay in the outbox and the
figure is the ack path alone (decide + commit + ack). With `worker=True` the real delivery worker
runs during the presses (its chat.update calls compete for the loop and the database)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.common import (
    SECRET,
    TOKEN,
    Served,
    check_size,
    click_payload,
    finish,
    goal,
    lead_rows,
    percentile,
    post_batches,
    press_all,
    result,
    run_async,
    signed,
    temp_database,
)  # fmt: skip

SIZES = {"smoke": {"c1": 15, "c50": 60, "warm": 5}, "full": {"c1": 300, "c50": 1500, "warm": 30}}


async def _bare_app(api_url: str) -> tuple[web.AppRunner, str]:
    bolt = AsyncApp(
        signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=api_url, retry_handlers=[]),
        process_before_response=False, request_verification_enabled=True,
    )  # fmt: skip

    @bolt.action("mql_accept")
    async def only_ack(ack: Any) -> None:
        await ack()

    async def slack(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", slack)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events"  # noqa: SLF001


async def _run(size: str, worker: bool) -> dict[str, Any]:
    n = SIZES[size]
    res = result("ack", size)
    total = n["warm"] * 2 + n["c1"] + n["c50"]
    async with temp_database("sqlite") as url:
        served = await Served(url).start()
        runner = None
        try:
            ids = await post_batches(served, lead_rows(total, prefix="ack"))
            await served.deliver()
            # Each card is pressed by a member of the team whose channel it is in.
            presser = {t.channel: served.config.person(t.members[0]).slack_id for t in served.config.teams}
            cards = {}
            for m in served.emu.messages:
                for b in m.get("blocks") or []:
                    for e in b.get("elements") or []:
                        if isinstance(e, dict) and e.get("action_id") == "mql_accept":
                            cards[int(e["value"])] = m
            missing = [i for i in ids if i not in cards]
            if missing:
                raise RuntimeError(f"{len(missing)} MQL cards were not posted (e.g. lead {missing[0]})")
            msgs = [cards[i] for i in ids]
            payloads = [click_payload(served.emu, presser[m["channel"]], m, "mql_accept") for m in msgs]
            runner, bare_url = await _bare_app(served.emu.api_url)
            if worker:
                served.baton.delivery.start()
            bot_url = served.emu.bot_url
            it = iter(payloads)

            def take(k: int) -> list[tuple[bytes, dict[str, str]]]:
                return [signed(next(it)) for _ in range(k)]

            # Warm both servers (imports, connection pools, caches); the bare app reuses payloads.
            await press_all(bare_url, [signed(p) for p in payloads[: n["warm"]]], 1)
            await press_all(bot_url, take(n["warm"]), 1)
            await press_all(bot_url, take(n["warm"]), 5)
            for conc, k in ((1, n["c1"]), (50, n["c50"])):
                reqs = take(k)
                floor_lat, floor_wall, floor_bad = await press_all(bare_url, reqs, conc)
                lat, wall, bad = await press_all(bot_url, reqs, conc)
                fig = {
                    "presses": k,
                    "p50_ms": percentile(lat, 0.5) * 1000,
                    "p99_ms": percentile(lat, 0.99) * 1000,
                    "presses_per_s": k / wall,
                    "non_200": bad,
                    "floor_p50_ms": percentile(floor_lat, 0.5) * 1000,
                    "floor_p99_ms": percentile(floor_lat, 0.99) * 1000,
                    "floor_presses_per_s": k / floor_wall,
                    "floor_non_200": floor_bad,
                }
                res["figures"][f"c{conc}"] = fig
                ratio = fig["p99_ms"] / fig["floor_p99_ms"]
                res["ratios"][f"p99_c{conc}"] = ratio
                res["ratios"][f"p50_c{conc}"] = fig["p50_ms"] / fig["floor_p50_ms"]
                goal(res, f"p99_ratio_c{conc}", "≤ 1.5× bare Bolt", ratio, ratio <= 1.5)
                goal(res, f"p99_ms_c{conc}", "< 100 ms", fig["p99_ms"], fig["p99_ms"] < 100)
                goal(res, f"all_200_c{conc}", "every press answered 200", bad, bad == 0)
            # Every press must have decided its lead: count the SALs.
            from sqlalchemy import func, select

            from bot.models import Lead, OutboxMessage

            async with served.baton.ctx.sessions() as s:
                sal = (await s.execute(select(func.count()).select_from(Lead).where(Lead.stage == "sal"))).scalar_one()
                # A press that could not get its turn in time is acked and told privately to retry.
                told = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.method == "chat.postEphemeral"))
            res["figures"]["leads_accepted"] = sal
            res["figures"]["presses_told_to_retry"] = told
            res["figures"]["presses_sent_to_bot"] = total
            res["notes"].append(
                "bot: Baton + emulator in-process on SQLite, "
                + ("delivery worker running during presses" if worker else "background=False (delivery worker off: ack path only)")
            )
        finally:
            if worker and served.baton:
                await served.baton.delivery.stop()
            if runner:
                await runner.cleanup()
            await served.stop()
    return finish(res)


def run(size: str = "smoke", worker: bool = False) -> dict[str, Any]:
    return run_async(_run(check_size(size), worker))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--size", default="smoke")
    p.add_argument("--worker", action="store_true")
    a = p.parse_args()
    print(json.dumps(run(a.size, a.worker), ensure_ascii=False, indent=1))
