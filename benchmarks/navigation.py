"""Navigation speed: steps per second (one thread) through a voxel and an analytic phantom.

A step is what transport does at every boundary: ``distance_to_boundary`` then
``cross`` (move exactly to the boundary and locate with the direction). Rays
start uniformly in the phantom's box with isotropic directions and run to the
world boundary. Point location (``locate``) of random points in a scene of tens of
cells is timed with the candidate-cell grid and with a scan of every cell (a one-voxel
grid). Run: ``python -m benchmarks.navigation [--rays N]``.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from mcdose.config import validate
from mcdose.geometry.model import cell_grid
from mcdose.kernels import geometry as kg
from mcdose.kernels._jit import jit
from mcdose.phantoms import build, from_spec


@jit(refcount=True)
def walk(geo, starts, dirs):
    """Total navigation steps of straight rays from starts along dirs to the world boundary."""
    steps = 0
    for i in range(starts.shape[0]):
        x, y, z = starts[i, 0], starts[i, 1], starts[i, 2]
        u, v, w = dirs[i, 0], dirs[i, 1], dirs[i, 2]
        cell, voxel = kg.cross(geo, x, y, z, u, v, w)
        t = 0.0
        while cell >= 0:
            t += kg.distance_to_boundary(geo, cell, x + t * u, y + t * v, z + t * w, u, v, w)
            cell, voxel = kg.cross(geo, x + t * u, y + t * v, z + t * w, u, v, w)
            steps += 1
    return steps


@jit(refcount=True)
def locate_all(geo, points):
    """Sum of the cell indices of the points (so that nothing is optimised away)."""
    total = 0
    for i in range(points.shape[0]):
        total += kg.locate(geo, points[i, 0], points[i, 1], points[i, 2])
    return total


def seed_scene():
    """An air-filled PMMA applicator on a water box holding a 5 x 5 array of steel seeds (~400 cells:
    each seed splits the pieces of water its box meets)."""
    seeds = [{"shape": "cylinder", "material": "stainless_steel", "radius": 0.4, "z": [-0.5, 0.5],
              "center": [x, y, 6.0], "axis": [1.0, 0.0, 0.0]} for x in (-8.0, -4.0, 0.0, 4.0, 8.0)
             for y in (-8.0, -4.0, 0.0, 4.0, 8.0)]
    return from_spec(validate({
        "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0.0, 0.0, -1.0]},
        "phantom": {"type": "box", "material": "water", "size": [30.0, 30.0, 20.0]},
        "scoring": {"mesh": "cartesian", "x": [-1.0, 1.0], "y": [-1.0, 1.0], "z": [0.0, 1.0]},
        "parts": [{"shape": "cylinder", "material": "air", "radius": 5.0, "z": [-10.0, 2.0]},
                  {"shape": "tube", "material": "pmma", "inner_radius": 5.0, "outer_radius": 5.5, "z": [-10.0, 2.0]},
                  *seeds]}))


def location_rates(n_points: int, rng) -> tuple:
    """(cells, points located per second with the grid, the same with a scan of every cell)."""
    geo = seed_scene()
    grid = geo.compile()
    scan = grid._replace(**dict(zip(("grid_box", "grid_n", "grid_start", "grid_cells"), cell_grid(geo.boxes, 1))))
    w = geo.world
    points = w[:, 0] + (w[:, 1] - w[:, 0]) * rng.random((n_points, 3))
    rates = []
    for arrays in (grid, scan):
        locate_all(arrays, points[:10])                   # compile / load from cache
        t0 = time.perf_counter()
        total = locate_all(arrays, points)
        rates.append(n_points / (time.perf_counter() - t0))
        assert total == locate_all(grid, points)          # same cells either way
    return len(geo.cells), rates[0], rates[1]


def phantoms(tmp: Path) -> dict:
    np.save(tmp / "ct.npy", np.random.default_rng(0).integers(0, 3, (128, 128, 100)).astype(np.int16))
    return {
        "voxels 128x128x100 (0.2 cm)": {"type": "voxels", "file": str(tmp / "ct.npy"), "voxel_size": [0.2, 0.2, 0.2],
                                        "voxel_materials": "water, lung, cortical_bone"},
        "breast_shield (5 analytic cells)": {"type": "breast_shield", "size": [20.0, 20.0, 8.0]},
        "spherical_cavity (3 analytic cells)": {"type": "spherical_cavity", "size": [12.0, 12.0, 12.0]},
    }


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rays", type=int, default=200_000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in phantoms(Path(tmp)).items():
            geo = build(spec)
            a = geo.compile()
            env = geo.envelope
            starts = env[:, 0] + (env[:, 1] - env[:, 0]) * rng.random((args.rays, 3))
            dirs = rng.normal(size=(args.rays, 3))
            dirs /= np.linalg.norm(dirs, axis=1)[:, None]
            walk(a, starts[:10], dirs[:10])                  # compile / load from cache
            t0 = time.perf_counter()
            steps = walk(a, starts, dirs)
            dt = time.perf_counter() - t0
            rows.append((name, steps, dt, steps / dt))
    print(f"{'phantom':40s} {'steps':>12s} {'seconds':>8s} {'steps/s':>12s}")
    for name, steps, dt, rate in rows:
        print(f"{name:40s} {steps:12d} {dt:8.2f} {rate:12.3e}")
    cells, with_grid, with_scan = location_rates(args.rays * 5, rng)
    print(f"point location in a scene of {cells} cells: {with_grid:.3e} points/s with the grid, "
          f"{with_scan:.3e} scanning every cell ({with_grid / with_scan:.1f}x)")
    return rows


if __name__ == "__main__":
    main()
