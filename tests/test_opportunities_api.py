"""Opportunities from a CRM (API upsert, CSV import) and from Slack (the Update deal modal)."""

from __future__ import annotations

from bot.config import Settings, load_config
from bot.importer import import_csv
from tests.conftest import FIXTURES

DEAL = {"external_id": "SF-1", "name": "北海道物流 全社導入", "account": "北海道物流株式会社", "owner": "kato",
        "amount": 30_000_000, "close_date": "2026-12-18", "phase": 2}  # fmt: skip


async def test_api_upsert_single_list_and_get(harness):
    status, body = await harness.post("/api/opportunities", DEAL)
    assert status == 201 and body["ok"] and body["created"] and body["stage"] == "phase_2"
    assert body["missing_items"] == ["next_action", "key_person", "competitors", "risks"]
    opp_id = body["id"]
    # The CRM syncs again by external id: an update, not a second deal; phase moves are events.
    status, body = await harness.post("/api/opportunities", [{"external_id": "SF-1", "phase": 3, "key_person": "山口部長"},
                                                             {"external_id": "SF-2", "phase": 9}])  # fmt: skip
    assert status == 207 and body["ok"] == 1 and body["failed"] == 1
    assert body["results"][0]["id"] == opp_id and not body["results"][0]["created"]
    assert body["results"][1]["errors"][0]["field"] == "phase"
    status, body = await harness.get(f"/api/opportunities/{opp_id}")
    assert status == 200 and body["phase"] == 3 and body["forecast_category"] == "best_case" and body["key_person"] == "山口部長"
    assert [(h["from"], h["to"]) for h in body["history"]] == [(None, "phase_2"), ("phase_2", "phase_3")]
    # Moving back without a reason, or a past close date, is refused and names the field; nothing changes.
    status, body = await harness.post("/api/opportunities", {"external_id": "SF-1", "phase": 1, "close_date": "2026-01-05"})
    assert status == 422 and {e["field"] for e in body["errors"]} == {"phase", "close_date"}
    assert (await harness.get(f"/api/opportunities/{opp_id}"))[1]["phase"] == 3
    assert (await harness.get("/api/opportunities/999999"))[0] == 404
    assert (await harness.post("/api/opportunities", {"opportunities": []}))[0] == 400
    assert (await harness.post("/api/opportunities", DEAL, token="wrong"))[0] == 401


async def test_import_opportunities_csv(database_url, tmp_path, capsys):
    csv = ("external_id,name,account,owner,amount,close_date,phase,competitors\n"
           "C-1,関西電機 基盤刷新,関西電機株式会社,kato,\"12,000,000\",2026-12-25,3,Salesforce\n"
           "C-2,壊れた行,,nobody,100,2026-12-25,2,\n")  # fmt: skip
    path = tmp_path / "opps.csv"
    path.write_bytes(csv.encode("cp932"))
    settings = Settings(database_url=database_url, slack_bot_token="xoxb-x", slack_api_url="http://127.0.0.1:9/api/")
    from bot.db import migrate

    await migrate(database_url)
    rc = await import_csv(load_config(FIXTURES / "app.yaml"), settings, "opportunities", path)
    out = capsys.readouterr().out
    assert rc == 1 and "1 件作成、0 件更新、1 件失敗" in out and "3 行目: owner" in out


async def test_update_deal_modal_validates_and_records(harness):
    status, body = await harness.post("/api/opportunities", DEAL)
    opp_id = body["id"]
    await harness.baton.scheduler.run_job("digest", channel="C0FS")
    await harness.deliver()
    digest = harness.emu.channel_messages("C0FS")[-1]
    # Not the owner: refused privately.
    await harness.click("tanaka", digest, "deal_edit")
    assert harness.emu.open_views(harness.person("tanaka")) == []
    assert any("担当者かマネージャー" in t for t in harness.ephemerals("tanaka"))
    await harness.click("kato", digest, "deal_edit")
    [view] = harness.emu.open_views(harness.person("kato"))
    assert view["view"]["callback_id"] == "deal_edit_modal"
    kato = harness.person("kato")
    base = {"phase": {"value": "2"}, "close_date": {"value": "2026-12-18"}, "amount": {"value": "30000000"}}
    # A past close date and a phase moved back without a reason: errors in the modal, nothing saved.
    r = await harness.emu.submit_view(kato, view["id"], {**base, "phase": {"value": "1"}, "close_date": {"value": "2026-11-01"}})
    assert r["body"]["response_action"] == "errors" and set(r["body"]["errors"]) == {"close_date", "phase_reason"}
    r = await harness.emu.submit_view(kato, view["id"], {**base, "amount": {"value": "三千万"}})
    assert set(r["body"]["errors"]) == {"amount"}
    assert (await harness.get(f"/api/opportunities/{opp_id}"))[1]["phase"] == 2
    r = await harness.emu.submit_view(kato, view["id"], {
        **base, "phase": {"value": "4"}, "amount": {"value": "35,000,000"}, "next_action": {"value": "最終見積提出"},
        "next_action_due": {"value": "2026-12-01"}, "key_person": {"value": "情報システム部長"},
        "competitors": {"value": "HubSpot"}, "risks": {"value": "稟議が年明け"},
    })  # fmt: skip
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    _, deal = await harness.get(f"/api/opportunities/{opp_id}")
    assert (deal["phase"], deal["amount"], deal["forecast_category"], deal["missing_items"]) == (4, "35000000.00", "commit", [])
    assert deal["history"][-1]["by"] == "kato" and deal["history"][-1]["to"] == "phase_4"
