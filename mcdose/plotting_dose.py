"""Dose-curve figures (matplotlib, Agg): depth doses, radial doses of point sources and lateral profiles.

Each figure shows the computed curve with its 1-sigma band, measured curves, metric markers (tags placed so that
no two labels overlap, values in a side table, mm), an optional gamma panel, and says on its axis and in its
caption what 100 % is: D_ref (mcdose.analysis.normalisation) for depth and radial doses, the profile's fitted
central-axis dose D0 for profiles (IEC 60976). Lengths are shown in mm. Each ``*_figure`` returns a Figure
whose layout is final (labels are placed after it); write it with :func:`save_figure` or embed it with
:func:`figure_png`. 2-D dose maps: :mod:`mcdose.plotting_map`.
"""
from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.transforms import blended_transform_factory

from .errors import InputError
from .outputs import atomic_write

DPI = 150              # figures written and embedded at this resolution (print quality)
MM = 10.0              # mm per cm
COMPUTED = "#1f77b4"
MEASURED = ("#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
FIT = "#ff7f0e"
TAG = {"fontsize": 7.5, "color": "0.15",
       "bbox": {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}}
TAG_ROWS = np.arange(0.985, 0.2, -0.065)    # tag rows, axes fraction (top down)


def image_suffixes() -> tuple:
    """The figure file suffixes matplotlib writes (.png, .pdf, .svg, .eps, .jpg, .tif, .webp, ...)."""
    return tuple(f".{ext}" for ext in FigureCanvasBase.get_supported_filetypes())


def save_figure(fig, path, dpi: int = DPI) -> Path:
    """Write a figure atomically, in the format its suffix names (see :func:`image_suffixes`), and close it."""
    path = Path(path)
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix[1:].lower(), dpi=dpi))
    finally:
        plt.close(fig)


def figure_png(fig, dpi: int = DPI) -> bytes:
    """PNG bytes of a figure (closed afterwards)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def freeze_layout(fig) -> None:
    """Run the layout engine once and keep its result, so that labels placed afterwards stay where they are."""
    fig.canvas.draw()
    fig.set_layout_engine("none")


def place_labels(fig, items, within=None, avoid=()) -> list:
    """Put each text of items [(Text, candidate positions in its own coordinates)] at its first candidate whose
    extent overlaps no label placed before it, no Bbox of `avoid` and lies inside the Bbox `within` (display
    units); a text with no free candidate is removed. Returns the placed texts. Call after freeze_layout."""
    renderer = fig.canvas.get_renderer()
    taken, placed = list(avoid), []
    for text, candidates in items:
        for xy in candidates:
            text.set_position(xy)
            box = text.get_window_extent(renderer).padded(2)
            if (within is None or within.contains(box.x0, box.y0) and within.contains(box.x1, box.y1)) \
                    and not any(box.overlaps(b) for b in taken):
                taken.append(box)
                placed.append(text)
                break
        else:
            text.remove()
    return placed


def fmt(estimate, scale: float = 1.0, unit: str = "", decimals: int = 2) -> str:
    """'value ± sigma unit' of an Estimate times `scale`, decimals from sigma (1 significant digit, 2 when it
    starts with 1 or 2); `decimals` when sigma is unknown (NaN)."""
    value, sigma = scale * estimate.value, scale * estimate.sigma
    if not (sigma > 0 and math.isfinite(sigma)):
        return f"{value:.{decimals}f} {unit}".rstrip()
    lead = sigma / 10 ** math.floor(math.log10(sigma))
    d = int(np.clip(-math.floor(math.log10(sigma)) + (lead < 3), 0, 4))
    return f"{value:.{d}f} ± {sigma:.{d}f} {unit}".rstrip()


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))


def curve_axes(gamma: bool):
    """(fig, main axes, gamma axes or None, side axes for the table and legend), lengths in mm."""
    mosaic = [["main", "side"], ["gamma", "side"]] if gamma else [["main", "side"]]
    fig, axd = plt.subplot_mosaic(mosaic, figsize=(10, 6.4 if gamma else 5.2), layout="constrained",
                                  width_ratios=[3.1, 1], height_ratios=[3, 1] if gamma else [1])
    ax, gx, side = axd["main"], axd.get("gamma"), axd["side"]
    side.axis("off")
    if gx is not None:
        gx.sharex(ax)
        ax.tick_params(labelbottom=False)
    ax.grid(alpha=0.3)
    return fig, ax, gx, side


def draw_curve(ax, x_cm, dose, sigma, norm: float, measured=()) -> float:
    """Computed dose (and 1-sigma band) in % of `norm` and measured curves [(label, x cm, y %)] against mm;
    returns the highest value drawn (%)."""
    x, y, s = MM * np.asarray(x_cm), 100 * np.asarray(dose) / norm, 100 * np.asarray(sigma) / norm
    ax.fill_between(x, y - s, y + s, color=COMPUTED, alpha=0.3, linewidth=0, label="computed 1σ")
    ax.plot(x, y, color=COMPUTED, lw=1.5, label="computed (mcdose)")
    top = float(np.max(y + s))
    for (label, mx, my), colour in zip(measured, MEASURED * 4):
        ax.plot(MM * np.asarray(mx), my, "o", ms=3, color=colour, label=f"measured: {label}")
        top = max(top, float(np.max(my)))
    return top


def draw_gamma(gx, gamma) -> None:
    """Gamma panel: [(positions cm, gamma values, label)]."""
    for (gpos, gval, label), colour in zip(gamma, MEASURED * 4):
        gx.plot(MM * np.asarray(gpos), gval, ".", ms=4, color=colour, label=label)
    gx.axhline(1.0, color="k", lw=0.8, ls="--")
    gx.set_ylabel("gamma")
    gx.set_ylim(0, max(2.0, min(5.0, np.nanmax([np.nanmax(g[1]) for g in gamma] + [0]) * 1.1)))
    gx.grid(alpha=0.3)
    gx.legend(loc="upper left", fontsize=7.5)


def marker_tags(ax, markers, colour="0.4", ls=":") -> list:
    """Vertical lines at [(position cm, tag)] and their tags (unplaced: see :func:`place_tags`)."""
    tags = []
    for pos, label in markers:
        ax.axvline(MM * pos, color=colour, ls=ls, lw=1)
        tags.append(ax.text(MM * pos, TAG_ROWS[0], label, ha="center", va="top",
                            transform=blended_transform_factory(ax.transData, ax.transAxes), **TAG))
    return tags


def place_tags(fig, ax, tags, rows=TAG_ROWS, avoid=()) -> list:
    """Place marker tags in the first free row (axes fraction) at their marker's position."""
    return place_labels(fig, [(t, [(t.get_position()[0], r) for r in rows]) for t in tags],
                        within=ax.get_window_extent(), avoid=avoid)


def headroom(ax, top: float, tags) -> None:
    """y from 0 to above the highest value drawn (%), with room for the tag rows when there are tags."""
    ax.set_ylim(0.0, (1.32 if tags else 1.08) * top)


def finish(fig, ax, side, *, xlabel, ylabel, title, caption, table):
    """Axis labels, caption, side table and the legend of only what is drawn (under the table); then the layout
    is frozen."""
    ax.set_ylabel(ylabel)
    ax.set_title(_wrap(caption, 95), fontsize=8, loc="left")
    fig.suptitle(title, fontsize=11)
    fig.supxlabel(xlabel, fontsize=10)
    side.text(0, 1, table, transform=side.transAxes, va="top", ha="left", fontsize=7.5, family="monospace")
    handles, labels = ax.get_legend_handles_labels()
    freeze_layout(fig)
    if handles:
        box = side.texts[0].get_window_extent().transformed(side.transAxes.inverted())
        side.legend(handles, labels, loc="upper left", bbox_to_anchor=(0, box.y0 - 0.03), fontsize=7.5,
                    frameon=False, borderaxespad=0)


def _norm_of(curve, metrics):
    """The D_ref of a curve itself (peak fit of its metrics, or of the curve), for figures given none."""
    from .analysis.depth_dose import peak_fit
    from .analysis.normalisation import Normalisation
    fit = metrics.peak if metrics is not None else peak_fit(curve.position_cm, curve.dose, curve.sigma,
                                                             curve.batches)
    return Normalisation(float(fit.dose.value), float(fit.dose.sigma), float(fit.position_cm.value), curve.axis,
                         curve.radius_cm)


def _interfaces(ax, interfaces) -> list:
    """Shade each medium along the depth axis (material colours), a line at each interface; the medium names
    as (unplaced) labels."""
    from .plotting import material_colour
    edges = [-np.inf] + [i.depth_cm for i in interfaces] + [np.inf]
    media = [interfaces[0].above] + [i.below for i in interfaces]
    lo, hi = ax.get_xlim()
    names, trans = [], blended_transform_factory(ax.transData, ax.transAxes)
    for a, b, name in zip(edges[:-1], edges[1:], media):
        a, b = max(MM * a, lo), min(MM * b, hi)
        if b <= a:
            continue
        ax.axvspan(a, b, color=material_colour(name), alpha=0.25, lw=0, zorder=0)
        names.append(ax.text(0.5 * (a + b), 0.02, name, ha="center", va="bottom", transform=trans, **TAG))
    inside = [i for i in interfaces if lo < MM * i.depth_cm < hi]
    for k, i in enumerate(inside):
        ax.axvline(MM * i.depth_cm, color="0.3", lw=0.9, label="material interface" if k == 0 else None)
    return names


def pdd_figure(curve, measured=(), gamma=None, title=None, normalisation=None, measured_markers=()):
    """Depth dose (a mcdose.results.DepthDose) in % of D_ref (`normalisation`, default the curve's own peak
    fit) against depth in mm. With electron-beam metrics: the peak fit, the Rp tangent, the bremsstrahlung
    background, markers at dmax, R90, R80, R50, Rp and a table of the metrics; withheld metrics: the reason
    instead. Material interfaces shaded and named. measured [(label, x cm, y %)], gamma [(x cm, gamma,
    label)], measured_markers [(position cm, label)]."""
    try:
        m, reason = curve.metrics(), None
    except InputError as exc:
        m, reason = None, str(exc)
    norm = normalisation or _norm_of(curve, m)
    fig, ax, gx, side = curve_axes(bool(gamma))
    top = draw_curve(ax, curve.position_cm, curve.dose, curve.sigma, norm.dose, measured)
    tags = []
    if m is None:
        table = _wrap(f"beam metrics withheld: {reason.removeprefix('beam metrics withheld: ')}", 34)
    else:
        top = max(top, _fit_lines(ax, curve, m, norm.dose))
        rows = [("dmax", m.dmax_cm), ("R90", m.r90_cm), ("R80", m.r80_cm), ("R50", m.r50_cm), ("Rp", m.rp_cm)]
        tags = marker_tags(ax, [(e.value, n) for n, e in rows])
        table = "\n".join([f"{n:<5}{fmt(e, MM, 'mm')}" for n, e in rows]
                          + [f"Ds   {fmt(m.ds, 100, '%', 1)}", f"Dx   {fmt(m.dx, 100, '%', 1)}",
                             f"Dmax {fmt(m.d_max, 100 / norm.dose, '%', 1)}", "",
                             _wrap(f"dmax: {m.peak.method}", 34),
                             _wrap(f"uncertainties: {m.uncertainty_method}", 34)]
                          + [_wrap(f"! {w}", 34) for w in m.warnings])
    tags += marker_tags(ax, measured_markers, colour=MEASURED[0], ls="--")
    ax.set_xlim(MM * min(curve.position_cm[0], 0.0), MM * curve.position_cm[-1])
    names = _interfaces(ax, curve.interfaces) if curve.interfaces else []
    headroom(ax, top, tags)
    if gamma:
        draw_gamma(gx, gamma)
    finish(fig, ax, side, xlabel="depth z (mm)", ylabel=norm.label, title=title or "Depth dose",
           caption=norm.describe("mm"), table=table)
    placed = place_tags(fig, ax, tags)
    place_tags(fig, ax, names, rows=1 - TAG_ROWS, avoid=[t.get_window_extent() for t in placed])
    return fig


def _fit_lines(ax, curve, m, norm) -> float:
    """The peak fit over its window, the Rp tangent from the peak dose to below the background and the
    background line from before Rp to the end of the curve; returns their highest value (%)."""
    z = np.linspace(*m.peak.window_cm, 50)
    fit = 100 * m.peak.curve(z) / norm
    ax.plot(MM * z, fit, color=FIT, lw=1.6, label="peak fit (dmax, D_max)")
    t = m.tangent
    rp = m.rp_cm.value
    z_top = (m.d_max.value - t.intercept) / t.slope if t.slope else rp
    zt = np.linspace(z_top, rp + 0.15 * (rp - z_top), 2)
    ax.plot(MM * zt, 100 * t(zt) / norm, color="0.2", lw=0.9, ls="--", label="Rp tangent")
    zb = np.array([rp - 0.3 * (rp - z_top), curve.position_cm[-1]])
    ax.plot(MM * zb, 100 * m.background(zb) / norm, color="#8c564b", lw=0.9, ls="-.",
            label="bremsstrahlung background")
    return float(max(fit.max(), 100 * t(zt).max() / norm))


def radial_figure(curve, normalisation, surfaces=(), title=None):
    """Dose of a point source against radius (or depth) on a log scale, in % of D_ref, with surfaces
    [(radius cm, label)] (applicator, cavity) marked; no electron-beam metrics."""
    fig, ax, _, side = curve_axes(False)
    ok = curve.dose > 0
    x, y = curve.position_cm[ok], normalisation.percent(curve.dose[ok])
    s = normalisation.percent(curve.sigma[ok])
    ax.fill_between(MM * x, np.maximum(y - s, 0.5 * y), y + s, color=COMPUTED, alpha=0.3, lw=0, label="computed 1σ")
    ax.plot(MM * x, y, color=COMPUTED, lw=1.5, label="computed (mcdose)")
    ax.set_yscale("log")
    ax.set_xlim(0, MM * curve.position_cm[-1])
    tags = marker_tags(ax, surfaces, colour="#8c564b", ls="--")
    ax.set_ylim(0.5 * y.min(), 4 * (y + s).max())     # a decade of log room above for the tags
    table = "\n".join([f"{label}: {MM * r:.1f} mm" for r, label in surfaces]
                      + ["", _wrap("point source: radial dose, no electron-beam metrics", 34)])
    finish(fig, ax, side, xlabel=f"{'radius r' if curve.axis == 'r' else 'depth z'} (mm)",
           ylabel=f"{normalisation.label}, log scale", title=title or "Radial dose",
           caption=normalisation.describe("mm"), table=table)
    place_tags(fig, ax, tags)
    return fig


def profile_figure(profile, measured=(), gamma=None, title=None, measured_markers=()):
    """Lateral profile (a mcdose.results.Profile) in % of its fitted central-axis dose D0 (IEC 60976), with the
    50 % edges and centre marked and a table of field size, penumbrae, flatness and symmetry (n/a for a mirrored
    profile), each withheld metric with its reason. measured/gamma/measured_markers as :func:`pdd_figure`."""
    try:
        m, reason = profile.metrics(), None
    except InputError as exc:
        m, reason = None, str(exc)
    where = f"z = {profile.depth_cm:g} cm"
    if m is not None:
        norm = m.d0.value
        ylabel = f"% of the central-axis dose at {where} (fitted)"
        rel = f" (± {100 * m.d0.sigma / m.d0.value:.2g} %)" if m.d0.sigma > 0 else ""
        caption = (f"100 % = D0 = {m.d0.value:.4g} Gy/particle{rel}, the fitted central-axis dose at {where} "
                   f"(IEC 60976 profile convention; depth doses and maps use D_ref)")
    elif (norm := float(np.interp(0.0, profile.position_cm, profile.dose))) > 0.0:
        ylabel = f"% of the dose on the axis at {where}"
        caption = f"100 % = the dose at {profile.axis} = 0 at {where} (interpolated); metrics withheld"
    else:                                  # nothing scored on the axis (too few histories): the highest bin
        norm = float(profile.dose.max()) if profile.dose.max() > 0.0 else 1.0
        ylabel = f"% of the profile's highest bin at {where}"
        caption = f"100 % = the profile's highest bin at {where} (no dose on the axis); metrics withheld"
    fig, ax, gx, side = curve_axes(bool(gamma))
    top = draw_curve(ax, profile.position_cm, profile.dose, profile.sigma, norm, measured)
    ax.set_xlim(MM * profile.position_cm[0], MM * profile.position_cm[-1])
    if m is None:
        tags, table = [], _wrap(f"profile metrics withheld: {reason}", 34)
    else:
        markers = [(e.value, label) for e, label in ((m.left_50_cm, "50 %"), (m.centre_cm, "centre"),
                                                      (m.right_50_cm, "50 %")) if e is not None]
        tags = marker_tags(ax, markers)
        table = _profile_table(m)
    tags += marker_tags(ax, measured_markers, colour=MEASURED[0], ls="--")
    headroom(ax, top, tags)
    if gamma:
        draw_gamma(gx, gamma)
    finish(fig, ax, side, xlabel=f"{profile.axis} (mm)", ylabel=ylabel,
           title=title or f"Profile along {profile.axis} at depth {profile.depth_cm:g} cm", caption=caption,
           table=table)
    place_tags(fig, ax, tags)
    return fig


PROFILE_ROWS = (("field size", "field_size_cm", MM, "mm"), ("centre", "centre_cm", MM, "mm"),
                ("50 % left", "left_50_cm", MM, "mm"), ("50 % right", "right_50_cm", MM, "mm"),
                ("pen 80-20 L", "penumbra_80_20_left_cm", MM, "mm"),
                ("pen 80-20 R", "penumbra_80_20_right_cm", MM, "mm"),
                ("pen 90-10 L", "penumbra_90_10_left_cm", MM, "mm"),
                ("pen 90-10 R", "penumbra_90_10_right_cm", MM, "mm"),
                ("flatness", "flatness_pct", 1.0, "%"), ("symmetry", "symmetry_pct", 1.0, "%"))


def _profile_table(m) -> str:
    """The metrics table of a ProfileMetrics: value ± sigma, or n/a and the reason."""
    rows = []
    for name, field, scale, unit in PROFILE_ROWS:
        e = getattr(m, field)
        rows.append(f"{name:<12}{fmt(e, scale, unit)}" if e is not None else
                    _wrap(f"{name:<12}n/a: {m.withheld.get(field, 'not available').removeprefix('n/a: ')}", 34))
    return "\n".join(rows + ["", _wrap(f"uncertainties: {m.uncertainty_method}", 34)]
                     + [_wrap(f"! {w}", 34) for w in m.warnings])
