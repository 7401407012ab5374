"""Benchmark: scoring-mesh navigation steps per second for each mesh kind, and voxel-mass time.

Run: python -m benchmarks.mesh_navigation
A step is one :func:`mcdose.kernels.mesh.mesh_crossing` call (distance to the bin boundary and the
bin entered there): straight rays from random points in the mesh (random directions) walk from
bin to bin until they leave the mesh.  Lookups are :func:`mesh_index_dir` calls at random points.
Acceptance (geometry issue): the navigation rate is printed; compile time is excluded (warm-up).
"""
import time

import numpy as np

from mcdose.kernels._jit import jit
from mcdose.kernels.mesh import mesh_crossing, mesh_index_dir
from mcdose.mesh import mesh_arrays, voxel_masses
from mcdose.results import Grid

MESHES = {
    "cartesian 60x60x120": Grid("cartesian", {"x_edges": np.linspace(-15, 15, 61), "y_edges": np.linspace(-15, 15, 61),
                                              "z_edges": np.linspace(0, 12, 121)}),
    "cylindrical 60x120": Grid("cylindrical", {"r_edges": np.linspace(0, 15, 61), "z_edges": np.linspace(0, 12, 121)}),
    "spherical 100": Grid("spherical", {"r_edges": np.linspace(0, 10, 101)}, (0.0, 0.0, 5.0)),
}


@jit(refcount=True)
def _walk(mesh, starts, dirs):
    """Total bin-to-bin steps of straight rays from ``starts`` along ``dirs`` until they leave the mesh."""
    steps = 0
    for k in range(starts.shape[0]):
        x, y, z = starts[k, 0], starts[k, 1], starts[k, 2]
        u, v, w = dirs[k, 0], dirs[k, 1], dirs[k, 2]
        index = mesh_index_dir(mesh, x, y, z, u, v, w)
        t = 0.0
        while index >= 0:
            d, index = mesh_crossing(mesh, index, x + t * u, y + t * v, z + t * w, u, v, w)
            t += d
            steps += 1
    return steps


@jit(refcount=True)
def _lookups(mesh, points, dirs):
    found = 0
    for k in range(points.shape[0]):
        found += mesh_index_dir(mesh, points[k, 0], points[k, 1], points[k, 2], dirs[k, 0], dirs[k, 1], dirs[k, 2]) >= 0
    return found


def _inside_points(grid, n, rng):
    """n random points inside the mesh's bounding box, and unit directions."""
    m = mesh_arrays(grid)
    if grid.kind == "cartesian":
        lo, hi = [m.e0[0], m.e1[0], m.e2[0]], [m.e0[-1], m.e1[-1], m.e2[-1]]
    elif grid.kind == "cylindrical":
        lo, hi = [-m.e0[-1], -m.e0[-1], m.e1[0]], [m.e0[-1], m.e0[-1], m.e1[-1]]
    else:
        lo, hi = m.center - m.e0[-1], m.center + m.e0[-1]
    dirs = rng.normal(size=(n, 3))
    return rng.uniform(lo, hi, size=(n, 3)), dirs / np.linalg.norm(dirs, axis=1)[:, None]


def _water_box():
    from mcdose.geometry import Cell, Geometry, box
    return Geometry([Cell("water", box(-15, 15, -15, 15, 0, 20), "water", 1.0)], [[-16, 16], [-16, 16], [-1, 21]])


def main() -> None:
    rng = np.random.default_rng(1)
    water = _water_box()
    print(f"{'mesh':<22}{'steps/s':>12}{'lookups/s':>12}{'masses s':>10}")
    for name, grid in MESHES.items():
        m = mesh_arrays(grid)
        starts, dirs = _inside_points(grid, 20_000, rng)
        _walk(m, starts[:10], dirs[:10])  # compile / load from cache
        _lookups(m, starts[:10], dirs[:10])
        voxel_masses(grid, water)
        t0 = time.perf_counter()
        steps = _walk(m, starts, dirs)
        walk_s = time.perf_counter() - t0
        points, pdirs = _inside_points(grid, 2_000_000, rng)
        t0 = time.perf_counter()
        _lookups(m, points, pdirs)
        look_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        voxel_masses(grid, water)
        mass_s = time.perf_counter() - t0
        print(f"{name:<22}{steps / walk_s:>12.3g}{len(points) / look_s:>12.3g}{mass_s:>10.2f}")


if __name__ == "__main__":
    main()
