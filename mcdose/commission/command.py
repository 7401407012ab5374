"""``mcdose commission``: fit a machine's beam at one nominal energy to measured depth doses and profiles.

Steps: read and check the tagged curves (:mod:`.setups`); run or read the kernels of every set-up
(:mod:`.kernels`); fit (:mod:`.fit`); write the commissioned machine file (the user's, with this energy's beam
replaced and the commissioning recorded in its references); verify with one full run per set-up of the
commissioned machine, compared with the measurements as ``mcdose compare`` does; report (:mod:`.report`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .. import __version__, machines
from ..analysis import Tolerances, compare
from ..errors import InputError
from ..outputs import atomic_write
from . import kernels as kernel_runs
from .fit import curve_data, fit
from .model import Weights, nodes_for, parameters_for
from .setups import read_tagged

SEED_STRIDE = 100_000            # kernel seeds of set-up k start at seed + k * SEED_STRIDE
REFINE_WEIGHT = 0.005            # a kernel is refined when its weight exceeds this anywhere in the fitted +-2 sigma
REFINE_SIGMAS = 2.0
HELD_BY_DESIGN = {"spot_sigma": "degenerate with the angular spread in water-tank data",
                  "virtual_source_distance": "degenerate with the angular spread in water-tank data",
                  "photon contamination": "not a free parameter: the head's bremsstrahlung comes from the "
                                          "transport through the head layers"}


@dataclass
class Commissioning:
    """Everything a commissioning produced (see the module docstring); seconds: kernels, fit, verification;
    refined: how many kernels were run again with more histories."""

    machine: object
    nominal: float
    curves: list
    parameters: tuple
    kernels: dict
    fit: object
    machine_text: str
    verification: dict
    comparisons: dict
    seconds: dict
    refined: int = 0


def _by_setup(tagged) -> dict:
    out = {}
    for t in tagged:
        out.setdefault(t.setup, []).append(t.curve)
    return dict(sorted(out.items()))


def nodes_in_use(weights: Weights, result, parameters) -> np.ndarray:
    """(energies, spreads) bool: the kernels whose weight exceeds REFINE_WEIGHT at the fitted beam or at
    +-REFINE_SIGMAS sigma of any fitted parameter (within its range)."""
    used = np.zeros(np.shape(weights(result.values)), dtype=bool)
    for p in parameters:
        for k in ((-REFINE_SIGMAS, 0.0, REFINE_SIGMAS) if p.name in result.free else (0.0,)):
            value = min(max(result.values[p.name] + k * result.sigma[p.name], p.low), p.high)
            try:
                used |= np.abs(weights(dict(result.values, **{p.name: value}))) > REFINE_WEIGHT
            except ValueError:                   # a spectrum beyond the nodes there: nothing to refine
                continue
    return used


def commission(machine_name: str, nominal: float, measured: list, folder: Path, kernel_histories: int = 20_000,
               histories: int = 100_000, seed: int = 1, threads: int = 0, unit: str | None = None,
               depth_cm: float | None = None, output_name: str = "commissioned.toml", log=print,
               refine_histories: int | None = None) -> Commissioning:
    """Commission ``machine_name`` at ``nominal`` MeV against ``measured`` ("FILE@applicator=..." strings);
    kernels and verification runs are kept in ``folder``; the commissioned machine file's text is returned (the
    caller writes it, under ``output_name``, which the verification runs read from ``folder``).

    refine_histories: after a first fit, the kernels the fitted beam uses (:func:`nodes_in_use`) are run again
    with this many histories and the fit repeated: the kernels' statistics, not the fit, limit the result, and
    only a few nodes carry weight."""
    machine = machines.load(machine_name)
    beam = machine.energy(nominal)
    if not measured:
        raise InputError("commission: no measured curve given")
    tagged = [t for arg in measured for t in read_tagged(arg, machine, nominal, unit, depth_cm)]
    setups = _by_setup(tagged)
    nodes = nodes_for(beam)
    parameters = parameters_for(beam, nodes)
    weights = Weights(nodes)
    seconds = {"kernels": 0.0, "fit": 0.0}
    kernels, result = _kernels_and_fit(machine, nominal, setups, nodes, weights, parameters, kernel_histories, folder,
                                       seed, threads, log, seconds)
    refined = 0
    if refine_histories:
        used = nodes_in_use(weights, result, parameters)
        refined = int(used.sum()) * len(setups)
        log(f"refining {refined} kernels with {refine_histories} histories each")
        kernels, result = _kernels_and_fit(machine, nominal, setups, nodes, weights, parameters,
                                           np.where(used, refine_histories, kernel_histories), folder, seed, threads,
                                           log, seconds)
    t2 = time.perf_counter()
    text = commissioned_text(machine, nominal, beam, parameters, result, setups)
    path = folder / output_name
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    machines.load(path)                                   # the file must read back as a valid machine
    verification, comparisons = {}, {}
    for k, (s, curves) in enumerate(setups.items()):
        cfg = kernel_runs.run_config(str(path.resolve()), nominal, s, kernel_runs.mesh_for(s, curves), histories,
                                     seed + k * SEED_STRIDE + SEED_STRIDE // 2)
        verification[s] = res = kernel_runs.api.run_or_read(cfg, folder / f"verify_{s.slug}.h5", threads, log,
                                                            f"verification {s.label}")
        comparisons[s] = compare(res, curves, Tolerances(), pdd_radius=s.pdd_radius_cm)
    t3 = time.perf_counter()
    return Commissioning(machine, nominal, tagged, parameters, kernels, result, text, verification, comparisons,
                         dict(seconds, verification=t3 - t2), refined)


def _kernels_and_fit(machine, nominal, setups, nodes, weights, parameters, histories, folder, seed, threads, log,
                     seconds: dict):
    """(set-up -> KernelSet, FitResult) with ``histories`` per kernel (a number or an (energies, spreads) array);
    the time of each step is added to ``seconds`` ("kernels", "fit")."""
    t0 = time.perf_counter()
    kernels = {s: kernel_runs.build(machine, nominal, s, curves, nodes, histories, folder, seed + k * SEED_STRIDE,
                                    threads, log) for k, (s, curves) in enumerate(setups.items())}
    t1 = time.perf_counter()
    data = [curve_data(f"{c.label} ({s.label})", c, *kernels[s].values(c)) for s, curves in setups.items()
            for c in curves]
    result = fit(weights, data, parameters)
    seconds["kernels"] += t1 - t0
    seconds["fit"] += time.perf_counter() - t1
    return kernels, result


def commissioned_text(machine, nominal, beam, parameters, result, setups) -> str:
    """The commissioned machine file: the user's, this energy's beam from the fit, the record in references."""
    values, unit = result.values, {p.name: p.unit for p in parameters}
    fitted = "; ".join(f"{n} = {values[n]:.4g} +- {result.sigma[n]:.2g} {unit[n]}" for n in result.free)
    held = "; ".join(f"{n} held at {values[n]:.4g} {unit[n]}" for n in result.held)
    record = (f"Commissioned by mcdose {__version__} commission on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC at "
              f"{nominal:g} MeV against {len(setups)} set-up(s) ({'; '.join(s.label for s in setups)}): {fitted}"
              + (f"; {held}" if held else ""))
    beam_table = {"mean_energy": values["mean_energy"], "energy_fwhm": values["energy_fwhm"],
                  "spot_sigma": beam.spot_sigma, "angular_sigma": values["angular_sigma"],
                  "virtual_source_distance": beam.virtual_source_distance}
    return kernel_runs.machine_text(
        machine, nominal, {k: round(v, 6) for k, v in beam_table.items()}, references=[record],
        title=f"{machine.title} - commissioned at {nominal:g} MeV",
        caveat=(f"{machine.caveat} The {nominal:g} MeV beam was fitted to measured curves (see references); check "
                "the verification report before clinical use."))


def summary(c: Commissioning) -> str:
    """The text summary printed by the command."""
    r = c.fit
    lines = [f"{c.machine.name} {c.nominal:g} MeV: beam model fitted to {len(c.curves)} curve(s) of "
             f"{len(c.kernels)} set-up(s); chi2/dof = {r.chi2:.1f}/{r.dof} = {r.chi2 / r.dof:.2f}",
             f"  {'parameter':<16}{'start':>10}{'fitted':>12}{'1-sigma':>10}  unit     status"]
    for p in c.parameters:
        status = "fitted" if p.name in r.free else "HELD: " + r.held[p.name]
        lines.append(f"  {p.name:<16}{p.start:>10.4g}{r.values[p.name]:>12.4g}{r.sigma[p.name]:>10.2g}  "
                     f"{p.unit:<8} {status}")
    lines += [f"  {name}: held at the machine's value ({why})" for name, why in HELD_BY_DESIGN.items()]
    if len(r.free) > 1:
        lines.append("  correlations: " + ", ".join(f"{a}/{b} {r.correlation[i, j]:+.2f}"
                                                    for i, a in enumerate(r.free) for j, b in enumerate(r.free) if j > i))
    lines += [f"  WARNING: {w}" for w in r.warnings]
    lines.append("verification (one full run per set-up with the commissioned machine):")
    for s, comp in c.comparisons.items():
        lines.append(f"  {s.label}: {comp.summary()}")
    runs = sum(len(k.nodes.energies) * len(k.nodes.spreads) for k in c.kernels.values())
    lines.append(f"time: kernels {c.seconds['kernels']:.0f} s ({runs} runs"
                 + (f", then {c.refined} refined" if c.refined else "") + "), "
                 f"fit {c.seconds['fit']:.1f} s, verification {c.seconds['verification']:.0f} s")
    return "\n".join(lines)
