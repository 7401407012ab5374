"""Figures (matplotlib, Agg backend): orthogonal slices through the geometry.

``plot_geometry(spec, out_path)`` draws three slices (x-z at y = c, y-z at x = c,
x-y at z = c, with c the phantom's point of interest), filled with the material found
at each sample point by the navigation kernel itself (square samples, at most
SAMPLE_CM apart), the boundaries between materials and between parts drawn as vector
contour paths (within half a sample of the true boundary), a legend of the materials
seen, axes in cm and the outline of the scoring mesh. A phantom made from a CT (``ct``) gets a
first row of the same three slices of the CT itself (HU as read, grey scale HU_WINDOW, the CT
voxel containing the cut) above the row of its materials. :func:`draw_materials` draws
the same in any plane (the dose maps of :mod:`mcdose.plotting_map`).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Circle, Patch, Rectangle

from .geometry.model import OUTSIDE_CODE, codes_of, locate
from .plotting_dose import save_figure

__all__ = ["material_colours", "material_slice", "plot_geometry", "plot_geometry_slices"]

COLOURS = {
    "vacuum": "#ffffff", "air": "#d3dee6", "water": "#8ec7ea", "solid_water": "#7fb8d9", "breast": "#f4b6c2",
    "soft_tissue": "#e89a8f", "soft_tissue_icru4": "#e8a59b", "skeletal_muscle": "#c8645a", "adipose": "#f7e08b",
    "lung": "#f9d5d3", "cortical_bone": "#e9e2c8", "pmma": "#c9b3e6", "polystyrene": "#b8d8b0",
    "polyetherimide": "#d9a441", "ptfe": "#dedede", "aluminium": "#a9b4bd", "copper": "#c8742d",
    "lead": "#4b4f57", "tungsten": "#2f3640", "gold": "#d4af37", "beryllium": "#9fbf9f", "stainless_steel": "#7d8a96",
}
OUTSIDE_COLOUR = "#9a9a9a"
N_PIXELS = 720        # samples along the longer side of a slice
SAMPLE_CM = 0.05      # at most this far apart (a 2.5 mm layer gets >= 5 samples), up to MAX_SAMPLES in all
MAX_SAMPLES = 1_500_000
BOUNDARY = {"colors": "k", "linewidths": 0.6}
HU_WINDOW = (-1000.0, 1000.0)   # grey scale of the CT row: black at or below, white at or above (HU)


def _codes(arrays, cell, voxel, n_names) -> np.ndarray:
    """Material code of each located (cell, voxel): 0 vacuum, 1 + material index, n_names beyond the world."""
    code = codes_of(arrays, cell, voxel)
    return np.where(code == OUTSIDE_CODE, n_names, code + 1)


def material_colour(name: str, index: int = 0):
    """The colour of a material (COLOURS, else the tab20 colour of its index)."""
    return COLOURS.get(name, plt.cm.tab20(index % 20))


def material_colours(geometry) -> tuple:
    """(names, colours): "vacuum" then the geometry's materials, and one colour each plus grey (outside)."""
    names = ["vacuum"] + list(geometry.materials)
    return names, [material_colour(n, i) for i, n in enumerate(names)] + [OUTSIDE_COLOUR]


def material_slice(arrays, axes, cut_axis, cut, a, b, n_names) -> np.ndarray:
    """Material code image (len(b), len(a)) of the plane spanned by axes (i, j) at cut_axis = cut (cm), sampled
    at a (axis i) x b (axis j): 0 vacuum, 1 + material index, n_names beyond the world."""
    cell, voxel = locate(arrays, _plane_points(axes, cut_axis, cut, a, b))
    return _codes(arrays, cell, voxel, n_names).reshape(len(b), len(a))


def sample_axes(view_u, view_v) -> tuple:
    """Sample centres (a, b) over the ranges view_u, view_v (cm): square samples, N_PIXELS along the longer
    side or SAMPLE_CM apart, whichever is finer, at most MAX_SAMPLES in all."""
    wu, wv = view_u[1] - view_u[0], view_v[1] - view_v[0]
    h = max(min(max(wu, wv) / N_PIXELS, SAMPLE_CM), np.sqrt(wu * wv / MAX_SAMPLES))
    nu, nv = max(int(np.ceil(wu / h)), 2), max(int(np.ceil(wv / h)), 2)
    return (view_u[0] + (np.arange(nu) + 0.5) * wu / nu, view_v[0] + (np.arange(nv) + 0.5) * wv / nv)


def draw_materials(ax, geometry, axes, cut_axis, cut, view_u, view_v, arrays=None, alpha=1.0,
                   boundary_zorder=2) -> list:
    """Fill the plane spanned by axes (i, j) at cut_axis = cut (cm) over view_u x view_v (cm) with the material
    colours (opacity alpha), draw the boundaries between materials and between parts as vector contour paths
    (black), and return legend handles (Patch) of the materials seen (and of "outside the world" when seen)."""
    arrays = geometry.compile() if arrays is None else arrays
    names, colours = material_colours(geometry)
    a, b = sample_axes(view_u, view_v)
    cell, voxel = locate(arrays, _plane_points(axes, cut_axis, cut, a, b))
    code = _codes(arrays, cell, voxel, len(names)).reshape(len(b), len(a))
    ax.imshow(code, origin="lower", extent=(view_u[0], view_u[1], view_v[0], view_v[1]),
              cmap=ListedColormap(colours), vmin=-0.5, vmax=len(colours) - 0.5, interpolation="nearest",
              aspect="equal", alpha=alpha)
    owner = np.array([c.part for c in geometry.cells] + [-1, -1])        # the world, and -1: beyond it
    part = owner[cell].reshape(code.shape)
    region = code * (len(geometry.cells) + 2) + part + 1
    ids = np.unique(region)
    if ids.size > 1:
        for r in ids:
            ax.contour(a, b, (region == r).astype(float), levels=[0.5], zorder=boundary_zorder, **BOUNDARY)
    seen = np.unique(code)
    labels = names + ["outside the world"]
    return [Patch(facecolor=colours[n], edgecolor="k", linewidth=0.6, alpha=alpha, label=labels[n]) for n in seen]


def _plane_points(axes, cut_axis, cut, a, b) -> np.ndarray:
    A, B = np.meshgrid(a, b)
    pts = np.empty((A.size, 3))
    pts[:, axes[0]], pts[:, axes[1]], pts[:, cut_axis] = A.ravel(), B.ravel(), cut
    return pts


def _mesh_extent(scoring) -> np.ndarray | None:
    if scoring is None:
        return None
    if scoring["mesh"] == "cartesian":
        return np.array([[e[0], e[-1]] for e in (scoring["x_edges"], scoring["y_edges"], scoring["z_edges"])])
    r = scoring["r_edges"][-1]
    if scoring["mesh"] == "cylindrical":
        return np.array([[-r, r], [-r, r], [scoring["z_edges"][0], scoring["z_edges"][-1]]])
    c = np.asarray(scoring.get("center", (0.0, 0.0, 0.0)))
    return np.stack([c - r, c + r], axis=1)


def _draw_mesh(ax, scoring, extent, axes, cut_axis, cut):
    """Outline of the scoring mesh in a slice (axes: the two plotted axes; cut at cut_axis = cut)."""
    style = dict(fill=False, edgecolor="#d62728", linewidth=1.4, linestyle="--")
    if scoring["mesh"] == "spherical" or (scoring["mesh"] == "cylindrical" and axes == (0, 1)):
        c = np.asarray(scoring.get("center", (0.0, 0.0, 0.0)))
        r = scoring["r_edges"][-1]
        if scoring["mesh"] == "spherical":
            r = np.sqrt(max(r * r - (cut - c[cut_axis]) ** 2, 0.0))
        if r > 0:
            ax.add_patch(Circle((c[axes[0]], c[axes[1]]), r, **style))
        return
    if extent[cut_axis, 0] <= cut <= extent[cut_axis, 1]:
        (x0, x1), (y0, y1) = extent[axes[0]], extent[axes[1]]
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, **style))


def draw_ct(ax, image, axes, cut_axis, cut):
    """The CT ``image`` (mcdose.ct_series.CTImage) in the plane spanned by axes (i, j), i < j, through the voxel
    containing cut_axis = cut (cm), in grey (HU_WINDOW); returns the image artist."""
    edges = image.edges
    e = edges[cut_axis]
    k = int(np.clip(np.searchsorted(e, cut, side="right") - 1, 0, e.size - 2))
    plane = np.take(image.hu, k, axis=cut_axis)
    i, j = axes
    return ax.imshow(plane.T, origin="lower", extent=(edges[i][0], edges[i][-1], edges[j][0], edges[j][-1]),
                     cmap="gray", vmin=HU_WINDOW[0], vmax=HU_WINDOW[1], interpolation="nearest", aspect="equal")


def plot_geometry_slices(geometry, out_path, scoring=None, title: str | None = None) -> Path:
    """Write a PNG of three orthogonal slices through ``geometry`` (a mcdose.geometry.Geometry)."""
    arrays = geometry.compile()
    ref = geometry.envelope if geometry.envelope is not None else geometry.world
    view = ref.copy()
    if geometry.parts:                         # parts may lie outside the phantom
        boxes = np.array(geometry.boxes)
        view = np.stack([np.minimum(view[:, 0], boxes[:, :, 0].min(axis=0)),
                         np.maximum(view[:, 1], boxes[:, :, 1].max(axis=0))], axis=1)
    mesh = _mesh_extent(scoring)
    if mesh is not None:
        view = np.stack([np.minimum(view[:, 0], mesh[:, 0]), np.maximum(view[:, 1], mesh[:, 1])], axis=1)
    pad = 0.06 * (view[:, 1] - view[:, 0]).max()
    view = np.stack([np.maximum(view[:, 0] - pad, geometry.world[:, 0]),
                     np.minimum(view[:, 1] + pad, geometry.world[:, 1])], axis=1)
    c = geometry.center
    panels = [((0, 2), 1, "x-z"), ((1, 2), 0, "y-z"), ((0, 1), 2, "x-y")]
    image = geometry.image
    rows = 1 if image is None else 2
    fig, axs = plt.subplots(rows, 3, figsize=(15, 5.4 * rows), constrained_layout=True, squeeze=False)
    handles = {}
    for col, ((i, j), k, label) in enumerate(panels):
        for row, ax in enumerate(axs[:, col]):
            ct_row = image is not None and row == 0
            if ct_row:
                shown = draw_ct(ax, image, (i, j), k, c[k])
            else:
                for h in draw_materials(ax, geometry, (i, j), k, c[k], view[i], view[j], arrays):
                    handles.setdefault(h.get_label(), h)
            ax.set_xlim(view[i])
            ax.set_ylim(view[j])
            if (i, j) != (0, 1):
                ax.invert_yaxis()                  # depth z increases downwards
            if scoring is not None:
                _draw_mesh(ax, scoring, mesh, (i, j), k, c[k])
            ax.set_xlabel(f"{'xyz'[i]} (cm)")
            ax.set_ylabel(f"{'xyz'[j]} (cm)")
            ax.set_title(f"{'CT (HU), ' if ct_row else ''}{label} slice at {'xyz'[k]} = {c[k]:g} cm")
    if image is not None:
        fig.colorbar(shown, ax=list(axs[0]), label="HU", shrink=0.8)
    handles = list(handles.values())
    if scoring is not None:
        handles.append(Patch(fill=False, edgecolor="#d62728", linestyle="--",
                             label=f"scoring mesh ({scoring['mesh']})"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 7), frameon=False)
    fig.suptitle(title or geometry.name)
    return save_figure(fig, out_path)


def plot_geometry(spec, out_path) -> Path:
    """``mcdose plot CONFIG.toml --kind geometry -o FIG.png``: slices of a Spec's scene (phantom and parts)
    and its scoring mesh."""
    from .phantoms import from_spec
    geometry = from_spec(spec)
    return plot_geometry_slices(geometry, out_path, scoring=spec.scoring,
                                title=f"{geometry.name} (world: {geometry.world_material})")
