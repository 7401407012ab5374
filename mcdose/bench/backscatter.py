"""Electron backscatter problems: the backscatter coefficients of a thick target and the dose enhancement in
front of a lead slab in water, with and without the spin correction of elastic scattering.

Backscatter coefficients: a pencil beam of electrons of T0 (MeV) at normal incidence on a slab of a material
1.2 CSDA ranges thick and 40 cm wide (the world is the slab); a plane scorer on the entrance face records
every particle leaving through it. Number coefficient = electrons crossing backwards per incident electron
(secondaries included, as a collector counts them); energy coefficient = their kinetic energy over T0.
Lead-slab enhancement: a 9 MeV beam (radius 3 cm) on water with a 3 mm lead slab (20 x 20 cm) whose upstream
face is at 1.5 cm depth; dose near the axis (r < 2 cm) in the 0.05 cm slab just upstream of the lead, over the
same slab's dose without the lead (electrons in lead cost ~6 ms per history: keep the histories modest). Units cm, MeV. Used by benchmarks/spin.py and tests/physics/test_backscatter.py.
"""
from __future__ import annotations

import numpy as np

from ..physics import tables

SLAB_DEPTH_CM, SLAB_THICKNESS_CM, SLAB_WIDTH_CM = 1.5, 0.3, 20.0
SCORE_STEP_CM = 0.05


def config(material: str, energy: float, histories: int, spin: bool, batches: int = 10, seed: int = 7) -> dict:
    """Pencil beam of `energy` MeV electrons on a thick slab of `material` with a plane scorer on its face."""
    t = tables(material)
    thickness = 1.2 * float(t.csda_range(energy)) / t.material.density
    return {"run": {"histories": histories, "batches": batches, "seed": seed},
            "source": {"type": "beam", "particle": "electron", "energy": energy, "radius": 0.01, "z": 0.0},
            "phantom": {"type": "box", "size": [40.0, 40.0, thickness], "material": material, "world_margin": 0.0},
            "scoring": {"x": [-1.0, 1.0], "y": [-1.0, 1.0], "z": [0.0, thickness]},
            "physics": {"spin": spin},
            "scorers": [{"name": "entrance", "z": 0.0, "max_records": 10_000_000}]}


def coefficients(result, energy: float) -> tuple:
    """(number coefficient, its 1 sigma, energy coefficient, its 1 sigma) from the run's batches."""
    ps = result.phase_space
    back = (ps.column("kind") == 1) & (ps.column("w") < 0.0)
    batch = ps.column("batch").astype(int)
    n_batches = int(result.metadata["batches"])
    per_batch = int(result.metadata["histories"]) / n_batches
    weight = ps.column("weight") * back
    number = np.bincount(batch, weights=weight, minlength=n_batches) / per_batch
    carried = np.bincount(batch, weights=weight * ps.column("energy"), minlength=n_batches) / per_batch / energy
    sem = np.sqrt(n_batches)
    return number.mean(), number.std(ddof=1) / sem, carried.mean(), carried.std(ddof=1) / sem


def slab_config(histories: int, spin: bool, lead: bool, batches: int = 10, seed: int = 9) -> dict:
    """The 9 MeV beam on water, with or without the lead slab, scored on the axis in front of it."""
    parts = [{"name": "lead slab", "shape": "box", "material": "lead",
              "size": [SLAB_WIDTH_CM, SLAB_WIDTH_CM, SLAB_THICKNESS_CM],
              "center": [0.0, 0.0, SLAB_DEPTH_CM + 0.5 * SLAB_THICKNESS_CM]}] if lead else []
    return {"run": {"histories": histories, "batches": batches, "seed": seed},
            "source": {"type": "beam", "particle": "electron", "energy": 9.0, "radius": 3.0, "z": 0.0},
            "phantom": {"type": "cylinder", "material": "water", "radius": 15.0, "length": 6.0},
            "parts": parts,
            "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 2.0],
                        "z_edges": {"min": 0.0, "max": SLAB_DEPTH_CM, "step": SCORE_STEP_CM}},
            "physics": {"spin": spin}}


def enhancement(with_lead, without_lead) -> tuple:
    """(dose ratio in the slab just upstream of the lead, its 1 sigma) from the two results."""
    a, b = float(with_lead.dose[0, -1]), float(without_lead.dose[0, -1])
    ua, ub = float(with_lead.uncertainty[0, -1]), float(without_lead.uncertainty[0, -1])
    ratio = a / b
    return ratio, ratio * float(np.hypot(ua, ub))
