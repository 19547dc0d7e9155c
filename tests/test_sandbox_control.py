"""The sandbox control panel answers in words in the company's language: what became of a lead
(an MQL with its card, or below the threshold and why there is no card), a job, a refusal."""

from __future__ import annotations

import pytest

from bot.messages import Messages
from bot.sandbox.control import Control


def panel(locale: str) -> Control:
    words = Messages()
    return Control("http://bot", "token", say=lambda key, **kw: words.text(locale, key, **kw), threshold=60)


def test_a_lead_below_the_threshold_says_so_and_is_no_error() -> None:
    c = panel("ja")
    line = c._note("lead", 201, {"id": 7, "stage": "lead", "score": 35})  # noqa: SLF001
    assert c.ok and "スコア 35" in line and "しきい値 60 未満" in line and "カードはまだ出ません" in line
    line = c._note("lead", 201, {"id": 8, "stage": "mql", "score": 95, "owner": "tanaka"})  # noqa: SLF001
    assert c.ok and "MQLになりました" in line and "tanaka" in line and "{" not in line
    assert c.log[0] == line


@pytest.mark.parametrize(("locale", "expected"), [("ja", "受け付けられませんでした"), ("en", "refused")])
def test_a_refusal_gives_its_reasons_in_words(locale: str, expected: str) -> None:
    c = panel(locale)
    line = c._note("lead", 422, {"errors": [{"field": "email", "error": "not an email address"}]})  # noqa: SLF001
    assert not c.ok and expected in line and "email: not an email address" in line and "{" not in line


def test_a_job_run_and_without_words_the_raw_answer() -> None:
    assert "digest を実行しました（2 件）" in panel("ja")._note("job digest", 200, {"job": "digest", "result": ["C1", "C2"]})  # noqa: SLF001
    raw = Control("http://bot", "token")._note("job digest", 200, {"job": "digest", "result": []})  # noqa: SLF001
    assert raw.startswith("job digest: HTTP 200 {")
