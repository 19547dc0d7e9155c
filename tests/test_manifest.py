"""manifest.yaml says exactly what the code uses: every slash command registered is declared and
vice versa, every event listened to is subscribed, and every scope declared is needed by a Web API
method the code calls (and every method called has its scope)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import yaml

import handlers.commands

from tests.registrations import registered

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))
# The code that runs against Slack (the emulator in bot/sandbox implements the API; it does not call it).
SOURCES = [p for d in ("bot", "handlers", "jobs") for p in (ROOT / d).rglob("*.py") if "sandbox" not in p.parts]

# Web API method → the bot scopes that allow it (any one is enough); [] = no scope needed.
METHOD_SCOPES: dict[str, list[str]] = {
    "auth.test": [],
    "chat.postMessage": ["chat:write"],
    "chat.update": ["chat:write"],
    "chat.delete": ["chat:write"],
    "chat.postEphemeral": ["chat:write"],
    "conversations.open": ["im:write"],
    "conversations.join": ["channels:join"],
    "conversations.info": ["channels:read", "groups:read", "im:read", "mpim:read"],
    "conversations.history": ["channels:history", "groups:history", "im:history"],
    "conversations.replies": ["channels:history", "groups:history", "im:history"],
    "users.info": ["users:read"],
    "views.open": [],
    "views.push": [],
    "views.update": [],
    "views.publish": [],
    "files.getUploadURLExternal": ["files:write"],
    "files.completeUploadExternal": ["files:write"],
    "files.upload_v2": ["files:write"],  # slack_sdk's helper over the two calls above (charts in digests)
}
# Scopes implied by another used one rather than by a method of their own.
IMPLIED = {
    "chat:write.public": "chat:write",  # posting to team channels the bot was not invited to
    "groups:history": "channels:history",  # crash recovery looks up posts in private channels too
    "im:history": "channels:history",  # … and in DMs
}


def _code() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in SOURCES)


def _registered(kind: str) -> set[str]:
    return registered(kind)


def _methods_used() -> set[str]:
    code = _code()
    used = {m for m in METHOD_SCOPES if f'"{m}"' in code}
    if re.search(r"\.users_info\(", code):
        used.add("users.info")
    if re.search(r"\.files_upload_v2\(", code):
        used.add("files.upload_v2")
    return used


def test_every_registered_slash_command_is_declared_and_vice_versa():
    declared = {c["command"] for c in MANIFEST["features"].get("slash_commands", [])}
    registered = _registered("command")
    assert registered - declared == set(), f"commands the code registers but manifest.yaml does not declare: {registered - declared}"
    assert declared - registered == set(), f"commands manifest.yaml declares but no listener handles: {declared - registered}"


def test_registered_events_are_subscribed():
    declared = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    registered = _registered("event")
    assert registered <= declared, f"events listened to but not subscribed in manifest.yaml: {registered - declared}"
    assert "app_home_opened" in registered and MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_shortcuts_match():
    declared = {s["callback_id"] for s in MANIFEST["features"].get("shortcuts", [])}
    assert _registered("shortcut") == declared


def test_every_called_method_is_known_and_has_its_scope():
    code = _code()
    called = set(re.findall(r'"((?:chat|conversations|users|views|files|reactions|pins|usergroups|team)\.[a-zA-Z]+)"', code))
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add these Web API methods to METHOD_SCOPES with their scope: {unknown}"
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    for method in _methods_used():
        needed = METHOD_SCOPES[method]
        assert not needed or scopes & set(needed), f"{method} needs one of {needed} in manifest.yaml"


def test_no_scope_is_declared_that_nothing_uses():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    used = {s for m in _methods_used() for s in METHOD_SCOPES[m]}
    if _registered("command"):
        used.add("commands")
    used |= {s for s, via in IMPLIED.items() if via in used}
    assert scopes - used == set(), f"scopes declared in manifest.yaml that the code never needs: {scopes - used}"


def test_interactivity_and_socket_mode_are_on():
    settings = MANIFEST["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True


def _command_sources() -> dict[str, str]:
    """Each registered slash command → the source of the module whose COMMANDS table answers it."""
    out = {}
    for info in pkgutil.iter_modules(handlers.commands.__path__, "handlers.commands."):
        module = importlib.import_module(info.name)
        for command in getattr(module, "COMMANDS", {}):
            out[str(command)] = inspect.getsource(module)
    return out


def test_every_usage_hint_is_implemented_and_mentions_are_escaped_where_parsed():
    sources = _command_sources()
    for c in MANIFEST["features"]["slash_commands"]:
        src = sources[c["command"]]
        for word in re.findall(r"[a-z]+", c.get("usage_hint", "")):
            assert f'"{word}"' in src, f"{c['command']}: the usage hint offers {word!r} but the handler never reads it"
        reads_text = 'body.get("text")' in src
        assert reads_text or not c.get("usage_hint"), f"{c['command']} ignores its arguments: drop the usage hint"
        parses_mentions = "<@" in src
        assert bool(c.get("should_escape")) == parses_mentions, (
            f"{c['command']}: should_escape must be {parses_mentions} (Slack sends <@U…> only when it is true)"
        )


def test_the_messages_tab_is_read_only_unless_messages_are_handled():
    home = MANIFEST["features"]["app_home"]
    if home.get("messages_tab_enabled") and not home.get("messages_tab_read_only_enabled"):
        assert "message" in _registered("event"), "the messages tab takes messages nothing listens to: make it read-only"
        assert "message.im" in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
