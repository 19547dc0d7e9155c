"""Erasure from what was actually posted: the person is printed by every kind of message the
relay sends (MQL card, SAL follow-up, hand-off card, SLA notices in its thread and DMs, digests,
nudges, App Home …); after `erase_person` and delivery nothing of them is left in any message
Slack shows (current text and blocks, edits included), in any App Home, or in the logs — while
another lead's messages keep their words. A message still queued at the erasure goes out redacted."""

from __future__ import annotations

import json
import logging

from bot.domain.privacy import erase_person, export_person
from tests.test_relay import _qualify, _sal

PERSON = ("山田 太郎", "yamada@example.co.jp", "大手製造株式会社")  # tests.test_lead_flow.ENTERPRISE
PHONE = "03-1234-5678"
OTHER = {"external_id": "KEEP-1", "email": "keep@example.jp", "name": "佐藤 残子", "company": "残る商事株式会社",
         "employees": 2000, "mql": True, "activities": [{"type": "demo_request"}]}  # fmt: skip


def shown(harness) -> list[str]:
    """Everything Slack shows now: each live message's current text and blocks, every App Home."""
    out = [json.dumps([m.get("text"), m.get("blocks"), m.get("attachments")], ensure_ascii=False)
           for m in harness.emu.messages if not m.get("deleted")]  # fmt: skip
    out += [json.dumps(v, ensure_ascii=False, default=str) for v in harness.emu.home.values()]
    return out


def carrying(texts: list[str], value: str) -> int:
    return sum(value in t for t in texts)


async def test_erasure_redacts_every_message_that_printed_the_person(harness, caplog):
    caplog.set_level(logging.INFO)  # what runs in production (a driver's DEBUG prints SQL parameters)
    for ours in ("bot", "handlers", "jobs"):
        caplog.set_level(logging.DEBUG, logger=ours)
    await harness.post("/api/leads", OTHER)
    lead_id, followup = await _sal(harness)  # the MQL card, accepted: the SAL follow-up
    await harness.patch(f"/api/leads/{lead_id}", {"phone": PHONE})
    await _qualify(harness, lead_id, followup)  # the hand-off card in FS
    await harness.advance(hours=30)  # SLA warnings / breaches: thread replies, DMs, escalations
    for name in ("digest", "recycle_nudge", "sal_reminder", "stage_rollup", "bottleneck"):
        await harness.baton.scheduler.run_job(name)
    await harness.deliver()
    before = shown(harness)
    kinds = sum(any(v in t for v in PERSON) for t in before)
    # the test sees what it erases: the MQL card, SAL follow-up, hand-off card, its SLA notices …
    assert kinds >= 5 and carrying(before, PERSON[0]) >= 2, f"the flows printed the person in {kinds} message(s) only"
    # A second record of the same person, its card still queued when the erasure runs.
    await harness.post("/api/leads", {"external_id": "PII-2", "email": PERSON[1], "name": PERSON[0], "company": PERSON[2],
                                      "phone": PHONE, "employees": 2000, "mql": True, "activities": [{"type": "demo_request"}]})  # fmt: skip

    async with harness.baton.ctx.uow() as uow:
        export = await export_person(uow, PERSON[1])
    listed = [m for lead in export["leads"] for m in lead["slack_messages"]]
    assert len([m for m in listed if m["status"] == "sent"]) >= kinds and any(m["status"] == "pending" for m in listed)
    assert all(m["channel"] or m["user"] for m in listed if not m["method"].startswith("views.")) and any(m["method"] == "views.open" for m in listed) and any(m["ts"] for m in listed)

    async with harness.baton.ctx.uow() as uow:
        assert await erase_person(uow, PERSON[1]) == 2
    await harness.deliver()

    after = shown(harness)
    for value in (*PERSON, PHONE, PERSON[1].capitalize()):
        assert carrying(after, value) == 0, (value, [t for t in after if value in t][:2])
    assert carrying(after, "［削除済み］") >= kinds
    assert carrying(after, OTHER["name"]) >= 1 and carrying(after, OTHER["company"]) >= 1  # nobody else's words
    logged = "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records)
    for value in (*PERSON, PHONE, "Yamada@Example.co.jp"):
        assert value not in logged
    backlog = await harness.baton.delivery.backlog()
    assert not backlog.get("failed") and not backlog.get("pending")
