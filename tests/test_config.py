"""app.yaml validation: every problem names its key and line, and nothing starts on a bad file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, Settings, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent
BASE = (Path(__file__).parent / "fixtures" / "app.yaml").read_text(encoding="utf-8")


def test_example_app_yaml_is_valid_and_realistic():
    config = load_config(ROOT / "app.yaml")
    assert config.company.locale == "ja" and config.company.timezone == "Asia/Tokyo"
    is_teams = [t for t in config.teams if t.function == "inside_sales"]
    assert len(is_teams) >= 2 and len({t.channel for t in is_teams}) == len(is_teams)
    assert all(p.slack_id for p in config.people)
    assert config.scoring.threshold > 0 and config.routing.rules


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as e:
        parse_config(text, "app.yaml")
    return e.value.problems


def test_unknown_key_names_key_and_line():
    text = BASE.replace("scoring:\n  threshold: 60", "scoring:\n  threshold: 60\n  treshold_typo: 5")
    line = text.splitlines().index("  treshold_typo: 5") + 1
    [p] = problems_of(text)
    assert "scoring.treshold_typo" in p and f"line {line}" in p and "unknown key" in p


def test_person_without_slack_id():
    text = BASE.replace("{id: kato,     name: 加藤, slack_id: U0KATO, roles: [fs_rep]}", "{id: kato, name: 加藤, roles: [fs_rep]}")
    [p] = problems_of(text)
    assert "people[5].slack_id" in p and "line" in p and "required" in p.lower()


def test_team_without_channel():
    text = BASE.replace("channel: C0FS, ", "")
    [p] = problems_of(text)
    assert "teams[2].channel" in p and "line" in p


def test_bad_duration_is_named():
    text = BASE.replace("within: 30m", "within: 30 minutes")
    [p] = problems_of(text)
    assert "sla.mql_response.policies[0].within" in p and "30 minutes" in p


def test_cross_references_are_checked():
    text = BASE.replace("team: is_smb, mode: claim", "team: is_nowhere, mode: claim").replace("manager: sato, members: [ito]", "manager: nobody, members: [ito]")
    team, person = sorted(problems_of(text))  # each on its own line
    lines = text.splitlines()
    assert "unknown team 'is_nowhere'" in person or "unknown team 'is_nowhere'" in team
    by_id = {("is_nowhere" if "is_nowhere" in p else "nobody"): p for p in (team, person)}
    assert f"(line {next(i for i, t in enumerate(lines, 1) if 'is_nowhere' in t)})" in by_id["is_nowhere"]
    assert f"(line {next(i for i, t in enumerate(lines, 1) if 'manager: nobody' in t)})" in by_id["nobody"]
    assert "unknown person 'nobody'" in by_id["nobody"]


def test_unknown_rule_operator():
    text = BASE.replace("{employees: {gte: 1000}}", "{employees: {greater: 1000}}")
    [p] = problems_of(text)
    assert "unknown operator 'greater'" in p


def test_a_channel_check_slack_cannot_answer_is_told_not_a_traceback(tmp_path):
    """With a bot token, check-config asks Slack about each channel: Slack unreachable (or the token
    refused) is one line in the admin's language and exit 1."""
    code, out = _check_config(tmp_path, Path("app.yaml").read_text(encoding="utf-8"), "ja",
                              SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL="http://127.0.0.1:9/api/")  # fmt: skip
    assert code == 1 and "ボットトークンでチャンネルを確認できませんでした" in out and "Traceback" not in out, out


def test_not_yaml_and_missing_file(tmp_path):
    assert "not valid YAML" in problems_of("company: [unclosed")[0]
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "nope.yaml")
    assert "cannot read" in str(e.value)
    # YAML that parses but no config could be (a list as a key, an alias of itself): told, not a traceback.
    for text in ("? [a, b]\n: 1\n", "a: &a [*a]\n"):
        assert "not valid YAML" in problems_of(text)[0], text
    # A file saved as Shift_JIS, as Japanese editors often do.
    sjis = tmp_path / "sjis.yaml"
    sjis.write_bytes("company: {name: テスト}\n".encode("shift_jis"))
    with pytest.raises(ConfigError) as e:
        load_config(sjis)
    assert "not UTF-8" in str(e.value)


def test_secrets_come_from_the_environment_only():
    text = BASE.replace("company: {", "slack_bot_token: xoxb-leak\ncompany: {")
    assert "slack_bot_token" in problems_of(text)[0]
    s = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "DATABASE_URL": "postgres://u@h/db", "SLACK_API_URL": "http://x/api"})
    assert s.slack_bot_token == "xoxb-1"
    assert s.database_url == "postgresql+asyncpg://u@h/db" and s.slack_api_url == "http://x/api/"


def test_old_handoff_key_is_refused_with_its_new_name():
    """`handoff:` meant the MQL decision while the IS → FS hand-off lives under `relay:`: the
    key is now `mql:`, and a file with the old name says exactly what to write instead."""
    text = Path("app.yaml").read_text(encoding="utf-8").replace("\nmql:", "\nhandoff:")
    with pytest.raises(ConfigError) as e:
        parse_config(text)
    line = text.splitlines().index("handoff:") + 1
    assert f"handoff (line {line}): renamed: write 'mql:' instead" in str(e.value)


def _check_config(tmp_path, text, locale, **slack):
    """`python -m bot check-config` on a file, as an admin runs it: its exit code and what it prints."""
    import os
    import subprocess
    import sys

    path = tmp_path / "app.yaml"
    path.write_text(text.replace("locale: ja", f"locale: {locale}", 1), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")} | slack
    run = subprocess.run([sys.executable, "-m", "bot", "check-config", str(path)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    return run.returncode, run.stdout + run.stderr


SEVERAL = {  # a misspelt key, a misspelt and an unknown person, a #channel name, a cron string, 8時
    "    hours: \"09:00-18:00\"\n    holidays: JP": "    hours: \"09:00-18:00\"\n    workng_days: [mon]\n    holidays: JP",
    "members: [kobayashi, yamada]": "members: [kobayashi, yamda, nobody]",
    "{channel: C0MANAGERS, time: \"08:00\"": "{channel: \"#managers\", time: \"08:00\"",
    "rrule: \"FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0\"": "rrule: \"0 10 * * 1\"",
    "digest_time: \"08:30\"": "digest_time: \"8時\"",
}


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_check_config_reports_every_mistake_at_once_in_the_company_language(tmp_path, locale):
    text = (ROOT / "app.yaml").read_text(encoding="utf-8")
    for old, new in SEVERAL.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    lines = text.splitlines()

    def line_of(fragment):
        return next(i for i, t in enumerate(lines, 1) if fragment in t)

    code, out = _check_config(tmp_path, text, locale)
    assert code == 2
    ja = locale == "ja"
    at = (lambda n: f"（{n} 行目）") if ja else (lambda n: f" (line {n})")
    expected = {
        "calendars.tokyo_office.workng_days": (line_of("workng_days"), "working_days"),
        "teams[0].members[1]": (line_of("yamda"), "yamada"),
        "teams[0].members[2]": (line_of("nobody"), "nobody"),
        "pipeline.digests[0].channel": (line_of("#managers"), "#managers"),
        "forecast.meetings[0].rrule": (line_of("0 10 * * 1"), "0 10 * * 1"),
        "notifications.digest_time": (line_of("8時"), "8時"),
    }
    reported = [t.strip() for t in out.splitlines() if t.strip().startswith("- ")]
    assert len(reported) == len(expected), out
    for where, (n, word) in expected.items():
        [row] = [r for r in reported if r.startswith(f"- {where}{at(n)}")] or [None]
        assert row is not None, (where, out)
        assert word in row
    assert ("もしかして: working_days" if ja else "did you mean 'working_days'") in out
    assert ("もしかして: yamada" if ja else "did you mean 'yamada'") in out
    assert ("問題が 6 件" if ja else "6 problem(s)") in out
    # Never a raw Python, regex or library message.
    for raw in ("Traceback", "String should match pattern", "not enough values", "^[CGD]", "Error:", "unpack"):
        assert raw not in out, raw
    if ja:  # the company's language throughout
        assert "unknown" not in out and "did you mean" not in out


# Mistakes a RevOps admin makes, each with where check-config must point and a word its line must show.
MANY = [  # (old, new, where, line fragment, word in the message)
    ("  timezone: Asia/Tokyo        #", "  timezone: Asia/Tokio        #", "company.timezone", "Asia/Tokio", "Asia/Tokyo"),
    ("    hours: \"09:00-18:00\"\n", "    hours: \"9時-18時\"\n", "calendars.tokyo_office.hours", "9時-18時", "9時-18時"),
    ("behaviour_half_life: 30d", "behaviour_half_life: 30日", "scoring.behaviour_half_life", "30日", "30日"),
    ("{employees: {gte: 1000}}", "{employees: {greter: 1000}}", "scoring.attributes[0].when", "greter", "gte"),
    ("within: 30m}", "within: 30分}", "sla.mql_response.policies[0].within", "30分", "30分"),
    ("handoff_within: 1d", "handoff_within: 2 hours", "relay.handoff_within", "2 hours", "2 hours"),
    ("snooze_days: [30, 60, 90]", "snooze_days: [30, 60, 90]\n  nudge_hour: 25", "relay.nudge_hour", "nudge_hour: 25", "23"),
    ("budget: next_fiscal_year", "budget: next_year", "relay.lost_rules", "next_year", "next_fiscal_year"),
    ("{period: FY2026-Q3, team: field_sales", "{period: 2026Q3, team: field_sales", "pipeline.targets[1].period", "2026Q3", "FY2026-Q3"),
    ("{period: FY2026-Q3, person: yoshida", "{period: FY2026-Q3, person: yosida", "pipeline.targets[3].person", "yosida", "yoshida"),
    ("{channel: C0MANAGERS, time: \"08:00\"", "{channel: \"#managers\", time: \"8時\"", "pipeline.digests[0].channel", "#managers", "#managers"),
    (None, None, "pipeline.digests[0].time", "time: \"8時\"", "8時"),  # the same line as the channel
    ("weekday: mon", "weekday: monday", "pipeline.bottleneck.weekday", "monday", "mon"),
    ("      period: quarter", "      period: quater", "forecast.meetings[0].period", "quater", "quarter"),
    ("slack_id: U0ISE0002, roles: [is_rep]", "slack_id: suzuki, roles: [is_repp]", "people[4].slack_id", "is_repp", "suzuki"),
    (None, None, "people[4].roles[0]", "is_repp", "is_rep"),
    ("collapse: {percent: 50, days: 7, measures: [logins,", "collapse: {percent: 50, days: 7, measures: [login,", "success.alerts.collapse.measures[0]", "measures: [login,", "logins"),
    ("    bottleneck: digest\n", "    bottleneck: off\n", "notifications.defaults.bottleneck", "bottleneck: off", '"off"'),
]
# What pydantic, Python or a regex would have said: never shown to the admin.
RAW = ("Traceback", "Input should", "value is not a valid", "Value error", "String should match", "regex", "^[", "Error:", "validation error")


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_check_config_says_each_validator_problem_on_its_line_in_the_company_language(tmp_path, locale):
    """Durations (2 hours, 30分), rules, periods, time zones, hours (9時), #channel names, enums,
    numbers out of range, ids and YAML's bare off: each on its own line, named by its key and line,
    with a "did you mean" where one is close, in the company's language."""
    text = (ROOT / "app.yaml").read_text(encoding="utf-8")
    for old, new, *_ in MANY:
        if old is not None:
            assert old in text, old
            text = text.replace(old, new, 1)
    lines = text.splitlines()
    code, out = _check_config(tmp_path, text, locale)
    assert code == 2
    ja = locale == "ja"
    reported = [t.strip() for t in out.splitlines() if t.strip().startswith("- ")]
    assert len(reported) == len(MANY), out
    for _, _, where, fragment, word in MANY:
        n = next(i for i, t in enumerate(lines, 1) if fragment in t)
        head = f"- {where}（{n} 行目）: " if ja else f"- {where} (line {n}): "
        [row] = [r for r in reported if r.startswith(head)] or [None]
        assert row is not None, (head, out)
        assert word in row, (word, row)
    assert ("問題が 18 件" if ja else "18 problem(s)") in out
    for raw in RAW:
        assert raw not in out, raw
    if ja:  # every message from the Japanese catalogue: no English sentence left in it
        for row in reported:
            message = row.split("）: ", 1)[1]
            assert any("\u3040" <= ch <= "\u30ff" for ch in message), row  # kana: a Japanese sentence
            for english in ("unknown", "did you mean", "must", "' or '", "use one of", "write ", "should", "not a ", "cannot", "expected", "invalid"):
                assert english not in message, (english, row)
    else:
        assert "did you mean 'Asia/Tokyo'?" in out and "did you mean 'gte'?" in out and "did you mean 'logins'?" in out
        assert not any("\u3040" <= ch <= "\u30ff" for r in reported for ch in r.split("): ", 1)[1].replace("9時-18時", "").replace("30日", "").replace("30分", "").replace("8時", ""))


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_a_broken_file_and_a_missing_one_are_told_in_words(tmp_path, locale):
    code, out = _check_config(tmp_path, "company: {name: x, locale: ja\npeople: [\n", locale)
    assert code == 2 and ("YAML として読めません（" if locale == "ja" else "not valid YAML (near line") in out
    for raw in (*RAW, "while parsing", "expected ',' or '}'"):
        assert raw not in out, raw


def test_whole_file_checks_name_each_mistake_by_its_own_key():
    """Duplicates and ids inside sections that validate: one line each, under its own path."""
    text = (ROOT / "app.yaml").read_text(encoding="utf-8")
    text = text.replace("{id: yamada,    name: 山田 健,   slack_id: U0MKT0002", "{id: tanaka,    name: 山田 健,   slack_id: U0MKT0002", 1)
    with pytest.raises(ConfigError) as e:
        parse_config(text)
    by_where = {p.where: p for p in e.value.items}
    assert by_where["people"].key == "duplicate_id" and by_where["people"].values["ids"] == "tanaka"
    assert by_where["teams[0].members[1]"].key == "unknown_person"


def test_config_validators_never_raise_bare_english():
    """Every validator of app.yaml says its mistake as a catalogue key (`problem`, `Issue`), so it
    reaches the admin in the company's language; a bare ValueError would come out in English."""
    sources = [ROOT / "bot" / "config.py", *sorted((ROOT / "bot" / "config_sections").glob("*.py"))]
    offenders = [f"{p.name}:{i}" for p in sources for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "raise ValueError" in line or "raise TypeError" in line]
    assert offenders == []


def test_every_check_config_key_is_in_both_catalogues():
    sources = [ROOT / "bot" / "config.py", ROOT / "bot" / "config_checks.py", *sorted((ROOT / "bot" / "config_sections").glob("*.py"))]
    code = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    keys = set(re.findall(r'problem\("([a-z_]+)"', code)) | set(re.findall(r'Issue\([^,]+, "([a-z_]+)"', code))
    keys |= set(re.findall(r'Problem\((?:where|""), (?:line|None), "([a-z_]+)"', code)) - {"plain"}
    keys |= {f"unknown_{w}" for w in ("person", "team", "calendar", "measure")}
    assert len(keys) > 40
    for locale in ("ja", "en"):
        catalogue = yaml.safe_load((ROOT / "templates" / "strings" / locale / "cli.yaml").read_text(encoding="utf-8"))["cli"]["config"]
        assert sorted(keys - set(catalogue)) == [], locale
