"""The geometry model: cells (intersections of half-spaces) with a material and
density, an optional voxel lattice filling a box cell, and the world around them.

Built, validated and compiled to :class:`~mcdose.kernels.geometry.GeometryArrays`
for the kernels. Units: cm, g/cm3. Validation (at construction) rejects, each
with a message naming the parts: a cell without material, a non-positive
density, an unbounded cell, a cell outside the world, a lattice that does not
fill its box cell exactly, overlapping cells and gaps inside the phantom
envelope (see :mod:`mcdose.geometry.checks`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..kernels import geometry as kg
from .bounds import cell_box
from .surfaces import Halfspace

__all__ = ["Cell", "Lattice", "Geometry", "VACUUM"]

VACUUM = "vacuum"
VACUUM_CODE = -1     # Geometry.material_codes: no material (cell_material of a vacuum cell)
OUTSIDE_CODE = -3    # Geometry.material_codes: beyond the world box


@dataclass(frozen=True, eq=False)
class Lattice:
    """A rectilinear voxel lattice: edges (cm, strictly increasing, non-uniform allowed),
    per-voxel material ids (ints indexing ``materials``) and densities (g/cm3), arrays (nx, ny, nz)."""

    x_edges: np.ndarray
    y_edges: np.ndarray
    z_edges: np.ndarray
    material: np.ndarray
    density: np.ndarray
    materials: tuple

    def __post_init__(self):
        shape = []
        for name in ("x_edges", "y_edges", "z_edges"):
            e = np.asarray(getattr(self, name), dtype=float)
            if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or not np.all(np.diff(e) > 0):
                raise InputError(f"lattice {name}: must be at least 2 finite, strictly increasing edges (cm)")
            object.__setattr__(self, name, e)
            shape.append(e.size - 1)
        mat = np.asarray(self.material)
        rho = np.asarray(self.density, dtype=float)
        for name, arr in (("material ids", mat), ("densities", rho)):
            if arr.shape != tuple(shape):
                raise InputError(f"lattice {name}: shape {arr.shape} does not match the edges' {tuple(shape)} voxels")
        if not np.issubdtype(mat.dtype, np.integer):
            raise InputError(f"lattice material ids: dtype {mat.dtype} is not allowed: must be integers")
        if mat.min() < 0 or mat.max() >= len(self.materials):
            raise InputError(f"lattice material ids: range [{mat.min()}, {mat.max()}] is not allowed: "
                             f"must index the {len(self.materials)} material names {list(self.materials)}")
        if not np.all(np.isfinite(rho)) or rho.min() <= 0 or rho.max() > 30:
            raise InputError(f"lattice densities: range [{rho.min():g}, {rho.max():g}] is not allowed: "
                             "g/cm3, must be > 0 and <= 30")
        object.__setattr__(self, "material", mat.astype(np.int32))
        object.__setattr__(self, "density", rho)

    @property
    def box(self) -> np.ndarray:
        return np.array([[e[0], e[-1]] for e in (self.x_edges, self.y_edges, self.z_edges)])


@dataclass(frozen=True, eq=False)
class Cell:
    """A region: the intersection of ``region`` half-spaces, filled with ``material`` at
    ``density`` (g/cm3; none for "vacuum"), or by a voxel ``lattice`` (then the region must be its box);
    ``part``: index of the scene part it belongs to (-1: the phantom), its scoring region."""

    name: str
    region: tuple
    material: str | None = None
    density: float | None = None
    lattice: Lattice | None = None
    part: int = -1


class Geometry:
    """Cells inside a world box (cm) of vacuum or a material.

    Parameters
    ----------
    cells : sequence of Cell
    world : [[xmin, xmax], [ymin, ymax], [zmin, zmax]] cm
    world_material, world_density : "vacuum" (density 0) or a material name and its g/cm3
    envelope : optional box (same layout) the cells must fill without gaps (the phantom)
    center : a point of interest (cm) for plots; default the envelope's or world's centre
    name : for messages
    disjoint : the cells are disjoint by construction (a scene's painted pieces): the sampled
        overlap check is skipped
    parts, part_max_step : a scene's part names, in order (``Cell.part`` indexes them), and the
        longest charged-particle step in each, cm (mcdose.geometry.scene)
    """

    def __init__(self, cells, world, world_material: str = VACUUM, world_density: float = 0.0,
                 envelope=None, center=None, name: str = "geometry", disjoint: bool = False, parts=(),
                 part_max_step=()):
        from .checks import check_geometry
        self.name = name
        self.disjoint = disjoint
        self.parts = tuple(parts)
        self.part_max_step = tuple(part_max_step)
        self.image = None        # the CT a phantom was made from (mcdose.ct_series.CTImage), on its lattice's grid
        self.cells = tuple(cells)
        self.world = np.asarray(world, dtype=float).reshape(3, 2)
        self.world_material = world_material
        self.world_density = float(world_density) if world_material != VACUUM else 0.0
        self.envelope = None if envelope is None else np.asarray(envelope, dtype=float).reshape(3, 2)
        ref = self.envelope if self.envelope is not None else self.world
        self.center = np.asarray(center if center is not None else ref.mean(axis=1), dtype=float)
        self._check_cells()
        self.boxes = [cell_box(c.region) for c in self.cells]
        names = [c.material for c in self.cells if c.lattice is None and c.material != VACUUM]
        for c in self.cells:
            if c.lattice is not None:
                names += list(c.lattice.materials)
        if world_material != VACUUM:
            names.append(world_material)
        self.materials = list(dict.fromkeys(names))
        self._arrays = None
        check_geometry(self)

    # --- validation of the parts ----------------------------------------------------------------
    def _check_cells(self) -> None:
        w = self.world
        if not (np.all(np.isfinite(w)) and np.all(w[:, 1] > w[:, 0])):
            raise InputError(f"{self.name}: world box {w.tolist()} cm is not allowed: needs min < max on each axis")
        if self.world_material != VACUUM and not (self.world_density > 0 and math.isfinite(self.world_density)):
            raise InputError(f"{self.name}: world {self.world_material!r} needs a density > 0 g/cm3")
        seen = set()
        lattices = [c for c in self.cells if c.lattice is not None]
        if len(lattices) > 1:
            raise InputError(f"{self.name}: cells {[c.name for c in lattices]} each hold a lattice; at most one may")
        for c in self.cells:
            if c.name in seen:
                raise InputError(f"{self.name}: two cells are named {c.name!r}; cell names must be unique")
            seen.add(c.name)
            if not c.region or not all(isinstance(h, Halfspace) for h in c.region):
                raise InputError(f"cell {c.name!r}: its region must be a non-empty list of half-spaces (+S / -S)")
            if c.lattice is None and not c.material:
                raise InputError(f"cell {c.name!r} has no material: give a material (and density) or a voxel lattice")
            if c.lattice is not None and c.material:
                raise InputError(f"cell {c.name!r}: give a material or a voxel lattice, not both")
            if c.lattice is None and c.material != VACUUM and not (
                    c.density is not None and c.density > 0 and math.isfinite(c.density)):
                raise InputError(f"cell {c.name!r}: density {c.density!r} is not allowed: g/cm3, must be > 0")

    def check_source_point(self, x: float, y: float, z: float, what: str = "source") -> None:
        """Raise InputError if the point (cm) is outside the world box."""
        w = self.world
        p = (x, y, z)
        if not all(w[i, 0] <= p[i] <= w[i, 1] for i in range(3)):
            span = ", ".join(f"{a} [{w[i, 0]:g}, {w[i, 1]:g}]" for i, a in enumerate("xyz"))
            raise InputError(f"{what}: ({x:g}, {y:g}, {z:g}) cm is outside the world of {self.name} ({span} cm)")

    # --- kernels' view ----------------------------------------------------------------------------
    @property
    def regions(self) -> tuple:
        """Names of the scoring regions, in the order of ``GeometryArrays.cell_region``: the phantom, each
        part, the world (outside every cell)."""
        return ("phantom", *self.parts, "world")

    @property
    def lattice_cell(self) -> int:
        return next((i for i, c in enumerate(self.cells) if c.lattice is not None), -1)

    def compile(self) -> kg.GeometryArrays:
        """Flat arrays for the kernels (cached)."""
        if self._arrays is None:
            self._arrays = _compile(self)
        return self._arrays

    def material_codes(self, points) -> np.ndarray:
        """Material at each point (n, 3) cm: an index into ``materials``, VACUUM_CODE, or OUTSIDE_CODE beyond
        the world (the navigation kernel's own point location)."""
        arrays = self.compile()
        return codes_of(arrays, *locate(arrays, points))

    def material_name(self, code: int) -> str:
        """The name of a :meth:`material_codes` code ("vacuum", "outside the world" or a material)."""
        if code == VACUUM_CODE:
            return VACUUM
        return "outside the world" if code == OUTSIDE_CODE else self.materials[code]

    def __repr__(self):
        return f"Geometry({self.name!r}, {len(self.cells)} cells, materials {self.materials})"


def locate(arrays: kg.GeometryArrays, points) -> tuple:
    """(cell, voxel) at each point (n, 3) cm of compiled geometry arrays: cell = the number of cells for a point
    in the world outside every cell, -1 beyond the world; voxel -1 outside the lattice."""
    pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(-1, 3))
    n = len(pts)
    count, cell, voxel = np.zeros(n, np.int32), np.zeros(n, np.int32), np.zeros(n, np.int32)
    kg.classify_points(arrays, pts, count, cell, voxel)
    return cell, voxel


def codes_of(arrays: kg.GeometryArrays, cell, voxel) -> np.ndarray:
    """Material code of each located point (:func:`locate`): a material index, VACUUM_CODE or OUTSIDE_CODE."""
    out = np.full(np.shape(cell), OUTSIDE_CODE, np.int32)
    inside = cell >= 0
    out[inside] = arrays.cell_material[cell[inside]]
    in_lattice = voxel >= 0
    out[in_lattice] = arrays.lat_material[voxel[in_lattice]]
    return out


def _compile(geo: Geometry) -> kg.GeometryArrays:
    surf_ids: dict = {}
    start, ids, senses = [0], [], []
    mat = np.empty(len(geo.cells) + 1, dtype=np.int32)
    rho = np.zeros(len(geo.cells) + 1)
    for i, c in enumerate(geo.cells):
        for hs in c.region:
            ids.append(surf_ids.setdefault(hs.surface, len(surf_ids)))
            senses.append(hs.sense)
        start.append(len(ids))
        if c.material == VACUUM:
            mat[i] = kg.VACUUM
        elif c.lattice is None:
            mat[i], rho[i] = geo.materials.index(c.material), c.density
        else:
            mat[i] = kg.LATTICE
    mat[-1] = -1 if geo.world_material == VACUUM else geo.materials.index(geo.world_material)
    rho[-1] = geo.world_density
    surfs = list(surf_ids)
    par = np.zeros((len(surfs), kg.N_PAR))
    for k, s in enumerate(surfs):
        par[k, :len(s.params)] = s.params
    lat_cell = geo.lattice_cell
    if lat_cell >= 0:
        lat = geo.cells[lat_cell].lattice
        edges = [e.copy() for e in (lat.x_edges, lat.y_edges, lat.z_edges)]
        box = geo.boxes[lat_cell]
        for i in range(3):                   # the outer edges are the cell's planes, bit for bit
            edges[i][0], edges[i][-1] = box[i]
        remap = np.array([geo.materials.index(m) for m in lat.materials], dtype=np.int32)
        lat_arrays = (*edges, remap[lat.material].ravel(), lat.density.ravel().astype(float))
    else:
        lat_arrays = (np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, np.int32), np.zeros(0))
    return kg.GeometryArrays(
        np.array([kg.SURFACE_CODES[s.kind] for s in surfs], dtype=np.int32), par,
        np.array(start, dtype=np.int32), np.array(ids, dtype=np.int32), np.array(senses, dtype=np.int32),
        mat, rho, *lat_arrays, np.array([lat_cell], dtype=np.int32), geo.world.ravel().copy(),
        *cell_grid(geo.boxes), np.array([c.part + 1 for c in geo.cells] + [len(geo.parts) + 1], dtype=np.int32),
        np.array([np.inf, *geo.part_max_step, np.inf] + [1.0] * (len(geo.parts) + 2)))


GRID_VOXELS_PER_CELL = 8     # point-location grid: about this many voxels per cell ...
GRID_MAX_PER_AXIS = 64       # ... and at most this many along an axis


def cell_grid(boxes, n_voxels: int | None = None) -> tuple:
    """The point-location grid of cells with these bounding boxes (cm): (grid_box, grid_n, grid_start,
    grid_cells) of :class:`~mcdose.kernels.geometry.GeometryArrays`, about ``n_voxels`` voxels
    (default GRID_VOXELS_PER_CELL per cell; 1 gives a scan of every cell) over the union of the boxes,
    each padded by 1e-6 cm + 1e-9 |x| (much more than the navigation's EPS)."""
    if not len(boxes):
        return np.array([0.0, 1.0] * 3), np.ones(3, np.int32), np.zeros(2, np.int32), np.zeros(0, np.int32)
    b = np.array(boxes, dtype=float)
    pad = 1e-6 + 1e-9 * np.abs(b)
    b = np.stack([b[:, :, 0] - pad[:, :, 0], b[:, :, 1] + pad[:, :, 1]], axis=2)
    lo, hi = b[:, :, 0].min(axis=0), b[:, :, 1].max(axis=0)
    ext = hi - lo
    target = n_voxels or GRID_VOXELS_PER_CELL * len(boxes)
    n = np.clip(np.round(ext * (target / np.prod(ext)) ** (1 / 3)), 1, GRID_MAX_PER_AXIS).astype(np.int64)
    first = np.clip(np.floor((b[:, :, 0] - lo) / ext * n), 0, n - 1).astype(np.int64)
    last = np.clip(np.floor((b[:, :, 1] - lo) / ext * n), 0, n - 1).astype(np.int64)
    voxels, cells = [], []
    for c in range(len(b)):
        ix, iy, iz = np.meshgrid(*(np.arange(first[c, k], last[c, k] + 1) for k in range(3)), indexing="ij")
        flat = ((ix * n[1] + iy) * n[2] + iz).ravel()
        voxels.append(flat)
        cells.append(np.full(flat.size, c))
    voxels, cells = np.concatenate(voxels), np.concatenate(cells)
    order = np.lexsort((cells, voxels))
    start = np.concatenate([[0], np.cumsum(np.bincount(voxels, minlength=int(np.prod(n))))])
    return (np.stack([lo, hi], axis=1).ravel(), n.astype(np.int32), start.astype(np.int32),
            cells[order].astype(np.int32))
