"""Scoring meshes for the kernels: the array bundle of a :class:`~mcdose.results.Grid`, and voxel masses
computed from the geometry each voxel contains (docs/architecture.md).  Units: cm, g/cm3, g."""
from __future__ import annotations

import warnings

import numpy as np

from .errors import InputError
from .geometry.model import VACUUM
from .kernels.codes import CARTESIAN, CYLINDRICAL, SPHERICAL
from .kernels.geometry import region_column_masses
from .kernels.mesh import MeshArrays, voxel_masses_kernel
from .results import GRID_AXES, Grid

KIND_CODES = {"cartesian": CARTESIAN, "cylindrical": CYLINDRICAL, "spherical": SPHERICAL}
_UNUSED = np.array([0.0, 1.0])  # edges of an axis a mesh kind does not have (one bin, index 0)

# Quadrature settings of voxel_masses (see the section comment in kernels/mesh.py): halvings always
# made along the two ray-position axes per mesh kind, so features down to about 1/4 of a Cartesian
# voxel side (1/16 of a turn in phi) are seen by the first rays.
MIN_LEVEL = {CARTESIAN: (1, 1), CYLINDRICAL: (2, 4), SPHERICAL: (3, 4)}
MAX_LINE = 20    # halvings along one axis: an interface parallel to the rays and to one axis
MAX_CURVE = 8    # halvings per axis when both are refined: a curved interface parallel to the rays
REL_TOL = 1e-3   # Simpson error estimate, relative, per bin and rectangle


def mesh_arrays(grid: Grid) -> MeshArrays:
    """The kernels' bundle of a scoring grid (edges in cm; see kernels/mesh.py for the layout)."""
    names = GRID_AXES[grid.kind]
    edges = [np.ascontiguousarray(grid.edges[n], dtype=np.float64) for n in names]
    if grid.kind != "cartesian" and edges[0][0] < 0.0:
        raise InputError(f"{grid.kind} grid r_edges: radii must be >= 0 cm, got {edges[0][0]:g}")
    edges += [_UNUSED] * (3 - len(edges))
    shape = np.array([e.size - 1 for e in edges], dtype=np.int64)
    return MeshArrays(KIND_CODES[grid.kind], edges[0], edges[1], edges[2], edges[0] ** 2, shape,
                      np.array(grid.center, dtype=np.float64))


def _overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lengths (cm) of the overlaps of bins with edges ``a`` and bins with edges ``b``, shape (len(a)-1, len(b)-1)."""
    lo = np.maximum(a[:-1, None], b[None, :-1])
    hi = np.minimum(a[1:, None], b[None, 1:])
    return np.clip(hi - lo, 0.0, None)


def _lattice_masses(grid: Grid, geo) -> np.ndarray:
    """Exact mass (g) of the voxel lattice inside each Cartesian mesh voxel: the overlap volumes of the two
    rectilinear grids times the lattice densities (a separable sum, one axis at a time)."""
    rho = geo.lat_density.reshape(geo.lat_x.size - 1, geo.lat_y.size - 1, geo.lat_z.size - 1)
    lattice_edges = (geo.lat_x, geo.lat_y, geo.lat_z)
    ox, oy, oz = (_overlaps(grid.edges[n], e) for n, e in zip(GRID_AXES["cartesian"], lattice_edges))
    m = np.tensordot(rho, oz, axes=(2, 1))          # (lat x, lat y, mesh z)
    m = np.tensordot(oy, m, axes=(1, 1))            # (mesh y, lat x, mesh z)
    return np.tensordot(ox, m, axes=(1, 1))         # (mesh x, mesh y, mesh z)


def voxel_masses(grid: Grid, geometry) -> np.ndarray:
    """Mass (g) of every mesh voxel: the integral of density over its volume (grid shape).

    ``geometry`` is a ``mcdose.geometry.Geometry`` (compiled here) or its compiled arrays.  Density is
    integrated exactly along rays (the geometry's ``trace_ray`` segments); only the 2-D ray-position
    quadrature is numerical, adaptive, and refined where interfaces pass between rays, so a voxel cut
    by a sphere or a slab interface gets its mass to better than 0.1 % (tests/unit/test_mesh.py).
    A voxel lattice under a Cartesian mesh is weighed exactly from the overlaps of the two grids
    (its many faces would otherwise all need refining).  Voxels outside the world box, or in
    vacuum, weigh 0.
    """
    geo = geometry.compile() if hasattr(geometry, "compile") else geometry
    mesh = mesh_arrays(grid)
    exact_lattice = grid.kind == "cartesian" and geo.lat_cell[0] >= 0
    masses = np.empty(int(np.prod(mesh.shape)))
    failures = voxel_masses_kernel(geo, mesh, not exact_lattice, np.array(MIN_LEVEL[mesh.kind], dtype=np.int64),
                                   MAX_LINE, MAX_CURVE, REL_TOL, masses)
    if failures:
        warnings.warn(f"voxel masses: the geometry could not finish {failures} quadrature ray(s); "
                      "the masses of the voxels they cross may be low", RuntimeWarning, stacklevel=2)
    masses = masses.reshape(grid.shape)
    return masses + _lattice_masses(grid, geo) if exact_lattice else masses


REGION_RAYS = 32        # region masses: a jittered REGION_RAYS x REGION_RAYS grid of rays ...
REGION_REPLICAS = 8     # ... in this many independent replicas
REGION_SEED = 20260314  # fixed: the masses, and so the doses, are the same on every build


def region_masses(geometry) -> tuple:
    """(mass g, relative 1-sigma uncertainty) of each scoring region of ``geometry`` (a
    ``mcdose.geometry.Geometry``; regions: :attr:`~mcdose.geometry.Geometry.regions`).

    Density is integrated exactly along rays parallel to z (``trace_ray``) through the box of the
    region's cells (the world box for the world); the ray positions are a jittered (stratified)
    grid, Monte Carlo integration in x-y, repeated in independent replicas whose spread gives the
    uncertainty (J. M. Hammersley, D. C. Handscomb, Monte Carlo Methods, 1964, sec. 5.3). A box along
    the axes is exact; vacuum weighs 0 (a region of vacuum only, or a vacuum world, is not traced).
    """
    geo = geometry.compile()
    names = geometry.regions
    owner = np.array([c.part + 1 for c in geometry.cells])
    matter = [c.material != VACUUM for c in geometry.cells] + [geometry.world_material != VACUUM]
    rng = np.random.default_rng(REGION_SEED)
    n, k = REGION_RAYS, REGION_REPLICAS
    cap = 4 * len(geometry.cells) + 2 * geo.lat_z.size + 64
    seg = (np.empty(cap), np.empty(cap, np.int32), np.empty(cap, np.int32), np.empty(cap))
    mass, sigma = np.zeros(len(names)), np.zeros(len(names))
    for r in range(len(names)):
        world = r == len(names) - 1
        boxes = [geometry.world] if world else [b for b, o in zip(geometry.boxes, owner) if o == r]
        if not any(m for m, o in zip(matter, list(owner) + [len(names) - 1]) if o == r):
            continue
        box = np.array(boxes)
        lo = np.maximum(box[:, :, 0].min(axis=0), geometry.world[:, 0])
        hi = np.minimum(box[:, :, 1].max(axis=0), geometry.world[:, 1])
        if np.any(hi <= lo):
            continue
        ij = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), axis=-1).reshape(-1, 2)
        rays = lo[:2] + (ij[None] + rng.random((k, n * n, 2))) / n * (hi[:2] - lo[:2])
        out = np.zeros((k * n * n, len(names)))
        bad = region_column_masses(geo, rays.reshape(-1, 2), lo[2], hi[2] - lo[2], *seg, out)
        if bad:
            warnings.warn(f"region masses: {bad} ray(s) in {names[r]!r} could not be traced; its mass may be low",
                          RuntimeWarning, stacklevel=2)
        per_replica = out[:, r].reshape(k, n * n).mean(axis=1) * np.prod(hi[:2] - lo[:2])
        mass[r] = per_replica.mean()
        if mass[r] > 0:
            sigma[r] = per_replica.std(ddof=1) / np.sqrt(k) / mass[r]
    return mass, sigma
