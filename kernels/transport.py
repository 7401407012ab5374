"""The transport loop of one batch (Numba): primaries, their showers, fixed-point tallies.

A history starts with the source's primaries (one, or ``primaries_per_history``:
:func:`.source.sample_primaries`) and follows every particle they create
(photons by :func:`.photon_transport.track_photon`, electrons and positrons by
:func:`.electron_transport.track_electron`) through a last-in first-out stack. Every particle
carries its primary's statistical weight, which multiplies all its scores (:mod:`.tally`).

Determinism: a batch is cut into fixed chunks of histories; :func:`run_chunks` transports every
step-th chunk, and the caller runs one such call on each of its threads (the kernels release the
GIL), each thread adding into its own row of int64 accumulators in units of QUANTUM MeV (:mod:`.tally`). Integer
addition is associative, so the sum over threads, and the dose, is the same bit for bit for
any thread count. History h of batch b draws from the stream (seed, b, h) only. (Python threads
rather than Numba's prange: the parallel compilation cost 9 s of the cold start, issue 21.)
"""
import inspect

import numpy as np
from numba import types

from ._jit import jit
from .codes import LOST_COUNT, PHOTON
from .electron_transport import track_electron
from .photon_transport import track_photon
from .rng import stream_init
from .source import sample_primaries
from .tally import STACK_COLUMNS, STACK_SIZE


@jit(inline="always")
def _history(geo, mesh, pdata, edata, src, state, stack, tally, counters, settings, lattice_materials, rho_max,
             rho_source, seg_len, seg_idx, planes, records, rec_n, history):
    """One history: its primaries and every particle they create, through the stack. Inlined into the history
    loop :func:`run_chunks`: out of line, each history's call passed every bundle flattened (about 6 kB), a third
    of an analog 50 keV photon history (docs/architecture.md, "Kernels: how they are written")."""
    n = sample_primaries(src, geo, rho_source, state, stack, counters, history)
    while n > 0:
        n -= 1
        kind = int(stack[n, 7])
        if kind == PHOTON:
            n = track_photon(geo, mesh, pdata, stack[n, 0], stack[n, 1], stack[n, 2], stack[n, 3], stack[n, 4],
                             stack[n, 5], stack[n, 6], stack[n, 8], state, stack, n, tally, counters, settings,
                             lattice_materials, rho_max, seg_len, seg_idx, planes, records, rec_n)
        else:
            n = track_electron(geo, mesh, edata, stack[n, 0], stack[n, 1], stack[n, 2], stack[n, 3], stack[n, 4],
                               stack[n, 5], stack[n, 6], stack[n, 8], kind, state, stack, n, tally, counters,
                               settings, seg_len, seg_idx, planes, records, rec_n)
        if n < 0:                              # stack overflow: the rest of the history is lost
            counters[LOST_COUNT] += 1
            return


def work_buffers(geo, settings, n_segments: int) -> tuple:
    """The buffers one thread's :func:`run_chunks` borrows: the RNG state, the particle stack (with room for the
    photons of bremsstrahlung splitting and the copies of particles split by importance, :mod:`.weights`) and the
    segment buffers of one straight flight (n_segments: the most mesh bins it can cross). Allocated by the caller
    (numpy), so the kernel neither allocates nor counts references (compiling such a wrapper cost 2.5 s of the cold
    start, issue 21)."""
    importance = geo.region_params[geo.region_params.shape[0] // 2:]
    split_room = 4 * settings.brems_split + 2 * int(np.ceil(importance.max() / importance.min()))
    return (np.empty(4, dtype=np.uint64), np.empty((STACK_SIZE + split_room, STACK_COLUMNS)), np.empty(n_segments),
            np.empty(n_segments, dtype=np.int64))


@jit
def run_chunks(geo, mesh, pdata, edata, src, seed, batch, first_history, n_histories, n_chunks, first_chunk, step,
               settings, lattice_materials, rho_max, rho_source, tally, counters, planes, records, rec_n, state, stack,
               seg_len, seg_idx):
    """Transport chunks first_chunk, first_chunk + step, ... of a batch of ``n_histories`` primaries cut into
    ``n_chunks``: chunk c holds the histories first_history + [c n / n_chunks, (c + 1) n / n_chunks).

    tally: int64 (n_bins,) and counters: int64 (N_COUNTERS + n_regions,), the calling thread's rows (added to);
    lattice_materials: int64 indices of the voxel lattice's materials, rho_max: the lattice's largest density
    (Woodcock majorant), rho_source: the largest density of the geometry (g/cm3, volume sources);
    settings: :class:`.tally.TransportSettings`; planes: the plane scorers (n_planes, PLANE_COLUMNS);
    records: float64 (n_chunks, capacity, RECORD_COLUMNS) and rec_n: int64 (n_chunks, >= 3), zeroed by the caller:
    chunk c's crossings in history order (:func:`.tally.score_planes`), so they do not depend on the threads;
    state, stack, seg_len, seg_idx: the thread's own :func:`work_buffers`.
    """
    for c in range(first_chunk, n_chunks, step):
        start = first_history + (c * n_histories) // n_chunks
        stop = first_history + ((c + 1) * n_histories) // n_chunks
        for h in range(start, stop):
            stream_init(state, seed, batch, h)
            rec_n[c, 2] = h
            _history(geo, mesh, pdata, edata, src, state, stack, tally, counters, settings, lattice_materials,
                     rho_max, rho_source, seg_len, seg_idx, planes, records[c], rec_n[c], h)


def track_electron_types(run_chunks_types: tuple) -> tuple:
    """The Numba types of :func:`_history`'s call of ``track_electron``, from those of :func:`run_chunks`' arguments:
    the signature a second process compiles while the first compiles the rest (mcdose.compile_ahead). It mirrors the
    call above: positions, direction, energy and weight are stack elements, the kind and the stack size integers,
    ``records`` and ``rec_n`` one chunk's rows."""
    t = dict(zip(inspect.signature(run_chunks.py_func).parameters, run_chunks_types))

    def row(array):                     # array[c]: one rank less, C-contiguous only if the array is
        return array.copy(ndim=array.ndim - 1, layout="C" if array.layout == "C" else "A")

    element = t["stack"].dtype
    return (t["geo"], t["mesh"], t["edata"], *(element,) * 8, types.int64, t["state"], t["stack"], types.int64,
            t["tally"], t["counters"], t["settings"], t["seg_len"], t["seg_idx"], t["planes"], row(t["records"]),
            row(t["rec_n"]))
