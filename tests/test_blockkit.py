import pytest

from bot.slack.blockkit import (
    LIMITS,
    BlockKitError,
    check_message,
    check_view,
    lint_markup,
    validate_message,
    validate_view,
)


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "hi", **extra) -> dict:
    return {"type": "section", "text": md(text), **extra}


def button(action_id: str, label: str = "Go", **extra) -> dict:
    return {"type": "button", "action_id": action_id, "text": plain(label), **extra}


def modal(blocks: list[dict], **extra) -> dict:
    return {"type": "modal", "title": plain("Title"), "submit": plain("OK"), "blocks": blocks, **extra}


def test_valid_message_has_no_errors():
    blocks = [
        {"type": "header", "text": plain("Deal won")},
        section("*Acme* closed", fields=[md("a"), md("b")], accessory=button("open")),
        {"type": "context", "elements": [md("by <@U1>"), {"type": "image", "image_url": "https://x/y.png", "alt_text": "x"}]},
        {"type": "divider"},
        {
            "type": "actions",
            "block_id": "acts",
            "elements": [
                button("approve", style="primary", value="1"),
                {
                    "type": "static_select",
                    "action_id": "pick",
                    "options": [{"text": plain("A"), "value": "a"}],
                },
            ],
        },
        {"type": "image", "image_url": "https://x/y.png", "alt_text": "chart"},
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": []}]},
    ]
    assert validate_message("fallback", blocks) == []
    check_message("fallback", blocks)  # does not raise


def test_text_is_required_and_bounded():
    assert validate_message(None, [section()]) == ["text: required (non-empty fallback text)"]
    assert validate_message("  ", None) == ["text: required (non-empty fallback text)"]
    assert validate_message("x" * 40001, None) == ["text: 40001 chars > 40000"]
    assert validate_message("x" * 40000, None) == []


def test_block_count_limits():
    assert validate_message("t", [{"type": "divider"}] * 50) == []
    assert validate_message("t", [{"type": "divider"}] * 51) == ["blocks: 51 items > 50"]
    home = {"type": "home", "blocks": [{"type": "divider"}] * 100}
    assert validate_view(home) == []
    home["blocks"] = [{"type": "divider"}] * 101
    assert validate_view(home) == ["blocks: 101 items > 100"]


def test_error_names_the_path():
    blocks = [{"type": "divider"}] * 3 + [section("x" * 3120)]
    assert validate_message("t", blocks) == ["blocks[3].text.text: 3120 chars > 3000"]


@pytest.mark.parametrize(
    "block, expected",
    [
        ({"type": "bogus"}, "blocks[0].type: unknown block type 'bogus'"),
        ({"type": "section"}, "blocks[0]: section needs text or fields"),
        (section(fields=[md("f")] * 11), "blocks[0].fields: 11 items > 10"),
        (section(fields=[md("f" * 2001)]), "blocks[0].fields[0].text: 2001 chars > 2000"),
        ({"type": "header", "text": plain("h" * 151)}, "blocks[0].text.text: 151 chars > 150"),
        ({"type": "header", "text": md("h")}, "blocks[0].text.type: 'mrkdwn' not one of ['plain_text']"),
        ({"type": "context", "elements": [md("c")] * 11}, "blocks[0].elements: 11 items > 10"),
        ({"type": "actions", "elements": [button(f"b{i}") for i in range(26)]}, "blocks[0].elements: 26 items > 25"),
        ({"type": "actions", "elements": [button("b", "x" * 76)]}, "blocks[0].elements[0].text.text: 76 chars > 75"),
        ({"type": "actions", "elements": [button("b", value="v" * 2001)]}, "blocks[0].elements[0].value: 2001 chars > 2000"),
        ({"type": "actions", "elements": [button("b", url="https://" + "u" * 3000)]}, "blocks[0].elements[0].url: 3008 chars > 3000"),
        (
            {"type": "actions", "elements": [button("b", style="fancy")]},
            "blocks[0].elements[0].style: 'fancy' not one of ['danger', 'primary']",
        ),
        ({"type": "actions", "elements": [button("a" * 256)]}, f"blocks[0].elements[0].action_id: 256 chars > {LIMITS['action_id']}"),
        ({"type": "divider", "block_id": "b" * 256}, "blocks[0].block_id: 256 chars > 255"),
        ({"type": "image", "image_url": "https://x"}, "blocks[0].alt_text: required"),
        ({"type": "image", "alt_text": "a"}, "blocks[0]: image needs image_url or slack_file"),
        ({"type": "image", "image_url": "https://x", "alt_text": "a" * 2001}, "blocks[0].alt_text: 2001 chars > 2000"),
        (section(md("")), "blocks[0].text.text: must be a non-empty string"),
        (
            {"type": "section", "fields": [{"type": "html", "text": "x"}]},
            "blocks[0].fields[0].type: 'html' not one of ['plain_text', 'mrkdwn']",
        ),
    ],
)
def test_single_block_violations(block, expected):
    assert validate_message("t", [block]) == [expected]


def test_static_select_limits():
    opts = [{"text": plain(f"o{i}"), "value": str(i)} for i in range(101)]
    sel = {"type": "static_select", "action_id": "s", "options": opts}
    errors = validate_message("t", [{"type": "actions", "elements": [sel]}])
    assert errors == ["blocks[0].elements[0].options: 101 items > 100"]
    sel["options"] = [{"text": plain("o" * 76), "value": "v" * 151}]
    assert validate_message("t", [{"type": "actions", "elements": [sel]}]) == [
        "blocks[0].elements[0].options[0].text.text: 76 chars > 75",
        "blocks[0].elements[0].options[0].value: 151 chars > 150",
    ]


def test_block_ids_unique_per_surface_action_ids_per_block():
    blocks = [
        section("a", block_id="dup", accessory=button("same")),
        {"type": "actions", "block_id": "dup", "elements": [button("same"), button("same")]},
    ]
    assert validate_message("t", blocks) == [
        "blocks[1].block_id: duplicate block_id 'dup'",
        "blocks[1].elements[1].action_id: duplicate action_id 'same'",
    ]


def test_input_block_rules():
    no_element = {"type": "input", "label": plain("Name")}
    long_label = {"type": "input", "label": plain("l" * 2001), "element": {"type": "plain_text_input", "action_id": "n"}}
    assert validate_view(modal([no_element])) == ["blocks[0].element: required"]
    assert validate_view(modal([long_label])) == ["blocks[0].label.text: 2001 chars > 2000"]


def test_modal_limits():
    view = modal(
        [section()],
        title=plain("t" * 25),
        submit=plain("s" * 25),
        close=plain("c" * 25),
        private_metadata="m" * 3001,
        callback_id="c" * 256,
    )
    assert validate_view(view) == [
        "title.text: 25 chars > 24",
        "submit.text: 25 chars > 24",
        "close.text: 25 chars > 24",
        "private_metadata: 3001 chars > 3000",
        "callback_id: 256 chars > 255",
    ]
    assert validate_view(modal([section()] * 101)) == ["blocks: 101 items > 100"]


def test_modal_requires_title_and_submit_with_inputs():
    view = {"type": "modal", "blocks": [{"type": "input", "label": plain("x"), "element": {"type": "plain_text_input"}}]}
    assert validate_view(view) == ["title: required", "submit: required when the modal has input blocks"]


def test_unknown_view_type():
    assert validate_view({"type": "workflow_step", "blocks": []}) == ["type: 'workflow_step' not one of ['home', 'modal']"]


def test_check_functions_raise_with_all_errors():
    with pytest.raises(BlockKitError) as exc:
        check_message(None, [{"type": "nope"}])
    assert exc.value.errors == ["text: required (non-empty fallback text)", "blocks[0].type: unknown block type 'nope'"]
    assert isinstance(exc.value, ValueError)
    with pytest.raises(BlockKitError):
        check_view({"type": "modal", "title": plain("x" * 30), "blocks": []})
    check_view(modal([]))


@pytest.mark.parametrize("text", ["What changed — <@U0TANAKA>", "*bold* header", "see <#C0ENT>", "<!here> now", "<https://x.jp|link>", "~gone~", "`code`"])
def test_plain_text_with_markup_is_flagged(text):
    header = [{"type": "header", "text": {"type": "plain_text", "text": text}}]
    [finding] = lint_markup({"blocks": header})
    assert finding.startswith("blocks[0].text.text: plain_text shows markup literally")
    assert lint_markup({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}) == []


@pytest.mark.parametrize("text", ["田中 · Q3", "5 * 3 = 15", "snake_case_id", "A*B", "¥1,000 → ¥2,000", "a < b > c", "@tanaka"])
def test_plain_text_without_markup_is_fine(text):
    assert lint_markup({"blocks": [{"type": "header", "text": {"type": "plain_text", "text": text}}]}) == []
