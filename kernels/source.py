"""Source sampling kernels: where a primary starts, in which direction, with which energy.

The :class:`SourceArrays` bundle is built by :mod:`mcdose.sources`. Positions in cm,
energies in MeV. Beam sources start in the plane z = z0 and travel towards +z,
parallel or diverging from a focus ``focus_distance`` upstream; point sources emit
isotropically.
"""
import math
from typing import NamedTuple

import numpy as np

from ._jit import jit
from .rng import uniform

BEAM_CIRCLE, BEAM_RECTANGLE, POINT = 0, 1, 2


class SourceArrays(NamedTuple):
    """kind: BEAM_CIRCLE | BEAM_RECTANGLE | POINT; geometry: float64[6] =
    (radius or half-width x, half-width y, z0, focus distance (0 = parallel), unused, unused) for beams,
    (x, y, z, ...) for point sources; spectrum_energy (MeV) and spectrum_cdf (cumulative
    probability, last = 1) of a discrete spectrum (one line for a monoenergetic source)."""

    kind: int
    geometry: np.ndarray
    spectrum_energy: np.ndarray
    spectrum_cdf: np.ndarray


@jit
def sample_energy(src, state):
    """Kinetic energy (MeV) from the discrete spectrum by binary search of its cumulative table."""
    cdf = src.spectrum_cdf
    return src.spectrum_energy[min(np.searchsorted(cdf, uniform(state)), cdf.size - 1)]


@jit
def sample_primary(src, state):
    """(x, y, z, u, v, w, E) of one primary particle (cm, unit direction, MeV)."""
    g = src.geometry
    E = sample_energy(src, state)
    if src.kind == POINT:
        w = 2.0 * uniform(state) - 1.0
        phi = 2.0 * math.pi * uniform(state)
        s = math.sqrt(max(0.0, 1.0 - w * w))
        return g[0], g[1], g[2], s * math.cos(phi), s * math.sin(phi), w, E
    if src.kind == BEAM_CIRCLE:
        r = g[0] * math.sqrt(uniform(state))
        phi = 2.0 * math.pi * uniform(state)
        x, y = r * math.cos(phi), r * math.sin(phi)
    else:
        x = g[0] * (2.0 * uniform(state) - 1.0)
        y = g[1] * (2.0 * uniform(state) - 1.0)
    z = g[2]
    focus = g[3]
    if focus > 0.0:
        norm = math.sqrt(x * x + y * y + focus * focus)
        return x, y, z, x / norm, y / norm, focus / norm, E
    return x, y, z, 0.0, 0.0, 1.0, E
