"""A phase-space re-run against the direct run (the IAEA phase-space workflow of IOERT, issue 16).

A NOVAC7-type 7 MeV beam through the 5-cm applicator on water scores an IAEA phase space 1 mm below the
applicator exit (z = PLANE_CM, in the water); a run from that file in water that starts there must give the
direct run's axis dose (r < 1.5 cm) below the plane: every 1-mm bin within 3 sigma (sigmas from 50 batches,
good to about 10 %, added as if the runs were independent; they share the particles above the plane, so the
differences spread less than that) and R50 within R50_ALLOWANCE_CM (a fixed budget at CI statistics or more).
Depths in cm from the plane's slab edges, dose in Gy per history. Used by ``mcdose bench`` and
tests/physics/test_phase_space_runs.py.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .table import K_SIGMA, Check, Comparison, check

PLANE_CM = 0.1
HISTORIES = {"ci": 100_000, "slow": 600_000}
R50_ALLOWANCE_CM = 0.05
BATCHES = 50
FILE = "exit.IAEAheader"
DEPTH_CM = np.arange(45) * 0.1 + 0.15          # centres of the 1-mm slabs below the plane, from the surface


def direct_config(histories: int, seed: int = 3) -> dict:
    """The direct run: head, applicator and water, scoring the phase space FILE at the plane (beside the result)."""
    return {
        "run": {"histories": histories, "batches": BATCHES, "seed": seed},
        "source": {"type": "ioert", "machine": "novac7", "energy": 7.0, "applicator": 5.0},
        "phantom": {"type": "box", "material": "water", "size": [20.0, 20.0, 5.0]},
        "scoring": {"mesh": "cylindrical", "r": [0.0, 1.5], "z": {"min": PLANE_CM, "max": 4.6, "step": 0.1},
                    "phase_space": [{"z": PLANE_CM, "file": FILE}]},
    }


def rerun_config(header: Path, histories: int, seed: int = 4) -> dict:
    """The re-run from the phase space `header` (every one of its `histories` histories): water from the plane."""
    return {
        "run": {"histories": histories, "batches": BATCHES, "seed": seed},
        "source": {"type": "phase_space", "file": str(header), "center": [0.0, 0.0, -PLANE_CM]},
        "phantom": {"type": "box", "material": "water", "size": [20.0, 20.0, 5.0 - PLANE_CM]},
        "scoring": {"mesh": "cylindrical", "r": [0.0, 1.5], "z": {"min": 0.0, "max": 4.5, "step": 0.1}},
    }


def run(folder: Path, histories: int, seed: int = 3, threads: int = 0) -> tuple:
    """(direct Result, re-run Result), their files in `folder`."""
    import mcdose

    from ..phsp import PhaseSpaceReader
    direct = mcdose.run(direct_config(histories, seed), output=Path(folder) / "direct.h5", threads=threads)
    header = Path(folder) / FILE
    rerun = mcdose.run(rerun_config(header, PhaseSpaceReader(header).scan().histories, seed + 1), threads=threads)
    return direct, rerun


def compare(direct, rerun) -> Comparison:
    """Every axis bin and R50, re-run against direct (the reference)."""
    from ..analysis import pdd_metrics       # scipy: imported when needed, not by mcdose --help
    da, db = direct.dose.ravel(), rerun.dose.ravel()
    sa, sb = direct.uncertainty.ravel() * da, rerun.uncertainty.ravel() * db
    d_max = da.max()
    diff, sigma = (db - da) / d_max, np.hypot(sa, sb) / d_max
    worst = int(np.argmax(np.abs(diff) - K_SIGMA * sigma))
    failed = int(np.sum(np.abs(diff) > K_SIGMA * sigma))
    bins = Check("axis dose, every 1-mm bin", db[worst] / d_max, da[worst] / d_max, "of Dmax", diff[worst],
                 sigma[worst], 0.0, "of Dmax", failed == 0,
                 f"worst z {DEPTH_CM[worst]:.2f} cm; {failed}/{diff.size} bins fail")
    ra, rb = pdd_metrics(DEPTH_CM, da, sa).r50_cm, pdd_metrics(DEPTH_CM, db, sb).r50_cm
    r50 = check("R50", rb.value, ra.value, "cm", rb.value - ra.value, np.hypot(ra.sigma, rb.sigma), R50_ALLOWANCE_CM,
                "cm", k=0.0)
    return Comparison("phase space", (bins, r50))
