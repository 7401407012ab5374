"""Source sampling kernels: where a primary starts, in which direction, with which energy and weight.

The :class:`SourceArrays` bundle is built by :mod:`mcdose.sources`. Positions in cm,
energies in MeV. Beam sources start in the plane z = z0 and travel towards +z,
parallel or diverging from a focus ``focus_distance`` upstream; point sources emit
isotropically, or with a tabulated polar-angle distribution about an axis (a cone, an
angular intensity table).
"""
import math
from typing import NamedTuple

import numpy as np

from ._jit import jit
from .codes import BEAM_CIRCLE, EMITTED, LINAC_HEAD, MEC2, PHASE_SPACE, POINT, POSITRON, VOLUME
from .geometry import cross, medium
from .photon_interactions import rotate
from .rng import uniform
from .tally import push, units

MAX_TRIES = 1_000_000         # rejection tries of a volume source before it gives up (no matter in its box)


class SourceArrays(NamedTuple):
    """kind: BEAM_CIRCLE | BEAM_RECTANGLE | POINT | VOLUME | LINAC_HEAD | PHASE_SPACE; particle: PHOTON | ELECTRON |
    POSITRON (:mod:`.codes`); geometry: float64[6] =
    (radius or half-width x, half-width y, z0, focus distance (0 = parallel), unused, unused) for beams,
    (x, y, z, ...) for point sources, (x_min, x_max, y_min, y_max, z_min, z_max) for volume sources,
    (window centre x, y, z, spot sigma cm, angular sigma rad, virtual source distance cm) for a linac
    head (:func:`_head`), (uses per file history, the batch's first history's use, rotation 0 none | 1 random |
    2 fixed, fixed angle rad, mirror 0 none | 1 x | 2 y, weight factor) for a phase space
    (:func:`_phase_space_history`);
    spectrum_energy (MeV) and spectrum_cdf (cumulative
    probability, last = 1) of a discrete spectrum (one line for a monoenergetic source);
    weight: the statistical weight of every primary (hence also the largest: it bounds what one
    history can add to the fixed-point tallies); primaries: independent primaries each history
    starts (:func:`sample_primaries`); direction: float64[3], unit axis of a point
    source's polar-angle distribution; polar_mu: increasing cos(polar angle) nodes about it and
    polar_cdf: the cumulative probability at each node (0 ... 1), cos linear in between; both
    empty for isotropic emission; particles: a phase space's particles of this batch, rows (x, y, z, u,
    v, w, E, weight, kind) in its own frame, and history_start: where each of its histories starts in them
    (int64, one more than histories); frame: float64[12], the rotation (3 x 3, row major) and translation (cm)
    from that frame into the scene. Empty (identity frame) for every other kind. energy_cdf: a point
    source's spectrum per polar-angle interval (rows: the intervals of polar_mu; columns: cumulative
    probability over spectrum_energy), for an energy-angle source model (intrabeam); else empty (0, 0)."""

    kind: int
    particle: int
    geometry: np.ndarray
    spectrum_energy: np.ndarray
    spectrum_cdf: np.ndarray
    weight: float
    primaries: int
    direction: np.ndarray
    polar_mu: np.ndarray
    polar_cdf: np.ndarray
    particles: np.ndarray
    history_start: np.ndarray
    frame: np.ndarray
    energy_cdf: np.ndarray


@jit
def sample_energy(src, state):
    """Kinetic energy (MeV) from the discrete spectrum by binary search of its cumulative table."""
    cdf = src.spectrum_cdf
    return src.spectrum_energy[min(np.searchsorted(cdf, uniform(state)), cdf.size - 1)]


@jit
def _isotropic(state):
    w = 2.0 * uniform(state) - 1.0
    phi = 2.0 * math.pi * uniform(state)
    s = math.sqrt(max(0.0, 1.0 - w * w))
    return s * math.cos(phi), s * math.sin(phi), w


@jit
def _polar_cos(src, state):
    """(cos(polar angle), interval k - 1 it lies in) by inversion of the tabulated cumulative distribution,
    linear between nodes."""
    cdf, mu = src.polar_cdf, src.polar_mu
    r = uniform(state)                        # in (0, 1): cdf[k - 1] < r <= cdf[k] with k >= 1
    k = np.searchsorted(cdf, r)
    return mu[k - 1] + (mu[k] - mu[k - 1]) * (r - cdf[k - 1]) / (cdf[k] - cdf[k - 1]), k - 1


@jit
def _gaussian_radius(sigma, state):
    """Distance from the centre of a 2-D Gaussian of ``sigma`` per axis (Rayleigh: sigma sqrt(-2 ln U))."""
    return sigma * math.sqrt(-2.0 * math.log(uniform(state)))


@jit
def _head(src, state):
    """(x, y, z, u, v, w) leaving a linac head's window (mcdose/sources/ioert.py): a Gaussian spot about
    the window centre across the head axis ``src.direction``; the mean direction from the virtual point
    ``distance`` upstream through the start point (along the axis if 0); a Gaussian angular spread."""
    g, d = src.geometry, src.direction
    r = _gaussian_radius(g[3], state)
    px, py, pz = rotate(d[0], d[1], d[2], 0.0, 2.0 * math.pi * uniform(state))    # unit, across the axis
    x, y, z = g[0] + r * px, g[1] + r * py, g[2] + r * pz
    u, v, w = d[0], d[1], d[2]
    if g[5] > 0.0:
        u, v, w = g[5] * u + r * px, g[5] * v + r * py, g[5] * w + r * pz
        norm = math.sqrt(u * u + v * v + w * w)
        u, v, w = u / norm, v / norm, w / norm
    theta = _gaussian_radius(g[4], state)
    u, v, w = rotate(u, v, w, math.cos(theta), 2.0 * math.pi * uniform(state))
    return x, y, z, u, v, w


@jit(inline="always")
def sample_primary(src, geo, rho_max, state):
    """(x, y, z, u, v, w, E, weight) of one primary particle (cm, unit direction, MeV, weight).

    Volume sources: a point uniform in the box is kept with probability rho(point) / rho_max
    (rho_max: the geometry's largest density, g/cm3), which makes emission uniform per unit
    mass; E = 0 if no point with matter was found in MAX_TRIES (the caller's energy balance
    shows it).
    """
    g = src.geometry
    E = sample_energy(src, state)
    wt = src.weight
    if src.kind == POINT:
        if src.polar_mu.size == 0:
            u, v, w = _isotropic(state)
        else:
            d = src.direction
            mu, k = _polar_cos(src, state)
            u, v, w = rotate(d[0], d[1], d[2], mu, 2.0 * math.pi * uniform(state))
            if src.energy_cdf.shape[0] > 0:           # the spectrum of this polar-angle interval
                row = src.energy_cdf[k]
                E = src.spectrum_energy[min(np.searchsorted(row, uniform(state)), row.size - 1)]
        return g[0], g[1], g[2], u, v, w, E, wt
    if src.kind == LINAC_HEAD:
        x, y, z, u, v, w = _head(src, state)
        return x, y, z, u, v, w, E, wt
    if src.kind == VOLUME:
        for _ in range(MAX_TRIES):
            x = g[0] + (g[1] - g[0]) * uniform(state)
            y = g[2] + (g[3] - g[2]) * uniform(state)
            z = g[4] + (g[5] - g[4]) * uniform(state)
            u, v, w = _isotropic(state)
            cell, voxel = cross(geo, x, y, z, u, v, w)
            if cell >= 0:
                mat, rho = medium(geo, cell, voxel)
                if mat >= 0 and uniform(state) * rho_max < rho:
                    return x, y, z, u, v, w, E, wt
        return g[0], g[2], g[4], 0.0, 0.0, 1.0, 0.0, wt
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
        return x, y, z, x / norm, y / norm, focus / norm, E, wt
    return x, y, z, 0.0, 0.0, 1.0, E, wt


@jit
def _emit(stack, n, counters, x, y, z, u, v, w, e, kind, wt):
    """Push a primary and add its emitted energy -- kinetic, plus 2 mc² for a positron, times the
    weight, as the tallies count it -- to ``counters[EMITTED]``; returns the stack size."""
    counters[EMITTED] += units((e + 2.0 * MEC2 if kind == POSITRON else e) * wt)
    return push(stack, n, x, y, z, u, v, w, e, kind, wt)


@jit
def _phase_space_history(src, history, state, stack, counters):
    """Push the particles of the phase-space history that batch history ``history`` uses: file history
    (first use + history) // uses of this batch's segment, each used ``uses`` times in a row. In the
    file's frame a history is mirrored (x -> -x or y -> -y, with the direction), then turned about the
    file's z axis (by one random angle per use, or the fixed one); then placed by ``src.frame``. Weights
    are the file's times the factor (histories in the file / original histories: dose per original
    history). Returns the stack size."""
    g, f, p = src.geometry, src.frame, src.particles
    k = (int(g[1]) + history) // int(g[0])
    mode, mirror = int(g[2]), int(g[4])
    phi = 2.0 * math.pi * uniform(state) if mode == 1 else g[3]
    c, s = math.cos(phi), math.sin(phi)
    n = 0
    for i in range(src.history_start[k], src.history_start[k + 1]):
        x, y, z, u, v, w = p[i, 0], p[i, 1], p[i, 2], p[i, 3], p[i, 4], p[i, 5]
        if mirror == 1:
            x, u = -x, -u
        elif mirror == 2:
            y, v = -y, -v
        if mode != 0:
            x, y, u, v = c * x - s * y, s * x + c * y, c * u - s * v, s * u + c * v
        n = _emit(stack, n, counters,
                  f[0] * x + f[1] * y + f[2] * z + f[9], f[3] * x + f[4] * y + f[5] * z + f[10],
                  f[6] * x + f[7] * y + f[8] * z + f[11],
                  f[0] * u + f[1] * v + f[2] * w, f[3] * u + f[4] * v + f[5] * w, f[6] * u + f[7] * v + f[8] * w,
                  p[i, 6], int(p[i, 8]), p[i, 7] * g[5])
    return n


@jit(inline="always")
def sample_primaries(src, geo, rho_max, state, stack, counters, history):
    """Start history ``history`` (of this batch): push its primaries on the empty particle stack -- a
    phase space's particles of that history, else ``src.primaries`` primaries (:func:`sample_primary`,
    drawn in turn) -- and count their emitted energy (:func:`_emit`); returns the stack size.
    The dose stays per history: a history of k primaries scores k times the dose of one."""
    if src.kind == PHASE_SPACE:
        return _phase_space_history(src, history, state, stack, counters)
    n = 0
    for _ in range(src.primaries):
        x, y, z, u, v, w, e, wt = sample_primary(src, geo, rho_max, state)
        n = _emit(stack, n, counters, x, y, z, u, v, w, e, src.particle, wt)
    return n


@jit
def box_matter_fraction(geo, box, n):
    """Fraction of an n x n x n grid of points (cell centres) in the box (cm) that lie in matter:
    a volume source needs matter in its box (build-time check, not used during transport)."""
    hits = 0
    for i in range(n):
        for j in range(n):
            for k in range(n):
                x = box[0] + (box[1] - box[0]) * (i + 0.5) / n
                y = box[2] + (box[3] - box[2]) * (j + 0.5) / n
                z = box[4] + (box[5] - box[4]) * (k + 0.5) / n
                cell, voxel = cross(geo, x, y, z, 0.0, 0.0, 1.0)
                if cell >= 0:
                    mat, rho = medium(geo, cell, voxel)
                    if mat >= 0 and rho > 0.0:
                        hits += 1
    return hits / n ** 3
