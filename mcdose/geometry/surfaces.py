"""Quadric surfaces and their half-spaces (cm).

``-S`` is the half-space f < 0 of surface ``S`` (inside a sphere, cylinder or
cone; below a plane along its normal), ``+S`` the half-space f > 0. The
functions f are listed in :mod:`mcdose.kernels.geometry`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["Surface", "Halfspace", "plane", "xplane", "yplane", "zplane", "sphere", "cylinder", "cone", "box"]


@dataclass(frozen=True)
class Surface:
    """A quadric surface: kind "plane" | "sphere" | "cylinder" | "cone" and its parameter row
    (plane: nx, ny, nz, D; sphere: centre, R; cylinder: point, unit axis, R; cone: apex, unit axis, tan^2)."""

    kind: str
    params: tuple

    def __neg__(self) -> "Halfspace":
        return Halfspace(self, -1)

    def __pos__(self) -> "Halfspace":
        return Halfspace(self, +1)

    @property
    def axis_plane(self):
        """(axis 0|1|2, position cm) for a plane normal to x, y or z, else None."""
        if self.kind != "plane":
            return None
        n = self.params[:3]
        for i in range(3):
            if abs(n[i]) == 1.0:
                return i, self.params[3] * n[i]
        return None


@dataclass(frozen=True)
class Halfspace:
    surface: Surface
    sense: int


def _unit(vec, what) -> tuple:
    a = np.asarray(vec, dtype=float)
    norm = float(np.linalg.norm(a))
    if a.shape != (3,) or not norm > 0 or not math.isfinite(norm):
        raise InputError(f"{what}: {list(vec)} is not a direction (3 finite numbers, not all 0)")
    a = a / norm
    a[np.abs(a) < 1e-15] = 0.0
    return tuple(float(c) for c in a)


def _point(p, what) -> tuple:
    a = np.asarray(p, dtype=float)
    if a.shape != (3,) or not np.all(np.isfinite(a)):
        raise InputError(f"{what}: {list(p)} is not a point (3 finite numbers, cm)")
    return tuple(float(c) for c in a)


def _positive(value, what) -> float:
    if not (value > 0 and math.isfinite(value)):
        raise InputError(f"{what}: {value!r} is not allowed: cm, must be > 0")
    return float(value)


def plane(normal, offset: float) -> Surface:
    """Plane n.p = offset (cm), n normalised here."""
    n = np.asarray(normal, dtype=float)
    norm = float(np.linalg.norm(n))
    return Surface("plane", _unit(normal, "plane normal") + (float(offset) / norm,))


def xplane(x0: float) -> Surface:
    """Plane x = x0 (cm); +S is x > x0."""
    return Surface("plane", (1.0, 0.0, 0.0, float(x0)))


def yplane(y0: float) -> Surface:
    return Surface("plane", (0.0, 1.0, 0.0, float(y0)))


def zplane(z0: float) -> Surface:
    return Surface("plane", (0.0, 0.0, 1.0, float(z0)))


def sphere(center, radius: float) -> Surface:
    return Surface("sphere", _point(center, "sphere centre") + (_positive(radius, "sphere radius"),))


def cylinder(radius: float, axis=(0.0, 0.0, 1.0), point=(0.0, 0.0, 0.0)) -> Surface:
    """Infinite circular cylinder of the given radius (cm) about the line through ``point`` along ``axis``."""
    return Surface("cylinder", _point(point, "cylinder point") + _unit(axis, "cylinder axis")
                   + (_positive(radius, "cylinder radius"),))


def cone(apex, axis, half_angle_deg: float) -> Surface:
    """Double cone with the given apex, axis and half-opening angle (degrees, 0 < angle < 90)."""
    if not 0 < half_angle_deg < 90:
        raise InputError(f"cone half angle: {half_angle_deg!r} is not allowed: degrees, must be > 0 and < 90")
    return Surface("cone", _point(apex, "cone apex") + _unit(axis, "cone axis")
                   + (math.tan(math.radians(half_angle_deg)) ** 2,))


def box(xmin, xmax, ymin, ymax, zmin, zmax) -> tuple:
    """The six half-spaces of an axis-aligned box (cm)."""
    return (+xplane(xmin), -xplane(xmax), +yplane(ymin), -yplane(ymax), +zplane(zmin), -zplane(zmax))
