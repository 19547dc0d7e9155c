"""Customer Success end to end (SQLite and PostgreSQL): accounts from won deals and the API, usage
signals, drop alerts in the CS channel (once per drop) with Acknowledge / Snooze / Escalate,
escalation after the SLA, renewal reminders, the upsell hand-off to FS and churn into recycle."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.domain import opportunities
from bot.models import Account, Alert, Opportunity, Recycle, StageEvent
from bot.slack.blockkit import validate_message
from tests.conftest import FIXTURES, JST, T0

CS_PEOPLE = (
    "  - {id: kato,     name: 加藤, slack_id: U0KATO, roles: [fs_rep]}\n"
    "  - {id: yamamoto, name: 山本, slack_id: U0CSMGR, roles: [cs_manager]}\n"
    "  - {id: matsumoto, name: 松本, slack_id: U0CSM, roles: [csm]}\n"
)
CS_TEAM = "  - {id: cs, name: Customer Success, function: customer_success, channel: C0CS, manager: yamamoto, members: [matsumoto], calendar: tokyo}\n"


@pytest.fixture
def config_path(request, tmp_path):
    """The test team plus a CS team; `indirect` param: a replacement for the `alerts:` line."""
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    kato = "  - {id: kato,     name: 加藤, slack_id: U0KATO, roles: [fs_rep]}\n"
    assert kato in text
    text = text.replace(kato, CS_PEOPLE)
    fs = next(line for line in text.splitlines(keepends=True) if line.startswith("  - {id: fs,"))
    text = text.replace(fs, fs + CS_TEAM)
    alerts = getattr(request, "param", None)
    if alerts:
        line = next(line for line in text.splitlines(keepends=True) if line.startswith("  alerts:"))
        text = text.replace(line, f"  alerts: {alerts}\n")
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    return path


ACME = {"external_id": "ACME", "name": "アクメ工業株式会社", "csm": "matsumoto", "ae": "kato", "arr": 12000000,
        "contract_start": "2026-04-01", "renewal_date": "2027-03-31", "seats": 10}  # fmt: skip


def cs_posts(harness) -> list[dict]:
    return [m for m in harness.emu.channel_messages("C0CS") if not m.get("ephemeral_user")]


def dms(harness, person_id: str) -> list[dict]:
    return harness.emu.channel_messages(harness.person(person_id), include_threads=True)


def actions(message) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def new_account(harness, **kw) -> int:
    status, body = await harness.post("/api/accounts", {**ACME, **kw})
    assert status == 201, body
    return body["id"]


async def signals(harness, account, day: date, **values) -> dict:
    status, body = await harness.post(f"/api/accounts/{account}/signals", {"day": day.isoformat(), "values": values})
    assert status == 200, body
    await harness.deliver()
    return body


async def to_day(harness, day: date, hour: int = 10) -> None:
    await harness.advance(seconds=(datetime(day.year, day.month, day.day, hour, tzinfo=JST) - harness.clock.now()).total_seconds())


async def healthy_then_drop(harness, *, logins_after=20, features_after=8) -> int:
    """Green 100 on T0 (50 logins / 10 seats = 5 per seat, 8 features); a week later the given usage."""
    acc = await new_account(harness)
    body = await signals(harness, acc, T0.date(), logins=50, features_used=8)
    assert (body["health_score"], body["health_band"]) == (100, "green")
    await to_day(harness, T0.date() + timedelta(days=7))
    await signals(harness, acc, T0.date() + timedelta(days=7), logins=logins_after, features_used=features_after)
    return acc


async def alerts(harness) -> list[Alert]:
    async with harness.baton.ctx.uow() as uow:
        return list((await uow.session.execute(select(Alert).order_by(Alert.id))).scalars())


# -- accounts ------------------------------------------------------------------------------------


async def test_won_deal_becomes_a_customer_with_a_card_in_the_cs_channel(harness):
    async with harness.baton.ctx.uow() as uow:
        opp = await opportunities.create(uow, name="全社導入", actor="kato", account_name="大手製造株式会社",
                                         amount=6000000, owner_id="kato", team_id="fs")  # fmt: skip
        assert await opportunities.close(uow, opp, "won", actor="kato") == []
        opp_id = opp.id
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        opp = await uow.session.get(Opportunity, opp_id)
        account_id = opp.account_id
    assert account_id
    status, acc = await harness.get(f"/api/accounts/{account_id}")
    assert status == 200
    assert acc["name"] == "大手製造株式会社" and acc["csm"] == "matsumoto" and acc["ae"] == "kato"
    # Handed to Customer Success: waiting for the CSM (the hand-off SLA), onboarding starts on Accept.
    assert acc["arr"] == "6000000.00" and (acc["cs_stage"], acc["handoff_state"]) == ("handoff", "pending")
    assert (acc["contract_start"], acc["renewal_date"]) == ("2026-11-24", "2027-11-24")
    (card,) = cs_posts(harness)
    assert "大手製造株式会社" in card["text"] and "<@U0CSM>" in card["text"]
    assert validate_message(card["text"], card["blocks"]) == []
    assert actions(card) == ["cs_handoff_accept"]


async def test_accounts_api_upserts_by_external_id_and_names_bad_fields(harness):
    acc = await new_account(harness)
    status, body = await harness.post("/api/accounts", {"external_id": "ACME", "seats": 25, "cs_stage": "adoption"})
    assert status == 200 and body["id"] == acc and body["seats"] == 25 and body["name"] == ACME["name"]
    status, body = await harness.post("/api/accounts", [
        {"external_id": "B", "name": "B社", "mrr": 100000},
        {"external_id": "C", "name": "C社", "contract_start": "2026-04-01", "renewal_date": "2026-03-01"},
        {"external_id": "D", "name": "D社", "csm": "nobody"},
    ])  # fmt: skip
    assert status == 207 and body["ok"] == 1
    assert body["results"][0]["arr"] == "1200000.00"
    assert body["results"][1]["errors"][0]["field"] == "renewal_date"
    assert body["results"][2]["errors"][0]["field"] == "csm"
    status, _ = await harness.get("/api/accounts/C")
    assert status == 404  # nothing half-written
    async with harness.baton.ctx.uow() as uow:
        stages = [e.to_stage for e in (await uow.session.execute(
            select(StageEvent).where(StageEvent.entity_type == "account", StageEvent.entity_id == acc).order_by(StageEvent.id)
        )).scalars()]  # fmt: skip
    assert stages == ["onboarding", "adoption"]


async def test_signals_are_idempotent_per_account_day_and_signal(harness):
    acc = await new_account(harness)
    body = await signals(harness, acc, T0.date(), logins=30, features_used=4)
    # logins 30/10 = 3 per seat → 60 (×2), features 4 → 60; nps missing → ignored: 60
    assert body["health_score"] == 60 and body["stored"] == 2
    # The same day again (by external id) replaces, not adds: 50/10 = 5 → 100 ×2, 60 → 86.67 → 87
    status, body = await harness.post("/api/accounts/ACME/signals", [{"day": T0.date().isoformat(), "signal": "logins", "value": 50}])
    assert status == 200 and body["health_score"] == 87
    status, hist = await harness.get(f"/api/accounts/{acc}")
    assert [(h["day"], h["score"]) for h in hist["health_history"]] == [("2026-11-24", 87)]
    status, body = await harness.post(f"/api/accounts/{acc}/signals", [{"day": "2026-11-24", "signal": "logins", "value": "lots"}])
    assert status == 422 and body["errors"][0]["field"].startswith("signals[0].value")
    status, body = await harness.post(f"/api/accounts/{acc}/signals", {"signal": "logins", "value": 1})
    assert status == 422 and "day" in body["errors"][0]["error"]
    status, _ = await harness.post("/api/accounts/999/signals", {"day": "2026-11-24", "signal": "logins", "value": 1})
    assert status == 404


# -- drop alerts -----------------------------------------------------------------------------------


async def test_a_young_account_alerts_against_its_best_day_so_far(harness):
    # Two days of history, not the drop_days (7) the old rule needed. Day 1: logins 5/seat, 8
    # features, NPS 40 → 100. Day 3: NPS -10 (20 points) → (100×2 + 100 + 20) ÷ 4 = 80: 20 points down.
    acc = await new_account(harness)
    assert (await signals(harness, acc, T0.date(), logins=50, features_used=8, nps=40))["health_score"] == 100
    await to_day(harness, T0.date() + timedelta(days=2))
    assert (await signals(harness, acc, T0.date() + timedelta(days=2), nps=-10))["health_score"] == 80
    (alert,) = cs_posts(harness)
    text = str(alert["blocks"])
    assert "NPS 40 → -10（100→20点、-80）" in text and "20 点低下" in text


async def test_back_dated_signals_build_their_days_history(harness):
    acc = await new_account(harness)
    past = T0.date() - timedelta(days=3)
    await signals(harness, acc, past, logins=50, features_used=8)  # an import of last week's usage
    _, body = await harness.get(f"/api/accounts/{acc}")
    assert ("2026-11-21", 100) in [(h["day"], h["score"]) for h in body["health_history"]]


async def test_drop_alert_content_buttons_and_posted_once_while_low(harness):
    acc = await healthy_then_drop(harness)  # 20/10 = 2 per seat → 40 ×2, features 100 → 60, yellow
    (alert,) = cs_posts(harness)
    text = str(alert["blocks"])
    assert validate_message(alert["text"], alert["blocks"]) == []
    assert "<@U0CSM>" in alert["text"] + text
    assert "60" in text and "100 → 60" in text  # score and trend
    assert "40 点低下" in text and "ログイン/席" in text and "-60%" in text  # which drops, which measure moved
    assert "ログイン/席 5 → 2（100→40点、-60）" in text  # each measure in its own unit, points second
    assert "1,200万円" in text and "あと 120 日" in text  # ARR, days to renewal (2027-03-31)
    assert actions(alert) == ["health_ack", "health_snooze", "health_escalate", "upsell_handoff"]
    (row,) = await alerts(harness)
    assert {t["kind"] for t in row.data["triggers"]} == {"score_drop", "band_down", "collapse"}
    # Staying low for days (daily job, more signals) does not alert again.
    for i in range(1, 10):
        await to_day(harness, T0.date() + timedelta(days=7 + i), hour=7)
        await harness.baton.scheduler.run_job("health_check")
        await signals(harness, acc, T0.date() + timedelta(days=7 + i), logins=20, features_used=8)
    assert len(cs_posts(harness)) == 1 and len(await alerts(harness)) == 1


@pytest.mark.parametrize(
    ("config_path", "expected"),
    [
        ("{drop_points: 15, drop_days: 7, band_downgrade: false, collapse: null, acknowledge_within: 4h}", "score_drop"),
        ("{drop_points: null, band_downgrade: true, collapse: null, acknowledge_within: 4h}", "band_down"),
        ("{drop_points: null, band_downgrade: false, collapse: {percent: 50, days: 7}, acknowledge_within: 4h}", "collapse"),
    ],
    indirect=["config_path"],
)
async def test_each_trigger_alone_alerts_once(harness, expected):
    acc = await healthy_then_drop(harness)
    assert len(cs_posts(harness)) == 1
    (row,) = await alerts(harness)
    assert [t["kind"] for t in row.data["triggers"]] == [expected]
    for i in range(1, 4):  # the next days: still low, no second alert
        day = T0.date() + timedelta(days=7 + i)
        await to_day(harness, day, hour=7)
        await harness.baton.scheduler.run_job("health_check")
        await signals(harness, acc, day, logins=20, features_used=8)
    assert len(cs_posts(harness)) == 1


@pytest.mark.parametrize("config_path", ["{drop_points: 15, drop_days: 7, band_downgrade: true, collapse: null, acknowledge_within: 4h}"], indirect=True)
async def test_small_move_inside_a_band_does_not_alert_and_recovery_allows_a_new_alert(harness):
    acc = await healthy_then_drop(harness, logins_after=45)  # 4.5 per seat → 90 ×2, 100 → 93: no drop
    assert cs_posts(harness) == []
    day = T0.date() + timedelta(days=15)  # (a 7-day sum: the day-7 logins are out of the window)
    await to_day(harness, day)
    await signals(harness, acc, day, logins=20, features_used=8)  # 60: drop
    assert len(cs_posts(harness)) == 1
    for i, logins in ((16, 50), (23, 20)):  # recovers (alert resolved), then drops again: a new alert
        day = T0.date() + timedelta(days=i)
        await to_day(harness, day)
        await signals(harness, acc, day, logins=logins, features_used=8)
    rows = await alerts(harness)
    assert [r.state for r in rows] == ["resolved", "open"]
    assert len(cs_posts(harness)) == 2
    assert "回復" in str(cs_posts(harness)[0]["blocks"])


async def test_acknowledge_with_next_step_stops_the_escalation(harness):
    await healthy_then_drop(harness)
    (alert,) = cs_posts(harness)
    await harness.click("matsumoto", alert, "health_ack")
    (view,) = harness.emu.open_views(harness.person("matsumoto"))
    assert view["view"]["callback_id"] == "health_ack_modal"
    r = await harness.emu.submit_view(harness.person("matsumoto"), view["id"], {"next_step": {"value": "キーマンと面談"}, "due": {"value": "2026-11-01"}})
    assert r["body"]["response_action"] == "errors" and "due" in r["body"]["errors"]
    r = await harness.emu.submit_view(harness.person("matsumoto"), view["id"], {"next_step": {"value": "キーマンと面談"}, "due": {"value": "2026-12-04"}})
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    (alert,) = cs_posts(harness)
    assert "キーマンと面談" in str(alert["blocks"]) and "<@U0CSM>" in str(alert["blocks"])
    assert actions(alert) == ["health_escalate", "upsell_handoff"]
    await harness.advance(hours=30)
    assert dms(harness, "yamamoto") == []
    (row,) = await alerts(harness)
    assert (row.state, row.acknowledged_by, row.next_step_due) == ("acknowledged", "matsumoto", date(2026, 12, 4))


async def test_unacknowledged_alert_escalates_to_the_cs_manager_after_its_sla(harness):
    await healthy_then_drop(harness)  # Tue 2026-12-01 10:00; SLA 4 business hours → 14:00
    assert await harness.advance(hours=3, minutes=59) == 0
    assert dms(harness, "yamamoto") == []
    assert await harness.advance(minutes=2) == 1
    (dm,) = dms(harness, "yamamoto")
    assert "アクメ工業株式会社" in dm["text"] and "誰も対応しませんでした" in dm["text"]
    (alert,) = cs_posts(harness)
    assert "🚨" in str(alert["blocks"]) and "<@U0CSMGR>" in str(alert["blocks"])
    (row,) = await alerts(harness)
    assert row.state == "escalated"


async def test_escalate_button_and_snooze(harness):
    await healthy_then_drop(harness)
    (alert,) = cs_posts(harness)
    # Someone outside CS cannot act on it.
    await harness.click("tanaka", alert, "health_snooze")
    assert any("カスタマーサクセス" in t for t in harness.ephemerals("tanaka"))
    await harness.click("matsumoto", alert, "health_snooze")
    (row,) = await alerts(harness)
    assert row.state == "snoozed"
    await harness.advance(hours=5)  # past the original 4 h: snoozed, no escalation
    assert dms(harness, "yamamoto") == []
    (alert,) = cs_posts(harness)
    assert "スヌーズ" in str(alert["blocks"])
    await harness.click("matsumoto", alert, "health_escalate")
    (dm,) = dms(harness, "yamamoto")
    assert "<@U0CSM>" in dm["text"]
    await harness.advance(days=3)  # the snoozed clock was stopped by the escalation: one DM only
    assert len(dms(harness, "yamamoto")) == 1


# -- renewals ---------------------------------------------------------------------------------------


async def test_renewal_reminders_once_per_offset_across_month_ends(harness):
    await new_account(harness)  # renews 2027-03-31
    sent = []
    for d in (date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 29), date(2027, 1, 30), date(2027, 2, 28),
              date(2027, 3, 1), date(2027, 3, 2)):  # fmt: skip
        await harness.baton.scheduler.run_job("renewals", now=datetime(d.year, d.month, d.day, 9, tzinfo=JST))
        await harness.deliver()
        sent.append((d, len(dms(harness, "matsumoto")), len(dms(harness, "kato"))))
    assert [(d, m) for d, m, _ in sent] == [
        (date(2026, 12, 30), 0), (date(2026, 12, 31), 1), (date(2027, 1, 29), 1), (date(2027, 1, 30), 2),
        (date(2027, 2, 28), 2), (date(2027, 3, 1), 3), (date(2027, 3, 2), 3),
    ]  # fmt: skip
    assert [k for _, _, k in sent][-1] == 3  # the AE too
    last = dms(harness, "matsumoto")[-1]
    assert "30 日" in last["text"] and "リスク" not in last["text"]
    assert validate_message(last["text"], last["blocks"]) == []
    status, acc = await harness.get("/api/accounts/ACME")
    assert acc["cs_stage"] == "renewal"


async def test_renewal_reminder_flags_a_red_account_at_risk(harness):
    acc = await new_account(harness, renewal_date="2027-02-20")
    await signals(harness, acc, T0.date(), logins=2, features_used=1)  # 0.2/seat → 4 ×2, 30 → 12.67 → 13 red
    await harness.baton.scheduler.run_job("renewals", now=datetime(2026, 11, 25, 9, tzinfo=JST))
    await harness.deliver()
    (dm,) = dms(harness, "matsumoto")
    assert "更新リスク" in dm["text"] and "🔴" in str(dm["blocks"])


async def reminded(harness) -> tuple[dict, dict]:
    """The 90-day reminder (renewal 2027-03-01, due Tuesday 2026-12-01) in the CSM's and the AE's DMs, with its buttons."""
    await new_account(harness, renewal_date="2027-03-01")
    await to_day(harness, date(2026, 12, 1))  # the clock, not only the job's `now`: as in production
    await harness.baton.scheduler.run_job("renewals")
    await harness.deliver()
    (csm,), (ae,) = dms(harness, "matsumoto"), dms(harness, "kato")
    assert actions(csm) == actions(ae) == ["upsell_handoff", "churn_mark"]
    return csm, ae


async def test_renewal_reminders_lose_their_buttons_once_the_account_churns(harness):
    csm, _ = await reminded(harness)
    await harness.click("matsumoto", csm, "churn_mark")
    (view,) = harness.emu.open_views(harness.person("matsumoto"))
    r = await harness.emu.submit_view(harness.person("matsumoto"), view["id"], {"reason": {"value": "competitor"}})
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    for person in ("matsumoto", "kato"):
        (dm,) = dms(harness, person)  # the same DM, updated in place
        assert actions(dm) == [], person
        assert "解約として記録" in str(dm["blocks"]) and "競合へ乗り換え" in str(dm["blocks"]) and "<@U0CSM>" in str(dm["blocks"])
        assert "90 日" in dm["text"] and validate_message(dm["text"], dm["blocks"]) == []


async def test_renewal_reminders_lose_their_buttons_once_an_upsell_is_handed_to_fs(harness):
    _, ae = await reminded(harness)
    await harness.click("kato", ae, "upsell_handoff")
    (view,) = harness.emu.open_views(harness.person("kato"))
    r = await harness.emu.submit_view(harness.person("kato"), view["id"], {"name": {"value": "追加ライセンス"}, "amount": {"value": "1,200,000"}})
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    for person in ("matsumoto", "kato"):
        (dm,) = dms(harness, person)
        assert actions(dm) == [], person
        assert "アップセル「追加ライセンス」をFSへ引き渡しました" in str(dm["blocks"]) and "<@U0KATO>" in str(dm["blocks"])


# -- upsell and churn -------------------------------------------------------------------------------


async def test_upsell_from_the_alert_creates_a_linked_phase_1_opportunity_for_fs(harness):
    acc = await healthy_then_drop(harness)
    (alert,) = cs_posts(harness)
    await harness.click("matsumoto", alert, "upsell_handoff")
    (view,) = harness.emu.open_views(harness.person("matsumoto"))
    r = await harness.emu.submit_view(harness.person("matsumoto"), view["id"], {"name": {"value": "追加ライセンス"}, "amount": {"value": "abc"}})
    assert "amount" in r["body"]["errors"]
    r = await harness.emu.submit_view(
        harness.person("matsumoto"), view["id"],
        {"name": {"value": "追加ライセンス"}, "amount": {"value": "1,200,000"}, "notes": {"value": "営業部門にも展開したい"}},
    )  # fmt: skip
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        (opp,) = (await uow.session.execute(select(Opportunity))).scalars()
    assert (opp.kind, opp.phase, opp.account_id, opp.owner_id, opp.team_id) == ("upsell", 1, acc, "kato", "fs")
    assert int(opp.amount) == 1200000 and opp.notes["cs_notes"] == "営業部門にも展開したい" and opp.handoff_from == "matsumoto"
    (post,) = harness.emu.channel_messages("C0FS")
    assert "追加ライセンス" in post["text"] and "<@U0KATO>" in post["text"]
    assert "営業部門にも展開したい" in str(post["blocks"]) and "アクメ工業株式会社" in str(post["blocks"])
    # Handed over like an SQL: the FS rep accepts or sends back within the hand-off SLA (2 business hours).
    assert actions(post) == ["handoff_accept", "handoff_send_back"] and opp.handoff_state == "pending"
    await harness.advance(hours=2, minutes=1)
    _, warning, breach = harness.emu.thread("C0FS", post["ts"])  # the card, then its SLA notices
    assert "<@U0KATO>" in warning["text"] and "<@U0KATO>" in breach["text"]
    await harness.click("kato", harness.emu.get_message("C0FS", post["ts"]), "handoff_accept")
    card = harness.emu.get_message("C0FS", post["ts"])
    assert actions(card) == ["deal_edit", "deal_won", "deal_lost"] and "<@U0KATO>" in str(card["blocks"])  # now the deal's card
    async with harness.baton.ctx.uow() as uow:
        opp = await uow.session.get(Opportunity, opp.id)
        assert (opp.handoff_state, opp.status) == ("accepted", "open")


async def test_an_upsell_sent_back_closes_it_and_tells_the_csm_why(harness):
    acc = await new_account(harness)
    async with harness.baton.ctx.uow() as uow:
        from bot.domain.accounts import handoff_upsell

        account = await uow.session.get(Account, acc)
        opp = await handoff_upsell(uow, account, by="matsumoto", name="追加ライセンス", amount=Decimal(1_200_000))
    await harness.deliver()
    (post,) = harness.emu.channel_messages("C0FS")
    await harness.click("kato", post, "handoff_send_back")
    view = harness.emu.open_views(harness.person("kato"))[-1]
    await harness.emu.submit_view(harness.person("kato"), view["id"], {"reason": {"value": "missing_info"}, "note": {"value": "予算未確認"}})
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        opp = await uow.session.get(Opportunity, opp.id)
        assert (opp.handoff_state, opp.status, opp.lost_reason) == ("sent_back", "lost", "sent_back")
    (dm,) = dms(harness, "matsumoto")
    assert "予算未確認" in dm["text"] and "クローズ" in dm["text"] and "<@U0KATO>" in dm["text"]


async def test_churn_from_the_api_is_an_event_with_its_reason_and_enters_recycle(harness):
    acc = await new_account(harness)
    status, body = await harness.post(f"/api/accounts/{acc}/churn", {"reason": "nope"})
    assert status == 422 and body["errors"][0]["field"] == "reason"
    status, body = await harness.post(f"/api/accounts/{acc}/churn", {"reason": "competitor", "note": "他社へ"})
    assert status == 200 and body["churned"] and body["churn_reason"] == "competitor"
    status, _ = await harness.post(f"/api/accounts/{acc}/churn", {"reason": "competitor"})
    assert status == 409
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        ev = await uow.session.scalar(select(StageEvent).where(StageEvent.entity_type == "account", StageEvent.to_stage == "churned"))
        rec = await uow.session.scalar(select(Recycle).where(Recycle.entity_type == "account", Recycle.entity_id == acc))
    assert (ev.entity_id, ev.reason, ev.note, ev.from_stage) == (acc, "competitor", "他社へ", "onboarding")
    assert rec is not None and rec.reason == "competitor"
    assert any("解約" in m["text"] for m in cs_posts(harness))


async def test_churn_from_slack_records_the_reason(harness):
    async with harness.baton.ctx.uow() as uow:
        opp = await opportunities.create(uow, name="導入", actor="kato", account_name="小売X", amount=3000000, owner_id="kato", team_id="fs")
        await opportunities.close(uow, opp, "won", actor="kato")
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        acc_id = (await uow.session.execute(select(Account.id))).scalar_one()
    # Once the CSM has taken the customer (here through the API), the card carries churn and upsell.
    assert (await harness.patch(f"/api/accounts/{acc_id}", {"kickoff_on": "2026-12-01"}))[0] == 200
    await harness.deliver()
    (card,) = cs_posts(harness)
    card = harness.emu.get_message(card["channel"], card["ts"])
    await harness.click("matsumoto", card, "churn_mark")
    (view,) = harness.emu.open_views(harness.person("matsumoto"))
    r = await harness.emu.submit_view(harness.person("matsumoto"), view["id"], {"reason": {"value": "budget"}, "note": {"value": "予算削減"}})
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        ev = await uow.session.scalar(select(StageEvent).where(StageEvent.entity_type == "account", StageEvent.to_stage == "churned"))
    assert (ev.reason, ev.actor, ev.note) == ("budget", "matsumoto", "予算削減")
    assert any("予算" in m["text"] and "<@U0CSM>" in m["text"] for m in cs_posts(harness))
    # Decided: the new-customer card says so and loses its Churn / Upsell buttons.
    card = harness.emu.get_message(card["channel"], card["ts"])
    assert actions(card) == [] and "解約済み" in str(card["blocks"]) and "予算" in str(card["blocks"])


async def test_the_escalation_dm_loses_its_button_once_acknowledged(harness):
    await healthy_then_drop(harness)
    (alert,) = cs_posts(harness)
    await harness.click("matsumoto", alert, "health_escalate")
    (dm,) = dms(harness, "yamamoto")
    assert actions(dm) == ["health_ack"]
    await harness.click("yamamoto", dm, "health_ack")
    (view,) = harness.emu.open_views(harness.person("yamamoto"))
    r = await harness.emu.submit_view(harness.person("yamamoto"), view["id"], {"next_step": {"value": "役員訪問"}, "due": {"value": "2026-12-04"}})
    assert r["status"] == 200 and not r["body"]
    await harness.deliver()
    (dm,) = dms(harness, "yamamoto")  # the same DM, updated in place
    assert actions(dm) == [] and "役員訪問" in str(dm["blocks"]) and "<@U0CSMGR>" in str(dm["blocks"])
    (alert,) = cs_posts(harness)
    assert "health_ack" not in actions(alert)


async def test_a_deal_synced_late_as_won_makes_a_customer_from_its_close_date(harness):
    """Won on 2026-05-08 (a late sync on T0): the contract starts then and renews a term later, not a
    year from the day Baton heard of it."""
    status, body = await harness.post("/api/opportunities", {"external_id": "LATE", "name": "遅延工業",
                                                             "owner": "kato", "amount": 3_000_000, "phase": 5, "status": "won",
                                                             "close_date": "2026-05-08"})  # fmt: skip
    assert status in (200, 201), body
    await harness.deliver()
    async with harness.baton.ctx.uow() as uow:
        acc = (await uow.session.execute(select(Account).where(Account.name == "遅延工業"))).scalar_one()
    assert (acc.contract_start, acc.renewal_date) == (date(2026, 5, 8), date(2027, 5, 8))


async def test_a_churn_told_late_is_dated_when_it_happened(harness):
    """The CRM says the customer left on Oct 5: churn counts in that day's period, and the loop's
    re-approach counts from then. A future or unreadable date is refused and changes nothing."""
    acc = await new_account(harness)
    for bad in ("2027-01-05", "5 Oct", "2026-10-05T10:00:00"):
        status, body = await harness.post(f"/api/accounts/{acc}/churn", {"reason": "competitor", "occurred_at": bad})
        assert status == 422 and body["errors"][0]["field"] == "occurred_at", (bad, body)
    status, body = await harness.get(f"/api/accounts/{acc}")
    assert not body["churned"]
    status, body = await harness.post(f"/api/accounts/{acc}/churn", {"reason": "competitor", "occurred_at": "2026-10-05"})
    assert status == 200 and body["churned"], body
    async with harness.baton.ctx.uow() as uow:
        account = await uow.session.get(Account, acc)
        ev = await uow.session.scalar(select(StageEvent).where(StageEvent.entity_type == "account", StageEvent.to_stage == "churned"))
        loop = await uow.session.scalar(select(Recycle).where(Recycle.entity_type == "account", Recycle.entity_id == acc))
    assert account.churned_at.astimezone(JST) == datetime(2026, 10, 5, tzinfo=JST) == ev.occurred_at.astimezone(JST)
    assert ev.at.astimezone(JST) == T0  # recorded now
    assert loop.due_date == date(2026, 10, 5) + timedelta(days=harness.config.relay.churn_days)
