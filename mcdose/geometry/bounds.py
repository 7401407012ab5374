"""Analytic bounding boxes of cells (cm): axis planes, spheres, and cylinders or cones
(any axis) capped by planes normal to their axis."""
from __future__ import annotations

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
    return box
