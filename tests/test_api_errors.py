"""Bad input gets a clear error naming what is wrong, and changes nothing."""

from __future__ import annotations


async def _count_leads(harness) -> int:
    from sqlalchemy import func, select

    from bot.models import Lead

    async with harness.baton.ctx.sessions() as s:
        return await s.scalar(select(func.count()).select_from(Lead))


async def test_missing_or_wrong_token_is_401(harness):
    assert (await harness.post("/api/leads", {"email": "a@b.jp"}, token=None))[0] == 401
    assert (await harness.post("/api/leads", {"email": "a@b.jp"}, token="wrong"))[0] == 401
    assert await _count_leads(harness) == 0


async def test_malformed_json_is_400(harness):
    async with harness.http.post(harness.url + "/api/leads", data=b"{not json", headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400 and "JSON" in (await r.json())["error"]


async def test_invalid_lead_is_422_with_field_names(harness):
    status, body = await harness.post("/api/leads", {"name": "no id", "employees": "many"})
    assert status == 422
    assert [e["field"] for e in body["errors"]] == ["employees"]
    status, body = await harness.post("/api/leads", {"name": "no id"})
    assert status == 422 and "external_id or email" in body["errors"][0]["error"]
    status, body = await harness.post("/api/leads", {"external_id": "x", "email": "not-an-email"})
    assert status == 422 and body["errors"][0]["field"] == "email"
    assert await _count_leads(harness) == 0


async def test_partially_valid_batch_reports_per_item_and_keeps_the_good_ones(harness):
    status, body = await harness.post(
        "/api/leads",
        {"leads": [{"external_id": "ok1", "email": "ok1@x.jp"}, {"external_id": "bad", "activities": [{"at": "2026-01-01"}]}, "nope", {"external_id": "ok2"}]},
    )
    assert status == 207 and body["ok"] == 2 and body["failed"] == 2
    assert body["results"][1]["errors"][0]["field"] == "activities.0.type"
    assert body["results"][2]["errors"][0]["field"] == "(lead)"
    assert await _count_leads(harness) == 2
    lead = await harness.lead(body["results"][0]["id"])
    assert [h["to"] for h in lead["history"]] == ["lead"]


async def test_wrong_shapes_and_unknown_leads(harness):
    assert (await harness.post("/api/leads", []))[0] == 400
    assert (await harness.post("/api/leads", 42))[0] == 400
    assert (await harness.post("/api/leads/999/activities", [{"type": "download"}]))[0] == 404
    assert (await harness.get("/api/leads/999"))[0] == 404
    assert (await harness.get("/api/leads/abc"))[0] == 404
    _, body = await harness.post("/api/leads", {"external_id": "a", "email": "a@x.jp"})
    status, err = await harness.post(f"/api/leads/{body['id']}/activities", {"activities": []})
    assert status == 422 and err["errors"][0]["field"] == "activities"


async def test_unknown_fields_are_kept_as_attributes(harness):
    _, body = await harness.post("/api/leads", {"external_id": "attr", "email": "t@x.jp", "crm_owner": "x", "budget_band": "B"})
    lead = await harness.lead(body["id"])
    assert lead["attributes"] == {"crm_owner": "x", "budget_band": "B"}


async def test_healthz(harness):
    status, body = await harness.get("/healthz")
    assert status == 200 and body["ok"] is True


async def test_read_only_key_may_read_but_not_write(harness, monkeypatch):
    from bot.config import ApiKey

    monkeypatch.setenv("BATON_KEY_BI", "bi-secret-key")
    cfg = harness.baton.config.model_copy(update={"api_keys": [ApiKey(name="bi", env="BATON_KEY_BI", scope="read")]})
    harness.baton.config = harness.baton.ctx.config = cfg
    _, body = await harness.post("/api/leads", {"external_id": "k1", "email": "k1@x.jp"})
    async with harness.http.get(f"{harness.url}/api/leads/{body['id']}", headers={"Authorization": "Bearer bi-secret-key"}) as r:
        assert r.status == 200
    status, err = await harness.post("/api/leads", {"external_id": "k2", "email": "k2@x.jp"}, token="bi-secret-key")
    assert status == 403 and "read-only" in err["error"]
    assert (await harness.post("/api/leads", {"external_id": "k3"}, token="bi-secret-keyX"))[0] == 401
