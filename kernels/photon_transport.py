"""Photon transport loop (Numba): histories of one batch, tallied into fixed-point accumulators.

Tracking: the number of mean free paths to the next interaction is sampled
once (-ln u) and spent region by region, each cell crossed exactly with the
geometry kernels; in a voxel lattice, Woodcock (delta) tracking against the
lattice majorant for analog scoring, voxel-by-voxel ray tracing for
track-length scoring. At an
interaction the process is chosen from the partial cross sections and sampled
by :mod:`.photon_interactions`. Charged secondaries deposit their kinetic
energy on the spot (kerma approximation, ``physics.electrons = "local"``);
fluorescence and annihilation photons are transported; photons below the
photon cut-off deposit their energy on the spot (scored by both estimators).

Scoring: ``analog`` adds each local deposit to the mesh bin where it happens;
``tracklength`` adds E mu_en(E) rho l along every flight segment l (cm) split
into mesh bins -- the expected kerma, which is the dose where secondary
electrons are short-ranged (Williamson, Med. Phys. 14 (1987) 567; egs_brachy,
Chamberland et al., PMB 61 (2016) 8214).

Determinism: a batch is cut into fixed chunks of histories; chunks run in
parallel (prange) and each thread adds into its own row of int64 accumulators
in units of QUANTUM MeV. Integer addition is associative, so the sum over
threads, and the dose, is the same bit for bit for any thread count. History h
of batch b draws from the stream (seed, b, h) only.
"""
import math

import numba
import numpy as np

from ._jit import jit, jit_parallel
from .geometry import cell_exit, cross, distance_to_boundary, majorant, medium, voxel_index
from .mesh import mesh_index, trace_mesh
from .photon_interactions import (isotropic_direction, mu_en, mu_total, rotate, sample_compton,
                                  sample_pair, sample_photoelectric, sample_rayleigh, select_interaction)
from .rng import stream_init, uniform
from .source import sample_primary

QUANTUM = 2.0 ** -36          # MeV per accumulator unit (1.5e-11 MeV)
INV_QUANTUM = 2.0 ** 36
EMITTED, DEPOSITED, ESCAPED, LOST_ENERGY, LOST_COUNT = 0, 1, 2, 3, 4
N_COUNTERS = 5
STACK_SIZE = 64               # secondary photons per history waiting for transport
MAX_STEPS = 100_000           # region crossings of one photon before it is declared lost
MEC2 = 0.51099895             # MeV
PHOTOELECTRIC, INCOHERENT, COHERENT, PAIR = 0, 1, 2, 3


@jit
def _units(e):
    """Energy (MeV, >= 0) in accumulator units, rounded to nearest."""
    return np.int64(e * INV_QUANTUM + 0.5)


@jit
def _deposit(mesh, tally, counters, x, y, z, e, analog):
    """Local deposit of e MeV at (x, y, z): always in the energy balance, in the mesh if analog."""
    units = _units(e)
    counters[DEPOSITED] += units
    if analog:
        idx = mesh_index(mesh, x, y, z)
        if idx >= 0:
            tally[idx] += units


@jit
def _score_track(mesh, tally, x, y, z, u, v, w, length, e_per_cm, seg_len, seg_idx):
    """Track-length kerma: e_per_cm (MeV/cm) times the path length in each mesh bin."""
    n = trace_mesh(mesh, x, y, z, u, v, w, length, seg_len, seg_idx)
    for k in range(n):
        if seg_idx[k] >= 0:
            tally[seg_idx[k]] += _units(e_per_cm * seg_len[k])


@jit
def _push(stack, n, x, y, z, u, v, w, e):
    if n >= stack.shape[0]:
        return -1
    stack[n, 0], stack[n, 1], stack[n, 2] = x, y, z
    stack[n, 3], stack[n, 4], stack[n, 5], stack[n, 6] = u, v, w, e
    return n + 1


@jit
def _lattice_mu_max(pdata, lattice_materials, rho_max, e):
    """Woodcock majorant (1/cm) of the lattice at energy e: max_m mu_m/rho(e) times the largest density."""
    mu = 0.0
    for m in lattice_materials:
        mu = max(mu, mu_total(pdata, m, e))
    return mu * rho_max


@jit
def _track_photon(geo, mesh, pdata, x, y, z, u, v, w, e, state, stack, n_stack, tally, counters,
                  cutoff, analog, woodcock, lattice_materials, rho_max, seg_len, seg_idx):
    """Transport one photon to absorption or escape; returns the new stack size (-1: stack overflow).

    Inside the voxel lattice with ``woodcock`` set, flights are sampled against the lattice's
    majorant and accepted as real interactions with probability mu(voxel)/mu_max (Woodcock et al.,
    Proc. Conf. Applications of Computing Methods to Reactor Problems, ANL-7050 (1965) 557); the
    voxel walls are then never computed. Elsewhere, and always for track-length scoring (which
    needs the medium of every piece of the flight), flights are ray-traced region by region.
    """
    lattice = geo.lat_cell[0]
    cell, voxel = cross(geo, x, y, z, u, v, w)
    mfp = -math.log(uniform(state))
    for _ in range(MAX_STEPS):
        if cell < 0:
            counters[ESCAPED] += _units(e)
            return n_stack
        if woodcock and cell == lattice:
            d = cell_exit(geo, cell, x, y, z, u, v, w)
        else:
            d = distance_to_boundary(geo, cell, x, y, z, u, v, w)
        if not d > 0.0:                       # not inside for this direction: relocate
            cell, voxel = cross(geo, x, y, z, u, v, w)
            d = distance_to_boundary(geo, cell, x, y, z, u, v, w) if cell >= 0 else 1.0
            if not d > 0.0:
                break
            continue
        if woodcock and cell == lattice:
            mu_max = _lattice_mu_max(pdata, lattice_materials, rho_max, e)
            t = mfp / mu_max if mu_max > 0.0 else np.inf
            if t >= d:
                mfp -= d * mu_max
                x, y, z = x + d * u, y + d * v, z + d * w
                cell, voxel = cross(geo, x, y, z, u, v, w)
                continue
            x, y, z = x + t * u, y + t * v, z + t * w
            voxel = voxel_index(geo, x, y, z, u, v, w)
            mat, rho = medium(geo, cell, voxel)
            mfp = -math.log(uniform(state))
            if mat < 0 or uniform(state) * mu_max >= mu_total(pdata, mat, e) * rho:
                continue                      # virtual collision: fly on
        else:
            mat, rho = medium(geo, cell, voxel)
            if mat < 0 or rho <= 0.0:         # vacuum: straight to the next region
                x, y, z = x + d * u, y + d * v, z + d * w
                cell, voxel = cross(geo, x, y, z, u, v, w)
                continue
            mu = mu_total(pdata, mat, e) * rho
            t = mfp / mu
            step = t if t < d else d
            if not analog:
                _score_track(mesh, tally, x, y, z, u, v, w, step, e * mu_en(pdata, mat, e) * rho, seg_len, seg_idx)
            x, y, z = x + step * u, y + step * v, z + step * w
            if t >= d:
                mfp -= d * mu
                cell, voxel = cross(geo, x, y, z, u, v, w)
                continue
        # --- interaction
        process = select_interaction(pdata, mat, e, state)
        if process == PHOTOELECTRIC:
            e_local, e_fluor = sample_photoelectric(pdata, mat, e, state)
            _deposit(mesh, tally, counters, x, y, z, e_local, analog)
            if e_fluor > 0.0:
                if e_fluor < cutoff:      # scored in both modes: no flight's mu_en carries it
                    _deposit(mesh, tally, counters, x, y, z, e_fluor, True)
                else:
                    fu, fv, fw = isotropic_direction(state)
                    n_stack = _push(stack, n_stack, x, y, z, fu, fv, fw, e_fluor)
                    if n_stack < 0:
                        return -1
            return n_stack
        if process == PAIR:
            t_minus, t_plus = sample_pair(pdata, mat, e, state)
            _deposit(mesh, tally, counters, x, y, z, t_minus + t_plus, analog)
            au, av, aw = isotropic_direction(state)   # annihilation at rest: two back-to-back photons
            n_stack = _push(stack, n_stack, x, y, z, au, av, aw, MEC2)
            n_stack = _push(stack, n_stack, x, y, z, -au, -av, -aw, MEC2) if n_stack >= 0 else -1
            return n_stack
        if process == INCOHERENT:
            e_new, cos_t, t_electron = sample_compton(pdata, mat, e, state)
            _deposit(mesh, tally, counters, x, y, z, t_electron, analog)
            e = e_new
        else:
            cos_t = sample_rayleigh(pdata, mat, e, state)
        u, v, w = rotate(u, v, w, cos_t, 2.0 * math.pi * uniform(state))
        if e < cutoff:                    # scored in both modes: no flight's mu_en carries it
            _deposit(mesh, tally, counters, x, y, z, e, True)
            return n_stack
        mfp = -math.log(uniform(state))
        cell, voxel = cross(geo, x, y, z, u, v, w)
    counters[LOST_ENERGY] += _units(e)
    counters[LOST_COUNT] += 1
    return n_stack


@jit
def _history(geo, mesh, pdata, src, state, stack, tally, counters, cutoff, analog, woodcock, lattice_materials,
             rho_max, seg_len, seg_idx):
    x, y, z, u, v, w, e = sample_primary(src, state)
    counters[EMITTED] += _units(e)
    n = _push(stack, 0, x, y, z, u, v, w, e)
    while n > 0:
        n -= 1
        n = _track_photon(geo, mesh, pdata, stack[n, 0], stack[n, 1], stack[n, 2], stack[n, 3], stack[n, 4],
                          stack[n, 5], stack[n, 6], state, stack, n, tally, counters, cutoff, analog,
                          woodcock, lattice_materials, rho_max, seg_len, seg_idx)
        if n < 0:                              # stack overflow: cannot happen for photons alone
            counters[LOST_COUNT] += 1
            return


@jit_parallel
def run_photon_batch(geo, mesh, pdata, src, seed, batch, first_history, n_histories, n_chunks,
                     cutoff, analog, woodcock, lattice_materials, n_segments, tally, counters):
    """Transport ``n_histories`` primaries of one batch.

    tally: int64 (n_threads, n_bins), counters: int64 (n_threads, N_COUNTERS), both zeroed by the
    caller; row = Numba thread id. History numbers are first_history + i; chunk c holds the
    histories [c n / n_chunks, (c + 1) n / n_chunks). n_segments: the most mesh bins one straight
    flight can cross (buffer of the track-length scoring). woodcock: delta tracking in the voxel
    lattice (analog scoring only) over its materials ``lattice_materials`` (int64 indices).
    """
    rho_max = majorant(geo)
    for c in numba.prange(n_chunks):
        tid = numba.get_thread_id()
        state = np.empty(4, dtype=np.uint64)
        stack = np.empty((STACK_SIZE, 7))
        seg_len = np.empty(n_segments)
        seg_idx = np.empty(n_segments, dtype=np.int64)
        start = first_history + (c * n_histories) // n_chunks
        stop = first_history + ((c + 1) * n_histories) // n_chunks
        for h in range(start, stop):
            stream_init(state, seed, batch, h)
            _history(geo, mesh, pdata, src, state, stack, tally[tid], counters[tid], cutoff, analog,
                     woodcock and analog, lattice_materials, rho_max, seg_len, seg_idx)
