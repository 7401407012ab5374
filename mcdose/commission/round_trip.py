"""The commissioning round trip (issue check, slow test and benchmark): "measured" curves synthesised by mcdose
itself from a known beam (full runs, 0.5 % noise added, every set-up's curves offset by its own positioning
error), then fitted back with :func:`.command.commission`; how close the fitted beam and its verification runs
come to the truth."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import api, machines
from . import kernels as kernel_runs
from .command import Commissioning, commission
from .setups import Setup

NOISE = 0.005                 # relative 1-sigma added to every synthetic measured point
STEP_CM = 0.1                 # measured point spacing

# Issue 20's case: a Mobetron-type 9 MeV beam (the library machine starts from 9.2 MeV / FWHM 0.45 / 0.5 deg),
# the 4, 6 and 10 cm applicators docked soft, each set-up's curves off by its own positioning error (cm).
TRUTH = {"mean_energy": 9.5, "energy_fwhm": 0.8, "angular_sigma": 0.5}
SETUPS = tuple(Setup(d, 0.0, "soft", 0.0) for d in (4.0, 6.0, 10.0))
SHIFTS_CM = (0.05, -0.05, 0.05)


@dataclass
class RoundTrip:
    """truth: the known beam; commissioning: the fit; r50: set-up -> (truth run, measured curve, verification
    run) R50 in cm (Estimates for the runs, a float for the measured curve)."""

    truth: dict
    commissioning: Commissioning
    r50: dict

    def table(self) -> str:
        c, fit = self.commissioning, self.commissioning.fit
        lines = [f"{'parameter':<16}{'truth':>9}{'fitted':>10}{'1-sigma':>9}{'diff':>9}"]
        for p in c.parameters:
            v = fit.values[p.name]
            lines.append(f"{p.name:<16}{self.truth[p.name]:>9.4g}{v:>10.4g}{fit.sigma[p.name]:>9.2g}"
                         f"{v - self.truth[p.name]:>+9.3g}" + ("" if p.name in fit.free else "  (held)"))
        lines.append(f"{'set-up':<50}{'R50 truth':>10}{'measured':>10}{'fitted':>10}  (cm)")
        for s, (t, m, v) in self.r50.items():
            lines.append(f"{s.label:<50}{t.value:>10.3f}{m:>10.3f}{v.value:>10.3f}")
        lines.append(f"time: kernels {c.seconds['kernels']:.0f} s ({c.refined} refined), fit {c.seconds['fit']:.1f} s, "
                     f"verification "
                     f"{c.seconds['verification']:.0f} s")
        return "\n".join(lines)


def _measured_r50(path: Path) -> float:
    from ..analysis import pdd_metrics, read_measured
    c = read_measured(path)[0]
    return float(pdd_metrics(c.position_cm, c.dose).r50_cm.value)


def _measured(curve, rng) -> tuple:
    """(dose, 1-sigma) relative to the curve's maximum of a run's curve with NOISE added: the 1-sigma is the
    added noise and the run's own statistical 1-sigma together, as a measured file would state it."""
    top = curve.dose.max()
    noisy = curve.dose * (1 + NOISE * rng.standard_normal(curve.dose.size)) / top
    return noisy, np.hypot(NOISE * curve.dose, curve.sigma) / top


def synthesise(machine, nominal: float, truth: dict, setup: Setup, shift_cm: float, histories: int, folder: Path,
               seed: int, truth_file: Path):
    """Write pdd_SLUG.csv and x_SLUG.csv (with their 1-sigma) of a full run of the true beam (noise NOISE,
    positions + shift_cm);
    return (the run's R50 Estimate, the two 'FILE@tags' arguments)."""
    rng = np.random.default_rng(seed)
    depth = round(0.6 * nominal + 1.0, 1)
    scoring = {"mesh": "cylindrical", "r_edges": {"min": 0.0, "max": round(0.5 * setup.applicator + 3.0, 1), "step": 0.2},
               "z_edges": {"min": 0.0, "max": depth, "step": STEP_CM}}
    result = api.run(kernel_runs.run_config(str(truth_file.resolve()), nominal, setup, scoring, histories, seed))
    pdd = result.pdd(setup.pdd_radius_cm)
    r50 = pdd.metrics().r50_cm
    tags = f"applicator={setup.applicator:g},bevel={setup.bevel:g},docking={setup.docking}" + (
        f",air_gap={setup.air_gap:g}" if setup.docking == "soft" else "")
    noisy, sigma = _measured(pdd, rng)
    pdd_file = folder / f"pdd_{setup.slug}.csv"
    np.savetxt(pdd_file, np.column_stack([10 * (pdd.position_cm + shift_cm), 100 * noisy, 100 * sigma]),
               delimiter=",", header="depth_mm,dose,sigma", comments="")
    profile_depth = round(0.5 * float(pdd.metrics().r90_cm.value), 1)
    prof = result.profile("x", profile_depth)
    keep = prof.position_cm > -prof.position_cm[-1] + 0.05
    noisy, sigma = _measured(prof, rng)
    x_file = folder / f"x_{setup.slug}.csv"
    with open(x_file, "w") as f:
        f.write(f"# depth_cm = {profile_depth}\n")
        np.savetxt(f, np.column_stack([10 * (prof.position_cm[keep] + shift_cm), 100 * noisy[keep], 100 * sigma[keep]]),
                   delimiter=",", header="x_mm,dose,sigma", comments="")
    return r50, [f"{pdd_file}@{tags}", f"{x_file}@{tags}"]


def round_trip(machine_name: str, nominal: float, truth: dict, setups, shifts_cm, folder: Path,
               measured_histories: int = 300_000, kernel_histories: int = 10_000, histories: int = 100_000,
               seed: int = 11, threads: int = 0, log=print, refine_histories: int | None = None) -> RoundTrip:
    """Synthesise measurements of ``truth`` (mean_energy, energy_fwhm, angular_sigma) for each set-up (with
    its positioning shift, cm), commission ``machine_name`` against them, and compare."""
    machine = machines.load(machine_name)
    truth_file = folder / "truth_machine.toml"
    truth_file.write_text(kernel_runs.machine_text(machine, nominal, truth), encoding="utf-8")
    runs, arguments = {}, []
    for k, (s, shift) in enumerate(zip(setups, shifts_cm)):
        r50, args = synthesise(machine, nominal, truth, s, shift, measured_histories, folder, seed + k, truth_file)
        runs[s] = (r50, _measured_r50(Path(args[0].rpartition("@")[0])))
        arguments += args
    c = commission(machine_name, nominal, arguments, folder, kernel_histories, histories, seed + 100, threads,
                   log=log, refine_histories=refine_histories)
    r50 = {s: (t, m, c.verification[s].pdd(s.pdd_radius_cm).metrics().r50_cm) for s, (t, m) in runs.items()}
    return RoundTrip(truth, c, r50)
