"""The configuration reference is generated from the config models and cannot drift."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from bot.config import AppConfig
from bot.discover import import_all
from bot.docs import CONFIG_DOC, KINDS_BEGIN, KINDS_END, ROOT, RUNBOOK, config_reference, kinds_table
from bot.scheduler import registered_jobs


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


def _key_rows(text: str) -> dict[str, list[str]]:
    """key → its cells (type, default, meaning, example) in the generated reference."""
    rows = [r for r in text.splitlines() if r.startswith("| `") and r.count("|") > 4]
    return {r.split("`")[1]: [c.strip() for c in re.split(r"(?<!\\)\|", r.strip()[1:-1])][1:] for r in rows}  # \| inside a cell is escaped


def test_every_key_has_a_meaning_and_an_example():
    """Each key of app.yaml, in every section (relay, pipeline, forecast, success, notifications,
    mql …), says what it does and shows a line an admin can copy: a model field without a
    description (or a NOTES entry) or without `examples` fails here."""
    rows = _key_rows(config_reference())
    assert len(rows) > 200
    for section in ("relay", "pipeline", "forecast", "success", "notifications", "mql", "sla", "webhooks", "inbound", "links"):
        assert any(k.split(".")[0].removesuffix("[]") == section for k in rows), section
    no_meaning = [k for k, cells in rows.items() if len(cells) < 4 or not cells[2]]
    no_example = [k for k, cells in rows.items() if len(cells) < 4 or not cells[3]]
    assert no_meaning == [], f"keys with no meaning: add a Field description (or a NOTES entry in bot/docs.py): {no_meaning}"
    assert no_example == [], f"keys with no example: add Field(examples=[...]) in the config model: {no_example}"


def test_every_section_has_a_meaning():
    doc = config_reference()
    for name in AppConfig.model_fields:
        head = doc.split(f"## `{name}`\n\n", 1)[1]
        assert not head.startswith("\n"), f"section {name} has no description"


def test_each_example_is_yaml_for_its_own_key():
    """An example reads as `key: value` and the value is valid YAML (what the admin pastes)."""
    for key, cells in _key_rows(config_reference()).items():
        example = cells[3].strip("`").replace("\\|", "|")
        name = key.rsplit(".", 1)[-1].removesuffix("[]")
        assert example.startswith(f"{name}: "), (key, example)
        parsed = yaml.safe_load(example)
        assert isinstance(parsed, dict) and name in parsed, (key, example)


def test_api_md_lists_every_job_an_admin_can_run():
    """docs/api.md's job table names exactly the jobs `POST /api/admin/jobs/{name}` accepts, each
    with when it is scheduled and what running it now does."""
    import_all("jobs")
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    table = text.split("| Job | Scheduled | What \"run now\" does (`result`) |", 1)[1].split("\n\n", 1)[0]
    rows = {r.split("`")[1]: [c.strip() for c in r.strip().strip("|").split("|")] for r in table.splitlines() if r.startswith("| `")}
    assert sorted(rows) == sorted(registered_jobs())
    assert all(len(cells) == 3 and cells[1] and cells[2] for cells in rows.values()), rows
