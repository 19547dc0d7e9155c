"""Charts rendered server-side (matplotlib, Agg backend) as PNG bytes for Slack's files upload v2.

Japanese labels need a Japanese font: IPAexGothic ships with the `matplotlib-fontja` package and is
loaded explicitly from its file, so the chart never depends on fonts installed on the machine.

`figure_for` builds the digest's figure (kept separate from the PNG so tests can inspect the axes);
`digest_chart` renders it. Every word on it comes from the caller (the string catalogues); every
figure from the digest (bot/domain/digest.py) — nothing here computes a number a second way.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from bot.formatting import MAN, format_number, format_percent, money_unit

Unit = Literal["count", "yen", "pct"]
UNITS: tuple[Unit, ...] = ("count", "yen", "pct")
# Colour, marker and line style differ per series, so two series stay apart even printed in grey;
# later series are drawn thinner with hollow markers so one lying on another never hides it.
STYLES = (("#1f77b4", "o", "-"), ("#d62728", "s", "--"), ("#2ca02c", "^", ":"), ("#9467bd", "D", "-."), ("#ff7f0e", "v", "-"))
FUNNEL_COLOUR = "#2E86AB"


@lru_cache(maxsize=1)
def _agg() -> None:
    """The Agg backend, chosen on the first chart: importing matplotlib costs ~0.4 s that the bot's
    start-up and CLI commands (which import this module through bot.notify) need not pay."""
    import matplotlib

    matplotlib.use("Agg")


@lru_cache(maxsize=1)
def japanese_font() -> str:
    """Register the bundled IPAexGothic and return its family name."""
    import matplotlib_fontja
    from matplotlib import font_manager

    path = next(Path(matplotlib_fontja.__file__).parent.rglob("ipaexg.ttf"))
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@dataclass(frozen=True)
class Series:
    name: str
    unit: Unit
    values: list[float]  # one per month, oldest first (as the digest gives them)


@dataclass(frozen=True)
class Labels:
    """The chart's words, from the string catalogues. `axes` maps "month", "cohort", "count", "yen",
    "yen_man" (ja amounts shown in 万円) and "pct" to axis labels."""

    title: str
    funnel_title: str
    trend_title: str
    axes: dict[str, str] = field(default_factory=dict)


def first_month_with_data(series: list[Series]) -> int | None:
    """The index of the first month any series has a value in: the months before it are before the
    data starts (the digest fills them with 0), so they are left out rather than drawn as zeros."""
    starts = [next((i for i, v in enumerate(s.values) if v), None) for s in series]
    found = [i for i in starts if i is not None]
    return min(found) if found else None


def _funnel(ax: Any, labels: Labels, funnel: list[tuple[str, int, float | None]], locale: str) -> None:
    """Top stage first, as the digest's text: the cohort funnel, so each bar is at most the one above."""
    names = [name for name, _, _ in funnel][::-1]
    counts = [n for _, n, _ in funnel][::-1]
    rates = [r for _, _, r in funnel][::-1]
    bars = ax.barh(names, counts, color=FUNNEL_COLOUR)
    shown = [format_number(n, locale) + (f" ({format_percent(r, locale)})" if r is not None else "") for n, r in zip(counts, rates, strict=True)]
    ax.bar_label(bars, labels=shown, padding=3, fontsize=8)
    ax.set_title(labels.funnel_title)
    ax.set_xlabel(labels.axes.get("cohort", ""))
    ax.margins(x=0.25)


def _trend(ax: Any, labels: Labels, unit: Unit, months: list[str], series: list[Series], start: int, locale: str) -> None:
    from matplotlib.ticker import FuncFormatter

    scale = 1.0
    axis_key: str = unit
    if unit == "yen":
        scale = float(money_unit(locale, [v for s in series for v in s.values]))
        axis_key = "yen_man" if scale == float(MAN) else "yen"
    elif unit == "pct":
        scale = 0.01  # ratios drawn as percentages
    xs = list(range(start, len(months)))
    for i, s in enumerate(series):
        colour, marker, style = STYLES[i % len(STYLES)]
        ax.plot(
            xs, [v / scale for v in s.values[start:]], color=colour, marker=marker, linestyle=style, label=s.name,
            linewidth=2.4 - 0.5 * i, markersize=8 - 1.5 * i, markerfacecolor=colour if i == 0 else "none", zorder=3 + i,
        )  # fmt: skip
    ax.set_xticks(xs, [months[i] for i in xs])
    ax.set_xlim(start - 0.5, len(months) - 0.5)
    ax.set_xlabel(labels.axes.get("month", ""))
    ax.set_ylabel(labels.axes.get(axis_key, ""))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(round(v, 1) if abs(v) < 10 else round(v), locale)))
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.set_title(labels.trend_title)
    ax.legend(fontsize=8)


def figure_for(
    *, labels: Labels, funnel: list[tuple[str, int, float | None]], months: list[str], series: list[Series], locale: str
) -> Any:
    """The digest's figure: the cohort funnel, then one monthly-trend panel per unit (counts, yen, %)
    so no series is rescaled to share an axis. Returns a matplotlib Figure (not attached to pyplot)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    _agg()
    start = first_month_with_data(series)
    panels = [u for u in UNITS if start is not None and any(s.unit == u for s in series)]
    with rc_context({"font.family": japanese_font(), "axes.unicode_minus": False}):
        fig = Figure(figsize=(5 * (1 + len(panels)), 4.2), dpi=100)
        axes = fig.subplots(1, 1 + len(panels), squeeze=False)[0]
        _funnel(axes[0], labels, funnel, locale)
        for ax, unit in zip(axes[1:], panels, strict=True):
            _trend(ax, labels, unit, months, [s for s in series if s.unit == unit], start or 0, locale)
        fig.suptitle(labels.title)
        fig.tight_layout()
        fig.draw_without_rendering()  # tick labels are made now, in the Japanese font
    return fig


def digest_chart(**kwargs: Any) -> bytes:
    """`figure_for(**kwargs)` as PNG bytes."""
    from matplotlib import rc_context

    fig = figure_for(**kwargs)
    with rc_context({"font.family": japanese_font(), "axes.unicode_minus": False}):
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()
