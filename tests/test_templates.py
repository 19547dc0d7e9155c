"""One template per message, the language only in the catalogues: every template renders in both
locales with representative values (tests/template_samples/) and passes the Block Kit checker,
and both catalogues define exactly the same keys."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.messages import LOCALES, TEMPLATES, Messages
from bot.slack.blockkit import lint_markup

NAMES = sorted(p.name.removesuffix(".json.j2") for p in TEMPLATES.glob("*.json.j2"))


def _keys(node: Any, prefix: str = "") -> set[str]:
    if not isinstance(node, dict):
        return {prefix}
    return set().union(*(_keys(v, f"{prefix}.{k}" if prefix else str(k)) for k, v in node.items())) if node else {prefix}


def _catalogue(locale: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted((TEMPLATES / "strings" / locale).glob("*.yaml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return merged


def test_no_template_exists_once_per_locale() -> None:
    per_locale = sorted(str(p.relative_to(TEMPLATES)) for loc in LOCALES for p in (TEMPLATES / loc).glob("*.j2"))
    assert per_locale == [], f"templates still copied per locale (move the words to templates/strings/): {per_locale}"


def test_catalogues_define_the_same_keys() -> None:
    ja, en = _keys(_catalogue("ja")), _keys(_catalogue("en"))
    assert sorted(ja - en) == [] and sorted(en - ja) == [], (sorted(ja - en), sorted(en - ja))


def test_every_template_has_samples() -> None:
    here = Path(__file__).parent / "template_samples"
    missing = [n for n in NAMES if not (here / f"{n}.py").exists()]
    assert missing == [], f"templates without tests/template_samples/<name>.py: {missing}"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", NAMES)
def test_template_renders_in_both_locales(name: str, locale: str) -> None:
    try:
        samples = importlib.import_module(f"tests.template_samples.{name}")
    except ModuleNotFoundError:
        pytest.fail(f"no tests/template_samples/{name}.py")
    msgs = Messages()
    assert samples.SAMPLES, f"{name}: no samples"
    for values in samples.SAMPLES:
        render = msgs.view if samples.KIND == "view" else msgs.message
        out = render(name, locale, "Asia/Tokyo", **values)  # raises on a Slack limit or invalid JSON
        assert lint_markup(out) == [], f"{name} ({locale}): markup in plain_text"
        assert out.get("blocks"), f"{name} ({locale}) rendered no blocks"
        if samples.KIND == "message":
            assert out.get("text"), f"{name} ({locale}) has no top-level text"
