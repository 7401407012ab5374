"""Analytic bounding boxes of cells (cm): axis planes, spheres, cylinders or cones (any axis)
capped by planes normal to their axis, then tightened by the cell's other planes (the box of
the polytope they cut from it, by vertex enumeration)."""
from __future__ import annotations

import itertools
import math

import numpy as np

from .surfaces import Halfspace


def _axial_range(axis, apex, region) -> tuple:
    """Range of h = a.(p - c) allowed by the planes normal to the axis among the half-spaces."""
    lo, hi = -math.inf, math.inf
    a = np.asarray(axis)
    for hs in region:
        s = hs.surface
        if s.kind != "plane":
            continue
        n = np.asarray(s.params[:3])
        na = float(n @ a)
        if abs(abs(na) - 1.0) > 1e-12:
            continue
        h = s.params[3] * na - float(a @ np.asarray(apex))
        if hs.sense * na > 0:
            lo = max(lo, h)
        else:
            hi = min(hi, h)
    return lo, hi


def _disk_box(center, axis, radius) -> np.ndarray:
    ext = radius * np.sqrt(np.clip(1.0 - np.asarray(axis) ** 2, 0.0, 1.0))
    return np.stack([np.asarray(center) - ext, np.asarray(center) + ext], axis=1)


def _clip(hs: Halfspace, region) -> np.ndarray | None:
    """[[lo, hi] x 3] implied by one half-space (None: no bound from it alone)."""
    s, p = hs.surface, hs.surface.params
    box = np.array([[-math.inf, math.inf]] * 3)
    if s.kind == "plane":
        ap = s.axis_plane
        if ap is None:
            return None
        i, pos = ap
        box[i, 0 if hs.sense * p[i] > 0 else 1] = pos
        return box
    if hs.sense > 0:
        return None
    if s.kind == "sphere":
        return np.stack([np.asarray(p[:3]) - p[3], np.asarray(p[:3]) + p[3]], axis=1)
    apex, axis = np.asarray(p[:3]), np.asarray(p[3:6])
    lo, hi = _axial_range(axis, apex, region)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    radius = (lambda h: p[6]) if s.kind == "cylinder" else (lambda h: math.sqrt(p[6]) * abs(h))
    b1, b2 = (_disk_box(apex + h * axis, axis, radius(h)) for h in (lo, hi))
    return np.stack([np.minimum(b1[:, 0], b2[:, 0]), np.maximum(b1[:, 1], b2[:, 1])], axis=1)


def cell_box(region) -> np.ndarray:
    """Bounding box [[xmin, xmax], [ymin, ymax], [zmin, zmax]] (cm) of an intersection of
    half-spaces; infinite where the recognised surfaces leave it open."""
    box = np.array([[-math.inf, math.inf]] * 3)
    for hs in region:
        c = _clip(hs, region)
        if c is not None:
            box[:, 0] = np.maximum(box[:, 0], c[:, 0])
            box[:, 1] = np.minimum(box[:, 1], c[:, 1])
    oblique = [hs for hs in region if hs.surface.kind == "plane" and hs.surface.axis_plane is None]
    return _polytope_box(oblique, box) if oblique and np.all(box[:, 1] > box[:, 0]) else box


BIG = 1e7   # cm: stands in for an open side of the box while enumerating vertices


def _polytope_box(planes, box) -> np.ndarray:
    """Bounding box of {x in box : every plane half-space}: the extremes of the vertices (feasible
    intersections of three constraint planes); empty (lo > hi) when there is none."""
    normals, offsets = [], []
    for i in range(3):                                   # box faces: -x <= -lo, x <= hi
        e = np.eye(3)[i]
        normals += [-e, e]
        offsets += [-max(box[i, 0], -BIG), min(box[i, 1], BIG)]
    for hs in planes:                                    # sense -1: n.x <= D; +1: -n.x <= -D
        n, d = np.asarray(hs.surface.params[:3]), hs.surface.params[3]
        normals.append(hs.sense * -n)
        offsets.append(hs.sense * -d)
    A, b = np.array(normals), np.array(offsets)
    idx = np.array(list(itertools.combinations(range(len(A)), 3)))
    M = A[idx]
    ok = np.abs(np.linalg.det(M)) > 1e-12
    vertices = np.linalg.solve(M[ok], b[idx[ok]][..., None])[..., 0]
    feasible = np.all(vertices @ A.T <= b + 1e-9 * (1.0 + np.abs(b)), axis=1)
    vertices = vertices[feasible]
    if not len(vertices):
        return np.array([[math.inf, -math.inf]] * 3)
    out = np.stack([vertices.min(axis=0), vertices.max(axis=0)], axis=1)
    out[out <= -BIG * (1 - 1e-9)] = -math.inf
    out[out >= BIG * (1 - 1e-9)] = math.inf
    return np.stack([np.maximum(out[:, 0], box[:, 0]), np.minimum(out[:, 1], box[:, 1])], axis=1)
