"""A data-subject request: export everything about one person, then erase it (metrics survive)."""

from __future__ import annotations

from bot.domain.privacy import erase_person, export_person

LEAD = {"external_id": "PII-1", "email": "Hanako@Example.jp", "name": "山田 花子", "phone": "090-1234-5678", "company": "花子商事",
        "employees": 900, "mql": True, "activities": [{"type": "download"}]}  # fmt: skip


async def test_export_then_erase(harness):
    _, body = await harness.post("/api/leads", LEAD)
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        data = await export_person(uow, "hanako@example.jp")
    [entry] = data["leads"]
    assert entry["lead"]["name"] == "山田 花子" and entry["lead"]["phone"] == "090-1234-5678"
    assert [a["type"] for a in entry["activities"]] == ["download"]
    assert [h["to"] for h in entry["history"]] == ["lead", "mql"]
    async with harness.baton.ctx.uow() as uow:
        assert await erase_person(uow, "HANAKO@example.jp") == 1
    await harness.deliver()
    lead = await harness.lead(body["id"])
    assert lead["name"] is None and lead["email"] is None and lead["phone"] is None and lead["external_id"] is None
    assert [h["to"] for h in lead["history"]] == ["lead", "mql"]  # the funnel keeps its events
    card = await harness.card(body["id"])
    assert "山田 花子" not in str(card["blocks"]) + card["text"]
    async with harness.baton.ctx.uow() as uow:
        assert (await export_person(uow, "hanako@example.jp"))["leads"] == []
