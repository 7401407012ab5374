"""Build-time validation of a :class:`~mcdose.geometry.model.Geometry`.

Bounds are analytic (:mod:`mcdose.geometry.bounds`); overlaps and gaps are
found by sampling: ``N_SAMPLES`` points in the overlap of every pair of cell
bounding boxes (exact for boxes, slabs and capped cylinders, whose boxes are
tight) and in the phantom envelope, classified by the navigation kernel
itself. An overlap or gap smaller than about 1/N_SAMPLES of the sampled box can
escape detection.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..kernels import geometry as kg

N_SAMPLES = 4000
REL_TOL = 1e-9     # relative tolerance when comparing positions (cm) given by the user


def _span(box) -> str:
    return ", ".join(f"{a} [{box[i, 0]:g}, {box[i, 1]:g}]" for i, a in enumerate("xyz")) + " cm"


def _close(a, b) -> bool:
    return bool(np.all(np.abs(np.asarray(a) - np.asarray(b)) <= REL_TOL * (1.0 + np.abs(b))))


def check_geometry(geo) -> None:
    _check_bounds(geo)
    _check_lattice(geo)
    arrays = geo.compile()
    rng = np.random.default_rng(20240601)
    if not geo.disjoint:
        _check_overlaps(geo, arrays, rng)
    if geo.envelope is not None:
        _check_gaps(geo, arrays, rng)


def _check_bounds(geo) -> None:
    w = geo.world
    for cell, box in zip(geo.cells, geo.boxes):
        if not np.all(np.isfinite(box)):
            raise InputError(f"cell {cell.name!r} is unbounded: close it with axis planes or a sphere "
                             "(cylinders and cones need planes normal to their axis)")
        if np.any(box[:, 1] <= box[:, 0]):
            raise InputError(f"cell {cell.name!r} is empty: its half-spaces leave {_span(box)}")
        if np.any(box[:, 0] < w[:, 0] - REL_TOL * (1 + np.abs(w[:, 0]))) or \
                np.any(box[:, 1] > w[:, 1] + REL_TOL * (1 + np.abs(w[:, 1]))):
            raise InputError(f"cell {cell.name!r} ({_span(box)}) extends beyond the world of {geo.name} ({_span(w)})")
    if geo.envelope is not None and not (np.all(geo.envelope[:, 0] >= w[:, 0]) and np.all(geo.envelope[:, 1] <= w[:, 1])):
        raise InputError(f"{geo.name}: the phantom ({_span(geo.envelope)}) extends beyond the world ({_span(w)})")


def _check_lattice(geo) -> None:
    i = geo.lattice_cell
    if i < 0:
        return
    cell = geo.cells[i]
    if len(cell.region) != 6 or any(h.surface.axis_plane is None for h in cell.region):
        raise InputError(f"cell {cell.name!r} holds a voxel lattice, so it must be a box of 6 axis planes")
    if not _close(cell.lattice.box, geo.boxes[i]):
        raise InputError(f"the voxel lattice of cell {cell.name!r} spans {_span(cell.lattice.box)} but the cell "
                         f"spans {_span(geo.boxes[i])}: a lattice must fill its box cell exactly")


def _sample(box, n, rng) -> np.ndarray:
    return box[:, 0] + (box[:, 1] - box[:, 0]) * rng.random((n, 3))


def _classify(arrays, points):
    n = len(points)
    count, first, voxel = np.zeros(n, np.int32), np.zeros(n, np.int32), np.zeros(n, np.int32)
    kg.classify_points(arrays, np.ascontiguousarray(points), count, first, voxel)
    return count, first


def _check_overlaps(geo, arrays, rng) -> None:
    chunks = []
    for i in range(len(geo.cells)):
        for j in range(i + 1, len(geo.cells)):
            lo = np.maximum(geo.boxes[i][:, 0], geo.boxes[j][:, 0])
            hi = np.minimum(geo.boxes[i][:, 1], geo.boxes[j][:, 1])
            if np.all(hi - lo > REL_TOL * (1 + np.abs(hi))):
                chunks.append(_sample(np.stack([lo, hi], axis=1), N_SAMPLES, rng))
    if not chunks:
        return
    points = np.concatenate(chunks)
    count, _ = _classify(arrays, points)
    bad = np.flatnonzero(count > 1)
    if bad.size:
        p = points[bad[0]]
        names = [c.name for k, c in enumerate(geo.cells) if kg.in_cell(arrays, k, *p, 0.0, 0.0, 0.0)]
        raise InputError(f"{geo.name}: cells {' and '.join(repr(n) for n in names)} overlap "
                         f"(both contain ({p[0]:.4g}, {p[1]:.4g}, {p[2]:.4g}) cm)")


def _check_gaps(geo, arrays, rng) -> None:
    points = _sample(geo.envelope, 4 * N_SAMPLES, rng)
    _, first = _classify(arrays, points)
    bad = np.flatnonzero(first == len(geo.cells))
    if bad.size:
        p = points[bad[0]]
        dist = [np.linalg.norm(np.maximum(0, np.maximum(b[:, 0] - p, p - b[:, 1]))) for b in geo.boxes]
        near = [geo.cells[k].name for k in np.argsort(dist)[:2]]
        raise InputError(f"{geo.name}: gap inside the phantom: no cell contains ({p[0]:.4g}, {p[1]:.4g}, "
                         f"{p[2]:.4g}) cm (nearest cells {', '.join(repr(n) for n in near)})")
