"""Tallies and the particle stack shared by the photon and electron transport kernels.

Energies are accumulated in int64 units of QUANTUM MeV (fixed point): integer addition is
associative, so per-thread rows summed in any order give the same dose bit for bit for any
thread count (docs/architecture.md). The energy-balance counters (EMITTED, ... of :mod:`.codes`) live
in a second int64 row, followed by the energy scored in each region (the phantom, each part, the
world: ``GeometryArrays.cell_region``) with the mesh's estimator: in analog scoring every deposit, so
the regions sum to DEPOSITED exactly; in track-length scoring the photon kerma along each flight.

The stack holds particles waiting for transport, one row each:
(x, y, z, u, v, w, E, kind, weight) -- cm, unit direction, kinetic energy MeV, PHOTON | ELECTRON |
POSITRON (:mod:`.codes`), statistical weight. Every energy a particle deposits, carries away or loses
counts times its weight and its secondaries inherit it (weighted Monte Carlo: I. Lux, L. Koblinger,
Monte Carlo Particle Transport Methods, CRC 1991, ch. 5): the dose per primary stays unbiased.
"""
from typing import NamedTuple

import numpy as np

from ._jit import jit
from .codes import DEPOSITED, ESCAPED, MEC2, N_COUNTERS, POSITRON
from .mesh import mesh_index

QUANTUM = 2.0 ** -36          # MeV per accumulator unit (1.5e-11 MeV)
INV_QUANTUM = 2.0 ** 36
STACK_COLUMNS = 9
STACK_SIZE = 512              # particles of one history waiting for transport
# Plane scorers: planes (n_planes, PLANE_COLUMNS) rows (nx, ny, nz, d, photon, electron, positron, e_min): the
# plane n . x = d (unit n), 1.0 for each kind it records, and the least kinetic energy (MeV) it records;
# a chunk's records (capacity, RECORD_COLUMNS)
# rows (plane, x, y, z, u, v, w, E, weight, kind, history) and its int64 row (records, dropped, history).
PLANE_COLUMNS = 8
RECORD_COLUMNS = 11
PLANE_TOL = 1e-9              # cm: a crossing this close after a flight's start was its predecessor's


@jit
def units(e):
    """Energy (MeV, >= 0) in accumulator units, rounded to nearest."""
    return np.int64(e * INV_QUANTUM + 0.5)


@jit
def deposit(mesh, tally, counters, region, x, y, z, e, wt, scored):
    """Local deposit of e MeV of weight wt at (x, y, z) in scoring region ``region``: always in the
    energy balance, in the mesh and the region's tally if ``scored``."""
    n = units(e * wt)
    counters[DEPOSITED] += n
    if scored:
        counters[N_COUNTERS + region] += n
        idx = mesh_index(mesh, x, y, z)
        if idx >= 0:
            tally[idx] += n


@jit
def score_planes(planes, records, rec_n, x, y, z, u, v, w, length, e, de, wt, kind):
    """Record every scoring plane the straight flight from (x, y, z) along the unit (u, v, w) over
    ``length`` cm crosses, for a particle of ``kind`` and weight wt whose kinetic energy goes from e
    to e - de linearly along the flight (MeV), when that energy at the crossing is at least the plane's
    e_min (MeV) and above 0. A crossing s cm along counts when
    PLANE_TOL < s <= length + PLANE_TOL, so a flight that ends on a plane and the next that starts
    there record it once; records beyond the buffer's capacity are counted in rec_n[1]."""
    for i in range(planes.shape[0]):
        if planes[i, 4 + kind] == 0.0:
            continue
        cos = planes[i, 0] * u + planes[i, 1] * v + planes[i, 2] * w
        if cos == 0.0:
            continue
        s = (planes[i, 3] - planes[i, 0] * x - planes[i, 1] * y - planes[i, 2] * z) / cos
        if not PLANE_TOL < s <= length + PLANE_TOL:
            continue
        e_cross = e - de * min(s / length, 1.0) if length > 0.0 else e
        if e_cross <= 0.0 or e_cross < planes[i, 7]:
            continue
        r = rec_n[0]
        if r >= records.shape[0]:
            rec_n[1] += 1
            continue
        records[r, 0], records[r, 1], records[r, 2], records[r, 3] = i, x + s * u, y + s * v, z + s * w
        records[r, 4], records[r, 5], records[r, 6] = u, v, w
        records[r, 7] = e_cross
        records[r, 8], records[r, 9], records[r, 10] = wt, kind, rec_n[2]
        rec_n[0] = r + 1


@jit
def push(stack, n, x, y, z, u, v, w, e, kind, wt):
    """Put a particle of weight wt on the stack of size n; returns the new size, -1 when full."""
    if n < 0 or n >= stack.shape[0]:
        return -1
    stack[n, 0], stack[n, 1], stack[n, 2] = x, y, z
    stack[n, 3], stack[n, 4], stack[n, 5], stack[n, 6] = u, v, w, e
    stack[n, 7], stack[n, 8] = kind, wt
    return n + 1


@jit
def escape(counters, e, kind, wt):
    """A particle of weight wt leaves the world: its kinetic energy, plus 2 mc² for a positron (the
    annihilation energy it carries away; positron energy is counted as T + 2 mc² everywhere in the
    balance), times wt."""
    counters[ESCAPED] += units((e + 2.0 * MEC2 if kind == POSITRON else e) * wt)


class TransportSettings(NamedTuple):
    """Run-wide transport switches and cut-offs (MeV, dimensionless).

    photon_cutoff / electron_cutoff: kinetic energies below which particles deposit on the spot;
    analog: score local deposits (False: track-length photon kerma, charged particles not
    transported); woodcock: delta tracking in the voxel lattice; electrons: transport charged
    secondaries of photons (False: kerma approximation); max_step_loss: largest fractional
    energy loss of one electron step; max_step_q1: largest first GS moment (lambda G1 = path /
    transport mean free path) of one step; multiple_scattering / discrete_events: physics
    switches (off only for verification, e.g. the CSDA test); range_rejection: electrons that
    cannot leave their region and mesh bin deposit on the spot. Variance reduction (weight-correct:
    :func:`.weights.roulette`): brems_split: photons each bremsstrahlung event becomes, each of 1/N the
    weight (1 = analog); field_x, field_y, field_z, field_radius (cm): directional splitting, the sphere of
    interest (radius 0 = off: uniform splitting): a split photon not aimed at it is played Russian roulette
    (survives with probability 1/N at the event's weight); charged_roulette / photon_roulette: the weight below
    which a charged particle / photon is played Russian roulette up to that weight (0 = off).
    """

    photon_cutoff: float
    electron_cutoff: float
    analog: bool
    woodcock: bool
    electrons: bool
    max_step_loss: float
    max_step_q1: float
    multiple_scattering: bool
    range_rejection: bool
    brems_split: int = 1
    field_x: float = 0.0
    field_y: float = 0.0
    field_z: float = 0.0
    field_radius: float = 0.0
    charged_roulette: float = 0.0
    photon_roulette: float = 0.0
