"""The report's charts as inline SVG, drawn with matplotlib when a report is written (never when DAGs are
parsed: matplotlib takes a good part of a second to import). Text stays text in the SVG, so the page's own
font draws it and the file stays small."""
from __future__ import annotations

import io
import re

from fortnox_etl.period_report.amounts import kr_short

MONTH_NAMES = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
THIS_YEAR, LAST_YEAR, LINE = "#1f5f8b", "#b9c7d3", "#2f3b45"
AGEING_COLOURS = ("#5b9b6b", "#e0b84f", "#e08a3c", "#cf5c3a", "#9e2a2b")


def _figure(width: float, height: float):
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "period-report", "font.size": 9,
                                "font.family": "sans-serif", "axes.spines.top": False, "axes.spines.right": False,
                                "axes.edgecolor": "#8a96a0", "xtick.color": LINE, "ytick.color": LINE})
    return Figure(figsize=(width, height))


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # the XML declaration and DOCTYPE do not belong inside HTML
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    return re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1', svg, count=1)  # scale with the page


def monthly_result_chart(months: list[str], this_year: list[int], last_year: list[int] | None,
                         this_label: str, last_label: str) -> str:
    """The result of each month (profit up, in kronor) this year beside the same month last year."""
    figure = _figure(7.2, 2.8)
    axes = figure.subplots()
    positions = range(len(months))
    width = 0.4 if last_year is not None else 0.6
    if last_year is not None:
        axes.bar([p - width / 2 for p in positions], [v / 100 for v in last_year], width, color=LAST_YEAR,
                 label=last_label)
    axes.bar([p + (width / 2 if last_year is not None else 0) for p in positions], [v / 100 for v in this_year],
             width, color=THIS_YEAR, label=this_label)
    axes.axhline(0, color=LINE, linewidth=0.8)
    axes.set_xticks(list(positions), [MONTH_NAMES[int(m[4:]) - 1] for m in months])
    axes.yaxis.set_major_formatter(lambda value, _position: kr_short(value))
    axes.grid(axis="y", color="#e3e8ec", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.legend(frameon=False, loc="upper left", ncols=2, bbox_to_anchor=(0, 1.12))
    return _svg(figure)


def ageing_chart(labels: list[str], open_ore: list[int]) -> str:
    """A ledger's open amount per ageing bucket, not yet due first."""
    from matplotlib.ticker import MaxNLocator

    figure = _figure(3.6, 1.9)
    axes = figure.subplots()
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, [v / 100 for v in open_ore], color=AGEING_COLOURS[:len(labels)], height=0.62)
    axes.set_yticks(positions, labels)
    axes.xaxis.set_major_locator(MaxNLocator(4))
    axes.xaxis.set_major_formatter(lambda value, _position: kr_short(value))
    axes.tick_params(axis="x", labelsize=8)
    axes.grid(axis="x", color="#e3e8ec", linewidth=0.6)
    axes.set_axisbelow(True)
    return _svg(figure)
