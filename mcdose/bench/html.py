"""The bench as one self-contained HTML file: the summary, both tables and the mcdose curves overlaid on the
references' (1-sigma bands), figures embedded as base64 PNG."""
from __future__ import annotations

import base64
import html

from ..analysis.report_html import html_table
from .report import EFFICIENCY_COLUMNS, EFFICIENCY_NOTE, Bench
from .table import COLUMNS, rows

FIGURE_DPI = 110
_STYLE = """body{font-family:sans-serif;font-size:10pt;margin:1.5em auto;max-width:70em;color:#111}
h1{font-size:16pt}h2{font-size:12pt}table{border-collapse:collapse;margin:.4em 0 1em}
td,th{border:1px solid #bbb;padding:.2em .45em;text-align:left;vertical-align:top}th{background:#eee}
.PASS{color:#176117;font-weight:bold}.FAIL{color:#a00;font-weight:bold}
img{display:block;max-width:48em;width:100%;height:auto;margin-bottom:1em}"""


def figure_png(figure) -> bytes:
    """PNG of one cases.Figure: each series as a line with its 1-sigma band."""
    import matplotlib.pyplot as plt

    from ..plotting_dose import figure_png as png       # it selects the Agg backend
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    for label, x, y, sigma in figure.series:
        line, = ax.plot(x, y, label=label, lw=1.2)
        if sigma is not None:
            ax.fill_between(x, y - sigma, y + sigma, color=line.get_color(), alpha=0.25, lw=0)
    ax.set(title=figure.title, xlabel=figure.xlabel, ylabel=figure.ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    return png(fig, dpi=FIGURE_DPI)


def html_report(bench: Bench) -> str:
    """The whole page."""
    figures = []
    for o in bench.outcomes:
        if o.figure is not None:
            data = base64.b64encode(figure_png(o.figure)).decode("ascii")
            figures.append(f"<img alt='{html.escape(o.figure.title)}' src='data:image/png;base64,{data}'>")
    efficiency = bench.efficiency_rows()
    parts = [(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>mcdose bench</title><style>{_STYLE}</style>"
              "</head><body><h1>mcdose bench: reference cases</h1>"),
             f"<p class='{'PASS' if bench.passes else 'FAIL'}'>{html.escape(bench.summary())}</p>",
             ("<p>tolerance = stated systematic allowance + k σ (both Monte Carlo results' 1-sigma combined); "
              "rows over many points show the point with the least margin.</p>"),
             html_table(COLUMNS, rows(bench.comparisons), classes=lambda row: row[-1])]
    if efficiency:
        parts += [f"<h2>Efficiency</h2><p>{html.escape(EFFICIENCY_NOTE)}</p>", html_table(EFFICIENCY_COLUMNS, efficiency)]
    if figures:
        parts += ["<h2>Curves</h2>"] + figures
    return "".join(parts) + "</body></html>\n"
