"""Range rejection against the analog transport it replaces (physics.range_rejection on / off).

0.2 MeV electrons (CSDA range 0.045 cm) enter water; the scoring mesh starts 0.03 cm deep, so many electrons slow
below the rejection energy (about 0.15 MeV in water) outside the mesh, where they are rejected only when their
residual range is shorter than the distance to the mesh, to the water's surface and to the plane scorer at
0.02 cm that records electrons. The mesh dose, the energy of the electrons the plane records and the energy
deposited must agree within 4 sigma of the batch estimates, plus the energy the rejected electrons would still have
radiated (a yield below 0.1 %, kernels/electron_transport.py), allowed as 0.2 % of the largest dose.
"""
import numpy as np
import pytest

import mcdose
from mcdose.config import validate
from mcdose.problem import build_problem

K_SIGMA = 4.0
RADIATIVE_ALLOWANCE = 0.002     # of the largest bin dose
PLANE_Z_CM = 0.02


def config(range_rejection: bool, histories: int = 40_000) -> dict:
    return {"run": {"histories": histories, "batches": 10, "seed": 5},
            "source": {"type": "beam", "particle": "electron", "energy": 0.2, "radius": 0.5, "z": -0.1},
            "phantom": {"type": "box", "size": [4.0, 4.0, 1.0], "material": "water"},
            "scoring": {"x": [-2.0, 2.0], "y": [-2.0, 2.0], "z": {"min": 0.03, "max": 0.07, "step": 0.005}},
            "scorers": [{"z": PLANE_Z_CM, "particles": ["electron"], "max_records": 2_000_000}],
            "physics": {"range_rejection": range_rejection}}


@pytest.fixture(scope="module")
def runs():
    return {rr: mcdose.run(config(rr)) for rr in (True, False)}


def test_range_rejection_rejects_outside_the_mesh():
    """The problem exercises the rule: electrons are rejected, also before they reach the mesh."""
    problem = build_problem(validate(config(True, 2_000)))
    problem.prepare()
    steps = problem.transport_batch(1, 0, 2_000, threads=1).steps
    assert steps["range rejection"] > 200


def test_mesh_dose_is_unbiased(runs):
    on, off = runs[True], runs[False]
    a, b = on.dose.ravel(), off.dose.ravel()
    sigma = np.hypot(a * on.uncertainty.ravel(), b * off.uncertainty.ravel())
    assert b.max() > 0
    assert np.all(np.abs(a - b) <= K_SIGMA * sigma + RADIATIVE_ALLOWANCE * b.max())


def test_plane_records_and_energy_balance_are_unbiased(runs):
    def plane_energy_per_batch(result):
        ps = result.phase_space
        batch, energy, weight = ps.column("batch"), ps.column("energy"), ps.column("weight")
        return np.array([np.sum((energy * weight)[batch == k]) for k in range(10)])

    a, b = plane_energy_per_batch(runs[True]), plane_energy_per_batch(runs[False])
    sigma = np.hypot(a.std(ddof=1), b.std(ddof=1)) / np.sqrt(a.size)
    assert abs(a.mean() - b.mean()) <= K_SIGMA * sigma
    deposited = [r.metadata["energy_deposited_MeV_per_particle"] for r in (runs[True], runs[False])]
    assert deposited[0] == pytest.approx(deposited[1], rel=0.01)
