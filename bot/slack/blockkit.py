"""Block Kit limit validation (pure functions, no I/O).

Slack rejects oversized or malformed payloads with terse errors (``invalid_blocks``)
that do not say *which* field is wrong.  We check the documented limits ourselves,
before sending, and report every violation with a JSON-ish path, e.g.
``"blocks[3].text.text: 3120 chars > 3000"``.

The rules are declared as data: ``LIMITS`` holds the numbers, ``BLOCKS`` and
``ELEMENTS`` map each type to a small schema built from the rule classes below.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

__all__ = [
    "LIMITS",
    "BLOCKS",
    "ELEMENTS",
    "BlockKitError",
    "validate_message",
    "validate_view",
    "check_message",
    "check_view",
]

LIMITS: dict[str, int] = {
    "message.text": 40000,
    "message.blocks": 50,
    "view.blocks": 100,
    "block_id": 255,
    "action_id": 255,
    "section.text": 3000,
    "section.fields": 10,
    "section.field": 2000,
    "header.text": 150,
    "context.elements": 10,
    "context.text": 3000,
    "actions.elements": 25,
    "image.image_url": 3000,
    "image.alt_text": 2000,
    "image.title": 2000,
    "input.label": 2000,
    "input.hint": 2000,
    "button.text": 75,
    "button.value": 2000,
    "button.url": 3000,
    "button.accessibility_label": 75,
    "select.placeholder": 150,
    "select.options": 100,
    "select.option_groups": 100,
    "option.text": 75,
    "option.value": 150,
    "option.description": 75,
    "option_group.label": 75,
    "radio.options": 10,
    "checkboxes.options": 10,
    "overflow.options": 5,
    "input.initial_value": 3000,
    "confirm.title": 100,
    "confirm.text": 300,
    "confirm.button": 30,
    "modal.title": 24,
    "modal.submit": 24,
    "modal.close": 24,
    "view.private_metadata": 3000,
    "view.callback_id": 255,
    "view.external_id": 255,
}

PLAIN: tuple[str, ...] = ("plain_text",)
ANY_TEXT: tuple[str, ...] = ("plain_text", "mrkdwn")
BUTTON_STYLES = frozenset({"primary", "danger"})


class BlockKitError(ValueError):
    """Raised by ``check_*``; ``errors`` lists every violation found."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(self.errors) or "invalid Block Kit payload")


# --------------------------------------------------------------------------- rules


class _Ctx:
    """Collected errors plus ids that must be unique (block_ids per surface, action_ids per block)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.block_ids: set[str] = set()
        self.action_ids: set[str] = set()

    def err(self, path: str, msg: str) -> None:
        self.errors.append(f"{path}: {msg}")


class Rule(Protocol):
    def check(self, value: Any, path: str, ctx: _Ctx) -> None: ...


def _type_name(v: Any) -> str:
    return type(v).__name__


@dataclass(frozen=True)
class Str:
    max: int | None = None
    choices: frozenset[str] | None = None
    non_empty: bool = False

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, str):
            ctx.err(path, f"expected string, got {_type_name(value)}")
            return
        if self.non_empty and not value:
            ctx.err(path, "must not be empty")
        if self.max is not None and len(value) > self.max:
            ctx.err(path, f"{len(value)} chars > {self.max}")
        if self.choices is not None and value not in self.choices:
            ctx.err(path, f"{value!r} not one of {sorted(self.choices)}")


@dataclass(frozen=True)
class UniqueId(Str):
    """A block_id / action_id: bounded length and unique within the surface."""

    kind: str = "action_id"

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        super().check(value, path, ctx)
        if not isinstance(value, str):
            return
        seen = ctx.block_ids if self.kind == "block_id" else ctx.action_ids
        if value in seen:
            ctx.err(path, f"duplicate {self.kind} {value!r}")
        seen.add(value)


# Mentions, channel/special links, URLs with labels and mrkdwn emphasis: meaningful only in mrkdwn.
_MARKUP = re.compile(
    r"<[@#!][A-Za-z0-9^|]+[^>]*>|<https?://[^>]+>|(?<![\w*])\*[^*\n]+\*(?![\w*])|(?<![\w~])~[^~\n]+~(?![\w~])|`[^`\n]+`"
)


@dataclass(frozen=True)
class Text:
    """A text composition object ``{"type": "plain_text"|"mrkdwn", "text": ...}``."""

    max: int
    types: tuple[str, ...] = ANY_TEXT

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, dict):
            ctx.err(path, f"expected text object, got {_type_name(value)}")
            return
        t = value.get("type")
        if t not in self.types:
            ctx.err(f"{path}.type", f"{t!r} not one of {list(self.types)}")
        text = value.get("text")
        if not isinstance(text, str) or not text:
            ctx.err(f"{path}.text", "must be a non-empty string")
        elif len(text) > self.max:
            ctx.err(f"{path}.text", f"{len(text)} chars > {self.max}")


@dataclass(frozen=True)
class ListOf:
    item: Rule
    max: int
    min: int = 0

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, list):
            ctx.err(path, f"expected list, got {_type_name(value)}")
            return
        if len(value) > self.max:
            ctx.err(path, f"{len(value)} items > {self.max}")
        if len(value) < self.min:
            ctx.err(path, f"{len(value)} items < {self.min}")
        for i, item in enumerate(value):
            self.item.check(item, f"{path}[{i}]", ctx)


@dataclass(frozen=True)
class Obj:
    """An object whose listed fields are checked when present."""

    fields: Mapping[str, Rule] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()  # at least one of these must be present

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, dict):
            ctx.err(path, f"expected object, got {_type_name(value)}")
            return
        for name in self.required:
            if value.get(name) in (None, "", [], {}):
                ctx.err(f"{path}.{name}", "required")
        if self.any_of and all(value.get(n) in (None, "", []) for n in self.any_of):
            ctx.err(path, f"{value.get('type', 'object')} needs {' or '.join(self.any_of)}")
        for name, rule in self.fields.items():
            if value.get(name) is not None:
                rule.check(value[name], f"{path}.{name}", ctx)


@dataclass(frozen=True)
class Typed:
    """Dispatches on ``value["type"]`` to a schema from ``table`` (optionally restricted)."""

    table: Mapping[str, Rule]
    kind: str
    allowed: frozenset[str] | None = None

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        if not isinstance(value, dict):
            ctx.err(path, f"expected {self.kind} object, got {_type_name(value)}")
            return
        t = value.get("type")
        rule = self.table.get(t) if isinstance(t, str) else None
        if rule is None:
            ctx.err(f"{path}.type", f"unknown {self.kind} type {t!r}")
            return
        if self.allowed is not None and t not in self.allowed:
            ctx.err(f"{path}.type", f"{self.kind} type {t!r} not allowed here")
            return
        rule.check(value, path, ctx)


# --------------------------------------------------------------------------- schemas

_L = LIMITS
ACTION_ID = UniqueId(max=_L["action_id"], kind="action_id")
BLOCK_ID = UniqueId(max=_L["block_id"], kind="block_id")
_ANY = Obj()  # accepted without further checks (e.g. rich_text internals)

OPTION = Obj(
    {
        "text": Text(_L["option.text"]),
        "value": Str(max=_L["option.value"]),
        "description": Text(_L["option.description"]),
        "url": Str(max=_L["button.url"]),
    },
    required=("text", "value"),
)
PLAIN_OPTION = Obj({**OPTION.fields, "text": Text(_L["option.text"], PLAIN)}, required=("text", "value"))
OPTION_GROUP = Obj(
    {"label": Text(_L["option_group.label"], PLAIN), "options": ListOf(PLAIN_OPTION, _L["select.options"], 1)},
    required=("label", "options"),
)
CONFIRM = Obj(
    {
        "title": Text(_L["confirm.title"], PLAIN),
        "text": Text(_L["confirm.text"]),
        "confirm": Text(_L["confirm.button"], PLAIN),
        "deny": Text(_L["confirm.button"], PLAIN),
        "style": Str(choices=BUTTON_STYLES),
    },
    required=("title", "text", "confirm", "deny"),
)
_INTERACTIVE = {"action_id": ACTION_ID, "confirm": CONFIRM}
_PLACEHOLDER = {"placeholder": Text(_L["select.placeholder"], PLAIN)}


def _select(**extra: Rule) -> Obj:
    return Obj({**_INTERACTIVE, **_PLACEHOLDER, **extra})


_STATIC_OPTIONS = {
    "options": ListOf(PLAIN_OPTION, _L["select.options"]),
    "option_groups": ListOf(OPTION_GROUP, _L["select.option_groups"]),
    "initial_option": PLAIN_OPTION,
}

ELEMENTS: dict[str, Rule] = {
    "button": Obj(
        {
            **_INTERACTIVE,
            "text": Text(_L["button.text"], PLAIN),
            "value": Str(max=_L["button.value"]),
            "url": Str(max=_L["button.url"]),
            "style": Str(choices=BUTTON_STYLES),
            "accessibility_label": Str(max=_L["button.accessibility_label"]),
        },
        required=("text",),
    ),
    "static_select": Obj({**_select().fields, **_STATIC_OPTIONS}, any_of=("options", "option_groups")),
    "multi_static_select": Obj(
        {**_select().fields, **_STATIC_OPTIONS, "initial_options": ListOf(PLAIN_OPTION, _L["select.options"])},
        any_of=("options", "option_groups"),
    ),
    "external_select": _select(initial_option=PLAIN_OPTION),
    "multi_external_select": _select(initial_options=ListOf(PLAIN_OPTION, _L["select.options"])),
    "users_select": _select(),
    "multi_users_select": _select(),
    "conversations_select": _select(),
    "multi_conversations_select": _select(),
    "channels_select": _select(),
    "multi_channels_select": _select(),
    "overflow": Obj(
        {**_INTERACTIVE, "options": ListOf(PLAIN_OPTION, _L["overflow.options"], 1)}, required=("options",)
    ),
    "radio_buttons": Obj(
        {**_INTERACTIVE, "options": ListOf(OPTION, _L["radio.options"], 1), "initial_option": OPTION},
        required=("options",),
    ),
    "checkboxes": Obj(
        {
            **_INTERACTIVE,
            "options": ListOf(OPTION, _L["checkboxes.options"], 1),
            "initial_options": ListOf(OPTION, _L["checkboxes.options"]),
        },
        required=("options",),
    ),
    "datepicker": _select(initial_date=Str(max=10)),
    "timepicker": _select(initial_time=Str(max=5)),
    "datetimepicker": Obj(_INTERACTIVE),
    "plain_text_input": _select(initial_value=Str(max=_L["input.initial_value"])),
    "email_text_input": _select(initial_value=Str(max=_L["input.initial_value"])),
    "url_text_input": _select(initial_value=Str(max=_L["input.initial_value"])),
    "number_input": _select(initial_value=Str(max=_L["input.initial_value"])),
    "rich_text_input": _select(),
    "file_input": Obj({"action_id": ACTION_ID}),
    "image": Obj(
        {"image_url": Str(max=_L["image.image_url"]), "alt_text": Str(max=_L["image.alt_text"], non_empty=True)},
        required=("alt_text",),
        any_of=("image_url", "slack_file"),
    ),
    # Text objects appear as context elements.
    "plain_text": Text(_L["context.text"]),
    "mrkdwn": Text(_L["context.text"]),
}

_TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
_INPUT_ONLY = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input", "file_input"}
)
_ACTION_ELEMENTS = frozenset(ELEMENTS) - _TEXT_TYPES - {"image", "file_input"}
_ACCESSORY_ELEMENTS = frozenset(ELEMENTS) - _TEXT_TYPES - _INPUT_ONLY
_INPUT_ELEMENTS = frozenset(ELEMENTS) - _TEXT_TYPES - {"image", "button", "overflow"}

BLOCKS: dict[str, Rule] = {
    "section": Obj(
        {
            "block_id": BLOCK_ID,
            "text": Text(_L["section.text"]),
            "fields": ListOf(Text(_L["section.field"]), _L["section.fields"]),
            "accessory": Typed(ELEMENTS, "element", _ACCESSORY_ELEMENTS),
        },
        any_of=("text", "fields"),
    ),
    "header": Obj({"block_id": BLOCK_ID, "text": Text(_L["header.text"], PLAIN)}, required=("text",)),
    "context": Obj(
        {
            "block_id": BLOCK_ID,
            "elements": ListOf(
                Typed(ELEMENTS, "element", _TEXT_TYPES | {"image"}), _L["context.elements"], 1
            ),
        },
        required=("elements",),
    ),
    "divider": Obj({"block_id": BLOCK_ID}),
    "actions": Obj(
        {
            "block_id": BLOCK_ID,
            "elements": ListOf(Typed(ELEMENTS, "element", _ACTION_ELEMENTS), _L["actions.elements"], 1),
        },
        required=("elements",),
    ),
    "image": Obj(
        {
            "block_id": BLOCK_ID,
            "image_url": Str(max=_L["image.image_url"]),
            "alt_text": Str(max=_L["image.alt_text"], non_empty=True),
            "title": Text(_L["image.title"], PLAIN),
        },
        required=("alt_text",),
        any_of=("image_url", "slack_file"),
    ),
    "input": Obj(
        {
            "block_id": BLOCK_ID,
            "label": Text(_L["input.label"], PLAIN),
            "hint": Text(_L["input.hint"], PLAIN),
            "element": Typed(ELEMENTS, "element", _INPUT_ELEMENTS),
        },
        required=("label", "element"),
    ),
    "rich_text": Obj({"block_id": BLOCK_ID, "elements": ListOf(_ANY, 10_000)}, required=("elements",)),
}



@dataclass(frozen=True)
class _BlockRule(Typed):
    """Slack scopes action_id uniqueness to the containing block, block_id to the surface."""

    def check(self, value: Any, path: str, ctx: _Ctx) -> None:
        ctx.action_ids = set()
        super().check(value, path, ctx)


_BLOCK = _BlockRule(BLOCKS, "block")

VIEWS: dict[str, Obj] = {
    "modal": Obj(
        {
            "title": Text(_L["modal.title"], PLAIN),
            "submit": Text(_L["modal.submit"], PLAIN),
            "close": Text(_L["modal.close"], PLAIN),
            "private_metadata": Str(max=_L["view.private_metadata"]),
            "callback_id": Str(max=_L["view.callback_id"]),
            "external_id": Str(max=_L["view.external_id"]),
            "blocks": ListOf(_BLOCK, _L["view.blocks"]),
        },
        required=("title",),
    ),
    "home": Obj(
        {
            "private_metadata": Str(max=_L["view.private_metadata"]),
            "callback_id": Str(max=_L["view.callback_id"]),
            "external_id": Str(max=_L["view.external_id"]),
            "blocks": ListOf(_BLOCK, _L["view.blocks"]),
        },
    ),
}


# --------------------------------------------------------------------------- API


def validate_message(text: str | None, blocks: list[dict] | None) -> list[str]:
    """Errors for a chat.postMessage/update payload; ``[]`` when valid."""
    ctx = _Ctx()
    if text is None or (isinstance(text, str) and not text.strip()):
        # House rule: always send fallback text (notifications, screen readers).
        ctx.err("text", "required (non-empty fallback text)")
    else:
        Str(max=_L["message.text"]).check(text, "text", ctx)
    if blocks is not None:
        ListOf(_BLOCK, _L["message.blocks"]).check(blocks, "blocks", ctx)
    return ctx.errors


def validate_view(view: dict) -> list[str]:
    """Errors for a modal or home view payload; ``[]`` when valid."""
    ctx = _Ctx()
    if not isinstance(view, dict):
        ctx.err("view", f"expected object, got {_type_name(view)}")
        return ctx.errors
    schema = VIEWS.get(view.get("type"))  # type: ignore[arg-type]
    if schema is None:
        ctx.err("type", f"{view.get('type')!r} not one of {sorted(VIEWS)}")
        return ctx.errors
    schema.check(view, "view", ctx)
    if view.get("blocks") is None:  # an empty list is fine (e.g. a blank home tab)
        ctx.err("view.blocks", "required")
    if view["type"] == "modal" and not view.get("submit"):
        blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
        if any(isinstance(b, dict) and b.get("type") == "input" for b in blocks):
            ctx.err("view.submit", "required when the modal has input blocks")
    # Paths are reported relative to the view ("title.text", "blocks[0]...").
    return [e.removeprefix("view.") if e.startswith("view.") else e for e in ctx.errors]


def lint_markup(obj: Any, path: str = "") -> list[str]:
    """plain_text objects whose text carries mrkdwn or mention syntax, which Slack shows literally
    (`<@U123>`, `*bold*`). A template must not put markup there (tests fail on it); a person's own
    text (a lead's name) may contain anything and is rightly shown as typed, so this is a lint for
    templates and the emulator, not a refusal."""
    out: list[str] = []
    if isinstance(obj, dict):
        text = obj.get("text")
        if obj.get("type") == "plain_text" and isinstance(text, str) and (markup := _MARKUP.search(text)):
            out.append(f"{path}.text: plain_text shows markup literally: {markup.group(0)!r} (use names, or mrkdwn)")
        for k, v in obj.items():
            out += lint_markup(v, f"{path}.{k}" if path else k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += lint_markup(v, f"{path}[{i}]")
    return out


def check_message(text: str | None, blocks: list[dict] | None) -> None:
    errors = validate_message(text, blocks)
    if errors:
        raise BlockKitError(errors)


def check_view(view: dict) -> None:
    errors = validate_view(view)
    if errors:
        raise BlockKitError(errors)
