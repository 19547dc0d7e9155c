"""Charts rendered server-side (matplotlib, Agg backend) as PNG bytes for Slack's files upload v2.

Japanese labels need a Japanese font: IPAexGothic ships with the `matplotlib-fontja` package and is
loaded explicitly from its file, so the chart never depends on fonts installed on the machine.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from types import ModuleType


@lru_cache(maxsize=1)
def _pyplot() -> ModuleType:
    """matplotlib.pyplot on the Agg backend, imported on the first chart: it costs ~0.4 s that the
    bot's start-up and CLI commands (which import this module through bot.notify) need not pay."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@lru_cache(maxsize=1)
def japanese_font() -> str:
    """Register the bundled IPAexGothic and return its family name."""
    import matplotlib_fontja
    from matplotlib import font_manager

    path = next(Path(matplotlib_fontja.__file__).parent.rglob("ipaexg.ttf"))
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def digest_chart(
    *,
    title: str,
    funnel_title: str,
    funnel: list[tuple[str, int]],
    trend_title: str,
    months: list[str],
    series: dict[str, list[float]],
) -> bytes:
    """Funnel (horizontal bars, top stage first) and monthly trend lines side by side."""
    family = japanese_font()
    plt = _pyplot()
    with plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
        try:
            labels = [label for label, _ in funnel][::-1]
            values = [n for _, n in funnel][::-1]
            bars = left.barh(labels, values, color="#2E86AB")
            left.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, fontsize=8)
            left.set_title(funnel_title)
            left.margins(x=0.15)
            for name, values in series.items():
                top = max(values) if values else 0
                scaled = [v / top * 100 if top else 0 for v in values]  # index: the busiest month = 100
                right.plot(months, scaled, marker="o", label=name)
            right.set_title(trend_title)
            right.tick_params(axis="x", labelrotation=30, labelsize=8)
            right.legend(fontsize=8)
            fig.suptitle(title)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            return buf.getvalue()
        finally:
            plt.close(fig)
