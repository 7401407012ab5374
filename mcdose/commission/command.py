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

from .. import __version__, machines
from ..analysis import Tolerances, compare
from ..errors import InputError
from ..outputs import atomic_write
from . import kernels as kernel_runs
from .fit import curve_data, fit
from .model import Weights, nodes_for, parameters_for
from .setups import read_tagged

SEED_STRIDE = 100_000            # kernel seeds of set-up k start at seed + k * SEED_STRIDE
HELD_BY_DESIGN = {"spot_sigma": "degenerate with the angular spread in water-tank data",
                  "virtual_source_distance": "degenerate with the angular spread in water-tank data",
                  "photon contamination": "not a free parameter: the head's bremsstrahlung comes from the "
                                          "transport through the head layers"}


@dataclass
class Commissioning:
    """Everything a commissioning produced (see the module docstring); seconds: kernels, fit, verification."""

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


def _by_setup(tagged) -> dict:
    out = {}
    for t in tagged:
        out.setdefault(t.setup, []).append(t.curve)
    return dict(sorted(out.items()))


def commission(machine_name: str, nominal: float, measured: list, folder: Path, kernel_histories: int = 20_000,
               histories: int = 100_000, seed: int = 1, threads: int = 0, unit: str | None = None,
               depth_cm: float | None = None, output_name: str = "commissioned.toml", log=print) -> Commissioning:
    """Commission ``machine_name`` at ``nominal`` MeV against ``measured`` ("FILE@applicator=..." strings);
    kernels and verification runs are kept in ``folder``; the commissioned machine file's text is returned (the
    caller writes it, under ``output_name``, which the verification runs read from ``folder``)."""
    machine = machines.load(machine_name)
    beam = machine.energy(nominal)
    if not measured:
        raise InputError("commission: no measured curve given")
    tagged = [t for arg in measured for t in read_tagged(arg, machine, nominal, unit, depth_cm)]
    setups = _by_setup(tagged)
    nodes = nodes_for(beam)
    parameters = parameters_for(beam, nodes)
    t0 = time.perf_counter()
    kernels = {s: kernel_runs.build(machine, nominal, s, curves, nodes, kernel_histories, folder,
                                    seed + k * SEED_STRIDE, threads, log) for k, (s, curves) in enumerate(setups.items())}
    t1 = time.perf_counter()
    data = []
    for s, curves in setups.items():
        for c in curves:
            data.append(curve_data(f"{c.label} ({s.label})", c, *kernels[s].values(c)))
    result = fit(Weights(nodes), data, parameters)
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
                         {"kernels": t1 - t0, "fit": t2 - t1, "verification": t3 - t2})


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
    lines.append(f"time: kernels {c.seconds['kernels']:.0f} s ({sum(len(k.nodes.energies) * len(k.nodes.spreads) for k in c.kernels.values())} runs), "
                 f"fit {c.seconds['fit']:.1f} s, verification {c.seconds['verification']:.0f} s")
    return "\n".join(lines)
