"""Every modal the bot registers, submitted by a team member with malformed state (values that are
not strings, blocks that are not objects, odd metadata): each is answered — a field error or a
private refusal — never a 500, and no unit of work is left half-written."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.harness import SECRET
from tests.reliability.test_outsiders import registered

VIEWS = registered("view")
MEMBER = "U0MGR"  # sato: a manager in the test team
HOSTILE_STATES = {
    "non_string_values": {"values": {b: {"value": {"type": "plain_text_input", "value": 12, "selected_option": {"value": ["x"]},
                                                   "selected_date": 3}} for b in ("reason", "note", "amount", "name", "commit",
                                                                                   "best_case", "need", "phase", "reapproach",
                                                                                   "reapproach_date", "next_step", "notes")}},
    "blocks_not_objects": {"values": {"reason": "x", "note": ["y"], "amount": None, "commit": 5}},
    "values_not_an_object": {"values": ["nope"]},
    "state_missing": None,
}


async def _submit(harness, callback_id: str, state, metadata) -> tuple[int, str]:  # noqa: ANN001
    view = {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": metadata, "hash": "h"}
    if state is not None:
        view["state"] = state
    payload = {"type": "view_submission", "user": {"id": MEMBER, "name": "sato"}, "team": {"id": "T0BATON"},
               "api_app_id": "A0BATON", "trigger_id": "t.1", "view": view}  # fmt: skip
    body = urlencode({"payload": json.dumps(payload)})
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)}  # fmt: skip
    async with harness.http.post(harness.url + "/slack/events", data=body.encode(), headers=headers) as r:
        return r.status, await r.text()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("callback_id", VIEWS)
async def test_a_malformed_modal_submission_is_answered_never_a_500(harness, callback_id):
    for name, state in HOSTILE_STATES.items():
        for metadata in ("1", "²", "x:y:z", "", "1:2"):
            status, text = await _submit(harness, callback_id, state, metadata)
            assert status == 200, f"{callback_id} with {name}, metadata {metadata!r}: {status} {text[:200]}"
    await harness.deliver()
