"""Record links (app.yaml `links`): with a URL pattern per record type, the MQL card, the hand-off
card and App Home link each record to its page in the CRM, in Japanese and in English; without the
setting, nothing links. Bad patterns are refused when the file is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, parse_config
from tests.conftest import FIXTURES
from tests.test_home import open_home
from tests.test_success_flow import CS_PEOPLE, CS_TEAM

LINKS = """
links:
  lead: "https://crm.example.com/leads/{external_id}"
  opportunity: "https://crm.example.com/opportunities/{id}?tab=main&x=1"
  account: "https://crm.example.com/accounts/{id}"
"""
KATO = "  - {id: kato,     name: 加藤, slack_id: U0KATO, roles: [fs_rep]}\n"
FS_TEAM = "{id: fs, name: Field Sales, function: field_sales, channel: C0FS, members: [kato], calendar: tokyo}"


def _config_text(locale: str, links: bool) -> str:
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8")
    text = text.replace(KATO, CS_PEOPLE).replace(FS_TEAM + "\n", FS_TEAM + "\n" + CS_TEAM)  # a CS team hears churn
    if locale == "en":  # the FS team and its people read English; IS SMB already does
        text = text.replace(FS_TEAM, FS_TEAM[:-1] + ", locale: en}")
    return text + (LINKS if links else "")


@pytest.fixture(params=[("ja", True), ("en", True), ("ja", False), ("en", False)], ids=["ja-links", "en-links", "ja-none", "en-none"])
def setup(request, tmp_path: Path) -> tuple[str, bool]:  # noqa: ANN001
    return request.param


@pytest.fixture
def config_path(setup, tmp_path: Path) -> Path:  # noqa: ANN001
    path = tmp_path / "app.yaml"
    path.write_text(_config_text(*setup), encoding="utf-8")
    return path


def _links(msg: dict[str, Any]) -> list[str]:
    """Every CRM URL a message or view shows, as Slack would read it (&amp; → &)."""
    out = []
    for b in msg.get("blocks") or []:
        texts = [b.get("text") or {}, *(b.get("elements") or []), *(b.get("fields") or [])]
        for t in texts:
            if isinstance(t, dict) and t.get("type") == "mrkdwn":
                for part in t["text"].split("<")[1:]:
                    url = part.split("|", 1)[0].split(">", 1)[0]
                    if url.startswith("https://crm.example.com/"):
                        out.append(url.replace("&amp;", "&"))
    return out


def _label(locale: str) -> str:
    return "CRMで開く" if locale == "ja" else "Open in CRM"


async def test_cards_and_home_link_to_the_crm_when_configured(harness, setup):
    locale, configured = setup
    team_locale = {"C0ENT": "ja", "C0SMB": "en"}
    ids = {}
    for channel, (ext, employees) in {"C0ENT": ("SF 00Q/1", 2000), "C0SMB": ("SF-2", 10)}.items():
        status, body = await harness.post("/api/leads", {"external_id": ext, "email": f"{ext[-1]}@big.jp", "company": "リンク社", "employees": employees, "mql": True})
        assert status == 201, body
        ids[channel] = body["id"]
        await harness.deliver()
        card = await harness.card(body["id"])
        assert card["channel"] == channel
        expected = [f"https://crm.example.com/leads/{ext.replace(' ', '%20').replace('/', '%2F')}"] if configured else []
        assert _links(card) == expected
        block = [b for b in card["blocks"] if b.get("block_id") == "crm_link"]
        assert bool(block) == configured
        if configured:
            assert _label(team_locale[channel]) in block[0]["elements"][0]["text"]

    # The hand-off card in the FS channel, decided from the CRM side: the deal links by Baton id.
    lead = ids["C0ENT"]
    for step in ({"stage": "sal", "by": "sato"}, {"stage": "sql", "by": "sato", "need": "属人化の解消"}):
        status, body = await harness.post(f"/api/leads/{lead}/stage", step)
        assert status == 200, body
    await harness.deliver()
    fs_cards = [m for m in harness.emu.messages if m["channel"] == "C0FS" and not m.get("ephemeral_user")]
    assert len(fs_cards) == 1
    sql = (await harness.lead(lead))["history"][-1]
    assert sql["to"] == "sql"
    deal_id = sql["data"]["opportunity_id"]
    deal_url = f"https://crm.example.com/opportunities/{deal_id}?tab=main&x=1"
    assert _links(fs_cards[0]) == ([deal_url] if configured else [])
    if configured:
        assert _label(locale) in str(fs_cards[0]["blocks"])

    # App Home of the FS rep lists the deal (once accepted) with its link; the IS rep's lists the lead.
    status, body = await harness.post(f"/api/leads/{lead}/stage", {"stage": "opportunity", "by": "kato"})
    assert status == 200, body
    home = await open_home(harness, "kato")
    assert (deal_url in _links(home["view"])) == configured
    owner = (await harness.lead(ids["C0SMB"]))["assignee"] or "ito"
    home = await open_home(harness, owner)
    assert ("https://crm.example.com/leads/SF-2" in _links(home["view"])) == configured
    if not configured:
        assert "crm.example.com" not in str(harness.emu.messages) + str(harness.emu.home)


@pytest.mark.parametrize(
    "pattern, problem",
    [
        ('lead: "ftp://crm.example.com/{external_id}"', "http:// or https://"),
        ('lead: "https://crm.example.com/{email}"', "unknown placeholder"),
        ('account: "https://crm.example.com/accounts/"', "names no record"),
        ('opportunity: "https://crm.example.com/o/{id"', "unknown placeholder"),
        ('lead: "https://crm.example.com/<script>/{id}"', "http:// or https://"),
        ('contact: "https://crm.example.com/{id}"', "unknown key"),
    ],
)
def test_bad_link_patterns_are_refused(pattern: str, problem: str) -> None:
    text = (FIXTURES / "app.yaml").read_text(encoding="utf-8") + f"\nlinks:\n  {pattern}\n"
    with pytest.raises(ConfigError) as e:
        parse_config(text)
    assert f"links.{pattern.split(':')[0]}" in str(e.value) and problem in str(e.value)


async def test_sent_back_churn_and_recycle_messages_link_to_their_record(harness, setup):
    """The other messages that name one record: the sent-back notice (the deal), the churn notice
    (the account) and the recycle nudge (each item's lead)."""
    _, configured = setup
    status, body = await harness.post("/api/leads", {"external_id": "SF-9", "email": "r@big.jp", "company": "戻し社", "employees": 2000, "mql": True})
    assert status == 201, body
    lead = body["id"]
    for step in ({"stage": "sal", "by": "sato"}, {"stage": "sql", "by": "sato", "need": "属人化の解消"}):
        status, body = await harness.post(f"/api/leads/{lead}/stage", step)
        assert status == 200, body
    await harness.deliver()
    (card,) = [m for m in harness.emu.channel_messages("C0FS")]
    deal_id = (await harness.lead(lead))["history"][-1]["data"]["opportunity_id"]
    await harness.click("kato", card, "handoff_send_back")
    view = harness.emu.open_views(harness.person("kato"))[-1]
    await harness.emu.submit_view(harness.person("kato"), view["id"], {"reason": {"value": "missing_info"}, "note": {"value": "決裁者不明"}})
    await harness.deliver()
    lead_card = await harness.card(lead)
    (notice,) = [m for m in harness.emu.thread("C0ENT", lead_card["ts"]) if "決裁者不明" in m["text"]]
    assert _links(notice) == ([f"https://crm.example.com/opportunities/{deal_id}?tab=main&x=1"] if configured else [])

    status, body = await harness.post("/api/accounts", {"name": "解約社", "csm": "matsumoto", "arr": 1_200_000, "external_id": "ACC-1"})
    assert status == 201, body
    account = body["id"]
    status, body = await harness.post(f"/api/accounts/{account}/churn", {"reason": "competitor"})
    assert status == 200, body
    await harness.deliver()
    (churn,) = [m for m in harness.emu.messages if "解約社" in m["text"] and not m.get("ephemeral_user")]
    assert _links(churn) == ([f"https://crm.example.com/accounts/{account}"] if configured else [])

    # A rejected MQL enters the loop, due again in 30 days: the nudge links the lead.
    status, body = await harness.post("/api/leads", {"external_id": "SF-10", "email": "q@big.jp", "company": "再来社", "employees": 2000, "mql": True})
    assert status == 201, body
    await harness.deliver()
    await harness.click("tanaka", await harness.card(body["id"]), "mql_reject")
    view = harness.emu.open_views(harness.person("tanaka"))[-1]
    await harness.emu.submit_view(harness.person("tanaka"), view["id"],
                                  {"reason": {"value": "no_interest_now"}, "note": {"value": "来期"}, "reapproach": {"value": "30"}})  # fmt: skip
    await harness.advance(days=30)
    await harness.baton.scheduler.run_job("recycle_nudge")
    await harness.deliver()
    (nudge,) = [m for m in harness.emu.channel_messages("C0ENT") if "再来社" in str(m.get("blocks")) and "recycle_reengage" in str(m.get("blocks"))]
    assert _links(nudge) == (["https://crm.example.com/leads/SF-10"] if configured else [])
