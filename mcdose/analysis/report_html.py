"""Self-contained HTML commissioning report: tolerances, one table and one figure (base64 PNG) per curve."""
import base64
import html
from datetime import datetime, timezone

import numpy as np

from .compare import Comparison

_STYLE = """body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;margin:.5em 0 1em}
td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}th{background:#eee}td:first-child{text-align:left}
.pass{color:#176117;font-weight:bold}.fail{color:#b00;font-weight:bold}img{max-width:100%}"""


def curve_figure_png(cc) -> bytes:
    """The overlay figure of one CurveComparison: computed with 1-sigma band, measured points, gamma panel."""
    from mcdose.plotting_dose import figure_png, pdd_figure, profile_figure
    m = cc.measured
    measured = [(m.label, m.position_cm, 100 * m.dose)]
    gamma = [(m.position_cm, cc.gamma.gamma, f"gamma {cc.gamma.criteria}")]
    if m.is_depth_dose:
        fig = pdd_figure(cc.computed, measured, gamma, title=f"Depth dose: {m.label}")
    else:
        fig = profile_figure(cc.computed, measured, gamma,
                             title=f"Profile {m.axis} at {m.depth_cm:g} cm: {m.label}")
    return figure_png(fig)


def html_report(comparison: Comparison, result_name: str = "") -> str:
    """The report as one HTML string (no external files)."""
    verdict = "PASS" if comparison.passed else "FAIL"
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>mcdose comparison {html.escape(result_name)}"
             f"</title><style>{_STYLE}</style></head><body>",
             f"<h1>mcdose commissioning comparison</h1><p>Result: <code>{html.escape(result_name)}</code>; "
             f"generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.</p>",
             f"<p>Overall: <span class='{verdict.lower()}'>{verdict}</span></p>",
             f"<p>Tolerances: {html.escape(comparison.tolerances.describe())}. Differences are computed − measured; "
             "computed uncertainties are 1 sigma (statistical).</p>"]
    for cc in comparison.curves:
        m = cc.measured
        where = "depth dose" if m.is_depth_dose else f"profile along {m.axis} at {m.depth_cm:g} cm"
        parts.append(f"<h2>{html.escape(m.label)} ({where})</h2><table><tr><th>quantity</th><th>computed</th>"
                     "<th>measured</th><th>difference</th><th>tolerance</th><th>result</th></tr>")
        for c in cc.checks:
            sig = f" ± {c.computed_sigma:.3f}" if np.isfinite(c.computed_sigma) else ""
            meas, diff = ("", "") if c.at_least else (f"{c.measured:.3f}", f"{c.difference:+.3f}")
            tol = f"≥ {c.tolerance:g}" if c.at_least else f"± {c.tolerance:g}"
            res = "PASS" if c.passed else "FAIL"
            parts.append(f"<tr><td>{html.escape(c.name)} ({html.escape(c.unit)})</td><td>{c.computed:.3f}{sig}</td>"
                         f"<td>{meas}</td><td>{diff}</td><td>{tol}</td><td class='{res.lower()}'>{res}</td></tr>")
        png = base64.b64encode(curve_figure_png(cc)).decode("ascii")
        parts.append(f"</table><img alt='{html.escape(m.label)}' src='data:image/png;base64,{png}'>")
    parts.append("</body></html>")
    return "\n".join(parts)
