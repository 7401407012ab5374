"""Point: emission from ``position``, isotropic, or uniform per solid angle within a cone
(``half_angle``) or following an angular intensity table (``angular``) about ``direction``."""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..kernels.codes import POINT
from ..schema import Field

POLAR_CELLS = 2048      # cells of the polar-angle grid of an angular table (build time)

FIELDS = {
    "position": Field("vec", unit="cm", length=3, doc="point source position", required=True),
    "direction": Field("vec", length=3, doc="axis of half_angle or angular (normalised; absent: +z)"),
    "half_angle": Field("float", unit="degrees", gt=0, le=180, doc="emission uniform per solid angle within this "
                        "cone about direction; dose per particle emitted into the cone; absent: 180 (isotropic)"),
    "angular": Field("angular", doc="[polar_angle_deg, intensity] pairs: intensity per unit solid angle about "
                     "direction, linear in angle between the points, zero outside; not with half_angle"),
}


def check(source) -> None:
    """The polar-angle distribution: half_angle or angular, not both; ``direction`` only with one of
    them, non-zero, normalised here."""
    if "angular" in source and "half_angle" in source:
        raise InputError("source.angular: not allowed together with source.half_angle; give one of them "
                         "(a cone of half angle a is the table [[0, 1], [a, 1]])")
    if "direction" not in source:
        return
    if "angular" not in source and "half_angle" not in source:
        raise InputError("source.direction: only used with source.half_angle or source.angular; without them "
                         "the point source is isotropic")
    norm = math.hypot(*source["direction"])
    if norm == 0.0:
        raise InputError(f"source.direction: {list(source['direction'])} is not allowed: must be a non-zero vector "
                         "(it is normalised)")
    source["direction"] = tuple(c / norm for c in source["direction"])


def polar_table(source) -> tuple:
    """(cos theta nodes, increasing; cumulative probability at each) of a point source's polar angle
    theta about ``direction``: sampled linearly in cos theta between nodes (kernels/source.py); both
    empty for isotropic emission.

    ``half_angle`` a is the table [[0, 1], [a, 1]] (uniform per solid angle: exact, the probability
    is linear in cos theta). ``angular`` [[deg, I], ...]: intensity per unit solid angle, linear in
    theta between its points and zero outside them. The grid holds the table's points and about
    POLAR_CELLS equal steps in theta between them; the probability of each cell is the exact
    integral of I(theta) sin(theta), so the sampled CDF is exact at every node and within
    ~(pi / POLAR_CELLS)**2 of the true one between them.
    """
    if "angular" in source:
        table = np.array(source["angular"], dtype=np.float64)
    elif source.get("half_angle", 180.0) < 180.0:
        table = np.array([[0.0, 1.0], [source["half_angle"], 1.0]])
    else:
        return np.empty(0), np.empty(0)
    deg, intensity = table[:, 0], table[:, 1] / table[:, 1].max()
    steps = np.maximum(1, np.ceil(POLAR_CELLS * np.diff(deg) / (deg[-1] - deg[0]))).astype(int)
    theta = np.radians(np.append(np.concatenate([np.linspace(a, b, n, endpoint=False)
                                                 for a, b, n in zip(deg[:-1], deg[1:], steps)]), deg[-1]))
    i = np.interp(theta, np.radians(deg), intensity)
    t0, t1, h = theta[:-1], theta[1:], np.diff(theta)
    # integral of (I0 + s (t - t0)) sin t over [t0, t1], s = (I1 - I0) / h
    cells = (i[:-1] * (np.cos(t0) - np.cos(t1))
             + (i[1:] - i[:-1]) / h * (np.sin(t1) - np.sin(t0) - h * np.cos(t1)))
    cdf = np.concatenate(([0.0], np.cumsum(np.maximum(cells, 0.0)[::-1])))
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    return np.ascontiguousarray(np.cos(theta[::-1])), cdf


def arrays(source) -> dict:
    """Kernel kind, geometry (the position, cm) and the polar-angle table about ``direction``."""
    geometry = np.zeros(6)
    geometry[:3] = source["position"]
    polar_mu, polar_cdf = polar_table(source)
    return {"kind": POINT, "geometry": geometry, "direction": np.array(source.get("direction", (0.0, 0.0, 1.0)), float),
            "polar_mu": polar_mu, "polar_cdf": polar_cdf}


def check_world(source, geometry) -> None:
    """The position lies in the world."""
    geometry.check_source_point(*source["position"], what="source.position")
