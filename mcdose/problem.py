"""Build a transport problem from a validated :class:`~mcdose.config.Spec`.

Everything Python-side is resolved here once -- geometry, scoring mesh and
voxel masses, per-material photon and electron data, source, transport
settings -- and handed to the kernels as arrays;
:meth:`TransportProblem.transport_batch` runs one batch and returns its tally
(the unit of work of :mod:`mcdose.runner`).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numba
import numpy as np

from . import compile_ahead, phantoms
from .config import inform, preflight
from .electron_data import build_electron_data
from .errors import TallyOverflowError
from .kernels import codes
from .kernels import tally as kt
from .kernels.geometry import majorant, max_density
from .kernels.transport import run_chunks, work_buffers
from .mesh import mesh_arrays, region_masses, voxel_masses
from .photon_data import build_photon_data
from .results import Grid
from .runner import BatchTally, batch_sizes
from .sources import check_scene, describe, feed, source_arrays

CHUNKS_PER_THREAD = 8   # load balance only: results do not depend on the chunking
ACCUMULATOR_LIMIT = 2 ** 62   # int64 units one kernel call may accumulate (half the range: a safety factor 2)
FILE_RECORDS = 100_000        # first record buffer per batch of a run writing phase-space files (it grows)
MAX_CALL_RECORDS = 50_000_000  # records one kernel call may hold (11 float64 each: 4.4 GB)


def build_problem(spec, ahead: bool = False) -> "TransportProblem":
    """The transport problem of a configuration (clear InputError for what cannot be run); ``ahead``: compile the
    transport kernel in a second process while the problem is built (:mod:`mcdose.compile_ahead`), for a caller
    that will run batches."""
    base = Path(spec.source_path).parent if spec.source_path else None
    geometry = phantoms.build(spec.phantom, material=spec.material, source=spec.source, base_dir=base,
                              parts=spec.scene_parts)
    phantoms.check_source(geometry, spec.source)
    preflight(spec, geometry)
    if loaded := describe(spec.source):
        inform(loaded)
    return TransportProblem(geometry, Grid.from_scoring(spec.scoring), spec.material, spec.source,
                            spec.physics, spec.scoring.estimator, spec.scorers, spec.phase_space,
                            batch_sizes(spec.run.histories, spec.run.batches), spec.variance_reduction, ahead)


def plane_arrays(scorers) -> np.ndarray:
    """The kernels' plane scorers (:data:`~mcdose.kernels.tally.PLANE_COLUMNS` per row) of validated
    [[scorers]] or [[scoring.phase_space]] tables: z = c is the plane n = +z, d = c; else the unit normal and
    d = n . point (cm); the kinds recorded; the least kinetic energy recorded (MeV, min_energy or 0)."""
    rows = np.zeros((len(scorers), kt.PLANE_COLUMNS))
    for i, sc in enumerate(scorers):
        if "z" in sc:
            rows[i, 2], rows[i, 3] = 1.0, sc["z"]
        else:
            n = np.asarray(sc["normal"], dtype=float) / np.linalg.norm(sc["normal"])
            rows[i, :3], rows[i, 3] = n, float(n @ np.asarray(sc["point"], dtype=float))
        for kind, name in ((codes.PHOTON, "photon"), (codes.ELECTRON, "electron"), (codes.POSITRON, "positron")):
            rows[i, 4 + kind] = float(name in sc["particles"])
        rows[i, 7] = float(sc.get("min_energy", 0.0))
    return rows


def _segment_capacity(mesh) -> int:
    """Most mesh bins one straight flight can cross (+ margin): the trace_mesh buffer size."""
    n0, n1, n2 = (int(n) for n in mesh.shape)
    return {0: n0 + n1 + n2, 1: 2 * n0 + n1, 2: 2 * n0}[mesh.kind] + 8


def settings_of(physics, estimator: str, particle: str) -> kt.TransportSettings:
    """Kernel transport settings from a validated [physics] section and the scoring estimator.

    Charged particles are transported for electron/positron sources, and for photon sources when
    physics.electrons = "transport" with analog scoring (track-length scoring is photon kerma:
    transporting electrons as well would count their energy twice).
    """
    analog = estimator == "analog"
    electrons = particle != "photon" or (physics["electrons"] == "transport" and analog)
    return kt.TransportSettings(
        photon_cutoff=float(physics["photon_cutoff"]), electron_cutoff=float(physics["electron_cutoff"]),
        analog=analog, woodcock=bool(physics["woodcock"]) and analog, electrons=electrons,
        max_step_loss=float(physics["max_step_loss"]), max_step_q1=float(physics["max_step_scatter"]),
        multiple_scattering=bool(physics["multiple_scattering"]), range_rejection=bool(physics["range_rejection"]))


def with_variance_reduction(settings: kt.TransportSettings, vr, source_weight: float) -> kt.TransportSettings:
    """Transport settings with a validated [variance_reduction] section applied: bremsstrahlung splitting,
    Russian roulette of charged particles lighter than the source's weight (with splitting or enhancement
    only: those set in motion by split or enhanced photons) and of photons below photon_roulette x that weight.
    (The enhancement itself, brems_enhancement, lives in the electron data: :func:`build_electron_data`.)"""
    split = int(vr.get("brems_splitting", 1))
    light = split > 1 or float(vr.get("brems_enhancement", 1.0)) > 1.0
    charged = source_weight if light and vr.get("russian_roulette", True) else 0.0
    field = vr.get("splitting_field_center", (0.0, 0.0, 0.0))
    return settings._replace(brems_split=split, charged_roulette=float(charged),
                             field_x=float(field[0]), field_y=float(field[1]), field_z=float(field[2]),
                             field_radius=float(vr.get("splitting_field_radius", 0.0)),
                             photon_roulette=float(vr.get("photon_roulette", 0.0)) * source_weight)


def region_importance(regions, vr) -> np.ndarray:
    """The geometric importance of each scoring region (the second half of ``GeometryArrays.region_params``): a
    validated [variance_reduction] section's ``importance`` by region name (config.check_importance), 1 elsewhere."""
    given = vr.get("importance", {})
    return np.array([float(given.get(name, 1.0)) for name in regions])


class TransportProblem:
    """Coupled photon-electron transport of one configuration.

    geometry: :class:`~mcdose.geometry.Geometry`; grid: scoring :class:`~mcdose.results.Grid`;
    material: name -> Material; source: a validated [source] section; physics: a validated
    [physics] section (mapping); estimator: "analog" or "tracklength"; scorers: validated
    [[scorers]] tables (plane scorers kept in memory); phase_space: validated [[scoring.phase_space]] tables
    (plane scorers written to files: their records follow the [[scorers]]', never dropped); sizes: histories
    per batch (needed by a source that feeds each batch its own particles, a phase space);
    variance_reduction: a validated [variance_reduction] section (None: analog); ahead: compile the transport kernel
    in a second process while the masses are computed (:mod:`mcdose.compile_ahead`).
    """

    def __init__(self, geometry, grid, material, source, physics, estimator: str, scorers=(), phase_space=(),
                 sizes=None, variance_reduction=None, ahead: bool = False):
        self.geo = geometry.compile()
        self.material_names = list(geometry.materials)
        self.grid = grid
        self.mesh = mesh_arrays(grid)
        self.region_names = geometry.regions     # per-region tally: the phantom, each part, the world
        # the DICOM identifiers of the CT the phantom came from (result attributes ct_*), none otherwise
        self.image_identifiers = dict(geometry.image.identifiers) if geometry.image is not None else {}
        self.scorer_names = (tuple(sc.get("name", f"scorers[{i}]") for i, sc in enumerate(scorers))
                             + tuple(sc.get("name", f"scoring.phase_space[{i}]") for i, sc in enumerate(phase_space)))
        self.file_scorers = tuple(phase_space)      # scorer len(scorers) + i writes the file of phase_space[i]
        self.planes = plane_arrays(list(scorers) + list(phase_space))
        self.max_records = sum(int(sc["max_records"]) for sc in scorers) + (FILE_RECORDS if phase_space else 0)
        materials = [material(name) for name in self.material_names]
        self.settings = settings_of(physics, estimator, source["particle"])
        self.pdata = build_photon_data(materials)
        self.edata = build_electron_data(materials, physics["delta_threshold"], physics["brems_threshold"],
                                         physics["max_step_loss"], discrete=bool(physics["discrete_events"]),
                                         brems_enhancement=float((variance_reduction or {}).get("brems_enhancement",
                                                                                                1.0)),
                                         spin=bool(physics["spin"]))
        self.source = source_arrays(source)
        self.settings = with_variance_reduction(self.settings, variance_reduction or {}, self.source.weight)
        steps = self.geo.region_params[:len(self.region_names)]
        self.geo = self.geo._replace(region_params=np.concatenate(
            [steps, region_importance(self.region_names, variance_reduction or {})]))
        check_scene(source, self.geo, self.source)
        self.feed = feed(source, sizes) if sizes is not None else None
        if self.feed is None and source["type"] == "phase_space":
            raise ValueError("a phase-space source needs the run's batch sizes (TransportProblem sizes=...)")
        lattice = self.geo.lat_material
        self.lattice_materials = np.unique(lattice[lattice >= 0]).astype(np.int64)
        self.n_bins = int(np.prod(grid.shape))
        self.segments = _segment_capacity(self.mesh)
        rest = 2.0 * codes.MEC2 if source["particle"] == "positron" else 0.0     # a positron carries T + 2 mc2
        self.histories_per_call = histories_per_call(     # the most weighted energy one history can deposit
            (float(np.max(self.source.spectrum_energy)) + rest) * self.source.weight * self.source.primaries)
        # what the transport does with charged particles (recorded in the result file)
        self.electrons = ("condensed-history transport" if self.settings.electrons
                          else "deposited locally (kerma approximation)")
        self.rho_max, self.rho_source = majorant(self.geo), max_density(self.geo)
        # the transport kernel compiles in a second process (cold cache) while the masses' kernels compile here
        self._ahead = compile_ahead.Ahead()
        if ahead:
            self._ahead = compile_ahead.start(self._chunk_arguments(
                self.source, 0, 0, 0, 0, 1, 0, 1, np.zeros(self.n_bins, np.int64),
                np.zeros(codes.N_COUNTERS + len(self.region_names), np.int64), np.zeros((1, 1, kt.RECORD_COLUMNS)),
                np.zeros((1, 3), np.int64)))
        self.masses = voxel_masses(grid, self.geo)
        self.region_masses, self.region_mass_uncertainty = region_masses(geometry)

    def prepare(self) -> None:
        """Compile the transport kernel (or load it from Numba's cache): a batch of no history."""
        self._transport(self.source, 0, 0, 0, 1)

    def transport_batch(self, seed: int, batch: int, n_histories: int, threads: int = 0) -> BatchTally:
        """Run one batch on ``threads`` Numba threads (0 = all); same result for any thread count.

        The kernel's int64 fixed-point accumulators (:data:`~mcdose.kernels.tally.QUANTUM` MeV) hold
        2**62 units per call at the most, so the batch runs in calls of at most
        :attr:`histories_per_call` histories (each deposits at most its primaries' source energy times weight) whose
        tallies are summed exactly (:class:`ExactSum`): the result does not depend on the split.
        """
        n_threads = threads if threads > 0 else numba.config.NUMBA_NUM_THREADS
        rows = min(n_threads, numba.config.NUMBA_NUM_THREADS)
        edep, counters = ExactSum(self.n_bins), ExactSum(codes.N_COUNTERS + len(self.region_names))
        records, dropped = [], 0
        src = self.source if self.feed is None or n_histories == 0 else self.source._replace(**self.feed(batch))
        for first in range(0, n_histories, self.histories_per_call):
            n = min(self.histories_per_call, n_histories - first)
            tally, count, (rec, drop) = self._transport(src, seed, batch, n, rows, first)
            while drop and self.file_scorers:     # a phase-space file loses nothing: run the call again, more room
                if 2 * self.max_records > MAX_CALL_RECORDS:
                    raise TallyOverflowError(f"scoring.phase_space: one batch records more than {MAX_CALL_RECORDS:,} "
                                             "particles; run more batches (run.batches)")
                self.max_records *= 2
                tally, count, (rec, drop) = self._transport(src, seed, batch, n, rows, first)
            edep.add(tally)
            counters.add(count)
            records.append(rec)
            dropped += drop
        q = kt.QUANTUM
        total = counters.value()
        records = np.concatenate(records) if records else np.zeros((0, kt.RECORD_COLUMNS))
        records = records[np.argsort(records[:, 10], kind="stable")]      # by history, in order within it
        history = records[:, 10]
        first_row = np.searchsorted(history, history)                     # each history's first record
        sequence = np.arange(len(records)) - first_row
        phase_space = np.column_stack([history, sequence, records[:, :10]])
        return BatchTally(edep.value() * q, {
            "emitted": total[codes.EMITTED] * q,
            "deposited": total[codes.DEPOSITED] * q,
            "escaped": total[codes.ESCAPED] * q,
            "lost": total[codes.LOST_ENERGY] * q,
            "lost_particles": total[codes.LOST_COUNT],
            "radiated": total[codes.RADIATED] * q,
        }, regions=total[codes.N_COUNTERS:] * q, phase_space=phase_space, phase_space_dropped=dropped,
            steps={name: int(total[k]) for name, k in codes.STEP_CAUSES.items()})

    def _chunk_arguments(self, src, seed, batch, first, n_histories, n_chunks, first_chunk, step, tally, counters,
                         records, rec_n) -> tuple:
        """The arguments of :func:`~mcdose.kernels.transport.run_chunks` (chunks first_chunk, + step, ...), with
        work buffers of its own."""
        return (self.geo, self.mesh, self.pdata, self.edata, src, seed, batch, first, n_histories, n_chunks,
                first_chunk, step, self.settings, self.lattice_materials, self.rho_max, self.rho_source, tally,
                counters, self.planes, records, rec_n, *work_buffers(self.geo, self.settings, self.segments))

    def _transport(self, src, seed: int, batch: int, n_histories: int, rows: int, first: int = 0) -> tuple:
        """One kernel call: (mesh tally, counters and region energies) summed over thread rows, int64 units,
        checked for overflow, and the plane scorers' (records in history order, dropped records)."""
        n_counters = codes.N_COUNTERS + len(self.region_names)
        tally, counters = thread_rows(rows, self.n_bins)[:, :self.n_bins], thread_rows(rows, n_counters)[:, :n_counters]
        n_chunks = max(1, min(n_histories, rows * CHUNKS_PER_THREAD))
        capacity = -(-self.max_records // n_chunks)                      # records per chunk
        records = np.zeros((n_chunks, capacity, kt.RECORD_COLUMNS))
        rec_n = thread_rows(n_chunks, 3)                                  # written every history
        self._ahead.wait()

        def work(row: int) -> None:             # thread ``row``: every rows-th chunk, into its own rows
            run_chunks(*self._chunk_arguments(src, seed, batch, first, n_histories, n_chunks, row, rows, tally[row],
                                              counters[row], records, rec_n))

        if rows == 1:
            work(0)
        else:
            with ThreadPoolExecutor(rows) as pool:
                for done in [pool.submit(work, row) for row in range(rows)]:
                    done.result()
        check_accumulators(tally, counters)
        kept = np.concatenate([records[c, :rec_n[c, 0]] for c in range(n_chunks)])
        return tally.sum(axis=0), counters.sum(axis=0), (kept, int(rec_n[:, 1].sum()))


CACHE_LINE_INT64 = 8              # int64 per 64-byte cache line


def thread_rows(rows: int, n: int) -> np.ndarray:
    """Zeroed int64 accumulators, one row per thread (or chunk), whose first n columns are used: each row is padded
    to whole cache lines and one more, so that no two rows share a line whatever the allocation's alignment
    (threads adding into neighbouring rows of one line would take it from each other at every deposit: false
    sharing)."""
    stride = -(-n // CACHE_LINE_INT64) * CACHE_LINE_INT64 + CACHE_LINE_INT64
    return np.zeros((rows, stride), dtype=np.int64)


def histories_per_call(max_history_energy: float) -> int:
    """Most histories one kernel call may run without its int64 accumulators passing 2**62 units
    (half their range) when each history deposits at most ``max_history_energy`` MeV."""
    return max(1, int(ACCUMULATOR_LIMIT * kt.QUANTUM / max_history_energy))


def check_accumulators(*arrays) -> None:
    """A wrapped (negative) int64 accumulator means energy was lost to overflow: stop with an error."""
    for a in arrays:
        if np.any(a < 0):
            raise TallyOverflowError("a fixed-point energy accumulator overflowed; the dose of this batch is not "
                                     "valid. Run more batches (run.batches) so that each holds fewer histories")


class ExactSum:
    """Exact sum of non-negative int64 arrays below 2**62 each, beyond int64's range:
    the total is hi * 2**62 + lo with 0 <= lo < 2**62, a unique representation, so
    :meth:`value` does not depend on how the addends were grouped."""

    SHIFT = 62

    def __init__(self, n: int):
        self.hi = np.zeros(n, dtype=np.int64)
        self.lo = np.zeros(n, dtype=np.int64)

    def add(self, x: np.ndarray) -> None:
        check_accumulators(x)
        if np.any(x >= ACCUMULATOR_LIMIT):
            raise TallyOverflowError("a fixed-point energy accumulator passed its limit (2**62 units) in one call")
        self.lo += x                                     # < 2**63: no overflow
        carry = self.lo >> self.SHIFT
        self.hi += carry
        self.lo -= carry << self.SHIFT

    def value(self) -> np.ndarray:
        """The total as float64 (one rounding of the exact integer's two words)."""
        return self.hi.astype(np.float64) * float(2 ** self.SHIFT) + self.lo.astype(np.float64)
