"""The cases ``mcdose bench`` runs, their histories at each level and what each returns.

Levels: "full" runs each case at the statistics its acceptance test uses in CI (X50: the benchmark's 2e6);
"quick" runs fewer histories where a tolerance has a k-sigma part that can widen, so that the whole bench
finishes in under 10 minutes on 2 cores with cold caches; criteria set as fixed budgets at CI statistics
(X50, the phase-space R50) keep those statistics. Each case returns an Outcome: its Comparison (table rows),
for the EGSnrc problems the timing in EGSnrc's reference voxel beside EGSnrc's efficiency, and the curves
of its figure.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import egsnrc_electrons, fano, nist, phase_space, x50
from .table import Comparison
from .timing import Timing, timed_run

WARMUP_HISTORIES = 2_000        # a first small run per problem keeps Numba compilation out of the timing
X50_BENCH_HISTORIES = 2_000_000


@dataclass(frozen=True)
class Figure:
    """Curves to overlay: series of (label, x, y, 1-sigma of y or None)."""

    title: str
    xlabel: str
    ylabel: str
    series: tuple


@dataclass(frozen=True)
class Outcome:
    comparison: Comparison
    timing: Timing | None = None
    egsnrc_efficiency: float | None = None       # 1/(s^2 T) on one core, 1/s
    figure: Figure | None = None


def _electrons(case: str):
    def run(histories: int, seed: int | None, threads: int, folder: Path) -> Outcome:
        ref = egsnrc_electrons.reference(case)
        seed = 2024 if seed is None else seed
        config = egsnrc_electrons.config(case, histories, batches=egsnrc_electrons.BENCH_BATCHES, seed=seed)
        warmup = egsnrc_electrons.config(case, WARMUP_HISTORIES, batches=2, seed=seed)
        timing, result = timed_run(config, warmup, (0, ref.voxel()), threads)
        n = ref.z_centers.size
        figure = Figure(f"{case}: depth dose on the axis (r < 1 cm)", "depth z (cm)", "dose (Gy per electron)",
                        (("mcdose", ref.z_centers, result.dose[0, :n], result.dose[0, :n] * result.uncertainty[0, :n]),
                         ("EGSnrc", ref.z_centers, ref.dose[0], ref.dose[0] * ref.rel_unc[0])))
        return Outcome(egsnrc_electrons.compare(result, case), timing, ref.efficiency, figure)
    return run


def _x50(histories: int, seed: int | None, threads: int, folder: Path) -> Outcome:
    ref = x50.reference()
    seed = 2024 if seed is None else seed
    # the test's batches (at its histories and seed, the quick level is the CI test's run, bit for bit)
    timing, result = timed_run(x50.config(histories, seed=seed), x50.config(WARMUP_HISTORIES * 10, 2, seed),
                               (ref.voxel(), 0), threads)
    # r^2 D at the radius where 1/r^2 equals its annulus average (README: r_hi / 2 for the first bin),
    # normalised to 1 over 0.8-1.2 cm
    lo, hi = ref.lo[1:], ref.hi[1:]
    r = np.concatenate([ref.hi[:1] / 2, np.sqrt((hi ** 2 - lo ** 2) / (2 * np.log(hi / lo)))])
    series = []
    for label, dose, unc in (("mcdose", result.dose[:, 0], result.uncertainty[:, 0]),
                             ("EGSnrc", ref.dose, ref.rel_unc)):
        norm, _ = x50.group(ref.lo, ref.hi, dose, unc, *x50.NORMALISATION)
        y = r ** 2 * dose / norm
        series.append((label, r, y, y * unc))
    figure = Figure("X50: r² D in the mid-plane, normalised at 1 cm", "radius r (cm)", "r² D / r² D(1 cm)",
                    tuple(series))
    return Outcome(x50.compare(result), timing, ref.efficiency, figure)


def _nist(histories: int, seed: int | None, threads: int, folder: Path) -> Outcome:
    return Outcome(nist.compare())


def _fano(histories: int, seed: int | None, threads: int, folder: Path) -> Outcome:
    return Outcome(fano.compare(1.0, histories, 1 if seed is None else seed, threads))


def _phase_space(histories: int, seed: int | None, threads: int, folder: Path) -> Outcome:
    direct, rerun = phase_space.run(folder, histories, 3 if seed is None else seed, threads)
    z = phase_space.DEPTH_CM
    figure = Figure("Phase space: axis dose (r < 1.5 cm) below the plane, direct run and re-run",
                    "depth z (cm)", "dose (Gy per history)",
                    tuple((label, z, r.dose.ravel(), r.dose.ravel() * r.uncertainty.ravel())
                          for label, r in (("re-run from the phase space", rerun), ("direct", direct))))
    return Outcome(phase_space.compare(direct, rerun), figure=figure)


_CI = {case: c.ci_histories for case, c in egsnrc_electrons.CASES.items()}
#: case: (run, histories at full level, histories at quick level); NIST needs no transport (0)
CASES = {
    "E6": (_electrons("E6"), _CI["E6"], _CI["E6"] // 2),
    "E9": (_electrons("E9"), _CI["E9"], _CI["E9"] // 2),
    "APP9": (_electrons("APP9"), _CI["APP9"], _CI["APP9"] // 2),
    "X50": (_x50, X50_BENCH_HISTORIES, x50.TEST_HISTORIES),
    "NIST": (_nist, 0, 0),
    "Fano": (_fano, fano.HISTORIES[1.0], fano.HISTORIES[1.0] // 2),
    "phsp": (_phase_space, phase_space.HISTORIES["ci"], phase_space.HISTORIES["ci"]),
}


def histories(case: str, quick: bool) -> int:
    """Histories of `case` at the level."""
    return CASES[case][2 if quick else 1]


def run_case(case: str, quick: bool, seed: int | None, threads: int, folder: Path) -> Outcome:
    """Run one case (a key of CASES) on `threads` threads (>= 1), its files in `folder`; `seed` None: the case's
    own seed (the tests')."""
    return CASES[case][0](histories(case, quick), seed, threads, folder)
