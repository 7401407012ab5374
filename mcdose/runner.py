"""Run orchestration: pure batches, the local executor, progress, graceful stop.

A run is N histories in B batches. :func:`run_batch` is the unit of work: batch b of a run
(random streams (seed, b, history), so any thread or machine gives the same bits) returns a
:class:`~mcdose.partials.Partial`. :func:`merge` adds partials in batch order -- whatever order
they arrive in -- into a :class:`~mcdose.results.Result`, refusing partials of another
configuration, seed or mcdose version. :func:`execute` is the local executor: it runs the
batches one after the other on Numba threads and keeps each finished partial in the checkpoint
folder ``OUT.h5.partials`` (:mod:`mcdose.checkpoint`), from which ``--resume`` continues an
interrupted run.

Uncertainty (batch method): with X_b the energy per source particle in batch b, the dose is the
history-weighted mean and its relative 1-sigma uncertainty is
sqrt(sum_b n_b (X_b - X)^2 / ((B - 1) N)) / X (equal-size batches up to one history). It needs
B >= 2; 10-20 batches give an uncertainty estimate good to about 20-25 % of itself.

Batch groups: the dose of G groups of consecutive batches (G the largest divisor of B up to 20 whose
G x mesh bins fit :data:`GROUP_VALUES_BUDGET`) is kept in the result (``Result.batch_dose``), so that a
metric of a curve -- R50, a field size -- gets its uncertainty from the spread of the same metric over the
groups (jackknife, :mod:`mcdose.analysis.curves`), with the correlations between bins that one history's
track makes.

SIGINT/SIGTERM stop the run at the next batch boundary; the finished batches are written (the
result says ``stopped_by`` and how many batches it holds) and stay in the checkpoint.
"""
from __future__ import annotations

import hashlib
import json
import signal
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .checkpoint import Checkpoint
from .errors import InputError
from .partials import COUNTERS, Partial
from .results import PHASE_SPACE_COLUMNS, PhaseSpace, Regions, Result

MEV_PER_GRAM_TO_GY = 1.602176634e-10   # 1 MeV/g = 1.602176634e-13 J / 1e-3 kg
COLUMN_SCORER = PHASE_SPACE_COLUMNS.index("scorer") - 1     # in a partial's records (no batch column)
MAX_GROUPS = 20
GROUP_VALUES_BUDGET = 10_000_000   # groups x mesh bins kept (float32 in the result file: at most 40 MB)


@dataclass
class BatchTally:
    """What a problem's ``transport_batch`` returns: energy per mesh bin (MeV, flat), the
    energy-balance counters: emitted (MeV), deposited anywhere in the geometry (MeV), escaped from
    the world (MeV), lost (MeV) and lost_particles (count) of particles the navigation gave up on,
    the energy scored in each region of ``problem.region_names`` (MeV), and the plane scorers'
    records (float64 rows of :data:`~mcdose.results.PHASE_SPACE_COLUMNS` less the batch, by history
    then sequence) with the count of those dropped for want of buffer; steps: charged-particle steps by what
    ended them (:data:`~mcdose.kernels.codes.STEP_CAUSES` names; a profile, not merged into results).
    """

    edep: np.ndarray
    counters: dict = field(default_factory=dict)
    regions: np.ndarray = field(default_factory=lambda: np.zeros(0))
    phase_space: np.ndarray = field(default_factory=lambda: np.zeros((0, len(PHASE_SPACE_COLUMNS) - 1)))
    phase_space_dropped: int = 0
    steps: dict = field(default_factory=dict)


def batch_sizes(histories: int, batches: int) -> list:
    """Histories per batch: equal up to one, the remainder spread over the first batches."""
    q, r = divmod(histories, batches)
    return [q + (1 if b < r else 0) for b in range(batches)]


def run_digest(spec) -> str:
    """SHA-256 of the resolved configuration, less what does not change the result (run.threads), and of the
    content of the data files it reads (:func:`mcdose.input_files.content_digest`)."""
    from .config import dumps_toml
    from .input_files import content_digest
    data = spec.to_dict()
    data["run"] = {k: v for k, v in data["run"].items() if k != "threads"}
    return hashlib.sha256((dumps_toml(data) + content_digest(spec)).encode()).hexdigest()


@dataclass(frozen=True)
class RunPlan:
    """What every batch of a run shares: seed, histories per batch, configuration digest, version; balanced:
    every history's energy balance closes (an analog run; variance reduction conserves energy on average only,
    so a partial's balance is then not a check of its integrity)."""

    seed: int
    sizes: tuple
    digest: str
    n_bins: int
    n_regions: int = 0
    version: str = __version__
    balanced: bool = True

    @classmethod
    def of(cls, spec, problem) -> "RunPlan":
        vr = spec.variance_reduction
        games = (vr.get("brems_splitting", 1) > 1 or vr.get("brems_enhancement", 1.0) > 1.0
                 or vr.get("photon_roulette", 0.0) > 0.0 or any(i != 1.0 for i in vr.get("importance", {}).values()))
        return cls(int(spec.run.seed), tuple(batch_sizes(spec.run.histories, spec.run.batches)), run_digest(spec),
                   int(np.prod(problem.grid.shape)), len(getattr(problem, "region_names", ())), balanced=not games)

    @property
    def batches(self) -> int:
        return len(self.sizes)

    def verify(self, partial: Partial, bad=InputError) -> None:
        """Refuse (``bad(message)``) a partial that does not belong to this run."""
        if partial.version != self.version:
            raise bad(f"made by mcdose {partial.version}, this is {self.version}; rerun it with --force")
        if partial.digest != self.digest:
            raise bad("made from another configuration (its digest differs); rerun with --force")
        if partial.seed != self.seed:
            raise bad(f"made with seed {partial.seed}, this run has seed {self.seed}")
        if not 0 <= partial.batch < self.batches:
            raise bad(f"batch index {partial.batch} is outside this run's 0..{self.batches - 1}")
        if partial.histories != self.sizes[partial.batch]:
            raise bad(f"batch {partial.batch} holds {partial.histories} histories, this run's has "
                      f"{self.sizes[partial.batch]}")
        if np.shape(partial.edep) != (self.n_bins,):
            raise bad(f"its mesh has {np.size(partial.edep)} bins, this run's {self.n_bins}")
        if np.shape(partial.regions) != (self.n_regions,):
            raise bad(f"it has {np.size(partial.regions)} scoring regions, this run's {self.n_regions}")
        if np.ndim(partial.phase_space) != 2 or np.shape(partial.phase_space)[1] != len(PHASE_SPACE_COLUMNS) - 1:
            raise bad(f"its phase-space records must be a table of {len(PHASE_SPACE_COLUMNS) - 1} columns")


def batch_groups(batches: int, n_bins: int) -> int:
    """How many batch groups a run keeps: the largest divisor G of `batches` with 2 <= G <= MAX_GROUPS and
    G * n_bins <= GROUP_VALUES_BUDGET; 0 when there is none."""
    return next((g for g in range(min(batches, MAX_GROUPS), 1, -1)
                 if batches % g == 0 and g * n_bins <= GROUP_VALUES_BUDGET), 0)


def run_batch(problem, plan: RunPlan, batch: int, threads: int = 0) -> Partial:
    """Batch ``batch`` of a run: a pure function of (problem, plan, batch), whatever ``threads``."""
    tally = problem.transport_batch(plan.seed, batch, plan.sizes[batch], threads)
    counters = {k: float(tally.counters.get(k, 0.0)) for k in COUNTERS}
    return Partial(batch, plan.sizes[batch], plan.seed, np.asarray(tally.edep, dtype=np.float64), counters,
                   plan.digest, plan.version, np.asarray(tally.regions, dtype=np.float64),
                   np.asarray(tally.phase_space, dtype=np.float64), int(tally.phase_space_dropped))


class Merger:
    """Adds partials into running sums in batch order, whatever order they arrive in.

    A partial whose batch is the next in order is added at once; one that arrives early waits
    (sequential runs keep no partial in memory). :meth:`result` adds the waiting ones in batch
    order, so the sums -- and the dose, bit for bit -- depend only on which batches were merged.
    Refuses partials of another configuration, seed or version, and repeated batches.

    files: the writers of the run's [[scoring.phase_space]] files (:class:`~mcdose.phsp.scored.ScoredFiles`):
    their scorers' records go there, batch after batch, and the files are finished by :meth:`result`;
    without it those records stay in the result's phase_space like the [[scorers]]'.
    """

    def __init__(self, problem, spec, files=None, goal=None):
        self.problem, self.spec, self.files, self.goal = problem, spec, files, goal
        self.reached = None          # (batches, relative sigma) of the first prefix that met the goal
        self.plan = RunPlan.of(spec, problem)
        self.first_history = np.concatenate([[0], np.cumsum(self.plan.sizes)]).astype(np.int64)
        self.sum_x = np.zeros(self.plan.n_bins)
        self.sum_nx2 = np.zeros(self.plan.n_bins)
        self.sum_r = np.zeros(self.plan.n_regions)      # the same sums for the per-region energies
        self.sum_nr2 = np.zeros(self.plan.n_regions)
        self.records, self.dropped = [], 0            # plane-scorer records, batch column first
        self.counters = dict.fromkeys(COUNTERS, 0.0)
        self.groups = batch_groups(self.plan.batches, self.plan.n_bins)
        self.group_x = np.zeros((self.groups, self.plan.n_bins))    # energy per batch group (MeV)
        self.group_n = np.zeros(self.groups, np.int64)              # histories per group
        self.group_batches = np.zeros(self.groups, np.int64)
        self.histories = 0
        self.merged = 0
        self.seen = set()
        self.histories_added = 0     # of every partial added, summed or waiting
        self.waiting = {}
        self.next = 0

    def add(self, partial: Partial) -> None:
        self.plan.verify(partial, lambda what, b=partial.batch: InputError(f"partial of batch {b}: {what}"))
        if partial.batch in self.seen:
            raise InputError(f"batch {partial.batch} is given twice; each batch merges once")
        self.seen.add(partial.batch)
        self.histories_added += partial.histories
        self.waiting[partial.batch] = partial
        while self.next in self.waiting and self.reached is None:
            self._sum(self.waiting.pop(self.next))
            self.next += 1
            if self.goal is not None:
                self.reached = self.goal.check(self)

    def _sum(self, p: Partial) -> None:
        x, r = p.edep / p.histories, p.regions / p.histories
        self.sum_x += p.edep
        self.sum_nx2 += p.histories * x * x
        self.sum_r += p.regions
        self.sum_nr2 += p.histories * r * r
        if self.groups:
            g = p.batch // (self.plan.batches // self.groups)
            self.group_x[g] += p.edep
            self.group_n[g] += p.histories
            self.group_batches[g] += 1
        records = p.phase_space
        if self.files is not None:
            to_file = records[:, COLUMN_SCORER] >= self.files.first
            self.files.add(int(self.first_history[p.batch]), records[to_file])
            records = records[~to_file]
        self.records.append(np.column_stack([np.full(len(records), float(p.batch)), records]))
        self.dropped += p.phase_space_dropped
        self.histories += p.histories
        self.merged += 1
        for k in COUNTERS:
            self.counters[k] += p.counters[k]

    def result(self, elapsed: float = 0.0, stopped_by: str = "") -> Result:
        """The Result of the merged batches: every one added, or, once an uncertainty goal was reached, the
        batches 0..k-1 that reached it (the same k whatever order the batches arrived in)."""
        for b in sorted(self.waiting) if self.reached is None else ():
            self._sum(self.waiting.pop(b))
        if not self.merged:
            raise InputError("no batch finished; nothing to write")
        if self.files is not None:
            self.files.close(self.histories)
        result = _result(self.problem, self.spec, self.merged, self.histories, (self.sum_x, self.sum_nx2),
                         (self.sum_r, self.sum_nr2), self.counters, elapsed, stopped_by)
        if self.groups and np.all(self.group_batches == self.plan.batches // self.groups):
            masses = self.problem.masses.reshape(-1)
            result.batch_dose = np.stack([_dose(x / n, masses) for x, n in zip(self.group_x, self.group_n)]
                                         ).reshape((self.groups,) + result.dose.shape).astype(np.float32)
        names = tuple(getattr(self.problem, "scorer_names", ()))
        if self.files is not None:
            names = names[:self.files.first]
        if names:
            result.phase_space = PhaseSpace(names, np.concatenate(self.records), self.dropped)
            result.metadata.update(phase_space_records=len(result.phase_space.records),
                                   phase_space_dropped=self.dropped)
        if self.goal is not None:
            result.metadata.update(self.goal.metadata(self))
        return result


def merge(problem, spec, partials, elapsed: float = 0.0, stopped_by: str = "") -> Result:
    """The Result of ``partials`` (any order; each batch once): see :class:`Merger`."""
    merger = Merger(problem, spec)
    for p in partials:
        merger.add(p)
    return merger.result(elapsed, stopped_by)


class Progress:
    """Progress with rate and ETA: one rewritten line on a terminal, plain lines in a pipe.

    The rate counts only the batches run since :meth:`start` (after the kernels were compiled or
    loaded from Numba's cache), so a cold start does not distort it.
    """

    def __init__(self, total_histories: int, stream=None, enabled: bool = True):
        self.total = total_histories
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.origin = None   # (time, histories) when timing started

    def note(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text)
            self.stream.flush()

    def start(self, histories: int) -> None:
        self.origin = (time.perf_counter(), histories)

    def update(self, done_batches: int, total_batches: int, histories: int) -> None:
        if not self.enabled:
            return
        elapsed, done = time.perf_counter() - self.origin[0], histories - self.origin[1]
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - histories) / rate if rate > 0 else float("nan")
        line = (f"batch {done_batches}/{total_batches}  {histories:,} histories  "
                f"{rate:,.0f} /s  ETA {_clock(eta)}")
        if self.tty:
            self.stream.write("\r" + line.ljust(72))
            if done_batches == total_batches:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "--:--"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class StopFlag:
    """Context manager: SIGINT/SIGTERM set a flag instead of killing the run (main thread only)."""

    def __init__(self):
        self.stop = False
        self.signal_name = ""
        self._old = {}

    def _handler(self, signum, frame):
        self.stop = True
        self.signal_name = signal.Signals(signum).name

    def __enter__(self):
        import threading
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)
        return False


class LocalExecutor:
    """Runs batches one after the other in this process, on Numba threads (the default executor).

    The executor protocol (see also mcdose.cluster.DaskExecutor): ``prepare(bar)`` before the clock starts,
    ``run(plan, batches, stop)`` yields the Partial of each batch index in ``batches`` -- in any order -- and
    ends early once ``stop()`` is true (Ctrl-C), and ``close()`` stops whatever is still running (called
    however the run ends).
    """

    def __init__(self, problem, threads: int = 0):
        self.problem, self.threads = problem, threads

    def prepare(self, bar) -> None:
        _prepare(self.problem, bar)

    def run(self, plan: RunPlan, batches, stop=None):
        """The partials of `batches`, in order; stops early once ``stop()`` is true."""
        for b in batches:
            if stop is not None and stop():
                return
            yield run_batch(self.problem, plan, b, self.threads)

    def close(self) -> None:
        pass


def execute(problem, spec, output: Path | None = None, force: bool = False, resume: bool = False,
            progress: bool = True, stream=None, executor=None, goal=None) -> Result:
    """Run every batch of ``problem`` (see :mod:`mcdose.problem`) and merge them.

    output: result file, written atomically; its checkpoint folder keeps each finished batch the moment it
    arrives (fsync'd), whichever executor ran it.
    resume: continue the interrupted run whose batches the checkpoint holds (verified first);
    force: overwrite an existing output and discard an earlier run's batches.
    executor: where the batches run (default :class:`LocalExecutor` on ``spec.run.threads``).
    goal: an :class:`UncertaintyGoal`; the run stops at the first batch prefix 0..k-1 that reaches it.
    """
    plan = RunPlan.of(spec, problem)
    out = stream or sys.stderr
    bar = Progress(spec.run.histories, out, enabled=progress)
    executor = executor or LocalExecutor(problem, spec.run.threads)
    checkpoint = Checkpoint(output) if output is not None else None
    if checkpoint:
        check_run_output(output, force, resume)
    with checkpoint or nullcontext(), _scored_files(problem, spec, output, force or resume) as files:
        merger = Merger(problem, spec, files, goal)
        for p in (checkpoint.open(plan, resume, force) if checkpoint else []):
            merger.add(p)
        if merger.seen:
            bar.note(f"resuming: {len(merger.seen)} of {plan.batches} batches verified in {checkpoint.folder}\n")
        stopped_by, partials = "", None
        t0 = time.perf_counter()
        with StopFlag() as flag:
            try:
                executor.prepare(bar)
                bar.start(merger.histories_added)
                t0 = time.perf_counter()
                todo = [b for b in range(plan.batches) if b not in merger.seen and merger.reached is None]
                partials = executor.run(plan, todo, stop=lambda: flag.stop)
                for partial in partials:
                    if checkpoint:
                        checkpoint.add(partial)
                    merger.add(partial)
                    bar.update(len(merger.seen), plan.batches, merger.histories_added)
                    if merger.reached is not None:
                        bar.note(f"\n{goal.describe_reached(merger)}\n")
                        break
                    if flag.stop:
                        break
                if flag.stop and merger.reached is None and len(merger.seen) < plan.batches:
                    stopped_by = flag.signal_name
                    bar.note(f"\n{stopped_by}: stopping after {len(merger.seen)} of {plan.batches} batches; "
                             "writing them (resume with --resume)\n")
            finally:
                if partials is not None:
                    partials.close()
                executor.close()
        result = merger.result(time.perf_counter() - t0, stopped_by)
        if output is not None:
            result.save(output, force=True)
            if not stopped_by:
                checkpoint.remove()
    return result


@contextmanager
def _scored_files(problem, spec, output: Path | None, overwrite: bool):
    """The writers of the run's [[scoring.phase_space]] files, beside ``output`` (None without an output
    file or such scorers: their records then stay in the result). Checked before any work like the
    output (no link, no input, no existing file unless ``overwrite``); removed if the run fails."""
    tables = getattr(problem, "file_scorers", ())
    if output is None or not tables:
        yield None
        return
    from .outputs import check_output, config_inputs
    from .phsp.scored import ScoredFiles, paths
    inputs = config_inputs(spec)
    for header, data in paths(tables, Path(output).parent):
        for path in (header, data):
            check_output(path, overwrite, inputs=inputs)
    files = ScoredFiles(tables, len(problem.scorer_names) - len(tables), Path(output).parent, overwrite,
                        title=f"mcdose {__version__}: {Path(spec.source_path).name if spec.source_path else 'run'}")
    try:
        yield files
    except BaseException:
        files.abort()
        raise


def check_run_output(output: Path, force: bool, resume: bool, inputs=()) -> None:
    """Before any work: the output may be written (see :func:`mcdose.outputs.check_output`) and no
    other run's batches stand in the way (an interrupted run needs --resume or --force)."""
    from .outputs import check_output
    Checkpoint(output).precheck(resume, force)
    check_output(Path(output), force or resume, inputs=inputs)


def _prepare(problem, bar: Progress) -> None:
    """Compile (or load from Numba's cache) the transport kernels before timing starts."""
    prepare = getattr(problem, "prepare", None)
    if prepare is None:
        return
    bar.note("preparing the transport kernels (compiled once per installation, then cached) ... ")
    t0 = time.perf_counter()
    prepare()
    bar.note(f"ready in {time.perf_counter() - t0:.1f} s\n")


def _batch_estimate(sums: tuple, masses, batches: int, histories: int) -> tuple:
    """(energy MeV, dose Gy, relative 1-sigma uncertainty) per source particle from the batch sums
    (sum_b E_b, sum_b n_b x_b^2) and masses (g; dose 0 where there is none): see the module docstring."""
    sum_x, sum_nx2 = sums
    mean = sum_x / histories
    if batches >= 2:
        var_mean = np.maximum(sum_nx2 - histories * mean ** 2, 0.0) / ((batches - 1) * histories)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(mean > 0, np.sqrt(var_mean) / mean, 0.0)
    else:
        rel = np.where(mean > 0, 1.0, 0.0)  # one batch: uncertainty unknown, reported as 100 %
    return mean, _dose(mean, masses), rel


def _dose(energy, masses) -> np.ndarray:
    """Dose (Gy) of energies (MeV) in masses (g); 0 where there is no mass."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(masses > 0, energy / masses, 0.0) * MEV_PER_GRAM_TO_GY


def _result(problem, spec, batches: int, histories: int, mesh_sums: tuple, region_sums: tuple, counters: dict,
            elapsed: float, stopped_by: str) -> Result:
    shape = problem.grid.shape
    mean, dose, rel = _batch_estimate(mesh_sums, problem.masses.reshape(-1), batches, histories)
    regions = None
    if len(region_sums[0]):
        masses = np.asarray(problem.region_masses, dtype=np.float64)
        energy, region_dose, region_rel = _batch_estimate(region_sums, masses, batches, histories)
        regions = Regions(tuple(problem.region_names), energy, region_dose, region_rel, masses,
                          np.asarray(problem.region_mass_uncertainty, dtype=np.float64))
    per_particle = {k: v / histories for k, v in counters.items() if k != "lost_particles"}
    metadata = {
        "mcdose_version": __version__,
        "config": spec.text,
        "run_digest": run_digest(spec),
        "seed": spec.run.seed,
        "histories": histories,
        "batches": batches,
        "batches_requested": spec.run.batches,
        "elapsed_seconds": elapsed,
        "lost_particles": int(counters["lost_particles"]),
        "uncertainty_method": "batch",
        "electron_transport": problem.electrons,
        **{f"energy_{k}_MeV_per_particle": v for k, v in per_particle.items()},
        **{f"physics_{k}": v for k, v in spec.physics.items()},
        **{f"variance_reduction_{k}": json.dumps(v) if isinstance(v, dict) else v
           for k, v in spec.variance_reduction.items()},
        **{f"ct_{k}": v for k, v in getattr(problem, "image_identifiers", {}).items()},
    }
    if stopped_by:
        metadata["stopped_by"] = stopped_by
    return Result(dose.reshape(shape), rel.reshape(shape), mean.reshape(shape), problem.grid,
                  tuple(problem.material_names), metadata, regions)
