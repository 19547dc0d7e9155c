"""The one request guard in front of every HTTP endpoint (handlers/api/guard.py) and the field limits
of the intake models: each hostile input gets its documented 4xx (docs/reliability.md), naming the
field, and writes nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers every table in SQLModel.metadata)
from bot.config import Settings
from tests.test_lead_flow import ENTERPRISE

# Rows that a refused request must leave exactly as they were.
DATA_TABLES = sorted(set(SQLModel.metadata.tables) - {"processed_requests"})


async def table_counts(harness) -> dict[str, int]:  # noqa: ANN001
    async with harness.baton.ctx.sessions() as s:
        return {t: await s.scalar(select(func.count()).select_from(SQLModel.metadata.tables[t])) for t in DATA_TABLES}


async def refused(harness, method: str, path: str, body: Any = None, *, raw: bytes | None = None) -> tuple[int, Any]:  # noqa: ANN001
    """Send a request that must be refused; prove it wrote nothing."""
    before = await table_counts(harness)
    if raw is not None:
        status, out = await harness.post_raw(path, raw)
    elif method == "GET":
        status, out = await harness.get(path)
    else:
        status, out = await harness.post(path, body)
    assert 400 <= status < 500, (status, out)
    assert await table_counts(harness) == before, f"{method} {path} was refused ({status}) but wrote rows"
    return status, out


def fields(out: Any) -> list[str]:
    return [e["field"] for e in out.get("errors", [])] if isinstance(out, dict) else []


async def _account(harness) -> int:  # noqa: ANN001
    status, body = await harness.post("/api/accounts", {"external_id": "acc-1", "name": "大手製造", "arr": 1000000, "seats": 10})
    assert status == 201, body
    return body["id"]


# -- size, depth, element count -----------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413_and_the_limit_is_configurable(harness):
    status, out = await refused(harness, "POST", "/api/leads", raw=b'{"email": "a@b.co", "x": "' + b"y" * (5 * 1024 * 1024) + b'"}')
    assert status == 413 and "4194304" in json.dumps(out)
    # The Slack endpoint has the same limit (a body that large is never a Slack request).
    async with harness.http.post(harness.url + "/slack/events", data=b"x" * (5 * 1024 * 1024)) as r:
        assert r.status == 413
    assert Settings.from_env({"BATON_MAX_BODY_BYTES": "1000"}).max_body_bytes == 1000
    assert Settings.from_env({}).max_body_bytes == 4 * 1024 * 1024


async def test_deep_nesting_is_refused_without_a_recursion_error(harness):
    for depth in (13, 100, 100_000):  # 100 000 overflows the JSON parser's own recursion
        raw = b'{"email": "deep@example.com", "plan": ' + b"[" * depth + b"]" * depth + b"}"
        status, out = await refused(harness, "POST", "/api/leads", raw=raw)
        assert status == 422 and "nested deeper than 12" in json.dumps(out), (depth, out)
    status, out = await refused(harness, "POST", "/api/leads", {"email": "a@b.co", "plan": {"a": {"b": {"c": [[[[[[[[[[1]]]]]]]]]]}}}})
    assert status == 422 and fields(out)[0].startswith("plan.a.b.c.0")


async def test_too_many_values_is_413(harness):
    status, out = await refused(harness, "POST", "/api/leads", [[0] * 1000] * 201)
    assert status == 413 and "200000" in json.dumps(out)


async def test_non_finite_numbers_and_broken_json_are_400(harness):
    for raw in (b'{"email": "a@b.co", "employees": NaN}', b'{"email": "a@b.co", "x": Infinity}', b"{", b"\xff\xfe"):
        status, out = await refused(harness, "POST", "/api/leads", raw=raw)
        assert status == 400 and out == {"error": "body is not valid JSON"}


# -- ids ------------------------------------------------------------------------------------------------


async def test_ids_that_no_record_can_have_are_404(harness):
    await _account(harness)
    for path in ("/api/leads/99999999999999999999999", "/api/leads/2147483648", "/api/leads/0", "/api/leads/%00",
                 "/api/leads/١٢", "/api/opportunities/9223372036854775808", "/api/accounts/%00",
                 "/api/accounts/99999999999999999999", "/api/accounts/%E2%80%AE"):  # fmt: skip
        status, _ = await refused(harness, "GET", path)
        assert status == 404, path
    status, _ = await refused(harness, "POST", "/api/leads/99999999999999999999/activities", {"type": "demo_request"})
    assert status == 404
    status, _ = await refused(harness, "POST", "/api/accounts/%00/signals", {"day": "2026-11-24", "signal": "logins", "value": 1})
    assert status == 404


async def test_ids_in_bodies_are_range_checked(harness):
    for key in ("source_lead_id", "account_id"):
        for value in (2**31, 2**64, -1, 0):
            status, out = await refused(harness, "POST", "/api/opportunities", {"name": "x", key: value})
            assert status == 422 and key in fields(out) or fields(out) == [key], (key, value, out)


# -- text -------------------------------------------------------------------------------------------------


async def test_control_characters_are_422_naming_the_field(harness):
    acc = await _account(harness)
    cases = [
        ("/api/leads", {**ENTERPRISE, "name": "山田\x00太郎"}, "name"),
        ("/api/leads", {**ENTERPRISE, "company": "ACME\x1b[31m"}, "company"),
        ("/api/leads", {**ENTERPRISE, "plan": {"tier": "gold\x07"}}, "plan.tier"),
        ("/api/leads", {**ENTERPRISE, "bad\x00key": 1}, "bad\x00key"),
        ("/api/opportunities", {"name": "deal", "risks": "\x00"}, "risks"),
        (f"/api/accounts/{acc}/churn", {"reason": "budget", "note": "a\x00b"}, "note"),
        (f"/api/accounts/{acc}/signals", {"day": "2026-11-24", "signal": "log\x00ins", "value": 1}, "signal"),
    ]
    for path, body, field in cases:
        status, out = await refused(harness, "POST", path, body)
        assert status == 422 and fields(out) == [field] and "control character" in json.dumps(out), (path, out)
    # Newlines and tabs are text, not control: a note may have lines.
    status, _ = await harness.post(f"/api/accounts/{acc}/churn", {"reason": "budget", "note": "line 1\nline 2\tend"})
    assert status == 200


async def test_every_string_has_a_maximum_length(harness):
    acc = await _account(harness)
    long, huge = "x" * 2001, "x" * 10_001
    cases = [
        ("/api/leads", {**ENTERPRISE, "notes": huge}, "notes"),  # any string in any body
        ("/api/opportunities", {"name": "deal", "competitors": long}, "competitors"),
        ("/api/opportunities", {"name": "deal", "competitors": ["x" * 201]}, "competitors"),
        (f"/api/accounts/{acc}/churn", {"reason": "budget", "note": long}, "note"),
        (f"/api/accounts/{acc}/churn", {"reason": "budget", "actor": "x" * 101}, "actor"),
    ]
    for path, body, field in cases:
        status, out = await refused(harness, "POST", path, body)
        assert status == 422 and fields(out)[0].startswith(field) or field in json.dumps(out), (path, out)
    # Extra attributes: at most 50 keys, at most 16 384 characters as JSON.
    status, out = await refused(harness, "POST", "/api/leads", {**ENTERPRISE, **{f"k{i}": i for i in range(51)}})
    assert status == 422 and "at most 50 extra attributes" in json.dumps(out)
    status, out = await refused(harness, "POST", "/api/leads", {**ENTERPRISE, **{f"k{i}": "y" * 5000 for i in range(4)}})
    assert status == 422 and "16384" in json.dumps(out)


# -- dates, numbers, signal names, activities ---------------------------------------------------------------


async def test_dates_and_iso_weeks_are_validated(harness):
    acc = await _account(harness)
    for body, word in (
        ({"week": "2026-W60", "signal": "logins", "value": 1}, "2026-W60"),
        ({"week": "2026-W00", "signal": "logins", "value": 1}, "2026-W00"),
        ({"week": "2025-W53", "signal": "logins", "value": 1}, "2025-W53"),  # 2025 has 52 ISO weeks
        ({"day": "2026-02-30", "signal": "logins", "value": 1}, "day"),
        ({"day": "0001-01-01", "signal": "logins", "value": 1}, "day"),
    ):
        status, out = await refused(harness, "POST", f"/api/accounts/{acc}/signals", body)
        assert status == 422 and word in json.dumps(out), out
    status, _ = await harness.post(f"/api/accounts/{acc}/signals", {"week": "2026-W53", "signal": "logins", "value": 1})
    assert status == 200  # 2026 does have a week 53


async def test_signal_names_are_those_of_app_yaml_and_values_in_range(harness):
    acc = await _account(harness)
    status, out = await refused(harness, "POST", f"/api/accounts/{acc}/signals", {"day": "2026-11-24", "signal": "loginz", "value": 3})
    assert status == 422 and fields(out) == ["signals[0].signal"]
    assert "loginz" in out["errors"][0]["error"] and "features_used, logins, nps" in out["errors"][0]["error"]
    status, out = await refused(harness, "POST", f"/api/accounts/{acc}/signals", {"day": "2026-11-24", "values": {"logins": 3, "x": 1}})
    assert status == 422 and "'x'" in json.dumps(out)
    status, out = await refused(harness, "POST", f"/api/accounts/{acc}/signals", {"day": "2026-11-24", "signal": "logins", "value": -5})
    assert status == 422 and fields(out) == ["signals[0].logins"] and "between 0 and" in json.dumps(out)
    status, out = await refused(harness, "POST", f"/api/accounts/{acc}/signals", {"day": "2026-11-24", "signal": "nps", "value": 101})
    assert status == 422 and "between -100 and 100" in json.dumps(out)
    status, _ = await harness.post(f"/api/accounts/{acc}/signals", {"day": "2026-11-24", "signal": "nps", "value": -40})
    assert status == 200  # NPS may be negative: its measure says so in app.yaml


async def test_one_activity_object_is_accepted_and_a_wrong_one_gets_a_hint(harness):
    _, lead = await harness.post("/api/leads", {"external_id": "act-1", "email": "act@example.com"})
    status, out = await harness.post(f"/api/leads/{lead['id']}/activities", {"type": "demo_request"})
    assert status == 200 and out["score"] > 0
    status, out = await refused(harness, "POST", f"/api/leads/{lead['id']}/activities", {"kind": "demo_request"})
    assert status == 422 and fields(out) == ["activities.0.type"]
    status, out = await refused(harness, "POST", f"/api/leads/{lead['id']}/activities", {"activities": "demo"})
    assert status == 422 and '{"type": ..., "at": ...}' in out["errors"][0]["error"]


async def test_unauthenticated_hostile_bodies_are_401_first(harness):
    async with harness.http.post(harness.url + "/api/leads", data=b"[" * 100, headers={"Authorization": "Bearer nope"}) as r:
        assert r.status == 401


# -- logs -------------------------------------------------------------------------------------------------


async def test_a_rejected_slack_request_is_logged_without_its_body(harness, caplog):
    import logging

    body = b'payload={"user": {"name": "yamada.taro"}, "text": "secret deal with ACME"}'
    with caplog.at_level(logging.DEBUG):
        async with harness.http.post(harness.url + "/slack/events", data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=forged"}) as r:  # fmt: skip
            assert r.status == 401
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Invalid request signature" in logged  # the rejection itself is still logged …
    assert "yamada.taro" not in logged and "ACME" not in logged  # … without what was sent
