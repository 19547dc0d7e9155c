"""Slash commands as a person meets them: `/baton help` lists every command with an example in the
person's language; `/capacity [target|period]` and `/bottleneck [team]` do what the manifest says;
a wrong argument gets the usage line."""

from __future__ import annotations

from datetime import timedelta
import pytest
import yaml

from bot.domain import bottleneck as bn
from bot.models import StageEvent
from tests.conftest import FIXTURES, T0

COMMANDS = ("/baton", "/forecast", "/bottleneck", "/capacity")
MANIFEST = yaml.safe_load((FIXTURES.parent.parent / "manifest.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def config_path(tmp_path):
    cfg = yaml.safe_load((FIXTURES / "app.yaml").read_text(encoding="utf-8"))
    for p in cfg["people"]:
        if p["id"] == "ito":
            p["locale"] = "en"
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def test_the_manifest_advertises_the_arguments():
    hints = {c["command"]: c.get("usage_hint", "") for c in MANIFEST["features"]["slash_commands"]}
    assert hints["/capacity"] == "[target | period]" and hints["/bottleneck"] == "[team]"


@pytest.mark.parametrize(("who", "words"), [("tanaka", ("コマンド", "例")), ("ito", ("commands", "e.g."))])
async def test_help_lists_every_command_with_an_example_in_the_persons_language(harness, who, words):
    await harness.emu.slash(harness.person(who), "/baton", "help", "C0ENT")
    await harness.deliver()
    [reply] = harness.ephemerals(who)
    for command in COMMANDS:
        assert f"`{command}" in reply, command
    assert all(w in reply for w in words)
    assert "`/capacity FY2026`" in reply and "`/bottleneck is_ent`" in reply  # this company's year and team


async def _reply(harness, who, command, text):
    before = len(harness.ephemerals(who))
    await harness.emu.slash(harness.person(who), command, text, "C0FS")
    await harness.deliver()
    msgs = [m for m in harness.emu.messages if m.get("ephemeral_user") == harness.person(who)]
    assert len(msgs) == before + 1
    return msgs[-1]["text"] + str(msgs[-1].get("blocks") or "")


async def test_capacity_takes_a_target_or_a_fiscal_year(harness):
    # No history: the configured rates, ¥5,000,000 × 10 deals a year = ¥50,000,000 per rep.
    per_rep = 5_000_000 * 10
    default = await _reply(harness, "sato", "/capacity", "")
    assert f"= *{400_000_000 // per_rep}人*" in default  # app.yaml's FY2026 target ¥400M
    typed = await _reply(harness, "sato", "/capacity", "6億")
    assert f"= *{600_000_000 // per_rep}人*" in typed and "目標は入力された 6億円" in typed
    other = await _reply(harness, "sato", "/capacity", "FY2027")
    assert "キャパシティ計画 FY2027" in other and "= *8人*" not in other
    for bad in ("next", "FY2026-Q3", "-5", "1 2"):
        answer = await _reply(harness, "sato", "/capacity", bad)
        assert answer.startswith("使い方: `/capacity`"), (bad, answer)
    assert "マネージャーのみ" in await _reply(harness, "kato", "/capacity", "6億")


async def test_bottleneck_for_one_team_counts_only_that_teams_moves(harness):
    async with harness.baton.ctx.uow() as uow:
        for i in range(30):
            team = "is_ent" if i < 20 else "is_smb"
            uow.session.add(StageEvent(entity_type="lead", entity_id=i + 1, from_stage="lead", to_stage="mql",
                                       at=T0 - timedelta(days=1 + i % 10), actor="system", team_id=team))  # fmt: skip
    async with harness.baton.ctx.uow() as uow:
        company, ent, smb = [await bn.analyse(uow, team=t) for t in (None, "is_ent", "is_smb")]
    assert [a.stages[0].recent.arrivals for a in (company, ent, smb)] == [30, 20, 10]
    answer = await _reply(harness, "sato", "/bottleneck", "is_smb")
    assert "チーム: IS SMB" in answer
    by_name = await _reply(harness, "sato", "/bottleneck", "IS SMB")
    assert "チーム: IS SMB" in by_name
    wrong = await _reply(harness, "sato", "/bottleneck", "is_nope")
    assert wrong.startswith("使い方: `/bottleneck`") and "is_ent, is_smb, fs" in wrong
