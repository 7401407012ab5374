"""Source definitions: a validated ``[source]`` section -> :class:`~mcdose.kernels.source.SourceArrays`."""
from __future__ import annotations

import numpy as np

from .kernels.source import BEAM_CIRCLE, BEAM_RECTANGLE, POINT, VOLUME, SourceArrays
from .kernels.tally import ELECTRON, PHOTON, POSITRON

PARTICLES = {"photon": PHOTON, "electron": ELECTRON, "positron": POSITRON}


def spectrum(source) -> tuple:
    """(energies MeV, probabilities) of the source: one line, or the normalised [E, weight] pairs."""
    if "energy" in source:
        return np.array([source["energy"]]), np.array([1.0])
    pairs = np.array(source["spectrum"], dtype=np.float64)
    keep = pairs[:, 1] > 0
    return pairs[keep, 0], pairs[keep, 1] / pairs[keep, 1].sum()


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
    return SourceArrays(kind, PARTICLES[source["particle"]], geometry, np.ascontiguousarray(energies), cdf)


def mean_energy(source) -> float:
    """Mean emitted kinetic energy, MeV."""
    energies, probabilities = spectrum(source)
    return float(np.dot(energies, probabilities))
