"""A listener that fails unexpectedly: the person is told, in their language, with a reference the
log carries too (with the traceback); Slack gets its ack, so it shows no error of its own."""

from __future__ import annotations

import logging
import re

from bot.domain import mql
from tests.test_lead_flow import ENTERPRISE


async def test_an_unexpected_error_is_apologised_for_with_the_reference_in_the_log(harness, monkeypatch, caplog):
    _, body = await harness.post("/api/leads", ENTERPRISE)
    await harness.deliver()

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug, not a decision")

    monkeypatch.setattr(mql, "record_transition", broken)  # after the UPDATE: the rollback must undo it
    with caplog.at_level(logging.ERROR, logger="baton.listeners"):
        result = await harness.click("tanaka", await harness.card(body["id"]), "mql_accept")
    assert result["status"] == 200  # acked: Slack shows nothing generic and does not retry
    [told] = [t for t in harness.ephemerals("tanaka") if "参照番号" in t]
    ref = re.search(r"参照番号 ([a-z0-9]{8})", told).group(1)
    [record] = [r for r in caplog.records if ref in r.getMessage()]
    assert record.exc_info and "a bug, not a decision" in str(record.exc_info[1])
    assert "Yamada" not in record.getMessage() and "yamada" not in caplog.text.lower()  # no request body, no PII
    assert (await harness.lead(body["id"]))["stage"] == "mql"  # nothing half-done
