"""A deal is one deal whoever names it: the CRM finds Baton's hand-off deal by Baton id, external id
or its lead, attaches its own id, updates it partially (PATCH) and closes it, with the upsert's rules."""

from __future__ import annotations

from datetime import date, timedelta

from tests.conftest import T0
from tests.test_relay import _qualify, _sal

DEAL = {"name": "北海道物流 全社導入", "account": "北海道物流株式会社", "owner": "kato",
        "amount": 30_000_000, "close_date": "2026-12-18", "phase": 2}  # fmt: skip


async def _deals(harness) -> list[dict]:
    async with harness.baton.ctx.sessions() as s:
        rows = (await s.execute(__import__("sqlalchemy").text("SELECT id, external_id, source_lead_id FROM opportunities ORDER BY id"))).all()
    return [dict(r._mapping) for r in rows]


async def test_get_and_patch_by_baton_id_or_external_id_and_attach_an_external_id(harness):
    status, body = await harness.post("/api/opportunities", DEAL)  # no external id: only Baton's id
    assert status == 201 and body["external_id"] is None
    opp_id = body["id"]
    _, other = await harness.post("/api/opportunities", {**DEAL, "external_id": "SF-OTHER", "name": "別の商談"})
    # The CRM attaches its (numeric) id to Baton's deal; then `ext:` names it, digits stay Baton's id.
    status, body = await harness.patch(f"/api/opportunities/{opp_id}", {"external_id": "900123"})
    assert status == 200 and (body["id"], body["external_id"]) == (opp_id, "900123")
    assert (await harness.get("/api/opportunities/ext:900123"))[1]["id"] == opp_id
    assert (await harness.get("/api/opportunities/900123"))[0] == 404  # digits are Baton ids
    assert (await harness.get("/api/opportunities/SF-OTHER"))[1]["id"] == other["id"]  # not all digits: external
    assert (await harness.get("/api/opportunities/ext:nope"))[0] == 404
    # One deal per external id: taking another deal's id is a conflict, and nothing changes.
    status, body = await harness.patch(f"/api/opportunities/{opp_id}", {"external_id": "SF-OTHER", "phase": 3})
    assert status == 409 and body["errors"][0]["field"] == "external_id"
    assert (await harness.get(f"/api/opportunities/{opp_id}"))[1]["phase"] == 2
    # Upsert by Baton id too (a CRM that only knows the id Baton gave it).
    status, body = await harness.post("/api/opportunities", {"id": opp_id, "key_person": "物流部長"})
    assert status == 200 and not body["created"] and body["id"] == opp_id
    assert (await harness.post("/api/opportunities", {"id": 999999, "phase": 3}))[0] == 404
    assert (await harness.patch("/api/opportunities/999999", {"phase": 3}))[0] == 404
    assert (await harness.patch(f"/api/opportunities/{opp_id}", {"phase": 3}, token="wrong"))[0] == 401
    assert len(await _deals(harness)) == 2


async def test_patch_validates_like_the_upsert_and_closes_won_and_lost(harness):
    _, body = await harness.post("/api/opportunities", {**DEAL, "external_id": "SF-1"})
    opp_id = body["id"]
    # Partial: only what is sent changes; unknown fields and bad values are refused by name.
    status, body = await harness.patch("/api/opportunities/SF-1", {"phase": 4, "next_action": "最終見積"})
    assert status == 200 and (body["phase"], body["next_action"], body["amount"]) == (4, "最終見積", "30000000.00")
    status, body = await harness.patch("/api/opportunities/SF-1", {"phase": 2, "colour": "red"})
    assert status == 422 and body["errors"][0]["field"] == "colour"
    status, body = await harness.patch("/api/opportunities/SF-1", {"phase": 2})
    assert status == 422 and body["errors"][0]["field"] == "phase"  # backwards needs a reason
    status, body = await harness.patch("/api/opportunities/SF-1", {"phase": 3, "phase_change_reason": "決裁者が交代"})
    assert status == 200 and body["history"][-1]["reason"] == "決裁者が交代"
    # Won needs an amount; a won date after today is refused; nothing changes on a refusal.
    status, body = await harness.patch("/api/opportunities/SF-1", {"status": "won", "amount": 0})
    assert status == 422 and body["errors"][0]["field"] == "amount"
    tomorrow = (T0.date() + timedelta(days=1)).isoformat()
    status, body = await harness.patch("/api/opportunities/SF-1", {"status": "won", "close_date": tomorrow})
    assert status == 422 and body["errors"][0]["field"] == "close_date"
    assert (await harness.get("/api/opportunities/SF-1"))[1]["status"] == "open"
    status, body = await harness.patch("/api/opportunities/SF-1", {"status": "won", "amount": 32_000_000})
    assert status == 200 and (body["stage"], body["amount"]) == ("won", "32000000.00")
    assert body["close_date"] == T0.date().isoformat()  # the planned date became the day it was won
    assert [(h["from"], h["to"]) for h in body["history"]][-1] == ("phase_3", "won")
    # A closed deal stays closed.
    status, body = await harness.patch(f"/api/opportunities/{opp_id}", {"status": "lost", "lost_reason": "timing"})
    assert status == 409 and body["errors"][0]["field"] == "status"
    # Lost: a reason is required, and the loop takes it with the rule of that reason (timing: 90 days).
    _, lost = await harness.post("/api/opportunities", {**DEAL, "external_id": "SF-2"})
    assert (await harness.patch("/api/opportunities/SF-2", {"status": "lost"}))[0] == 422
    status, body = await harness.patch("/api/opportunities/SF-2", {"status": "lost", "lost_reason": "timing"})
    assert status == 200 and (body["stage"], body["lost_reason"]) == ("lost", "timing")
    async with harness.baton.ctx.sessions() as s:
        row = (await s.execute(__import__("sqlalchemy").text(
            "SELECT reason, due_date, state FROM recycles WHERE entity_type = 'opportunity' AND entity_id = :i"), {"i": lost["id"]})).one()
    due = row.due_date if isinstance(row.due_date, date) else date.fromisoformat(row.due_date)
    assert (row.reason, due, row.state) == ("timing", T0.date() + timedelta(days=90), "waiting")


async def test_an_upsert_naming_the_lead_of_a_handoff_deal_links_to_it(harness):
    lead_id, followup = await _sal(harness)
    card = await _qualify(harness, lead_id, followup)
    await harness.click("kato", card, "handoff_accept")
    [deal] = await _deals(harness)
    # The CRM creates "its" opportunity for the same lead: Baton links it to the hand-off deal.
    status, body = await harness.post("/api/opportunities", {"external_id": "SF-77", "source_lead_id": lead_id,
                                                            "name": "CRM側の商談名", "phase": 2})  # fmt: skip
    assert status == 200 and not body["created"] and body["id"] == deal["id"] and body["external_id"] == "SF-77"
    assert await _deals(harness) == [{"id": deal["id"], "external_id": "SF-77", "source_lead_id": lead_id}]
    # From now on its id finds it; another CRM id for the same lead's deal is refused, not a second deal.
    assert (await harness.get("/api/opportunities/SF-77"))[1]["phase"] == 2
    status, body = await harness.post("/api/opportunities", {"external_id": "SF-78", "source_lead_id": lead_id, "name": "x"})
    assert status == 409 and body["errors"][0]["field"] == "source_lead_id"
    assert len(await _deals(harness)) == 1


async def test_leads_and_accounts_are_addressed_the_same_way(harness):
    _, lead = await harness.post("/api/leads", {"external_id": "4711", "email": "a@example.co.jp", "company": "A社"})
    assert (await harness.get("/api/leads/ext:4711"))[1]["id"] == lead["id"]
    assert (await harness.get(f"/api/leads/{lead['id']}"))[1]["external_id"] == "4711"
    status, body = await harness.post("/api/leads/ext:4711/activities", {"activities": [{"type": "download"}]})
    assert status == 200 and body["id"] == lead["id"]
    assert (await harness.get("/api/leads/ext:0000"))[0] == 404
    _, acc = await harness.post("/api/accounts", {"name": "B社"})
    status, body = await harness.patch(f"/api/accounts/{acc['id']}", {"external_id": "ACC-1", "seats": 12})
    assert status == 200 and (body["external_id"], body["seats"]) == ("ACC-1", 12)
    assert (await harness.get("/api/accounts/ACC-1"))[1]["id"] == acc["id"]
    _, acc2 = await harness.post("/api/accounts", {"name": "C社"})
    assert (await harness.patch(f"/api/accounts/{acc2['id']}", {"external_id": "ACC-1"}))[0] == 409
    assert (await harness.patch("/api/accounts/ext:none", {"seats": 1}))[0] == 404
