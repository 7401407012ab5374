"""Figures (matplotlib, Agg backend): orthogonal slices through the geometry.

``plot_geometry(spec, out_path)`` draws three slices (x-z at y = c, y-z at x = c,
x-y at z = c, with c the phantom's point of interest), each pixel coloured by the
material found there by the navigation kernel itself, with a legend, axes in cm,
the outline of the scoring mesh and, in a scene, the outlines of the placed parts.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Circle, Patch, Rectangle  # noqa: E402

from .kernels import geometry as kg  # noqa: E402
from .plotting_dose import save_figure  # noqa: E402

__all__ = ["plot_geometry", "plot_geometry_slices", "material_slice", "material_colours"]

COLOURS = {
    "vacuum": "#ffffff", "air": "#eef3f7", "water": "#8ec7ea", "solid_water": "#7fb8d9", "breast": "#f4b6c2",
    "soft_tissue": "#e89a8f", "soft_tissue_icru4": "#e8a59b", "skeletal_muscle": "#c8645a", "adipose": "#f7e08b",
    "lung": "#f9d5d3", "cortical_bone": "#e9e2c8", "pmma": "#c9b3e6", "polystyrene": "#b8d8b0",
    "polyetherimide": "#d9a441", "ptfe": "#dedede", "aluminium": "#a9b4bd", "copper": "#c8742d",
    "lead": "#4b4f57", "tungsten": "#2f3640", "gold": "#d4af37", "beryllium": "#9fbf9f", "stainless_steel": "#7d8a96",
}
OUTSIDE = -3          # pixel code: outside the world
N_PIXELS = 360        # per slice side


def _cells(arrays, points) -> tuple:
    """(cell, voxel) at each point (cell -1 beyond the world, voxel -1 outside the lattice)."""
    n = len(points)
    count, cell, voxel = np.zeros(n, np.int32), np.zeros(n, np.int32), np.zeros(n, np.int32)
    kg.classify_points(arrays, np.ascontiguousarray(points), count, cell, voxel)
    return cell, voxel


def _media(arrays, points) -> np.ndarray:
    """Material index at each point (-1 vacuum, OUTSIDE beyond the world)."""
    cell, voxel = _cells(arrays, points)
    out = np.full(len(points), OUTSIDE, np.int32)
    ok = cell >= 0
    out[ok] = arrays.cell_material[cell[ok]]
    vox = voxel >= 0
    out[vox] = arrays.lat_material[voxel[vox]]
    return out


def material_colours(geometry) -> tuple:
    """(names, colours): "vacuum" then the geometry's materials, and one colour each plus white (outside)."""
    names = ["vacuum"] + list(geometry.materials)
    return names, [COLOURS.get(n, plt.cm.tab20(i % 20)) for i, n in enumerate(names)] + ["#ffffff"]


def material_slice(arrays, axes, cut_axis, cut, a, b, n_names) -> np.ndarray:
    """Material code image (len(b), len(a)) of the plane spanned by axes (i, j) at cut_axis = cut (cm), sampled
    at a (axis i) x b (axis j): 0 vacuum, 1 + material index, n_names beyond the world."""
    med = _media(arrays, _plane_points(axes, cut_axis, cut, a, b)).reshape(len(b), len(a))
    return np.where(med == OUTSIDE, n_names, med + 1)


def _plane_points(axes, cut_axis, cut, a, b) -> np.ndarray:
    A, B = np.meshgrid(a, b)
    pts = np.empty((A.size, 3))
    pts[:, axes[0]], pts[:, axes[1]], pts[:, cut_axis] = A.ravel(), B.ravel(), cut
    return pts


def _part_edges(geometry, arrays, axes, cut_axis, cut, a, b) -> np.ndarray:
    """RGBA overlay (len(b), len(a), 4): black where neighbouring pixels belong to different parts
    (or to a part and the phantom or world)."""
    owner = np.array([c.part for c in geometry.cells] + [-1, -1])        # the world, and -1: beyond it
    part = owner[_cells(arrays, _plane_points(axes, cut_axis, cut, a, b))[0]].reshape(len(b), len(a))
    edge = np.zeros(part.shape, bool)
    edge[1:] |= part[1:] != part[:-1]
    edge[:, 1:] |= part[:, 1:] != part[:, :-1]
    rgba = np.zeros(part.shape + (4,))
    rgba[edge, 3] = 1.0
    return rgba


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
    names, colours = material_colours(geometry)
    cmap = ListedColormap(colours)
    panels = [((0, 2), 1, "x-z"), ((1, 2), 0, "y-z"), ((0, 1), 2, "x-y")]
    fig, axs = plt.subplots(1, 3, figsize=(15, 5.4), constrained_layout=True)
    seen = set()
    for ax, ((i, j), k, label) in zip(axs, panels):
        a = np.linspace(view[i, 0], view[i, 1], N_PIXELS)
        b = np.linspace(view[j, 0], view[j, 1], N_PIXELS)
        code = material_slice(arrays, (i, j), k, c[k], a, b, len(names))
        seen.update(np.unique(code).tolist())
        ax.imshow(code, origin="lower", extent=(a[0], a[-1], b[0], b[-1]), cmap=cmap, vmin=-0.5,
                  vmax=len(colours) - 0.5, interpolation="nearest", aspect="equal")
        if geometry.parts:
            ax.imshow(_part_edges(geometry, arrays, (i, j), k, c[k], a, b), origin="lower",
                      extent=(a[0], a[-1], b[0], b[-1]), interpolation="nearest", aspect="equal")
        if (i, j) != (0, 1):
            ax.invert_yaxis()                  # depth z increases downwards
        if scoring is not None:
            _draw_mesh(ax, scoring, mesh, (i, j), k, c[k])
        ax.set_xlabel(f"{'xyz'[i]} (cm)")
        ax.set_ylabel(f"{'xyz'[j]} (cm)")
        ax.set_title(f"{label} slice at {'xyz'[k]} = {c[k]:g} cm")
    handles = [Patch(facecolor=colours[n], edgecolor="k", label=names[n]) for n in sorted(seen) if n < len(names)]
    if scoring is not None:
        handles.append(Patch(fill=False, edgecolor="#d62728", linestyle="--", label=f"scoring mesh ({scoring['mesh']})"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 7), frameon=False)
    fig.suptitle(title or geometry.name)
    return save_figure(fig, out_path, dpi=110)


def plot_geometry(spec, out_path) -> Path:
    """``mcdose plot CONFIG.toml --kind geometry -o FIG.png``: slices of a Spec's scene (phantom and parts)
    and its scoring mesh."""
    from .phantoms import from_spec
    geometry = from_spec(spec)
    return plot_geometry_slices(geometry, out_path, scoring=spec.scoring,
                                title=f"{geometry.name} (world: {geometry.world_material})")
