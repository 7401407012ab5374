"""IOERT output and applicator factors: for each applicator and bevel of a machine at one nominal
energy, the dose at dmax on the applicator axis per electron leaving the head, relative to the
10-cm flat applicator (the reference applicator of AAPM TG-72, Beddar et al., Med. Phys. 33 (2006)
1476, sec. IV.C), with dmax, R90, R50, Rp and the surface dose of each, all with 1-sigma
uncertainties (batch method, propagated by :func:`mcdose.analysis.pdd_metrics`).

The depth dose is read along the applicator axis: a Cartesian column of 1 x 0.5 cm (x by y) bins
0.2 cm deep in water follows the axis, which leans by the bevel angle towards +y
(:mod:`mcdose.sources.applicator`); depth is measured along the axis from the face centre. Runs are
kept in a folder and read again when their resolved configuration is the one asked for.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import machines
from .analysis import pdd_metrics
from .errors import InputError

REFERENCE_DIAMETER_CM, REFERENCE_BEVEL = 10.0, 0.0
COLUMN_HALF_WIDTH_CM = 0.5          # x: one bin of 1 cm about the axis
Y_STEP_CM, Z_STEP_CM, DEPTH_CM = 0.5, 0.2, 8.0
CSV_HEADER = ("applicator_cm,bevel_deg,dmax_cm,dmax_sigma_cm,dose_at_dmax_Gy_per_electron,dose_sigma,"
              "factor,factor_sigma,r90_cm,r90_sigma_cm,r50_cm,r50_sigma_cm,rp_cm,rp_sigma_cm,surface_dose,surface_sigma")


@dataclass(frozen=True)
class Row:
    """One applicator: the pdd metrics along its axis (Estimate values, cm / Gy per electron / fraction)
    and its output factor relative to the reference applicator (value, sigma)."""

    applicator: float
    bevel: float
    metrics: object
    factor: tuple

    def csv(self) -> str:
        m = self.metrics
        values = [self.applicator, self.bevel, *_pair(m.dmax_cm), *_pair(m.d_max), *self.factor, *_pair(m.r90_cm),
                  *_pair(m.r50_cm), *_pair(m.rp_cm), *_pair(m.ds)]
        return ",".join(f"{v:.6g}" for v in values)


def _pair(estimate) -> tuple:
    return estimate.value, estimate.sigma


def config(machine: str, energy: float, applicator: float, bevel: float, histories: int, seed: int = 1) -> dict:
    """The run of one applicator: the ioert source over a 30 x 30 x 10 cm water box, the axis column mesh."""
    n_y = math.ceil((2 * COLUMN_HALF_WIDTH_CM + DEPTH_CM * math.tan(math.radians(bevel))) / Y_STEP_CM) + 1
    y_edges = [round(-COLUMN_HALF_WIDTH_CM + i * Y_STEP_CM, 9) for i in range(n_y + 1)]
    return {
        "run": {"histories": histories, "batches": 20, "seed": seed},
        "source": {"type": "ioert", "machine": machine, "energy": energy, "applicator": applicator, "bevel": bevel},
        "phantom": {"type": "box", "material": "water", "size": [30.0, 30.0, 10.0]},
        "scoring": {"mesh": "cartesian", "x_edges": [-COLUMN_HALF_WIDTH_CM, COLUMN_HALF_WIDTH_CM],
                    "y_edges": y_edges,
                    "z_edges": {"min": 0.0, "max": DEPTH_CM, "step": Z_STEP_CM}},
    }


def axis_depth_dose(result, bevel: float) -> tuple:
    """(depth along the axis cm, dose Gy per electron, 1-sigma) in the bins the axis crosses at each slab's
    mid-depth: the axis point at depth z is (0, z tan b, z)."""
    y_edges, z_edges = result.grid.edges["y_edges"], result.grid.edges["z_edges"]
    z = 0.5 * (z_edges[1:] + z_edges[:-1])
    iy = np.searchsorted(y_edges, z * math.tan(math.radians(bevel)), side="right") - 1
    if np.any(iy < 0) or np.any(iy >= y_edges.size - 1):
        raise InputError("output factors: the scoring column does not follow the applicator axis to "
                         f"{DEPTH_CM:g} cm (mesh y_edges too short)")
    k = np.arange(z.size)
    dose = result.dose[0, iy, k]
    return z / math.cos(math.radians(bevel)), dose, dose * result.uncertainty[0, iy, k]


def table(results: dict) -> list:
    """Rows for {(applicator cm, bevel deg): Result}; factors relative to the 10-cm flat applicator,
    which must be among them."""
    if (REFERENCE_DIAMETER_CM, REFERENCE_BEVEL) not in results:
        raise InputError("output factors: the 10-cm flat applicator is the reference and must be in the list")
    metrics = {key: pdd_metrics(*axis_depth_dose(r, key[1])) for key, r in results.items()}
    ref = metrics[(REFERENCE_DIAMETER_CM, REFERENCE_BEVEL)].d_max
    rows = []
    for (diameter, bevel), m in sorted(metrics.items()):
        f = m.d_max.value / ref.value
        sigma = 0.0 if (diameter, bevel) == (REFERENCE_DIAMETER_CM, REFERENCE_BEVEL) else \
            f * math.hypot(m.d_max.sigma / m.d_max.value, ref.sigma / ref.value)
        rows.append(Row(diameter, bevel, m, (f, sigma)))
    return rows


def run_all(machine: str, energy: float, applicators, bevels, histories: int, folder: Path | None = None,
            threads: int = 0, log=print) -> dict:
    """{(applicator, bevel): Result}: each run read from ``folder`` when a result there holds exactly this
    configuration, else run (and saved there when a folder is given)."""
    from . import api
    m = machines.load(machine)
    try:
        m.energy(energy)
        for d in applicators:
            m.applicators.wall_for(d)
    except InputError as e:
        raise InputError(f"output factors of {m.name}: {e}") from None
    keys = sorted({(float(d), float(b)) for d in applicators for b in bevels} | {(REFERENCE_DIAMETER_CM, 0.0)})
    out = {}
    for diameter, bevel in keys:
        path = None if folder is None else folder / f"{m.name}_{energy:g}MeV_{diameter:g}cm_{bevel:g}deg.h5"
        label = f"{m.name} {energy:g} MeV, applicator {diameter:g} cm, bevel {bevel:g} deg"
        out[(diameter, bevel)] = api.run_or_read(config(machine, energy, diameter, bevel, histories), path, threads,
                                                 log, label)
    return out


def format_table(rows, machine: str, energy: float) -> str:
    """The rows as a text table (cm, %, factor with 1-sigma)."""
    lines = [f"{machine} {energy:g} MeV: output factors on the applicator axis, relative to the 10-cm flat applicator",
             f"{'appl cm':>8}{'bevel':>7}{'dmax cm':>10}{'factor':>16}{'R90 cm':>15}{'R50 cm':>15}{'Rp cm':>15}"
             f"{'Ds %':>12}"]
    for r in rows:
        m = r.metrics
        lines.append(f"{r.applicator:>8g}{r.bevel:>7g}{m.dmax_cm.value:>10.2f}"
                     f"{r.factor[0]:>9.3f} ± {r.factor[1]:.3f}"
                     + "".join(f"{e.value:>8.2f} ± {e.sigma:.2f}" for e in (m.r90_cm, m.r50_cm, m.rp_cm))
                     + f"{100 * m.ds.value:>6.1f} ± {100 * m.ds.sigma:.1f}")
    return "\n".join(lines)
