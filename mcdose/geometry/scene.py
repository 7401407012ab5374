"""Scenes: a phantom plus placed parts (solids with a material), resolved by the painter's rule.

Each part replaces whatever lies under it, in order (the phantom first). The rule is
resolved at build time, so the kernels still see disjoint cells: a cell C under a part
P = h1 ∩ ... ∩ hn becomes the pieces C ∩ ¬h1, C ∩ h1 ∩ ¬h2, ..., C ∩ h1 ∩ ... ∩ h(n-1) ∩ ¬hn
(¬(-S) = +S), and pieces that are empty by their bounding box, by a contradiction
(+S and -S) or by a convex half-space holding the box are dropped. The cells stay disjoint by
construction (the phantom's were checked), so the scene skips the sampled overlap check. Units: cm, g/cm3.

Solids, in the part's frame (origin at ``center``, local z along ``axis``; local x, y from
the smallest rotation taking +z to the axis): ``box`` (size [x, y, z] centred on the
origin), ``cylinder`` (radius, z = [z0, z1]), ``tube`` (inner_radius, outer_radius, z),
``sphere`` (radius), ``shell`` (inner_radius, outer_radius), ``cone`` (radii =
[r0, r1] at z0, z1: a truncated cone, one radius may be 0); each optionally cut by
``clip`` planes keeping (x - point) . normal <= 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .bounds import cell_box
from .checks import REL_TOL, _span
from .model import VACUUM, Cell, Geometry
from .surfaces import Halfspace, Surface, _unit, cylinder, plane, sphere

__all__ = ["SHAPES", "Part", "add_parts", "frame", "parts_from_tables", "solid"]

SHAPES = ("box", "cylinder", "tube", "sphere", "shell", "cone")

# A random-hinge step longer than a layer crosses it undeflected with probability 1 - thickness / step
# (mcdose.kernels.electron_transport), so a part's steps are kept below this fraction of its thinnest
# extent: PENELOPE's rule for DSMAX, "10 or so" hinges in a thin body (NEA Data Bank abstract NEA-1525).
MAX_STEP_FRACTION = 0.1


@dataclass(frozen=True)
class Part:
    """A placed solid: ``region`` (half-spaces, world frame) of ``material`` ("vacuum": no matter) at
    ``density`` g/cm3; ``max_step``: the longest charged-particle step inside it, cm (None:
    MAX_STEP_FRACTION of its smallest bounding-box extent)."""

    name: str
    region: tuple
    material: str
    density: float | None = None
    max_step: float | None = None


def frame(axis) -> np.ndarray:
    """Rows ex, ey, ez: the smallest rotation taking +z to the unit ``axis`` (about x for -z)."""
    a = np.asarray(axis, dtype=float)
    if a[2] <= -1.0:
        return np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])
    k = 1.0 / (1.0 + a[2])
    return np.array([[1.0 - a[0] * a[0] * k, -a[0] * a[1] * k, -a[0]],
                     [-a[0] * a[1] * k, 1.0 - a[1] * a[1] * k, -a[1]], a])


def solid(shape: str, center=(0.0, 0.0, 0.0), axis=(0.0, 0.0, 1.0), clip=(), *, radius=None, inner_radius=None,
          outer_radius=None, size=None, radii=None, z=None) -> tuple:
    """The half-spaces (world frame, cm) of a solid (see the module docstring); dimensions are assumed valid."""
    c = np.asarray(center, dtype=float)
    a = np.asarray(_unit(axis, "axis"))                  # as every surface below stores it

    def slab(n, lo, hi):                                 # lo <= n.(x - c) <= hi
        return (+plane(n, float(n @ c) + lo), -plane(n, float(n @ c) + hi))

    if shape in ("sphere", "shell"):
        region = (-sphere(c, outer_radius if shape == "shell" else radius),)
        region = (+sphere(c, inner_radius),) + region if shape == "shell" else region
    elif shape == "box":
        region = sum((slab(n, -h / 2, h / 2) for n, h in zip(frame(a), size)), ())
    elif shape == "cone" and radii[0] != radii[1]:
        (r0, r1), (z0, z1) = radii, z
        apex = c + (z0 - r0 * (z1 - z0) / (r1 - r0)) * a
        cone = Surface("cone", tuple(float(q) for q in apex) + tuple(float(q) for q in a)
                       + (((r1 - r0) / (z1 - z0)) ** 2,))
        region = (-cone,) + slab(a, z0, z1)
    else:                                                # cylinder, tube, cone of equal radii
        outer = radii[0] if shape == "cone" else outer_radius if shape == "tube" else radius
        region = (-cylinder(outer, a, c),) + slab(a, *z)
        region = (+cylinder(inner_radius, a, c),) + region if shape == "tube" else region
    for cut in clip:
        n = np.asarray(cut["normal"], dtype=float)
        region += (-plane(n, float(n @ np.asarray(cut["point"], dtype=float))),)
    return region


def parts_from_tables(tables, material) -> list:
    """Parts from validated [[parts]] tables; ``material``: name -> Material (for default densities)."""
    out = []
    for i, t in enumerate(tables):
        dims = {k: t[k] for k in ("radius", "inner_radius", "outer_radius", "size", "radii", "z") if k in t}
        region = solid(t["shape"], t.get("center", (0.0, 0.0, 0.0)), t.get("axis", (0.0, 0.0, 1.0)),
                       t.get("clip", ()), **dims)
        density = None if t["material"] == VACUUM else t.get("density") or material(t["material"]).density
        out.append(Part(t.get("name", f"parts[{i}]"), region, t["material"], density, t.get("max_step")))
    return out


# --- the painter's rule -----------------------------------------------------------------------------

def _empty(box) -> bool:
    return bool(np.any(box[:, 1] - box[:, 0] <= REL_TOL * (1.0 + np.abs(box).max(axis=1))))


def _corners(box) -> np.ndarray:
    return np.array([[box[0, i], box[1, j], box[2, k]] for i in (0, 1) for j in (0, 1) for k in (0, 1)])


def _holds(hs: Halfspace, box) -> bool:
    """True if the half-space certainly holds the whole (finite) box: a plane, or the inside of a
    sphere or cylinder (convex: holding the corners is enough)."""
    s, p = hs.surface, np.asarray(hs.surface.params)
    x = _corners(box)
    if s.kind == "plane":
        f = x @ p[:3] - p[3]
    elif s.kind == "cone" or hs.sense > 0:
        return False
    elif s.kind == "sphere":
        f = np.linalg.norm(x - p[:3], axis=1) - p[3]
    else:
        d = x - p[:3]
        f = np.linalg.norm(d - np.outer(d @ p[3:6], p[3:6]), axis=1) - p[6]
    return bool(np.all(hs.sense * f > REL_TOL * (1.0 + np.abs(x).max())))


def _flip(hs: Halfspace) -> Halfspace:
    return Halfspace(hs.surface, -hs.sense)


def _paint(cell: Cell, box, part: Part) -> list:
    """The pieces of ``cell`` (bounding ``box``) outside ``part``: [cell] when they do not meet."""
    prefix, pieces = list(cell.region), []
    for h in part.region:
        if h in prefix or _holds(h, box):               # the rest of the cell is inside h: no piece
            continue
        if _flip(h) in prefix or _holds(_flip(h), box):  # the rest is outside h: the cell misses the part
            return [cell]
        piece = prefix + [_flip(h)]
        if not _empty(cell_box(piece)):
            pieces.append(piece)
        prefix.append(h)
        box = cell_box(prefix)
        if _empty(box):
            return [cell]
    if len(pieces) == 1:
        return [Cell(cell.name, tuple(pieces[0]), cell.material, cell.density, part=cell.part)]
    return [Cell(f"{cell.name}/{j}", tuple(r), cell.material, cell.density, part=cell.part)
            for j, r in enumerate(pieces, 1)]


def add_parts(geometry: Geometry, parts, margin: float = 0.0) -> Geometry:
    """The scene: ``geometry`` with the parts painted over it in order, its world box grown to hold
    each part's bounding box grown by ``margin`` (cm). A part may not meet a voxel lattice."""
    cells, boxes = list(geometry.cells), list(geometry.boxes)
    world = geometry.world.copy()
    for k, part in enumerate(parts, len(geometry.parts)):
        pbox = cell_box(part.region)
        if not np.all(np.isfinite(pbox)) or _empty(pbox):
            raise InputError(f"{part.name}: the solid is {'empty' if _empty(pbox) else 'unbounded'} ({_span(pbox)})")
        if part.name in {c.name for c in cells}:
            raise InputError(f"{part.name}: this name is taken by a cell of the scene; give the part another name")
        painted, painted_boxes = [], []
        for cell, box in zip(cells, boxes):
            lo, hi = np.maximum(box[:, 0], pbox[:, 0]), np.minimum(box[:, 1], pbox[:, 1])
            if _empty(np.stack([lo, hi], axis=1)):
                painted.append(cell)
                painted_boxes.append(box)
                continue
            if cell.lattice is not None:
                raise InputError(f"{part.name} ({_span(pbox)}) meets the voxel lattice of cell {cell.name!r} "
                                 f"({_span(box)}): a lattice cannot be cut; place the part outside it")
            pieces = _paint(cell, box, part)
            painted += pieces
            painted_boxes += [box if p is cell else cell_box(p.region) for p in pieces]
        cells = painted + [Cell(part.name, part.region, part.material, part.density, part=k)]
        boxes = painted_boxes + [pbox]
        world = np.stack([np.minimum(world[:, 0], pbox[:, 0] - margin), np.maximum(world[:, 1], pbox[:, 1] + margin)],
                         axis=1)
    max_step = tuple(p.max_step or MAX_STEP_FRACTION * float(np.min(np.diff(cell_box(p.region), axis=1)))
                     for p in parts)
    scene = Geometry(cells, world, geometry.world_material, geometry.world_density, envelope=geometry.envelope,
                     center=geometry.center, name=geometry.name, disjoint=True,
                     parts=geometry.parts + tuple(p.name for p in parts),
                     part_max_step=geometry.part_max_step + max_step)
    scene.image = geometry.image
    return scene
