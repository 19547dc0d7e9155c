"""The sandbox page shows a modal's field errors as Slack does: under their fields, with what was
typed kept, and no error banner behind the modal."""

from __future__ import annotations

import aiohttp

from tests.test_deal_slack import accepted_deal


async def fragment(harness, user: str, channel: str) -> str:
    base = harness.emu.api_url.rsplit("/api", 1)[0]
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/_ui/fragment", params={"as": user, "ch": channel}) as r:
            assert r.status == 200
            return await r.text()


async def test_a_refused_modal_shows_its_errors_under_the_fields_with_the_input_kept(harness):
    _, card = await accepted_deal(harness)
    kato = harness.person("kato")
    await harness.click("kato", card, "deal_won")
    view = harness.emu.open_views(kato)[-1]
    # Submitted from the page's form, as a person does.
    blocks = view["view"]["blocks"]
    typed = {"amount": "0", "close_date": "2026-11-30"}
    form = {"as": kato, "ch": card["channel"], "view_id": view["id"]}
    form |= {f"v.{i}": typed.get(b.get("block_id"), "") for i, b in enumerate(blocks) if b["type"] == "input"}
    base = harness.emu.api_url.rsplit("/api", 1)[0]
    async with aiohttp.ClientSession() as http:
        async with http.post(base + "/_ui/submit", data=form, allow_redirects=False) as r:
            assert r.status == 303
    errors = harness.emu.views[view["id"]]["errors"]
    assert set(errors) == {"amount", "close_date"} and harness.emu.open_views(kato)
    page = await fragment(harness, kato, card["channel"])
    modal = page[page.index('class="modal"'):]
    for block_id, message in errors.items():
        field = modal[modal.index(f'data-block="{block_id}"'):]
        assert field.index('class="field-error"') < field.index("</label>"), f"{block_id}'s error is under it"
        assert message.split("<", 1)[0][:10] in field[: field.index("</label>")]
    assert 'value="0"' in modal and 'value="2026-11-30"' in modal  # the input kept
    assert 'class="flash"' not in page  # not as raw JSON behind the modal
    r = await harness.emu.submit_view(kato, view["id"], {"amount": {"value": "1,500万"}, "close_date": {"value": "2026-11-20"}})
    assert r["status"] == 200 and harness.emu.open_views(kato) == []
