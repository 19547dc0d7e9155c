"""Inbound mapping: a HubSpot-style (signed, v3) and a Marketo-style (bearer) webhook, in their own
payload shapes (tests/fixtures/inbound/, written from their public documentation), become the same
lead the native `POST /api/leads` makes from the same facts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

HUBSPOT_SECRET = "hubspot-client-secret"
INBOUND = FIXTURES / "inbound"

MAPPING = """
inbound:
  hubspot:
    signature: {scheme: hubspot_v3, secret_env: BATON_TEST_HUBSPOT_SECRET}
    fields:
      external_id: {path: vid, transform: [str]}
      email: {path: properties.email.value, transform: [strip, lower]}
      first_name: {path: properties.firstname.value}
      last_name: {path: properties.lastname.value}
      company: {path: properties.company.value}
      title: {path: properties.jobtitle.value}
      employees: {path: properties.numemployees.value, transform: [int]}
      source: {path: properties.hs_analytics_source.value, transform: [lower]}
      activities.0.type: {const: demo_request}
      activities.0.at: {path: form-submissions.0.timestamp, transform: [epoch_ms]}
  marketo:
    items: leads
    fields:
      external_id: {path: id}
      email: {path: email, transform: [strip, lower]}
      first_name: {path: firstName}
      last_name: {path: lastName}
      company: {path: company}
      title: {path: title}
      employees: {path: numberOfEmployees, transform: [int]}
      source: {path: leadSource, transform: [lower]}
      campaign: {path: programName}
      activities.0.type: {path: activity.type}
      activities.0.at: {path: activity.activityDate}
"""

# The same people as the native API would be sent them (other ids, so both can exist side by side).
NATIVE = {
    "hubspot": {"external_id": "N-1", "email": "n1@example.co.jp", "first_name": "太郎", "last_name": "山田",
                "company": "大手製造株式会社", "title": "情報システム部長", "employees": 2000, "source": "organic_search",
                "activities": [{"type": "demo_request", "at": "2026-11-24T00:55:00+00:00"}]},
    "marketo": {"external_id": "N-2", "email": "n2@example.jp", "first_name": "花子", "last_name": "鈴木",
                "company": "中堅商事", "title": "Director", "employees": 1200, "source": "webinar", "campaign": "2026秋ウェビナー",
                "activities": [{"type": "demo_request", "at": "2026-11-24T09:55:00+09:00"}]},
}  # fmt: skip
SAME = ("stage", "score", "score_breakdown", "owner", "team", "name", "company", "title", "employees", "source", "campaign", "attributes", "sla_due_at")


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch) -> Path:  # noqa: ANN001
    monkeypatch.setenv("BATON_TEST_HUBSPOT_SECRET", HUBSPOT_SECRET)
    path = tmp_path / "app.yaml"
    path.write_text((FIXTURES / "app.yaml").read_text(encoding="utf-8") + MAPPING, encoding="utf-8")
    return path


def hubspot_headers(url: str, body: bytes, ts_ms: int, secret: str = HUBSPOT_SECRET) -> dict[str, str]:
    """HubSpot's v3 request signature, as its documentation describes it."""
    mac = hmac.new(secret.encode(), b"POST" + url.encode() + body + str(ts_ms).encode(), hashlib.sha256).digest()
    return {"X-HubSpot-Signature-v3": base64.b64encode(mac).decode(), "X-HubSpot-Request-Timestamp": str(ts_ms),
            "Content-Type": "application/json"}  # fmt: skip


async def _post(harness, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    async with harness.http.post(harness.url + path, data=body, headers=headers) as r:
        return r.status, await r.json()


def _same(a: dict, b: dict) -> dict:
    return {k: (a[k], b[k]) for k in SAME if a[k] != b[k]}


async def test_hubspot_and_marketo_payloads_become_the_same_lead_as_the_native_api(harness):
    now_ms = int(harness.clock.now().timestamp() * 1000)
    body = (INBOUND / "hubspot_contact.json").read_bytes()
    url = harness.url + "/api/inbound/hubspot"
    status, out = await _post(harness, "/api/inbound/hubspot", body, hubspot_headers(url, body, now_ms) | {"Authorization": ""})
    assert status == 200, out
    hubspot = await harness.lead(out["results"][0]["id"])
    assert hubspot["external_id"] == "1201" and hubspot["email"] == "yamada@example.co.jp"

    body = (INBOUND / "marketo_webhook.json").read_bytes()
    status, out = await _post(harness, "/api/inbound/marketo", body, {"Content-Type": "application/json"})
    assert status == 200, out
    marketo = await harness.lead(out["results"][0]["id"])
    assert marketo["external_id"] == "88231" and marketo["email"] == "suzuki@example.jp"

    for name, inbound in (("hubspot", hubspot), ("marketo", marketo)):
        status, native = await harness.post("/api/leads", NATIVE[name])
        assert status == 201, native
        native = await harness.lead(native["id"])
        assert inbound["stage"] == "mql" and not _same(inbound, native), (name, _same(inbound, native))
        assert [(h["from"], h["to"]) for h in inbound["history"]] == [(h["from"], h["to"]) for h in native["history"]]
        assert inbound["history"][0]["by"] == f"inbound:{name}"


async def test_inbound_refuses_what_it_cannot_trust_or_map(harness):
    now_ms = int(harness.clock.now().timestamp() * 1000)
    body = (INBOUND / "hubspot_contact.json").read_bytes()
    url = harness.url + "/api/inbound/hubspot"
    bad = [
        hubspot_headers(url, body, now_ms, secret="wrong"),
        hubspot_headers(url, body, now_ms - 10 * 60 * 1000),  # signed 10 minutes ago: a replay
        hubspot_headers(url, body + b" ", now_ms),  # the body changed after signing
        {"Content-Type": "application/json"},
    ]
    for headers in bad:
        status, out = await _post(harness, "/api/inbound/hubspot", body, headers | {"Authorization": ""})
        assert status == 401, out
    marketo = (INBOUND / "marketo_webhook.json").read_bytes()
    assert (await _post(harness, "/api/inbound/marketo", marketo, {"Authorization": ""}))[0] == 401  # bearer needed
    assert (await _post(harness, "/api/inbound/nope", marketo, {}))[0] == 404
    broken = json.loads(marketo)
    broken["leads"][0]["numberOfEmployees"] = "many"
    status, out = await _post(harness, "/api/inbound/marketo", json.dumps(broken).encode(), {"Content-Type": "application/json"})
    assert status == 422 and out["results"][0]["errors"][0]["field"] == "employees"
    status, out = await _post(harness, "/api/inbound/marketo", b'{"leads": "x"}', {})
    assert status == 400
    status, leads = await harness.get("/api/leads/ext:88231")
    assert status == 404  # nothing was written
