"""The digest chart, inspected as a figure: labelled axes with units, months on the x axis, nothing
drawn before the data starts, series that stay apart, and the digest's own cohort funnel."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from bot import charts
from bot.models import Lead, Opportunity, StageEvent
from tests.conftest import T0, JST

MONTHS = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]  # the six full months before T0
# Data starts in August: MQLs and SQLs per month (equal in Sep/Oct, so the two lines lie on each other there).
MQLS = {8: 4, 9: 6, 10: 6}
SQLS = {8: 2, 9: 6, 10: 6}
NOV = datetime(2026, 11, 20, 11, 0, tzinfo=JST)


def _ev(entity_id, frm, to, at, team="is_smb", entity_type="lead", **kw):
    return StageEvent(entity_type=entity_type, entity_id=entity_id, from_stage=frm, to_stage=to, at=at, actor="system", team_id=team, data={}, **kw)


async def seed(harness):
    async with harness.baton.ctx.uow() as uow:
        s = uow.session
        leads = [Lead(name=f"L{i}", team_id="is_smb", created_at=NOV, updated_at=NOV) for i in range(3)]
        s.add_all(leads)
        won = Opportunity(name="受注 Z社", owner_id="kato", team_id="fs", amount=Decimal(30_000_000), phase=5, status="won",
                          closed_at=datetime(2026, 10, 15, 12, tzinfo=JST), created_at=datetime(2026, 8, 1, tzinfo=JST), updated_at=T0)  # fmt: skip
        s.add(won)
        await s.flush()
        n, events = 5000, []
        for stages, per_month in ((("lead", "mql"), MQLS), (("sal", "sql"), SQLS)):
            for month, count in per_month.items():
                for i in range(count):
                    n += 1
                    events.append(_ev(n, *stages, datetime(2026, month, 10 + i, 10, tzinfo=JST)))
        a, b, c = (x.id for x in leads)
        events += [_ev(x, None, "lead", NOV, team=None) for x in (a, b, c)]  # the quarter's cohort: 3 new leads
        events += [_ev(a, "lead", "mql", NOV), _ev(b, "lead", "mql", NOV), _ev(a, "mql", "sal", NOV), _ev(a, "sal", "sql", NOV)]
        events.append(_ev(won.id, "phase_5", "won", won.closed_at, team="fs", entity_type="opportunity"))
        s.add_all(events)


@pytest.fixture
def figures(monkeypatch):
    kept = []
    real = charts.figure_for

    def keep(**kwargs):
        fig = real(**kwargs)
        kept.append(fig)
        return fig

    monkeypatch.setattr(charts, "figure_for", keep)
    return kept


@pytest.mark.parametrize(("channel", "words"), [("C0MGRS", ("月", "件数（件）", "金額（万円）", "MQL数", "SQL数", "受注金額")),
                                                ("C0SMB", ("Month", "Count", "Amount (¥)", "MQLs", "SQLs", "Pipeline created"))])  # fmt: skip
async def test_digest_chart_axes_months_series_and_funnel(harness, figures, channel, words):
    await seed(harness)
    assert await harness.baton.scheduler.run_job("digest", channel=channel) == [channel]
    await harness.deliver()
    [fig] = figures
    funnel, *trends = fig.axes
    month_word, count_word, money_word, mql_name, sql_name, money_name = words
    assert len(trends) == 2  # one panel per unit: counts, then money

    # Funnel: the digest's cohort funnel (3 new leads → 2 MQL → 1 SAL → 1 SQL → 0 → 0), top stage at
    # the top, so read bottom-up the bars never grow; its axis says what is counted.
    widths = [bar.get_width() for bar in funnel.patches][::-1]
    assert widths == [3, 2, 1, 1, 0, 0]
    assert all(later <= earlier for earlier, later in zip(widths, widths[1:]))
    assert funnel.get_xlabel()

    by_label = {}
    for ax, unit_word in zip(trends, (count_word, money_word)):
        assert ax.get_xlabel() == month_word and ax.get_ylabel() == unit_word
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks == MONTHS[3:]  # months, not an index; none before the data starts
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [line.get_label() for line in ax.get_lines()]
        for line in ax.get_lines():
            by_label[line.get_label()] = line
            assert list(line.get_xdata()) == [3, 4, 5]  # no zero-padded points for May–July
    mql, sql = by_label[mql_name], by_label[sql_name]
    assert list(mql.get_ydata()) == [4, 6, 6] and list(sql.get_ydata()) == [2, 6, 6]
    # Lines lying on each other stay apart: colour, marker and line style all differ.
    assert mql.get_color() != sql.get_color()
    assert mql.get_marker() != sql.get_marker() and mql.get_linestyle() != sql.get_linestyle()
    assert money_name in by_label

    # The same figure is what Slack receives, as a PNG in the digest's thread.
    [msg] = harness.emu.channel_messages(channel)
    [file] = [f for m in harness.emu.thread(channel, msg["ts"]) for f in m.get("files", [])]
    assert harness.emu.files[file["id"]]["content"].startswith(b"\x89PNG")


def test_money_axis_in_man_yen_for_japanese_and_yen_for_english():
    labels = charts.Labels("t", "f", "m", {"month": "M", "yen": "Y", "yen_man": "万", "count": "C", "cohort": "L", "pct": "%"})
    series = [charts.Series("b", "yen", [0, 0, 0, 0, 12_000_000, 30_000_000])]
    for locale, word, top in (("ja", "万", 3000), ("en", "Y", 30_000_000)):
        fig = charts.figure_for(labels=labels, funnel=[("a", 1, None)], months=MONTHS, series=series, locale=locale)
        ax = fig.axes[1]
        assert ax.get_ylabel() == word and max(ax.get_lines()[0].get_ydata()) == top
        assert [t.get_text() for t in ax.get_xticklabels()] == MONTHS[4:]
