"""Lead → MQL card → Accept / Reject, through signed Slack requests and the REST API (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

from bot.slack.blockkit import validate_message

ENTERPRISE = {
    "external_id": "SFDC-001", "email": "Yamada@Example.co.jp", "name": "山田 太郎", "company": "大手製造株式会社",
    "title": "情報システム部長", "employees": 2000, "source": "web", "campaign": "2026秋ウェビナー",
    "activities": [{"type": "demo_request", "at": "2026-11-24T09:55:00+09:00"}],
}  # fmt: skip


async def test_lead_becomes_mql_and_card_is_posted_to_the_team_channel(harness):
    status, body = await harness.post("/api/leads", ENTERPRISE)
    assert status == 201
    assert body["stage"] == "mql" and body["owner"] == "tanaka" and body["score"] == 100
    await harness.deliver()
    card = await harness.card(body["id"])
    assert card["channel"] == "C0ENT"
    assert validate_message(card["text"], card["blocks"]) == []
    rendered = str(card["blocks"])
    for expected in ("山田 太郎", "大手製造株式会社", "情報システム部長", "web", "100", "<@U0TANAKA>", "デモ依頼 +50", "大企業 +30"):
        assert expected in rendered, expected
    assert "10:30" in rendered  # demo request SLA 30 min from 10:00 JST, shown in the team's zone
    buttons = [e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["mql_accept", "mql_reject"]


async def test_same_lead_twice_is_one_lead_and_one_card(harness):
    s1, b1 = await harness.post("/api/leads", ENTERPRISE)
    s2, b2 = await harness.post("/api/leads", {**ENTERPRISE, "title": "取締役"})
    assert (s1, s2) == (201, 200) and b1["id"] == b2["id"]
    # Email (case-insensitive) is the fallback identity when there is no external id.
    s3, b3 = await harness.post("/api/leads", {"email": "yamada@example.co.jp", "company": "X"})
    assert s3 == 200 and b3["id"] == b1["id"]
    await harness.deliver()
    cards = [m for m in harness.emu.messages if m["channel"] == "C0ENT" and not m.get("ephemeral_user")]
    assert len(cards) == 1
    lead = await harness.lead(b1["id"])
    assert lead["title"] == "取締役" and [h["to"] for h in lead["history"]] == ["lead", "mql"]


async def test_accept_makes_sal_owned_by_clicker_and_updates_the_card(harness):
    _, body = await harness.post("/api/leads", ENTERPRISE)
    await harness.deliver()
    harness.clock.advance(minutes=12)
    result = await harness.click("suzuki", await harness.card(body["id"]), "mql_accept")
    assert result["status"] == 200
    lead = await harness.lead(body["id"])
    assert lead["stage"] == "sal" and lead["owner"] == "suzuki"
    last = lead["history"][-1]
    assert (last["from"], last["to"], last["by"]) == ("mql", "sal", "suzuki")
    assert last["data"]["response_seconds"] == 12 * 60 and last["data"]["within_sla"] is True
    card = await harness.card(body["id"])
    assert not any(b["type"] == "actions" for b in card["blocks"])  # buttons gone
    assert "<@U0SUZUKI>" in card["text"] and "12分" in card["text"]
    assert len(card["edits"]) == 1


async def test_reject_opens_modal_and_recycles_with_reason_and_date(harness):
    _, body = await harness.post("/api/leads", ENTERPRISE)
    await harness.deliver()
    await harness.click("tanaka", await harness.card(body["id"]), "mql_reject")
    views = harness.emu.open_views(harness.person("tanaka"))
    assert len(views) == 1 and views[0]["view"]["callback_id"] == "mql_reject_modal"
    view_id = views[0]["id"]
    # "other" needs a note: the modal shows the error and nothing changes.
    r = await harness.emu.submit_view(harness.person("tanaka"), view_id, {"reason": {"value": "other"}})
    assert r["body"]["response_action"] == "errors" and "note" in r["body"]["errors"]
    assert (await harness.lead(body["id"]))["stage"] == "mql"
    # A re-approach date in the past is refused too.
    r = await harness.emu.submit_view(
        harness.person("tanaka"), view_id, {"reason": {"value": "no_interest_now"}, "reapproach_date": {"value": "2026-11-01"}}
    )
    assert "reapproach_date" in r["body"]["errors"]
    r = await harness.emu.submit_view(
        harness.person("tanaka"), view_id,
        {"reason": {"value": "no_interest_now"}, "note": {"value": "来期予算で再検討"}, "reapproach": {"value": "60"}},
    )  # fmt: skip
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    lead = await harness.lead(body["id"])
    assert lead["stage"] == "recycled" and lead["recycle_at"] == "2027-01-23"
    last = lead["history"][-1]
    assert (last["to"], last["reason"], last["note"], last["by"]) == ("recycled", "no_interest_now", "来期予算で再検討", "tanaka")
    card = await harness.card(body["id"])
    assert "却下" in card["text"] and "今は関心なし" in card["text"]
    assert not any(b["type"] == "actions" for b in card["blocks"])


async def test_reject_as_duplicate_closes_instead_of_recycling(harness):
    _, body = await harness.post("/api/leads", ENTERPRISE)
    await harness.deliver()
    await harness.click("tanaka", await harness.card(body["id"]), "mql_reject")
    view_id = harness.emu.open_views(harness.person("tanaka"))[0]["id"]
    await harness.emu.submit_view(harness.person("tanaka"), view_id, {"reason": {"value": "duplicate"}})
    lead = await harness.lead(body["id"])
    assert lead["stage"] == "closed" and lead["recycle_at"] is None


async def test_press_by_someone_outside_the_team_changes_nothing(harness):
    _, body = await harness.post("/api/leads", ENTERPRISE)
    await harness.deliver()
    card = await harness.card(body["id"])
    await harness.click("ito", card, "mql_accept")  # ito is in IS SMB, not Enterprise
    await harness.click("kato", card, "mql_reject")  # an AE
    assert (await harness.lead(body["id"]))["stage"] == "mql"
    assert harness.emu.open_views(harness.person("kato")) == []
    assert any("IS Enterprise" in t for t in harness.ephemerals("ito"))
    assert any("IS Enterprise" in t for t in harness.ephemerals("kato"))
    # Someone Slack knows but app.yaml doesn't.
    harness.emu.users["U0STRANGER"] = {"name": "stranger", "real_name": "部外者", "tz": "Asia/Tokyo"}
    await harness.emu.click("U0STRANGER", card, "mql_accept")
    await harness.deliver()
    assert (await harness.lead(body["id"]))["stage"] == "mql"
    assert any("app.yaml" in m["text"] for m in harness.emu.messages if m.get("ephemeral_user") == "U0STRANGER")


async def test_simultaneous_double_press_has_exactly_one_winner(harness):
    _, body = await harness.post("/api/leads", ENTERPRISE)
    await harness.deliver()
    card = await harness.card(body["id"])
    r1, r2 = await asyncio.gather(
        harness.emu.click(harness.person("tanaka"), card, "mql_accept"),
        harness.emu.click(harness.person("suzuki"), card, "mql_accept"),
    )
    assert r1["status"] == r2["status"] == 200
    await harness.deliver()
    lead = await harness.lead(body["id"])
    assert lead["stage"] == "sal" and lead["owner"] in ("tanaka", "suzuki")
    loser = "suzuki" if lead["owner"] == "tanaka" else "tanaka"
    winner_id = harness.person(lead["owner"])
    assert any(f"<@{winner_id}>" in t for t in harness.ephemerals(loser))
    assert [h["to"] for h in lead["history"]].count("sal") == 1


async def test_manager_may_decide_for_the_team(harness):
    _, body = await harness.post("/api/leads", ENTERPRISE)
    await harness.deliver()
    await harness.click("sato", await harness.card(body["id"]), "mql_accept")
    assert (await harness.lead(body["id"]))["owner"] == "sato"


async def test_lead_names_cannot_inject_mentions(harness):
    hostile = {**ENTERPRISE, "external_id": "X", "name": "<!channel> <@U0MGR> & co", "company": "<https://evil|click>"}
    _, body = await harness.post("/api/leads", hostile)
    await harness.deliver()
    card = await harness.card(body["id"])
    # plain_text (the header) is never parsed by Slack; every mrkdwn text and the top-level text are.
    mrkdwn = [card["text"]] + [o["text"] for b in card["blocks"] for o in _text_objects(b) if o.get("type") == "mrkdwn"]
    blob = "\n".join(mrkdwn)
    assert "<!channel>" not in blob and "<@U0MGR>" not in blob and "<https://evil" not in blob
    assert "&lt;!channel&gt;" in blob


def _text_objects(block):
    if isinstance(block.get("text"), dict):
        yield block["text"]
    yield from block.get("fields", [])
    yield from (e for e in block.get("elements", []) if e.get("type") in ("mrkdwn", "plain_text"))


async def test_unsigned_or_forged_slack_requests_are_rejected(harness):
    _, body = await harness.post("/api/leads", ENTERPRISE)
    await harness.deliver()
    import json
    import time
    from urllib.parse import urlencode

    payload = {"type": "block_actions", "user": {"id": "U0TANAKA"}, "actions": [{"action_id": "mql_accept", "value": str(body["id"])}]}
    data = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    async with harness.http.post(harness.url + "/slack/events", data=data, headers=headers) as r:
        assert r.status == 401
    assert (await harness.lead(body["id"]))["stage"] == "mql"
