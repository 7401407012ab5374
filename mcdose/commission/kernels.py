"""Dose kernels of one applicator set-up: one mcdose run per (energy node, spread node) of a monoenergetic
beam through the machine's head and applicator into water, kept in a folder and read again when their
configuration matches (:func:`mcdose.api.run_or_read`); and their values at the measured positions.

Scoring: flat applicators get a cylindrical mesh (0.2 cm rings, 0.1 cm slabs); bevelled ones a Cartesian mesh
(0.2 cm columns centred on the axis). The mesh reaches the deepest measured depth and the widest profile
point. Each kernel is an ordinary run of the ``ioert`` family with a machine file that differs from the
user's only in that energy's beam (mean = the node, FWHM 0, angular sigma = the node).
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tomli_w

from .. import api
from ..errors import InputError
from .model import Nodes
from .setups import Setup

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

RING_CM, SLAB_CM = 0.2, 0.1
MARGIN_CM = 0.5                  # mesh beyond the deepest / widest measured point
PHANTOM_SIDE_CM = 40.0
BATCHES = 10
# Geometric importance of every run of a set-up (kernels/weights.py, unbiased by tests/physics/test_importance.py):
# the electrons that enter the applicator are split, those that reach the water around the mesh more, those that
# land beyond it (most of the foil-scattered beam of a small applicator) are played roulette. Measured at 9 MeV
# (benchmarks/importance.py, 2026-12-05): 3.1x the efficiency of the axis depth dose and 2.9x that of the profiles
# on the 4-cm applicator, 1.9x and 1.4x on the 10-cm one. The part names are the ioert family's
# (sources/applicator.py).
SCORED_WATER = "scored water"    # a water box over the mesh and SCORED_MARGIN_CM around it, in the phantom
SCORED_MARGIN_CM = 1.0
IMPORTANCE = {"applicator inside": 4.0, "applicator wall": 2.0, SCORED_WATER: 8.0, "phantom": 0.4}


def machine_text(machine, nominal: float, beam: dict, references=(), title: str | None = None,
                 caveat: str | None = None) -> str:
    """The machine file (TOML text) of ``machine`` (machines.Machine) with the beam of ``nominal`` MeV replaced
    by ``beam`` (keys of an [[energies]] table, without nominal), extra references appended, title/caveat
    replaced where given. Other energies are kept."""
    raw = tomllib.loads(Path(machine.path).read_text(encoding="utf-8"))
    out = copy.deepcopy(raw)
    for entry in out["energies"]:
        if abs(entry["nominal"] - nominal) <= 1e-6:
            entry.update({k: float(v) for k, v in beam.items()})
    out["references"] = list(out["references"]) + list(references)
    if title is not None:
        out["title"] = title
    if caveat is not None:
        out["caveat"] = caveat
    return tomli_w.dumps(out)


def mesh_for(setup: Setup, curves) -> dict:
    """The [scoring] table covering the measured positions of ``curves`` (MeasuredCurve) of this set-up."""
    depth = max([c.position_cm[-1] for c in curves if c.is_depth_dose] + [c.depth_cm or 0.0 for c in curves])
    width = max([np.abs(c.position_cm).max() for c in curves if not c.is_depth_dose] + [0.5 * setup.applicator])
    z_max = SLAB_CM * math.ceil((depth + MARGIN_CM) / SLAB_CM)
    n = math.ceil((width + MARGIN_CM) / RING_CM)
    z = {"min": 0.0, "max": round(z_max, 6), "step": SLAB_CM}
    if setup.bevel == 0.0:
        return {"mesh": "cylindrical", "r_edges": {"min": 0.0, "max": round(n * RING_CM, 6), "step": RING_CM},
                "z_edges": z}
    edges = [round((k + 0.5) * RING_CM, 6) for k in range(-n - 1, n + 1)]
    return {"mesh": "cartesian", "x_edges": edges, "y_edges": edges, "z_edges": z}


def _scored_water(scoring: dict) -> dict:
    """The [[parts]] table of the water box over the mesh of ``scoring`` and SCORED_MARGIN_CM around it (from the
    surface down); uncapped steps, as the phantom's."""
    if scoring["mesh"] == "cylindrical":
        half = scoring["r_edges"]["max"]
    else:
        half = max(abs(e) for e in (*scoring["x_edges"], *scoring["y_edges"]))
    half += SCORED_MARGIN_CM
    depth = scoring["z_edges"]["max"] + SCORED_MARGIN_CM
    return {"name": SCORED_WATER, "shape": "box", "material": "water", "center": [0.0, 0.0, round(0.5 * depth, 6)],
            "size": [round(2 * half, 6), round(2 * half, 6), round(depth, 6)], "max_step": 1000.0}


def run_config(machine_file: str, nominal: float, setup: Setup, scoring: dict, histories: int, seed: int) -> dict:
    """An ioert run of this set-up over a water box, with this scoring mesh and the set-ups' IMPORTANCE."""
    depth = scoring["z_edges"]["max"] + 2.0
    return {"run": {"histories": histories, "batches": BATCHES, "seed": seed},
            "source": setup.source(machine_file, nominal),
            "phantom": {"type": "box", "material": "water", "size": [PHANTOM_SIDE_CM, PHANTOM_SIDE_CM, depth]},
            "parts": [_scored_water(scoring)],
            "variance_reduction": {"importance": dict(IMPORTANCE)},
            "scoring": scoring}


@dataclass
class KernelSet:
    """The kernels of one set-up: results[i][j] for energy node i, spread node j; seconds of running."""

    setup: Setup
    nodes: Nodes
    results: list
    seconds: float

    def values(self, curve) -> tuple:
        """(V, Var, dV): arrays (energies, spreads, points) of each kernel's dose (Gy per electron), its variance
        and its derivative along the position (Gy per electron per cm) at the measured positions of ``curve``,
        read as ``mcdose compare`` reads a result (depth dose averaged within the set-up's pdd radius; profiles
        at the curve's depth), linearly interpolated."""
        shape = (len(self.nodes.energies), len(self.nodes.spreads), curve.position_cm.size)
        v, var, dv = np.empty(shape), np.empty(shape), np.empty(shape)
        for i, row in enumerate(self.results):
            for j, result in enumerate(row):
                c = (result.pdd(self.setup.pdd_radius_cm) if curve.is_depth_dose
                     else result.profile(curve.axis, curve.depth_cm))
                x = c.position_cm
                if curve.position_cm[0] < x[0] - RING_CM or curve.position_cm[-1] > x[-1] + RING_CM:
                    raise InputError(f"{curve.label}: positions {curve.position_cm[0]:g}..{curve.position_cm[-1]:g} "
                                     f"cm outside the kernels' mesh {x[0]:g}..{x[-1]:g} cm")
                v[i, j] = np.interp(curve.position_cm, x, c.dose)
                var[i, j] = np.interp(curve.position_cm, x, c.sigma ** 2)
                dv[i, j] = np.interp(curve.position_cm, x, np.gradient(c.dose, x))
        return v, var, dv


def build(machine, nominal: float, setup: Setup, curves, nodes: Nodes, histories, folder: Path,
          seed: int = 1, threads: int = 0, log=print) -> KernelSet:
    """Run (or read from ``folder``) the kernels of one set-up; their machine files are written there too.
    ``histories``: per kernel, one number or an (energies, spreads) array."""
    beam = machine.energy(nominal)
    histories = np.broadcast_to(np.asarray(histories, dtype=np.int64), (len(nodes.energies), len(nodes.spreads)))
    scoring = mesh_for(setup, curves)
    start = time.perf_counter()
    results = []
    for i, energy in enumerate(nodes.energies):
        row = []
        for j, spread in enumerate(nodes.spreads):
            stem = f"kernel_{machine.name}_{nominal:g}MeV_{setup.slug}_E{energy:g}_s{spread:g}"
            machine_file = folder / f"{stem}.toml"
            text = machine_text(machine, nominal, {"mean_energy": energy, "energy_fwhm": 0.0,
                                                    "spot_sigma": beam.spot_sigma, "angular_sigma": spread,
                                                    "virtual_source_distance": beam.virtual_source_distance})
            if not machine_file.is_file() or machine_file.read_text(encoding="utf-8") != text:
                from ..outputs import atomic_write
                atomic_write(machine_file, lambda tmp, t=text: Path(tmp).write_text(t, encoding="utf-8"))
            cfg = run_config(str(machine_file.resolve()), nominal, setup, scoring, int(histories[i, j]),
                             seed + 1000 * i + j)
            row.append(api.run_or_read(cfg, folder / f"{stem}_n{histories[i, j]}.h5", threads, log,
                                       f"kernel {setup.label}, {energy:g} MeV, {spread:g} deg"))
        results.append(row)
    return KernelSet(setup, nodes, results, time.perf_counter() - start)
