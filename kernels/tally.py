"""Tallies and the particle stack shared by the photon and electron transport kernels.

Energies are accumulated in int64 units of QUANTUM MeV (fixed point): integer addition is
associative, so per-thread rows summed in any order give the same dose bit for bit for any
thread count (DESIGN.md section 6). The energy-balance counters (EMITTED, ... of :mod:`.codes`) live
in a second int64 row.

The stack holds particles waiting for transport, one row each:
(x, y, z, u, v, w, E, kind, weight) -- cm, unit direction, kinetic energy MeV, PHOTON | ELECTRON |
POSITRON (:mod:`.codes`), statistical weight. Every energy a particle deposits, carries away or loses
counts times its weight and its secondaries inherit it (weighted Monte Carlo: I. Lux, L. Koblinger,
Monte Carlo Particle Transport Methods, CRC 1991, ch. 5): the dose per primary stays unbiased.
"""
from typing import NamedTuple

import numpy as np

from ._jit import jit
from .codes import DEPOSITED, ESCAPED, MEC2, POSITRON
from .mesh import mesh_index

QUANTUM = 2.0 ** -36          # MeV per accumulator unit (1.5e-11 MeV)
INV_QUANTUM = 2.0 ** 36
STACK_COLUMNS = 9
STACK_SIZE = 512              # particles of one history waiting for transport


@jit
def units(e):
    """Energy (MeV, >= 0) in accumulator units, rounded to nearest."""
    return np.int64(e * INV_QUANTUM + 0.5)


@jit
def deposit(mesh, tally, counters, x, y, z, e, wt, scored):
    """Local deposit of e MeV of weight wt at (x, y, z): always in the energy balance, in the mesh
    if ``scored``."""
    n = units(e * wt)
    counters[DEPOSITED] += n
    if scored:
        idx = mesh_index(mesh, x, y, z)
        if idx >= 0:
            tally[idx] += n


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
    cannot leave their region and mesh bin deposit on the spot.
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
