"""The configuration reference is generated from the config models and cannot drift."""

from __future__ import annotations

import re
import subprocess
import sys

from bot.config import AppConfig
from bot.docs import CONFIG_DOC, KINDS_BEGIN, KINDS_END, ROOT, RUNBOOK, config_reference, kinds_table


def test_committed_configuration_reference_matches_the_models():
    assert CONFIG_DOC.read_text(encoding="utf-8") == config_reference(), (
        "docs/configuration.md is out of date with the config models: run `python -m bot docs-config` and commit it"
    )


def test_every_top_level_section_and_nested_key_is_documented():
    doc = config_reference()
    for name in AppConfig.model_fields:
        assert f"## `{name}`" in doc
    for key in ("people[].slack_id", "sla.mql_response.policies[].within", "notifications.working_hours",
                "notifications.defaults", "mql.reject_reasons[].note_required"):  # fmt: skip
        assert f"| `{key}` |" in doc, key


def test_docs_config_command_writes_the_file(tmp_path):
    out = tmp_path / "configuration.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "docs-config", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == config_reference()


def test_runbook_shows_the_notification_kinds_table_as_it_is():
    text = RUNBOOK.read_text(encoding="utf-8")
    assert f"{KINDS_BEGIN}\n{kinds_table()}\n{KINDS_END}" in text, "docs/runbook.md's kinds table is stale: run `python -m bot docs-config`"


def test_every_key_of_relay_pipeline_forecast_and_success_has_a_meaning():
    text = CONFIG_DOC.read_text(encoding="utf-8")
    rows = [r for r in text.splitlines() if r.startswith("| `") and r.split("`")[1].split(".")[0] in ("relay", "pipeline", "forecast", "success")]
    assert len(rows) > 80
    meaning = {r.split("`")[1]: re.split(r"(?<!\\)\|", r.strip()[1:-1])[-1].strip() for r in rows}  # \| inside a cell is escaped
    blank = [k for k, v in meaning.items() if not v]
    assert blank == [], f"keys with no meaning in docs/configuration.md: {blank}"
