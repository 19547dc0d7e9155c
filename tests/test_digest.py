"""Daily pipeline digest: hand-computed coverage, trend arrows, hygiene flags, chart upload, once per day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.domain import pipeline as pl
from bot.models import Opportunity, StageEvent
from tests.conftest import T0
from tests.oracle_format import texts as _texts

JST = ZoneInfo("Asia/Tokyo")
FRI = datetime(2026, 11, 20, 11, 0, tzinfo=JST)  # Monday 11-23 is 勤労感謝の日: Friday is the previous working day


def _ev(entity_type, entity_id, frm, to, at, team="is_ent", reason=None, **data):
    return StageEvent(entity_type=entity_type, entity_id=entity_id, from_stage=frm, to_stage=to, at=at, actor="system",
                      team_id=team, reason=reason, data=data)  # fmt: skip


def _opp(name, amount, close, *, status="open", phase=2, changed=None, closed_at=None, **items):
    full = {"next_action": "提案書送付", "next_action_due": date(2026, 12, 1), "key_person": "部長 山口", "competitors": "HubSpot", "risks": "予算"}
    full.update(items)
    return Opportunity(name=name, owner_id="kato", team_id="fs", amount=Decimal(amount), close_date=close, phase=phase, status=status,
                       phase_changed_at=changed or T0 - timedelta(days=2), closed_at=closed_at, created_at=T0 - timedelta(days=60),
                       updated_at=T0, **full)  # fmt: skip


async def seed(harness):
    events = []
    mqls = {5: 10, 6: 10, 7: 10, 8: 20, 9: 30, 10: 40}  # May..Oct: 3- and 6-month trend up
    sqls = {5: 40, 6: 30, 7: 20, 8: 20, 9: 20, 10: 20}  # 3 months flat, 6 months down
    n = 1000
    for month, count in mqls.items():
        for i in range(count):
            n += 1
            events.append(_ev("lead", n, "lead", "mql", datetime(2026, month, 10 + i % 10, 10, tzinfo=JST)))
    for month, count in sqls.items():
        for i in range(count):
            n += 1
            events.append(_ev("lead", n, "sal", "sql", datetime(2026, month, 10 + i % 10, 10, tzinfo=JST)))
    # Friday's flow (+ one lead on Sunday).
    events += [
        _ev("lead", 1, None, "lead", FRI, team=None), _ev("lead", 2, None, "lead", FRI, team=None),
        _ev("lead", 3, None, "lead", FRI + timedelta(days=2), team=None),
        _ev("lead", 1, "lead", "mql", FRI), _ev("lead", 2, "lead", "mql", FRI),
        _ev("lead", 1, "mql", "sal", FRI + timedelta(minutes=30), response_business_seconds=1800, within_sla=True),
        _ev("lead", 2, "mql", "recycled", FRI + timedelta(hours=1), reason="not_a_fit", response_business_seconds=3600, within_sla=True),
        _ev("lead", 1, "sal", "sql", FRI + timedelta(hours=3)),
    ]  # fmt: skip
    async with harness.baton.ctx.uow() as uow:
        s = uow.session
        won = _opp("受注済 A社", 20_000_000, date(2026, 10, 15), status="won", phase=5, closed_at=datetime(2026, 10, 15, 12, tzinfo=JST))
        deals = [
            won,
            _opp("順調 B社", 100_000_000, date(2026, 12, 20)),
            _opp("未入力 C社", 50_000_000, date(2026, 12, 10), next_action=None, key_person=None, competitors="", risks=None),
            _opp("期限切れ D社", 50_000_000, date(2026, 12, 15), next_action_due=date(2026, 11, 20)),
            _opp("停滞 E社", 20_000_000, date(2026, 12, 25), phase=3, changed=T0 - timedelta(days=40)),
            _opp("遅延 F社", 20_000_000, date(2026, 11, 1)),
            _opp("来期 G社", 999_000_000, date(2027, 1, 20)),
        ]
        s.add_all(deals)
        await s.flush()
        events.append(_ev("opportunity", won.id, "phase_5", "won", won.closed_at, team="fs"))
        for i in range(3):  # 1 won, 3 lost in the window: win rate 25%
            events.append(_ev("opportunity", 900 + i, "phase_2", "lost", datetime(2026, 9, 5 + i, tzinfo=JST), team="fs", reason="competitor"))
        s.add_all(events)
    return deals


async def test_coverage_and_trends_hand_computed(harness):
    await seed(harness)
    async with harness.baton.ctx.uow() as uow:
        cov = await pl.coverage(uow, team_id="fs")
        rates = await pl.win_rates(uow, team_id="fs")
    assert cov.period.key == "FY2026-Q3"
    assert (cov.target, cov.won, cov.remaining) == (Decimal(100_000_000), Decimal(20_000_000), Decimal(80_000_000))
    assert cov.win_rate == 0.25 and cov.win_rate_from_history and rates.by_phase[3] == 1.0
    assert cov.required == Decimal(320_000_000)  # 8,000万円 ÷ 25%
    assert cov.pipeline == Decimal(240_000_000)  # open deals closing in Oct–Dec (G closes in January)
    assert cov.ratio == 0.75

    from bot.domain.digest import trend

    assert trend([20, 30, 40])[0] == "up" and abs(trend([20, 30, 40])[1] - 10 / 30) < 1e-9
    assert trend([10, 10, 10, 20, 30, 40]) == ("up", (110 / 17.5) / 20)
    assert trend([20, 20, 20])[0] == "flat" and trend([40, 30, 20, 20, 20, 20])[0] == "down"


async def test_hygiene_flags(harness):
    await seed(harness)
    async with harness.baton.ctx.uow() as uow:
        flagged = {f.opportunity.name: f for f in await pl.hygiene(uow)}
    assert set(flagged) == {"未入力 C社", "期限切れ D社", "停滞 E社", "遅延 F社"}
    assert flagged["未入力 C社"].flags == ["missing"] and flagged["未入力 C社"].missing == ["next_action", "key_person", "competitors", "risks"]
    assert flagged["期限切れ D社"].flags == ["overdue_action"]
    assert flagged["停滞 E社"].flags == ["stalled"] and flagged["停滞 E社"].stalled_days == 40
    assert flagged["遅延 F社"].flags == ["past_close"]


async def test_company_digest_content_chart_and_once_per_day(harness):
    await seed(harness)
    posted = await harness.baton.scheduler.run_job("digest", channel="C0MGRS")
    await harness.deliver()
    assert posted == ["C0MGRS"]
    [msg] = harness.emu.channel_messages("C0MGRS")
    text = _texts(msg["blocks"])
    # Yesterday's flow (Friday + the weekend), with the top reject reason.
    assert "リード 3 · MQL 2 · SAL 1 · 却下 1（対象外（ターゲット外） 1）" in text
    assert "SQL 1 · 商談化 0 · 新規商談 0" in text
    assert "SLA遵守 100%" in text
    # Coverage with its inputs.
    assert "残り目標 8,000万円 ÷ 受注率 25.0% = 必要パイプライン *3億2,000万円* ／ 実績 *2億4,000万円*" in text
    assert "カバレッジ 75%" in text and "目標 1億円 − 受注済 2,000万円" in text
    assert "MQL数: 40　3か月 ↑　6か月 ↑" in text
    assert "SQL数: 20　3か月 →　6か月 ↓" in text
    # Funnel: the cohort of new leads since the quarter began (leads 1–3; the monthly MQL/SQL events
    # above belong to no new lead of the quarter) and the furthest stage each reached: 1 → SQL, 2 → MQL
    # then recycled, 3 → still a lead. Later stages never exceed earlier ones.
    assert "リード 3 → MQL 2 (67%) → SAL 1 (50%) → SQL 1 (100%) → 商談化 0 (0%) → 受注 0" in text
    # Deals needing attention, by owner with a mention, each with an Update button.
    assert "<@U0KATO>" in text
    for line in ("完了予定日超過", "ネクストアクション期限切れ", "40日フェーズ停滞", "未入力: ネクストアクション・キーパーソン・競合・リスク"):
        assert line in text
    assert "順調 B社" not in text and "来期 G社" not in text
    assert sum(1 for b in msg["blocks"] if (b.get("accessory") or {}).get("action_id") == "deal_edit") == 4
    # The chart is a PNG uploaded (files v2) into the digest's thread.
    thread = harness.emu.thread("C0MGRS", msg["ts"])
    files = [f for m in thread for f in m.get("files", [])]
    assert len(files) == 1
    content = harness.emu.files[files[0]["id"]]["content"]
    assert content.startswith(b"\x89PNG")

    # Exactly once per channel per day: a second run, and a restart, post nothing more.
    assert await harness.baton.scheduler.run_job("digest", channel="C0MGRS") == []
    await harness.restart()
    assert await harness.baton.scheduler.run_job("digest") == ["C0FS", "C0SMB"]
    await harness.deliver()
    assert len(harness.emu.channel_messages("C0MGRS")) == 1
    en = harness.emu.channel_messages("C0SMB")[-1]
    assert "Pipeline digest" in en["text"] and "MQL response SLA" in str(en["blocks"])


async def test_no_digest_on_a_holiday(harness):
    harness.clock.advance(timedelta(days=-1))  # Monday 11-23, 勤労感謝の日
    assert await harness.baton.scheduler.run_job("digest") == []


def test_chart_renders_japanese_without_missing_glyphs():
    import warnings

    from bot import charts

    assert charts.japanese_font() == "IPAexGothic"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font" for boxes
        labels = charts.Labels("パイプライン", "ファネル", "月次推移", {"month": "月", "count": "件数（件）", "yen_man": "金額（万円）"})
        png = charts.digest_chart(labels=labels, funnel=[("リード", 10, None), ("受注", 1, 0.1)], months=["2026-09", "2026-10"],
                                  series=[charts.Series("受注金額", "yen", [1e7, 2e7]), charts.Series("MQL数", "count", [1, 2])], locale="ja")  # fmt: skip
    assert png.startswith(b"\x89PNG")


async def test_a_deal_sent_back_at_the_handoff_is_not_a_lost_sale_in_win_rates(harness):
    from bot.domain import forecast_accuracy as fa

    await seed(harness)
    async with harness.baton.ctx.uow() as uow:
        for i in range(4):  # four SQLs sent back by FS: closed as lost from phase 1, reason sent_back
            at = datetime(2026, 10, 1 + i, tzinfo=JST)
            uow.session.add(_ev("opportunity", 960 + i, None, "phase_1", at, team="fs"))
            uow.session.add(_ev("opportunity", 960 + i, "phase_1", "lost", at, team="fs", reason="sent_back"))
    async with harness.baton.ctx.uow() as uow:
        rates = await pl.win_rates(uow, team_id="fs")
        by_phase = {r.phase: r for r in await fa.phase_win_rates(uow)}
    assert (rates.won, rates.lost, rates.overall) == (1, 3, 0.25)
    assert by_phase[1].lost == 0  # the seeded losses never logged a phase; the sent-back ones don't count
    # The digest's deal counts too: a sent-back SQL closed as lost is no lost sale.
    from bot.domain import digest

    async with harness.baton.ctx.uow() as uow:
        uow.session.add(_opp("差し戻し X社", 5_000_000, date(2026, 12, 1), status="lost", lost_reason="sent_back",
                             closed_at=datetime(2026, 10, 20, 12, tzinfo=JST)))  # fmt: skip
    async with harness.baton.ctx.uow() as uow:
        oct_flow = await digest.flow(uow, datetime(2026, 10, 1, tzinfo=JST), datetime(2026, 11, 1, tzinfo=JST), digest.scope_of(uow, "company", None))
    assert oct_flow["won"][0] == 1 and oct_flow["lost"][0] == 0
