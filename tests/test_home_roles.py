"""App Home per role, through the emulator: each role's tab shows what that person can do (and not
what they can't), role names as words, and its buttons work from the tab itself."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.models import Alert
from bot.slack.blockkit import validate_view
from tests.conftest import FIXTURES, T0
from tests.test_home import open_home, text_of
from tests.test_relay import _qualify, _sal
from tests.test_sla import ENTERPRISE, new_lead
from tests.test_success_flow import CS_PEOPLE, CS_TEAM, healthy_then_drop, new_account, signals, to_day

CRO = "  - {id: inoue, name: 井上, slack_id: U0CRO, roles: [cro]}\n"


@pytest.fixture
def config_path(tmp_path):
    """The test team plus a CS team (CSM matsumoto, CS manager yamamoto) and a CRO."""
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    kato = "  - {id: kato,     name: 加藤, slack_id: U0KATO, roles: [fs_rep]}\n"
    assert kato in text
    text = text.replace(kato, CS_PEOPLE + CRO)
    fs = next(line for line in text.splitlines(keepends=True) if line.startswith("  - {id: fs,"))
    text = text.replace(fs, fs + CS_TEAM)
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def action_ids(rec: dict) -> set[str]:
    out = set()
    for b in rec["view"]["blocks"]:
        for e in b.get("elements", []) if b["type"] == "actions" else [b.get("accessory") or {}]:
            if e.get("action_id"):
                out.add(e["action_id"])
    return out


async def test_is_rep_accepts_an_mql_from_the_home_tab(harness):
    lead_id = await new_lead(harness, ENTERPRISE)  # round robin → tanaka
    rec = await open_home(harness, "tanaka")
    assert validate_view(rec["view"]) == []
    body = text_of(rec)
    assert "役割: インサイドセールス" in body and "is_rep" not in body
    assert "新しいMQLが割り当てられます" in body
    assert {"mql_accept", "mql_reject"} <= action_ids(rec)
    assert "forecast_submit" not in action_ids(rec)  # an IS rep submits no forecast
    await harness.emu.click_view(harness.person("tanaka"), rec["id"], "mql_accept", block_id=f"mql_{lead_id}")
    await harness.deliver()
    assert (await harness.lead(lead_id))["stage"] == "sal"
    rec = harness.emu.home[harness.person("tanaka")]
    body = text_of(rec)
    assert "対応待ちのMQL（0件）" in body and "SAL（1件）" in body
    assert "sal_menu" in action_ids(rec) and "mql_accept" not in action_ids(rec)


async def test_fs_rep_sees_deals_and_forecast_submit_and_no_mql_talk(harness):
    rec = await open_home(harness, "kato")
    body = text_of(rec)
    assert "フィールドセールス" in body and "fs_rep" not in body
    assert "MQL" not in body  # not "new MQLs will be assigned to you", no MQL list
    assert "進行中の商談はありません" in body
    assert "forecast_submit" in action_ids(rec)
    await harness.emu.click_view(harness.person("kato"), rec["id"], "forecast_submit")
    await harness.deliver()
    modals = harness.emu.open_views(harness.person("kato"))
    assert [m["view"]["callback_id"] for m in modals] == ["forecast_submit_modal"]


async def test_fs_rep_accepts_a_hand_off_from_the_home_tab_and_then_has_the_deal_menu(harness):
    lead_id, followup = await _sal(harness)
    await _qualify(harness, lead_id, followup)  # an SQL handed to Field Sales (kato), waiting for them
    rec = await open_home(harness, "kato")
    assert "引き継ぎ待ち" in text_of(rec) and {"handoff_accept", "handoff_send_back"} <= action_ids(rec)
    assert "deal_menu" not in action_ids(rec)  # no closing a deal not yet accepted
    await harness.emu.click_view(harness.person("kato"), rec["id"], "handoff_accept")
    await harness.deliver()
    rec = harness.emu.home[harness.person("kato")]
    assert "引き継ぎ待ち" not in text_of(rec) and "deal_menu" in action_ids(rec) and "handoff_accept" not in action_ids(rec)


async def test_csm_escalates_an_alert_from_the_home_tab_and_the_cs_manager_sees_it(harness):
    acc = await healthy_then_drop(harness)
    rec = await open_home(harness, "matsumoto")
    body = text_of(rec)
    assert "カスタマーサクセス（CSM）" in body and "MQL" not in body
    assert "アクメ工業株式会社" in body and "対応中のヘルスアラート（1件）" in body
    async with harness.baton.ctx.uow() as uow:
        alert = (await uow.session.execute(select(Alert).where(Alert.subject == f"account:{acc}"))).scalar_one()
    await harness.emu.click_view(harness.person("matsumoto"), rec["id"], "health_escalate", block_id=f"alert_{alert.id}")
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        assert (await uow.session.get(Alert, alert.id)).state == "escalated"
    refreshed = text_of(harness.emu.home[harness.person("matsumoto")])  # without re-opening the tab
    assert "エスカレーション済み" in refreshed and "health_escalate" not in action_ids(harness.emu.home[harness.person("matsumoto")])
    mgr = await open_home(harness, "yamamoto")
    body = text_of(mgr)
    assert "あなたへのエスカレーション（1件）" in body and "アクメ工業株式会社" in body
    assert "MQL" not in body and "担当顧客 1社" in body


async def test_manager_sees_team_sla_and_queue_without_rep_texts(harness):
    lead_id = await new_lead(harness, ENTERPRISE)
    card = await harness.card(lead_id)
    await harness.click("tanaka", card, "mql_accept")  # answered within the SLA: 1 of 1 in time
    await new_lead(harness, {**ENTERPRISE, "email": "late@example.co.jp", "external_id": "late"})
    await harness.advance(minutes=45)  # the second one is past its 30 min SLA
    rec = await open_home(harness, "sato")
    body = text_of(rec)
    assert "インサイドセールス マネージャー" in body and "is_manager" not in body
    assert "新しいMQLが割り当てられます" not in body
    assert "*IS Enterprise* — SLA遵守率 100%（MQL 1件" in body
    assert "SLA超過のMQL（1件）" in body


async def test_cro_sees_company_coverage_forecast_bottleneck_and_capacity(harness):
    amount = 30000000
    status, body = await harness.post("/api/opportunities", {"external_id": "SF-CRO", "name": "全社導入", "owner": "kato", "amount": amount, "phase": 3, "forecast_category": "best_case",
                                                             "close_date": (date(2026, 12, 20)).isoformat()})  # fmt: skip
    assert status == 201, body
    rec = await open_home(harness, "inoue")
    assert validate_view(rec["view"]) == []
    body = text_of(rec)
    assert "役割: CRO" in body and "MQL" not in body and "forecast_submit" not in action_ids(rec)
    # Coverage: the open pipeline closing this quarter against (Q3 target 1億 − nothing won) ÷ the fallback win rate.
    rate = harness.config.pipeline.win_rate_fallback
    assert 100_000_000 / rate == 400_000_000
    assert "*全社* — FY2026-Q3 カバレッジ: パイプライン 3,000万円 / 必要 4億円" in body
    assert "FY2026-Q3 フォーキャスト: 受注 0円 · コミット 0円 · ベストケース 3,000万円 / 目標 1億円" in body
    assert ("ボトルネック" in body) and ("体制" in body)


async def test_a_csm_with_more_open_alerts_than_the_list_shows_sees_how_many_there_are(harness):
    """Ten accounts drop at once: the tab counts all ten, lists eight, and says how many more."""
    day0, day7 = T0.date(), T0.date() + timedelta(days=7)
    accounts = [await new_account(harness, external_id=f"ACC{i}", name=f"顧客{i:02d}") for i in range(10)]
    for acc in accounts:
        await signals(harness, acc, day0, logins=50, features_used=8)
    await to_day(harness, day7)
    for acc in accounts:
        await signals(harness, acc, day7, logins=20, features_used=8)
    body = text_of(await open_home(harness, "matsumoto"))
    assert "対応中のヘルスアラート（10件）" in body and "ほか 2 件" in body
