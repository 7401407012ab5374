"""The commissioning report: one self-contained HTML file (the style and curve sections of the compare report,
:mod:`mcdose.analysis.report_html`): the fitted parameters with their uncertainties, ranges and correlations,
what was held fixed and why, warnings, the kernels, then per applicator set-up the verification run against
the measured curves (R90/R80/R50/Rp/Ds, field size, penumbra, gamma) and the commissioned machine file."""
from __future__ import annotations

import html
from datetime import datetime, timezone

from .. import __version__
from ..analysis.report_html import STYLE, banner, curve_section, html_table
from .command import HELD_BY_DESIGN


def _parameters(c) -> str:
    r = c.fit
    rows = [(p.name, p.unit, f"{p.start:.4g}", f"{r.values[p.name]:.4g}",
             f"{r.sigma[p.name]:.2g}" if p.name in r.free else "-",
             f"{r.kernel_sigma[p.name]:.2g}" if p.name in r.free else "-", f"{p.low:.4g} - {p.high:.4g}",
             "fitted" if p.name in r.free else "held: " + r.held[p.name]) for p in c.parameters]
    rows += [(name, "", "machine's", "machine's", "-", "-", "-", "held: " + why) for name, why in HELD_BY_DESIGN.items()]
    out = "<h2>Fitted beam parameters</h2>" + html_table(
        ("parameter", "unit", "machine", "fitted", "1-sigma", "of which kernels", "range", "status"), rows)
    if len(r.free) > 1:
        out += "<h3>Correlations</h3>" + html_table(
            ("",) + r.free, [(a,) + tuple(f"{r.correlation[i, j]:+.2f}" for j in range(len(r.free)))
                             for i, a in enumerate(r.free)])
    out += (f"<p>chi<sup>2</sup>/dof = {r.chi2:.1f}/{r.dof} = {r.chi2 / r.dof:.2f} (measured doses 0.5 % of the "
            "maximum unless the file gives sigmas, 0.5 mm positioning in the gradients, kernel statistics); each "
            "curve has its own free scale.</p>")
    out += "".join(f"<p class='warning'>WARNING: {html.escape(w)}</p>" for w in r.warnings)
    return out


def _kernels(c) -> str:
    rows = []
    for s, k in c.kernels.items():
        first = k.results[0][0]
        rows.append((s.label, f"{k.nodes.energies[0]:g} - {k.nodes.energies[-1]:g} MeV ({len(k.nodes.energies)})",
                     ", ".join(f"{x:g}" for x in k.nodes.spreads) + " deg", f"{first.metadata['histories']:,}"))
    return ("<h2>Kernels</h2><p>Monoenergetic beams through the machine's head and applicator into water, one run "
            f"per energy and spread node; superposed with cubic-spline weights in energy and quadratic weights in "
            f"the variance of the angular spread. Time: kernels {c.seconds['kernels']:.0f} s, fit "
            f"{c.seconds['fit']:.1f} s, verification {c.seconds['verification']:.0f} s.</p>"
            + html_table(("set-up", "energy nodes", "angular nodes", "histories each"), rows))


def html_report(c) -> str:
    """The report of a Commissioning as one HTML string."""
    title = f"{c.machine.name} {c.nominal:g} MeV"
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>mcdose commissioning: "
             f"{html.escape(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>mcdose beam-model commissioning</h1><p class='subtitle'>{html.escape(c.machine.title)}, "
             f"{c.nominal:g} MeV; {len(c.curves)} measured curve(s); mcdose {__version__}, "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC</p>",
             f"<p class='warning'>{html.escape(c.machine.caveat)}</p>", _parameters(c), _kernels(c)]
    for s, comp in c.comparisons.items():
        parts.append(f"<h2>Verification: {html.escape(s.label)}</h2><p>One full run of the commissioned machine "
                     f"({c.verification[s].metadata['histories']:,} histories); depth doses averaged within "
                     f"{s.pdd_radius_cm:g} cm of the axis.</p>" + banner(comp))
        parts += [curve_section(cc, comp.normalisation) for cc in comp.curves]
    parts.append(f"<h2>Commissioned machine file</h2><pre>{html.escape(c.machine_text)}</pre></body></html>")
    return "\n".join(parts)
