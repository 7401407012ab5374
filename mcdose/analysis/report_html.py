"""Self-contained HTML commissioning report (one file, figures as base64 PNG at FIGURE_DPI).

Layout: what was simulated (run_title), a verdict banner with the counts of failed and not-judged checks, the
provenance (run_info.provenance, the stored configuration in a collapsible block), the normalisation, the
tolerances with their sources, then per curve its warnings, table (mm, %) and figure with the measured metric
positions marked. Printed, it is A4 (``@page``) with each curve's table kept with its figure, images at the
printable width and colours kept.
"""
import base64
import html
from datetime import datetime, timezone

from .compare import Comparison, cells
from .run_info import provenance, run_title

FIGURE_DPI = 150
STYLE = """@page{size:A4;margin:14mm 13mm}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-family:sans-serif;font-size:10pt;margin:1.5em auto;max-width:184mm;color:#111}
h1{font-size:16pt;margin:0}.subtitle{font-size:11pt;margin:.2em 0 .8em}h2{font-size:12pt;break-after:avoid}
table{border-collapse:collapse;margin:.4em 0 .8em;width:100%}
td,th{border:1px solid #bbb;padding:.2em .45em;text-align:right;vertical-align:top;white-space:nowrap}
th{background:#eee}td:first-child,th:first-child,table.text td,table.text th{text-align:left;white-space:normal}
.banner{padding:.5em .8em;margin:.6em 0;font-size:13pt;font-weight:bold;border:2px solid}
.banner ul{font-size:10pt;font-weight:normal;margin:.3em 0 0}
.banner.pass{background:#e3f3e0;color:#176117}.banner.fail{background:#fbe0e0;color:#a00}
.banner.partial{background:#fff3d6;color:#7a5200}
.PASS{color:#176117;font-weight:bold}.FAIL{color:#a00;font-weight:bold}
td.other{color:#7a5200;text-align:left;white-space:normal}
.warning{color:#7a5200}section.curve{break-inside:avoid;page-break-inside:avoid}
img{display:block;width:100%;height:auto}pre{font-size:8pt;white-space:pre-wrap}
@media print{body{margin:0;max-width:none}details pre{font-size:7pt}}"""


def curve_figure_png(cc, normalisation=None) -> bytes:
    """The overlay figure of one CurveComparison: computed with 1-sigma band, measured points and the measured
    metric positions, gamma panel; PNG at FIGURE_DPI."""
    from mcdose.plotting_dose import figure_png, pdd_figure, profile_figure
    m = cc.measured
    measured = [(m.label, m.position_cm, 100 * m.dose)]
    gamma = None if cc.gamma is None else [(m.position_cm, cc.gamma.gamma, f"gamma {cc.gamma.criteria}")]
    if m.is_depth_dose:
        fig = pdd_figure(cc.computed, measured, gamma, title=cc.title, normalisation=normalisation,
                         measured_markers=cc.measured_markers)
    else:
        fig = profile_figure(cc.computed, measured, gamma, title=cc.title, measured_markers=cc.measured_markers)
    return figure_png(fig, dpi=FIGURE_DPI)


def html_table(head, rows, classes=None, text=False) -> str:
    """An HTML table (numbers right-aligned, or all left with `text`); `classes(row)` gives the class of each
    row's last cell."""
    out = [f"<table{' class=text' if text else ''}><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head)
           + "</tr>"]
    for row in rows:
        tds = [f"<td>{html.escape(str(v))}</td>" for v in row]
        if classes:
            tds[-1] = f"<td class='{classes(row)}'>{html.escape(str(row[-1]))}</td>"
        out.append("<tr>" + "".join(tds) + "</tr>")
    return "".join(out) + "</table>"


def banner(comparison: Comparison) -> str:
    """The verdict banner: counts of failed and not-judged checks, failed checks listed."""
    failed = [f"{c.name} — {cc.title}" for cc in comparison.curves for c in cc.checks if c.passed is False]
    unjudged = comparison.count(("withheld", "not judged"))
    kind = "fail" if failed else "partial" if unjudged else "pass"
    items = "".join(f"<li>failed: {html.escape(f)}</li>" for f in failed)
    return (f"<div class='banner {kind}'>{html.escape(comparison.summary())}"
            + (f"<ul>{items}</ul>" if items else "") + "</div>")


def _provenance(comparison: Comparison, result, result_name: str) -> str:
    rows = [("result file", result_name or "(in memory)")] + provenance(result, comparison.normalisation, unit="mm")
    rows.append(("report generated", f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"))
    out = "<h2>Provenance</h2>" + html_table(("item", "value"), rows, text=True)
    config = result.metadata.get("config")
    if config:
        out += f"<details><summary>configuration (TOML)</summary><pre>{html.escape(config)}</pre></details>"
    return out


def _normalisation(comparison: Comparison) -> str:
    depth = ("Depth doses: computed in % of D_ref (provenance: normalisation); measured in % of their own fitted "
             "maximum (the same fit). ") if comparison.normalisation else ""
    return (f"<h2>Normalisation and units</h2><p>{depth}Profiles: each in % of its own fitted central-axis dose "
            "(IEC 60976). Lengths in mm, doses in %. Differences are computed − measured; uncertainties are "
            "1 standard deviation (statistical).</p>")


def curve_section(cc, normalisation) -> str:
    """One curve's section: warnings, check table and overlay figure (HTML)."""
    rows = [cells(c) for c in cc.checks]
    warnings = "".join(f"<li class='warning'>{html.escape(w)}</li>" for w in cc.warnings)
    method = f"<p>Computed uncertainties: {html.escape(cc.uncertainty_method)}.</p>" if cc.uncertainty_method else ""
    png = base64.b64encode(curve_figure_png(cc, normalisation)).decode("ascii")
    return (f"<section class='curve'><h2>{html.escape(cc.title)}</h2>"
            + (f"<ul>{warnings}</ul>" if warnings else "") + method
            + html_table(("quantity", "computed", "measured", "difference", "tolerance", "result"), rows,
                     lambda row: row[-1] if row[-1] in ("PASS", "FAIL") else "other")
            + f"<img alt='{html.escape(cc.title)}' src='data:image/png;base64,{png}'></section>")


def html_report(comparison: Comparison, result, result_name: str = "") -> str:
    """The report of `comparison` against `result` (mcdose.results.Result; `result_name` its file name) as one
    HTML string with no external files."""
    title = run_title(result)
    parts = [(f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>mcdose commissioning report: "
              f"{html.escape(title)}</title><style>{STYLE}</style></head><body>"),
             f"<h1>mcdose commissioning report</h1><p class='subtitle'>{html.escape(title)}</p>",
             banner(comparison), _provenance(comparison, result, result_name), _normalisation(comparison),
             "<h2>Tolerances</h2>" + html_table(("quantity", "criterion", "source"), comparison.tolerances.rows(),
                                              text=True)]
    parts += [curve_section(cc, comparison.normalisation) for cc in comparison.curves]
    parts.append("</body></html>")
    return "\n".join(parts)
