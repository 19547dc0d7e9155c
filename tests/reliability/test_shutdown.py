"""SIGTERM while cards are still queued and Slack has not answered a post: the process exits
promptly, leaves nothing lost, and the next process posts every card exactly once."""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import time
from collections import Counter

import aiohttp

from bot.domain import timers
from bot.sandbox import SlackEmulator
from bot.scheduler import Scheduler, _timer_handlers, on_timer
from tests.reliability.processes import BotProcess

SECRET, TOKEN, API = "stop-secret", "xoxb-stop", "stop-api-token"


def cards(emu) -> Counter:  # noqa: ANN001
    return Counter(
        e["value"] for m in emu.messages for b in m.get("blocks") or []
        if b.get("block_id") == "mql_decision" for e in b["elements"] if e["action_id"] == "mql_accept"
    )  # fmt: skip


async def _until(predicate, within: float, what: str) -> None:  # noqa: ANN001
    for _ in range(int(within / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)  # a real process on the real clock
    raise AssertionError(f"not within {within}s: {what}")


async def test_sigterm_exits_promptly_while_slack_hangs_and_loses_or_doubles_nothing(tmp_path):
    emu = SlackEmulator(signing_secret=SECRET, bot_token=TOKEN)
    emu.timeout_seconds = 60.0  # a post is never answered while the first process lives
    api_url = await emu.start()
    db = tmp_path / "stop.db"

    def new_bot(name: str, rate: str) -> BotProcess:
        bot = BotProcess(database_url=f"sqlite:///{db}", api_url=api_url, secret=SECRET, token=TOKEN, api_token=API, log_dir=tmp_path, name=name)
        bot.env["BATON_CHANNEL_RATE"] = rate
        emu.bot_url = bot.url + "/slack/events"
        return bot.start()

    bot = new_bot("first", "2")  # two posts a second per channel: most cards are still queued at SIGTERM
    try:
        await bot.wait_ready()
        ids = []
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {API}"}) as s:
            for i in range(20):
                lead = {"external_id": f"S{i}", "email": f"s{i}@stop.jp", "employees": 900 if i % 2 else 5, "mql": True}
                async with s.post(bot.url + "/api/leads", json=lead) as r:
                    assert r.status == 201, await r.text()
                    ids.append(str((await r.json())["id"]))
        emu.inject("chat.postMessage", kind="timeout", times=1)  # the next post hangs
        await _until(lambda: any(c["error"] == "timeout" for c in emu.calls), 20, "a post hanging in Slack")

        started = time.perf_counter()
        bot.proc.send_signal(signal.SIGTERM)
        await _until(lambda: bot.proc.poll() is not None, 30, "the process to exit after SIGTERM")
        took = time.perf_counter() - started
        assert bot.proc.returncode == 0, bot.log()[-2000:]
        assert took < 7.0, f"SIGTERM took {took:.1f}s (a send Slack never answered must not hold the process)"

        with sqlite3.connect(db) as conn:
            rows = conn.execute("select status, attempts from outbox where method = 'chat.postMessage'").fetchall()
        by_status = Counter(status for status, _ in rows)
        assert by_status["pending"] > 0, f"no card was still queued at SIGTERM: {by_status}"
        # Only the unanswered post stays claimed (it may have reached Slack: the next process looks
        # first); every post claimed but not yet sent was handed back untouched.
        assert by_status["sending"] == 1, by_status
        assert all(attempts == 0 for status, attempts in rows if status == "pending"), rows

        bot.stop()
        bot = new_bot("second", "200")
        await bot.wait_ready()
        await _until(lambda: set(cards(emu)) >= set(ids), 30, "every card posted after the restart")
        await asyncio.sleep(0.5)  # give a would-be duplicate time to arrive before counting
        assert set(cards(emu)) == set(ids) and max(cards(emu).values()) == 1, cards(emu)
    finally:
        bot.stop()
        await emu.stop()


async def test_shutdown_while_a_scheduled_run_is_under_way_logs_no_error(harness, caplog):
    """APScheduler cancels a run still going at shutdown and logs its CancelledError at ERROR
    ("Error running job"); a normal shutdown must be quiet, and the run's timer fires again later."""
    entered, release = asyncio.Event(), asyncio.Event()

    @on_timer("test_hangs_at_shutdown")
    async def hangs(uow, timer) -> None:  # noqa: ANN001
        entered.set()
        await release.wait()  # never set: the run is under way when the process stops

    async with harness.baton.ctx.uow() as uow:
        await timers.schedule(uow, "test_hangs_at_shutdown", "shutdown:1", uow.now())
    sched = Scheduler(harness.baton.ctx, stop_grace=0.2)
    sched.start()
    try:
        await asyncio.wait_for(entered.wait(), 10)
        with caplog.at_level(logging.INFO):
            await sched.shutdown()
            await asyncio.sleep(0.05)  # APScheduler's done-callbacks run on the next loop turns
    finally:
        _timer_handlers.pop("test_hangs_at_shutdown", None)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not any("CancelledError" in (r.exc_text or "") for r in caplog.records)
    async with harness.baton.ctx.uow() as uow:  # not fired: the next start runs it again
        assert [t.kind for t in await timers.due(uow, uow.now())] == ["test_hangs_at_shutdown"]
