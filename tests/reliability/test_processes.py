"""Several processes on one PostgreSQL: any serves, one leads, the follower takes over when the
leader is killed; and a second process on one SQLite file is refused."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import aiohttp
import pytest

from bot.sandbox import SlackEmulator
from tests.reliability.processes import ROOT, BotProcess

SECRET, TOKEN, API = "rel-secret", "xoxb-rel", "rel-api-token"


async def _post(url: str, lead: dict) -> int:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {API}"}) as s, s.post(url + "/api/leads", json=lead) as r:
        return r.status


async def _until(predicate, within: float, what: str):  # noqa: ANN001
    for _ in range(int(within / 0.1)):
        result = await predicate()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within}s: {what}")


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_processes_one_leader_failover_and_no_double_posts(database_url, tmp_path):
    emu = SlackEmulator(signing_secret=SECRET, bot_token=TOKEN)
    api_url = await emu.start()
    bots = [
        BotProcess(database_url=database_url, api_url=api_url, secret=SECRET, token=TOKEN, api_token=API, log_dir=tmp_path, name=f"bot{i}").start()
        for i in range(2)
    ]
    try:
        health = [await b.wait_ready() for b in bots]
        assert sorted(h["leader"] for h in health) == [False, True]
        # Webhooks are served by either process; every MQL card is posted exactly once.
        for i in range(20):
            assert await _post(bots[i % 2].url, {"external_id": f"P{i}", "email": f"p{i}@big.jp", "employees": 900, "mql": True}) == 201

        def card_leads() -> list[str]:
            return [
                e["value"] for m in emu.messages for b in m.get("blocks") or []
                if b.get("block_id") == "mql_decision" for e in b["elements"] if e["action_id"] == "mql_accept"
            ]  # fmt: skip

        async def all_posted():
            return len(card_leads()) >= 20

        await _until(all_posted, 20, "20 cards posted")
        await asyncio.sleep(0.5)  # give a would-be duplicate time to arrive before counting
        assert len(card_leads()) == len(set(card_leads())) == 20
        posts = [c for c in emu.calls if c["method"] == "chat.postMessage" and c["status"] == 200 and not c["error"]]
        assert len(posts) == len([m for m in emu.messages if not m.get("ephemeral_user")])
        # Kill the leader: the follower takes over within a bounded time.
        leader = next(b for b, h in zip(bots, health, strict=True) if h["leader"])
        follower = next(b for b in bots if b is not leader)
        leader.kill()

        async def follower_leads():
            h = await follower.health()
            return h and h["leader"]

        await _until(follower_leads, 5.0, "follower became leader")
    finally:
        for b in bots:
            b.stop()
        await emu.stop()


def test_second_process_on_one_sqlite_file_is_refused(tmp_path):
    db = f"sqlite:///{tmp_path / 'one.db'}"

    async def run() -> None:
        emu = SlackEmulator(signing_secret=SECRET, bot_token=TOKEN)
        api_url = await emu.start()
        first = BotProcess(database_url=db, api_url=api_url, secret=SECRET, token=TOKEN, api_token=API, log_dir=tmp_path, name="first").start()
        try:
            await first.wait_ready()
            second = BotProcess(database_url=db, api_url=api_url, secret=SECRET, token=TOKEN, api_token=API, log_dir=tmp_path, name="second").start()
            code = await asyncio.to_thread(second.proc.wait, 30)
            assert code == 2
            assert "another Baton process" in second.log() and "PostgreSQL" in second.log()
            second.stop()
            assert (await first.health())["leader"] is True
        finally:
            first.stop()
            await emu.stop()

    asyncio.run(run())
