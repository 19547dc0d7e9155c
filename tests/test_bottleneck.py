"""The one bottleneck: the planted constraint is the one named, DM + managers' channel, no noise, Ack/Snooze."""

from __future__ import annotations

import pytest

from bot.demo.generator import generate
from bot.domain import bottleneck as bn

MGR, REP = "sato", "kato"
STAGE_JA = {"sal_to_sql": "SAL→SQL", "phase3": "フェーズ3 評価と選定", "mql_to_sal": "MQL→SAL"}


def _posts(harness):
    return [m for m in harness.emu.channel_messages("C0MGRS") if "ボトルネック" in m["text"]]


async def _history(harness, plant, seed=11):
    async with harness.baton.ctx.uow() as uow:
        await generate(uow, seed=seed, months=6, plant=plant, id_prefix=f"{plant}-{seed}")


@pytest.mark.parametrize("plant", ["sal_to_sql", "phase3", "mql_to_sal"])
async def test_the_planted_constraint_is_the_one_bottleneck(harness, plant):
    await _history(harness, plant)
    async with harness.baton.ctx.uow() as uow:
        analysis = await bn.analyse(uow)
    assert analysis.bottleneck is not None and analysis.bottleneck.stage == plant
    assert len(analysis.watch) <= 2 and plant not in [w.stage for w in analysis.watch]
    b = analysis.bottleneck
    assert b.recent.conversion < b.baseline.conversion and b.at_stake > 0

    result = await harness.baton.scheduler.run_job("bottleneck")
    await harness.deliver()
    assert result["alert"] and result["stage"] == plant
    channel = _posts(harness)
    # The weekly summary carries the capacity section too.
    assert any("キャパシティ計画" in m["text"] for m in harness.emu.channel_messages("C0MGRS"))
    dm = harness.emu.channel_messages(harness.person(MGR))
    assert len(channel) == 1 and len(dm) == 1
    for m in channel + dm:
        assert STAGE_JA[plant] in m["text"]
        assert "打ち手" in str(m["blocks"]) and "失われる見込み売上" in str(m["blocks"])
    # Exactly one bottleneck is named: one header.
    assert sum(1 for b in channel[0]["blocks"] if b["type"] == "header") == 1


async def test_no_noise_then_acknowledge_and_snooze(harness):
    await _history(harness, "sal_to_sql")
    await harness.baton.scheduler.run_job("bottleneck")
    await harness.deliver()
    alert = _posts(harness)[0]
    # A non-manager cannot acknowledge.
    await harness.click(REP, alert, "bottleneck_ack")
    assert any("マネージャーのみ" in t for t in harness.ephemerals(REP))
    await harness.click(MGR, alert, "bottleneck_ack")
    after = harness.emu.get_message(alert["channel"], alert["ts"])
    assert "確認済み" in str(after["blocks"]) and not any(b["type"] == "actions" for b in after["blocks"])
    dm = harness.emu.channel_messages(harness.person(MGR))[0]
    assert "確認済み" in str(dm["blocks"])
    from sqlalchemy import select

    from bot.models import Alert

    async with harness.baton.ctx.uow() as uow:
        row = await uow.session.scalar(select(Alert).where(Alert.fingerprint == "bottleneck"))
        assert (row.state, row.acknowledged_by) == ("acknowledged", MGR)

    # A week later, same bottleneck, not worse: the weekly summary only — no DM, no buttons.
    await harness.advance(days=7)
    result = await harness.baton.scheduler.run_job("bottleneck")
    await harness.deliver()
    assert not result["alert"]
    assert len(harness.emu.channel_messages(harness.person(MGR))) == 1
    summary = _posts(harness)[-1]
    assert summary["ts"] != alert["ts"] and not any(b["type"] == "actions" for b in summary["blocks"])


async def test_slash_bottleneck_is_for_managers(harness):
    await _history(harness, "phase3")
    await harness.emu.slash(harness.person(REP), "/bottleneck", "", "C0FS")
    await harness.deliver()
    assert any("マネージャーのみ" in t for t in harness.ephemerals(REP))
    await harness.emu.slash(harness.person(MGR), "/bottleneck", "", "C0FS")
    await harness.deliver()
    assert any("フェーズ3 評価と選定" in t for t in harness.ephemerals(MGR))


async def test_snooze_holds_the_alert_for_the_same_stage(harness):
    await _history(harness, "phase3")
    await harness.baton.scheduler.run_job("bottleneck")
    await harness.deliver()
    alert = _posts(harness)[0]
    await harness.click(MGR, alert, "bottleneck_snooze")
    assert "スヌーズ" in str(harness.emu.get_message(alert["channel"], alert["ts"])["blocks"])
    await harness.advance(days=6, hours=23)  # next week's run, inside the 1-week snooze
    result = await harness.baton.scheduler.run_job("bottleneck")
    assert not result["alert"] and result["reason"] == "snoozed"
    await harness.deliver()
    assert len(harness.emu.channel_messages(harness.person(MGR))) == 1  # no second DM


async def test_a_manager_who_turned_bottleneck_dms_off_still_sees_the_channel_post(harness):
    from bot.notify import preferences as prefs

    async with harness.baton.ctx.uow() as uow:
        await prefs.set_mode(uow, MGR, "bottleneck", "off")
    await _history(harness, "phase3")
    result = await harness.baton.scheduler.run_job("bottleneck")
    await harness.deliver()
    assert result["alert"]
    assert len(_posts(harness)) == 1
    assert harness.emu.channel_messages(harness.person(MGR)) == []
