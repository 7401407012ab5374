"""Scoring meshes for the kernels: the array bundle of a :class:`~mcdose.results.Grid`, and voxel masses
computed from the geometry each voxel contains (DESIGN.md section 4).  Units: cm, g/cm3, g."""
from __future__ import annotations

import warnings

import numpy as np

from .errors import InputError
from .kernels.codes import CARTESIAN, CYLINDRICAL, SPHERICAL
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
