"""Run orchestration: batches, checkpoints, progress, graceful stop, merge into a Result.

A run is N histories in B batches. Batch b uses the random streams
(seed, b, history) and returns a :class:`BatchTally` (energy deposited per
mesh bin, MeV, and energy-balance counters). Batches are merged in batch
order, so the dose is the same bit for bit whatever the thread count.

Uncertainty (batch method): with X_b the energy per source particle in
batch b, the dose is the history-weighted mean and its relative 1-sigma
uncertainty is sqrt(sum_b n_b (X_b - X)^2 / ((B - 1) N)) / X (equal-size
batches up to one history). It needs B >= 2; 10-20 batches give an
uncertainty estimate good to about 20-25 % of itself.

After each batch the running sums are checkpointed atomically next to the
output (``OUT.h5.checkpoint``); a run started again with the same
configuration resumes there. SIGINT/SIGTERM stop the run at the next batch
boundary and the finished batches are written.
"""
from __future__ import annotations

import hashlib
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from . import __version__
from .errors import InputError
from .results import Result, check_output

MEV_PER_GRAM_TO_GY = 1.602176634e-10   # 1 MeV/g = 1.602176634e-13 J / 1e-3 kg
COUNTERS = ("emitted", "deposited", "escaped", "lost", "lost_particles")


@dataclass
class BatchTally:
    """What one batch returns: energy per mesh bin (MeV, flat) and energy-balance counters.

    counters: emitted (MeV), deposited anywhere in the geometry (MeV),
    escaped from the world (MeV), lost (MeV) and lost_particles (count) of
    particles the navigation gave up on.
    """

    edep: np.ndarray
    counters: dict = field(default_factory=dict)


@dataclass
class RunState:
    """Running sums over finished batches (what a checkpoint holds)."""

    done: list
    histories: int
    sum_x: np.ndarray      # sum_b n_b X_b = total MeV per bin
    sum_nx2: np.ndarray    # sum_b n_b X_b^2
    counters: dict

    @classmethod
    def empty(cls, n_bins: int) -> "RunState":
        return cls([], 0, np.zeros(n_bins), np.zeros(n_bins), {k: 0.0 for k in COUNTERS})

    def add(self, batch: int, n: int, tally: BatchTally) -> None:
        x = tally.edep / n
        self.sum_x += tally.edep
        self.sum_nx2 += n * x * x
        self.histories += n
        self.done.append(batch)
        for k in COUNTERS:
            self.counters[k] += tally.counters.get(k, 0.0)


def batch_sizes(histories: int, batches: int) -> list:
    """Histories per batch: equal up to one, the remainder spread over the first batches."""
    q, r = divmod(histories, batches)
    return [q + (1 if b < r else 0) for b in range(batches)]


def config_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Progress:
    """Progress with rate and ETA: one rewritten line on a terminal, plain lines in a pipe.

    The rate is that of the last finished batch (the first batch also pays for compilation).
    """

    def __init__(self, total_histories: int, stream=None, enabled: bool = True):
        self.total = total_histories
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last = None   # (time, histories) of the previous update

    def update(self, done_batches: int, total_batches: int, histories: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.last is None:
            self.last = (now, histories)
            return
        elapsed, done = now - self.last[0], histories - self.last[1]
        self.last = (now, histories)
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


def _checkpoint_path(output: Path | None) -> Path | None:
    return None if output is None else output.with_name(output.name + ".checkpoint")


def write_checkpoint(path: Path, state: RunState, digest: str) -> None:
    """Atomic checkpoint of the running sums."""
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w") as f:
        f.attrs["config_sha256"] = digest
        f.attrs["mcdose_version"] = __version__
        f.attrs["histories"] = state.histories
        f["done"] = np.asarray(state.done, dtype=np.int64)
        f["sum_x"] = state.sum_x
        f["sum_nx2"] = state.sum_nx2
        for k in COUNTERS:
            f.attrs[f"counter_{k}"] = state.counters[k]
    tmp.replace(path)


def read_checkpoint(path: Path, digest: str, n_bins: int) -> RunState | None:
    """Running sums of an earlier, interrupted run of the same configuration and version, or None."""
    if path is None or not path.is_file():
        return None
    try:
        with h5py.File(path, "r") as f:
            if f.attrs["config_sha256"] != digest or f.attrs["mcdose_version"] != __version__:
                return None
            state = RunState(list(int(b) for b in f["done"][()]), int(f.attrs["histories"]),
                             f["sum_x"][()], f["sum_nx2"][()],
                             {k: float(f.attrs[f"counter_{k}"]) for k in COUNTERS})
    except (OSError, KeyError):
        return None
    return state if state.sum_x.size == n_bins else None


def execute(problem, spec, output: Path | None = None, force: bool = False, progress: bool = True,
            stream=None) -> Result:
    """Run every batch of ``problem`` (see :mod:`mcdose.problem`), checkpointing and merging in order."""
    if output is not None:
        check_output(output, force)
    run = spec.run
    sizes = batch_sizes(run.histories, run.batches)
    n_bins = int(np.prod(problem.grid.shape))
    digest = config_digest(spec.text)
    ckpt = _checkpoint_path(output)
    state = read_checkpoint(ckpt, digest, n_bins) or RunState.empty(n_bins)
    out = stream or sys.stderr
    if state.done and progress:
        out.write(f"resuming: {len(state.done)} of {run.batches} batches already done\n")
    bar = Progress(run.histories, out, enabled=progress)
    t0 = time.perf_counter()
    with StopFlag() as flag:
        bar.update(len(state.done), run.batches, state.histories)
        for b, n in enumerate(sizes):
            if b in state.done:
                continue
            state.add(b, n, problem.transport_batch(run.seed, b, n, run.threads))
            if ckpt is not None:
                write_checkpoint(ckpt, state, digest)
            bar.update(len(state.done), run.batches, state.histories)
            if flag.stop:
                out.write(f"\n{flag.signal_name}: stopping after {len(state.done)} of {run.batches} batches "
                          f"({state.histories:,} histories); writing them\n")
                break
    result = _result(problem, spec, state, time.perf_counter() - t0)
    if output is not None:
        result.save(output, force=True)
        if len(state.done) == run.batches:
            ckpt.unlink(missing_ok=True)
    return result


def _result(problem, spec, state: RunState, elapsed: float) -> Result:
    if state.histories == 0:
        raise InputError("no batch finished; nothing to write")
    shape = problem.grid.shape
    mean = state.sum_x / state.histories                      # MeV per source particle
    B = len(state.done)
    if B >= 2:
        var_mean = np.maximum(state.sum_nx2 - state.histories * mean ** 2, 0.0) / ((B - 1) * state.histories)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(mean > 0, np.sqrt(var_mean) / mean, 0.0)
    else:
        rel = np.where(mean > 0, 1.0, 0.0)  # one batch: uncertainty unknown, reported as 100 %
    masses = problem.masses.reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dose = np.where(masses > 0, mean / masses, 0.0) * MEV_PER_GRAM_TO_GY
    counters = {k: v / state.histories for k, v in state.counters.items() if k != "lost_particles"}
    metadata = {
        "mcdose_version": __version__,
        "config": spec.text,
        "seed": spec.run.seed,
        "histories": state.histories,
        "batches": B,
        "batches_requested": spec.run.batches,
        "elapsed_seconds": elapsed,
        "lost_particles": int(state.counters["lost_particles"]),
        "uncertainty_method": "batch",
        "electron_transport": problem.electrons,
        **{f"energy_{k}_MeV_per_particle": v for k, v in counters.items()},
        **{f"physics_{k}": v for k, v in spec.physics.items()},
    }
    return Result(dose.reshape(shape), rel.reshape(shape), mean.reshape(shape), problem.grid,
                  tuple(problem.material_names), metadata)
