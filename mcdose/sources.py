"""Source definitions: a validated ``[source]`` section -> :class:`~mcdose.kernels.source.SourceArrays`."""
from __future__ import annotations

import numpy as np

from .kernels.codes import BEAM_CIRCLE, BEAM_RECTANGLE, ELECTRON, PHOTON, POINT, POSITRON, VOLUME
from .kernels.source import SourceArrays

PARTICLES = {"photon": PHOTON, "electron": ELECTRON, "positron": POSITRON}
POLAR_CELLS = 2048      # cells of the polar-angle grid of an angular table (build time)


def spectrum(source) -> tuple:
    """(energies MeV, probabilities) of the source: one line, or the normalised [E, weight] pairs."""
    if "energy" in source:
        return np.array([source["energy"]]), np.array([1.0])
    pairs = np.array(source["spectrum"], dtype=np.float64)
    keep = pairs[:, 1] > 0
    return pairs[keep, 0], pairs[keep, 1] / pairs[keep, 1].sum()


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


def source_arrays(source) -> SourceArrays:
    """Kernel bundle of a validated ``[source]`` section (cm, MeV)."""
    energies, probabilities = spectrum(source)
    cdf = np.cumsum(probabilities)
    cdf[-1] = 1.0
    geometry = np.zeros(6)
    if source["type"] == "point":
        kind = POINT
        geometry[:3] = source["position"]
    elif source["type"] == "volume":
        kind = VOLUME
        geometry[:] = source["box"]
    else:
        if source["shape"] == "circle":
            kind = BEAM_CIRCLE
            geometry[0] = source["radius"]
        else:
            kind = BEAM_RECTANGLE
            geometry[0], geometry[1] = 0.5 * source["size"][0], 0.5 * source["size"][1]
        geometry[2] = source["z"]
        geometry[3] = source.get("focus_distance", 0.0)
    polar_mu, polar_cdf = polar_table(source)
    return SourceArrays(kind, PARTICLES[source["particle"]], geometry, np.ascontiguousarray(energies), cdf,
                        float(source.get("weight", 1.0)), np.array(source.get("direction", (0.0, 0.0, 1.0)), float),
                        polar_mu, polar_cdf)


def mean_energy(source) -> float:
    """Mean emitted kinetic energy, MeV."""
    energies, probabilities = spectrum(source)
    return float(np.dot(energies, probabilities))
