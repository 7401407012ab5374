"""2-D dose figures (matplotlib, Agg): a colour-wash dose map with labelled isodose lines over the filled
geometry, with the source or beam drawn, and the map of the relative 1-sigma uncertainty.

Doses are in % of D_ref (mcdose.analysis.normalisation), or in Gy with a prescription (P Gy to the Q %
isodose, :func:`mcdose.analysis.isodose.dose_scale`). Materials are filled and their boundaries drawn as vector
paths (:func:`mcdose.plotting.draw_materials`); isodose labels are placed so that none overlaps another; a level
with no line in the plane is listed in the legend as not reached, with the plane's maximum. Lengths in cm.
"""
from __future__ import annotations

import textwrap

import numpy as np
from contourpy import LineType, contour_generator
from matplotlib import patheffects
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle

from .analysis.isodose import dose_scale, isodose_lines
from .plotting_dose import TAG, freeze_layout, place_labels, plt

WASH_CMAP = "turbo"
SOURCE = "#d62728"
BEAM_TYPES = ("beam", "ioert")
POINT_TYPES = ("point", "intrabeam")
LINE_STROKE = [patheffects.withStroke(linewidth=2.8, foreground="k")]
LABEL_CANDIDATES = 40          # label positions tried along each isodose level's lines


def _edges(c) -> np.ndarray:
    """Bin edges (cm) from bin centres (midpoints; the end bins as wide as their neighbours)."""
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate([[2 * c[0] - mid[0]], mid, [2 * c[-1] - mid[-1]]])


def _view(plane, source) -> tuple:
    """(u range, v range) cm: the mesh, grown upstream (smaller z) for a beam drawn above the surface."""
    u, v = _edges(plane.u_cm), _edges(plane.v_cm)
    v_range = [v[0], v[-1]]
    if source is not None and source.get("type") in BEAM_TYPES and plane.axes[1] == 2:
        v_range[0] -= max(1.0, 0.2 * (v[-1] - v[0]))
    return (u[0], u[-1]), tuple(v_range)


def _axes(plane, title, caption):
    """Figure and axes with the plane's axis names, the title and a caption."""
    fig, ax = plt.subplots(layout="constrained")
    names = plane.axis_names
    ax.set_xlabel(f"{names[0]} (cm)")
    ax.set_ylabel(f"{names[1]} (cm)")
    fig.suptitle(title, fontsize=11)
    ax.set_title(textwrap.fill(caption, 100), fontsize=8, loc="left")
    return fig, ax


def _finish(fig, ax, plane, view, handles=(), labels=()):
    """Axis ranges (depth downwards), figure size from the plane's aspect (7 in wide axes) and legend rows
    below, then the layout is frozen and the labels [(Text, candidates)] placed without overlap."""
    ax.set_xlim(view[0])
    ax.set_ylim(view[1])
    if plane.axes[1] == 2:
        ax.invert_yaxis()                   # depth increases downwards
    aspect = (view[1][1] - view[1][0]) / (view[0][1] - view[0][0])
    rows = -(-len(handles) // 2)
    fig.set_size_inches(8.6, float(np.clip(7.0 * aspect, 2.5, 9.0)) + 1.4 + 0.2 * rows)
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=7.5, frameon=False)
    freeze_layout(fig)
    place_labels(fig, labels, within=ax.get_window_extent())


def dose_map_figure(plane, normalisation, levels=(100, 90, 80, 50, 20, 10), geometry=None, source=None,
                    title=None, prescription=None):
    """Dose map of a plane (mcdose.analysis.isodose.DosePlane): colour wash above the lowest level and isodose
    lines at `levels` (% of D_ref, `normalisation`), labelled, over the filled `geometry` (mcdose.geometry
    .Geometry, or None), with the `source` (the [source] section of the run's configuration, or None) drawn;
    prescription (P Gy, Q %): P Gy at Q % of D_ref, the wash and the labels in Gy."""
    factor, unit = dose_scale(normalisation.dose, *prescription) if prescription else dose_scale(normalisation.dose)
    per_pct = prescription[0] / prescription[1] if prescription else 1.0      # unit per % of D_ref
    isodoses = isodose_lines(plane, [per_pct * v for v in levels], factor, unit)
    dose = factor * plane.dose
    view = _view(plane, source)
    caption = f"{plane.description}; {normalisation.describe()}"
    if prescription:
        caption += f"; {prescription[0]:g} Gy prescribed to the {prescription[1]:g} % isodose"
    fig, ax = _axes(plane, title or "Dose map", caption)
    materials = []
    if geometry is not None:
        from .plotting import draw_materials
        materials = draw_materials(ax, geometry, plane.axes, plane.cut_axis, plane.cut_cm, *view, alpha=0.6,
                                   boundary_zorder=3)
    lowest = min(i.level for i in isodoses)
    colour_of = Normalize(lowest, max(dose.max(), max(i.level for i in isodoses)))
    wash = ax.pcolormesh(_edges(plane.u_cm), _edges(plane.v_cm), np.ma.masked_less(dose, lowest), cmap=WASH_CMAP,
                         norm=colour_of, alpha=0.45, shading="flat", linewidth=0, rasterized=True, zorder=2)
    fig.colorbar(wash, ax=ax, shrink=0.9, label=f"dose ({'% of D_ref' if unit == '%' else 'Gy'})")
    pct_max = normalisation.percent(plane.dose.max())
    handles, labels = [], []
    for iso in isodoses:
        colour = plt.get_cmap(WASH_CMAP)(colour_of(iso.level))
        name = f"{iso.level:.3g} Gy" if unit == "Gy" else f"{iso.level:g} %"
        if not iso.lines:
            state = (f"exceeded everywhere (min {normalisation.percent(plane.dose.min()):.1f} %)"
                     if iso.level < dose.min() else f"not reached (max {pct_max:.1f} %)")
            handles.append(Line2D([], [], color=colour, lw=1.6, ls=":", label=f"{name} isodose: {state}"))
            continue
        for line in iso.lines:
            ax.plot(line[:, 0], line[:, 1], color=colour, lw=1.6, path_effects=LINE_STROKE, zorder=4)
        handles.append(Line2D([], [], color=colour, lw=1.6, path_effects=LINE_STROKE, label=f"{name} isodose"))
        labels.append((ax.text(0, 0, name, ha="center", va="center", zorder=5, **TAG), _candidates(iso.lines)))
    handles += _draw_source(ax, source, plane, view) + materials
    _finish(fig, ax, plane, view, handles, labels)
    return fig


def _candidates(lines) -> list:
    """Label positions along a level's lines (cm), longest line first: LABEL_CANDIDATES points each, spread by
    arc length from the line's middle (golden-ratio steps)."""
    out = []
    for line in sorted(lines, key=len, reverse=True):
        s = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(line, axis=0).T))])
        if s[-1] == 0:
            continue
        t = s[-1] * ((0.5 + np.arange(LABEL_CANDIDATES) * 0.618034) % 1.0)   # golden-ratio spread
        out += list(zip(np.interp(t, s, line[:, 0]), np.interp(t, s, line[:, 1])))
    return out


def _draw_source(ax, source, plane, view) -> list:
    """The source in the plane: a beam as arrows at its field edges and axis above the surface (or its field
    outline in a transverse plane), a point source as a marker; returns legend handles (none if not drawn)."""
    if source is None:
        return []
    from .analysis.run_info import source_words
    words = source_words(source)
    kind = source.get("type", "beam")
    i, j = plane.axes
    if kind in POINT_TYPES:
        p = source["position"] if kind == "point" else source["tip"]
        off = abs(p[plane.cut_axis] - plane.cut_cm)
        where = f", projected from {'xyz'[plane.cut_axis]} = {p[plane.cut_axis]:g} cm" if off > 1e-9 else ""
        return ax.plot(p[i], p[j], "*", ms=13, color=SOURCE, mec="k", mew=0.6, label=f"source: {words}{where}")
    if kind not in BEAM_TYPES:
        return []
    if j != 2:
        return _field_outline(ax, source, plane, words)
    top, surface = view[1][0], _edges(plane.v_cm)[0]
    for (u0, z0), (du, dz) in _beam_rays(source, plane):
        start, end = (top - z0) / dz, (surface - z0) / dz
        if end > start:
            ax.annotate("", xy=(u0 + end * du, surface), xytext=(u0 + start * du, top),
                        arrowprops={"arrowstyle": "-|>", "color": SOURCE, "lw": 1.4, "shrinkA": 0, "shrinkB": 0})
    return [Line2D([], [], color=SOURCE, lw=1.4, marker=">", label=f"beam: {words}")]


def _beam_rays(source, plane) -> list:
    """[((u, z) on the ray, (du, dz) its direction)] of a beam's axis and field edges in the plane (cm)."""
    i = plane.axes[0]
    if source.get("type") == "ioert":
        from .sources import ioert
        a = ioert.arrays(source)
        w, d = a["geometry"][:3], a["direction"]
        half = 0.5 * float(source["applicator"])
        n = np.array([d[2], -d[i]]) / np.hypot(d[2], d[i])           # in-plane normal to the axis
        return [((w[i] + s * half * n[0], w[2] + s * half * n[1]), (d[i], d[2])) for s in (-1, 0, 1)]
    half = source["radius"] if source.get("shape", "circle") == "circle" else 0.5 * source["size"][min(i, 1)]
    z0, f = source.get("z", 0.0), source.get("focus_distance")
    return [((s * half, z0), (s * half / f, 1.0) if f else (0.0, 1.0)) for s in (-1, 0, 1)]


def _field_outline(ax, source, plane, words) -> list:
    """The beam's field edge at the plane's depth (a plane across the beam; diverging from its focus)."""
    if source.get("type") != "beam":
        return []
    f = source.get("focus_distance")
    grow = (plane.cut_cm - source.get("z", 0.0) + f) / f if f else 1.0
    style = {"fill": False, "edgecolor": SOURCE, "lw": 1.4, "ls": "--", "label": f"beam field edge: {words}"}
    if source.get("shape", "circle") == "circle":
        patch = Circle((0, 0), grow * source["radius"], **style)
    else:
        sx, sy = (grow * s for s in source["size"])
        patch = Rectangle((-sx / 2, -sy / 2), sx, sy, **style)
    return [ax.add_patch(patch)]


def uncertainty_map_figure(plane, title=None, levels=(1, 2, 5, 10), floor_pct=1.0):
    """Relative 1-sigma uncertainty (%) of the dose in a plane (mcdose.analysis.isodose.DosePlane), masked where
    the dose is below floor_pct % of the plane's maximum, with labelled contours at `levels` (%)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = 100 * plane.sigma / plane.dose
    rel = np.ma.masked_where(~(plane.dose >= 0.01 * floor_pct * plane.dose.max()) | ~np.isfinite(rel), rel)
    fig, ax = _axes(plane, title or "Relative dose uncertainty",
                    f"{plane.description}; 1 standard deviation, shown where the dose is at least {floor_pct:g} % "
                    "of the plane's maximum")
    top = float(min(rel.max(), 4 * max(levels))) if rel.count() else 1.0
    mesh = ax.pcolormesh(_edges(plane.u_cm), _edges(plane.v_cm), rel, cmap="viridis", vmin=0, vmax=top,
                         shading="flat", rasterized=True)
    fig.colorbar(mesh, ax=ax, shrink=0.9, label="relative 1σ (%)", extend="max" if rel.max() > top else "neither")
    labels = []
    gen = contour_generator(x=plane.u_cm, y=plane.v_cm, z=rel, line_type=LineType.Separate)
    for level in sorted(levels):
        segs = gen.lines(level)
        for line in segs:
            ax.plot(line[:, 0], line[:, 1], color="w", lw=0.9)
        if segs:
            labels.append((ax.text(0, 0, f"{level:g} %", ha="center", va="center", **TAG), _candidates(segs)))
    _finish(fig, ax, plane, _view(plane, None), labels=labels)
    return fig
