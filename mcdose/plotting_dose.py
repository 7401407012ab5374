"""Dose figures (matplotlib, Agg): depth doses, profiles (1-sigma bands, metric annotations, measured
overlays and gamma) and isodose lines over the geometry. Each ``*_figure`` returns a Figure; write it with
:func:`save_figure` or embed it with :func:`figure_png`.
"""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backend_bases import FigureCanvasBase  # noqa: E402

from .errors import InputError  # noqa: E402
from .outputs import atomic_write  # noqa: E402

COMPUTED = "#1f77b4"
MEASURED = ("#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
ISODOSE_CMAP = "turbo"


def image_suffixes() -> tuple:
    """The figure file suffixes matplotlib writes (.png, .pdf, .svg, .eps, .jpg, .tif, .webp, ...)."""
    return tuple(f".{ext}" for ext in FigureCanvasBase.get_supported_filetypes())


def save_figure(fig, path, dpi: int = 120) -> Path:
    """Write a figure atomically, in the format its suffix names (see :func:`image_suffixes`), and close it."""
    path = Path(path)
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix[1:].lower(), dpi=dpi))
    finally:
        plt.close(fig)


def figure_png(fig) -> bytes:
    """PNG bytes of a figure (closed afterwards)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def curve_figure(x, dose, sigma, norm, *, xlabel, title, measured=(), gamma=None, markers=(), text=""):
    """Computed curve in % of `norm` with its 1-sigma band, measured curves (already in % of their own
    normalisation), vertical metric markers [(position cm, label)], a text box and an optional gamma panel
    [(position cm, gamma, label)]."""
    rows = 2 if gamma else 1
    fig, axs = plt.subplots(rows, 1, figsize=(8, 6.2 if rows == 2 else 5), sharex=True, squeeze=False,
                            gridspec_kw={"height_ratios": [3, 1][:rows]}, constrained_layout=True)
    ax = axs[0, 0]
    y, s = 100 * dose / norm, 100 * sigma / norm
    ax.fill_between(x, y - s, y + s, color=COMPUTED, alpha=0.3, linewidth=0, label="computed 1σ")
    ax.plot(x, y, color=COMPUTED, lw=1.5, label="computed (mcdose)")
    for (label, mx, my), colour in zip(measured, MEASURED * 4):
        ax.plot(mx, my, "o", ms=3, color=colour, label=f"measured: {label}")
    for pos, label in markers:
        ax.axvline(pos, color="0.4", ls=":", lw=1)
        ax.annotate(label, (pos, 102), rotation=90, va="bottom", ha="right", fontsize=8, color="0.25",
                    xycoords=("data", "data"))
    if text:
        ax.text(0.985, 0.97, text, transform=ax.transAxes, ha="right", va="top", fontsize=8, family="monospace",
                multialignment="left",
                bbox=dict(boxstyle="round", fc="white", ec="0.7", alpha=0.9))
    ax.set_ylabel("relative dose (%)")
    ax.set_ylim(0, 125)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title(title)
    if gamma:
        gx = axs[1, 0]
        for (gpos, gval, label), colour in zip(gamma, MEASURED * 4):
            gx.plot(gpos, gval, ".", ms=4, color=colour, label=label)
        gx.axhline(1.0, color="k", lw=0.8, ls="--")
        gx.set_ylabel("gamma")
        gx.set_ylim(0, max(2.0, min(5.0, np.nanmax([np.nanmax(g[1]) for g in gamma] + [0]) * 1.1)))
        gx.grid(alpha=0.3)
        gx.legend(loc="upper left", fontsize=8)
    axs[-1, 0].set_xlabel(xlabel)
    return fig


def pdd_figure(curve, measured=(), gamma=None, title="Depth dose"):
    """Depth dose in % of the fitted Dmax, annotated with dmax, R90, R50, Rp and a metrics table."""
    try:
        m = curve.metrics()
    except InputError:
        m = None
    if m is None:
        return curve_figure(curve.position_cm, curve.dose, curve.sigma, curve.dose.max(), xlabel="depth z (cm)",
                            title=title, measured=measured, gamma=gamma, text="metrics: no fall-off below 50 %")
    rows = [("dmax", m.dmax_cm), ("R90", m.r90_cm), ("R80", m.r80_cm), ("R50", m.r50_cm), ("Rp", m.rp_cm)]
    text = "\n".join(f"{n:<5}{e.value:7.3f} ± {e.sigma:.3f} cm" for n, e in rows)
    text += f"\nDs   {100 * m.ds.value:7.1f} ± {100 * m.ds.sigma:.1f} %\nDx   {100 * m.dx.value:7.2f} ± " \
            f"{100 * m.dx.sigma:.2f} %"
    markers = [(e.value, f"{n} {e.value:.2f} cm") for n, e in rows if n in ("dmax", "R90", "R50", "Rp")]
    return curve_figure(curve.position_cm, curve.dose, curve.sigma, m.d_max.value, xlabel="depth z (cm)",
                        title=title, measured=measured, gamma=gamma, markers=markers, text=text)


def profile_figure(profile, measured=(), gamma=None, title=None):
    """Profile in % of the central-axis dose, annotated with the 50 % edges, field size and penumbrae."""
    norm = float(np.interp(0.0, profile.position_cm, profile.dose))
    title = title or f"Profile along {profile.axis} at depth {profile.depth_cm:g} cm"
    try:
        m = profile.metrics()
    except InputError as exc:
        return curve_figure(profile.position_cm, profile.dose, profile.sigma, norm, xlabel=f"{profile.axis} (cm)",
                            title=title, measured=measured, gamma=gamma, text=f"metrics: {exc}")
    text = (f"field size (50%) {m.field_size_cm:6.3f} cm\npenumbra 80-20  L {m.penumbra_80_20_left_cm:.3f}"
            f"  R {m.penumbra_80_20_right_cm:.3f} cm\nflatness {m.flatness_pct:.2f} %  symmetry {m.symmetry_pct:.2f} %")
    markers = [(m.left_50_cm, "50 %"), (m.right_50_cm, "50 %")]
    return curve_figure(profile.position_cm, profile.dose, profile.sigma, norm, xlabel=f"{profile.axis} (cm)",
                        title=title, measured=measured, gamma=gamma, markers=markers, text=text)


def isodose_figure(plane, isodoses, factor, geometry=None, title=None):
    """Dose map (dose x factor, unit of the isodoses) with isodose lines; material boundaries of `geometry`
    (a mcdose.geometry.Geometry) in the same plane drawn in black when given."""
    unit = isodoses[0].unit if isodoses else "%"
    fig, ax = plt.subplots(figsize=(7.5, 6.5), layout="constrained")
    u, v = plane.u_cm, plane.v_cm
    du, dv = 0.5 * (u[1] - u[0]), 0.5 * (v[1] - v[0])
    extent = (u[0] - du, u[-1] + du, v[0] - dv, v[-1] + dv)
    im = ax.imshow(plane.dose * factor, origin="lower", extent=extent, aspect="equal", cmap="Greys", alpha=0.35,
                   interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label=f"dose ({'% of Dmax' if unit == '%' else 'Gy'})")
    if geometry is not None:
        _material_outline(ax, geometry, plane, extent)
    colours = plt.get_cmap(ISODOSE_CMAP)(np.linspace(0.95, 0.1, max(len(isodoses), 1)))
    for iso, colour in zip(isodoses, colours):
        for k, line in enumerate(iso.lines):
            ax.plot(line[:, 0], line[:, 1], color=colour, lw=1.6, label=f"{iso.level:g} {unit}" if k == 0 else None)
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    if plane.axes[1] == 2:
        ax.invert_yaxis()  # depth increases downwards
    ax.set_xlabel(f"{'xyz'[plane.axes[0]]} (cm)")
    ax.set_ylabel(f"{'xyz'[plane.axes[1]]} (cm)")
    fig.legend(title="isodose", loc="outside lower center", ncol=7, fontsize=8, frameon=False)
    ax.set_title(title or f"Isodoses, {plane.description}")
    return fig


def _material_outline(ax, geometry, plane, extent):
    """Boundaries between materials (the geometry-slice sampler of mcdose.plotting) as black pixels."""
    from .plotting import N_PIXELS, material_colours, material_slice
    names, _ = material_colours(geometry)
    a = np.linspace(extent[0], extent[1], N_PIXELS)
    b = np.linspace(extent[2], extent[3], N_PIXELS)
    code = material_slice(geometry.compile(), plane.axes, plane.cut_axis, plane.cut_cm, a, b, len(names))
    edge = np.zeros(code.shape, bool)
    edge[1:, :] |= code[1:, :] != code[:-1, :]
    edge[:, 1:] |= code[:, 1:] != code[:, :-1]
    ax.imshow(np.ma.masked_where(~edge, edge), origin="lower", extent=(a[0], a[-1], b[0], b[-1]), cmap="binary",
              vmin=0, vmax=1, aspect="equal", interpolation="nearest")
    ax.plot([], [], color="k", lw=1, label="material boundary")
