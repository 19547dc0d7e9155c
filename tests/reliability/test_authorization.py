"""Who may do what, as one table: every persona against the decisions and manager-only commands.
A refusal is private (ephemeral) and changes nothing. Plus: Slack's own retries have no second effect."""

from __future__ import annotations

import pytest

from tests.test_lead_flow import ENTERPRISE

STRANGER = "U0STRANGER"  # in the Slack workspace, not in app.yaml
PERSONAS = {"is_rep": "U0TANAKA", "other_is_team": "U0ITO", "ae": "U0KATO", "manager": "U0MGR", "outsider": STRANGER}

# (action on the MQL card, persona) → may they decide? The owning team's reps and its manager only.
MQL_MATRIX = {
    "is_rep": True, "other_is_team": False, "ae": False, "manager": True, "outsider": False,
}  # fmt: skip
COMMAND_MATRIX = {
    "/bottleneck": {"is_rep": False, "ae": False, "manager": True, "outsider": False},
    "/capacity": {"is_rep": False, "ae": False, "manager": True, "outsider": False},
}


@pytest.mark.parametrize("persona", sorted(MQL_MATRIX))
async def test_mql_accept_matrix(harness, persona):
    harness.emu.users[STRANGER] = {"name": "stranger", "real_name": "部外者"}
    _, body = await harness.post("/api/leads", ENTERPRISE)
    await harness.deliver()
    user = PERSONAS[persona]
    r = await harness.emu.click(user, await harness.card(body["id"]), "mql_accept")
    await harness.deliver()
    assert r["status"] == 200
    lead = await harness.lead(body["id"])
    private = [m for m in harness.emu.messages if m.get("ephemeral_user") == user]
    if MQL_MATRIX[persona]:
        assert lead["stage"] == "sal" and private == []
    else:
        assert lead["stage"] == "mql" and [h["to"] for h in lead["history"]] == ["lead", "mql"]
        assert len(private) == 1  # told privately, nobody else sees it


@pytest.mark.parametrize(("command", "persona"), [(c, p) for c, row in COMMAND_MATRIX.items() for p in row])
async def test_manager_commands_matrix(harness, command, persona):
    harness.emu.users[STRANGER] = {"name": "stranger", "real_name": "部外者"}
    user = PERSONAS[persona]
    before = len([m for m in harness.emu.messages if not m.get("ephemeral_user")])
    r = await harness.emu.slash(user, command, "", "C0FS")
    await harness.deliver()
    assert r["status"] == 200
    replies = [m for m in harness.emu.messages if m.get("ephemeral_user") == user]
    refused = any("マネージャーのみ" in (m.get("text") or "") or "app.yaml" in (m.get("text") or "") for m in replies)
    assert refused is (not COMMAND_MATRIX[command][persona]), replies
    assert len([m for m in harness.emu.messages if not m.get("ephemeral_user")]) == before  # nothing public


async def test_slack_retry_of_an_event_has_no_second_effect(harness):
    async def publishes() -> int:
        return len([c for c in harness.emu.calls if c["method"] == "views.publish" and c["status"] == 200])

    await harness.emu.send_event({"type": "app_home_opened", "user": "U0TANAKA", "tab": "home"}, event_id="Ev0RETRY1")
    for _ in range(30):  # Bolt acks events first and works after: wait for the publish (bounded)
        await harness.deliver()
        if await publishes():
            break
        import asyncio

        await asyncio.sleep(0.1)
    assert await publishes() == 1
    await harness.emu.send_event(
        {"type": "app_home_opened", "user": "U0TANAKA", "tab": "home"}, event_id="Ev0RETRY1", retry_num=1, retry_reason="http_timeout"
    )
    for _ in range(5):
        await harness.deliver()
    assert await publishes() == 1
