"""Scorers (issue 14 item 3): the per-region energy and dose tally, and plane scorers.

Checked against independent references: the energy balance (the regions sum to the DEPOSITED
counter in the same int64 units; the energy recorded on planes enclosing the world equals the
ESCAPED counter), the mesh tally (a part covering exactly a set of mesh bins), analytic masses
(volume x density) and narrow-beam attenuation exp(-mu x) for the uncollided photons on a plane.
"""
import functools

import numpy as np
import pytest

from mcdose.config import validate
from mcdose.kernels import codes
from mcdose.physics import tables
from mcdose.problem import build_problem
from mcdose.results import load
from mcdose.runner import MEV_PER_GRAM_TO_GY, RunPlan, merge, run_batch

LEAD_RHO = 11.35
CONFIG = {
    "run": {"histories": 3000, "batches": 4, "seed": 11},
    "source": {"type": "beam", "particle": "photon", "energy": 1.0, "radius": 0.8, "z": -3.0},
    "phantom": {"type": "box", "size": [6.0, 6.0, 4.0], "material": "water"},
    # bins x, y in {[-1, 0], [0, 1]}, z in [1, 2]: exactly the box part parts[1]
    "scoring": {"x": [-1.0, 0.0, 1.0], "y": [-1.0, 0.0, 1.0], "z": [0.0, 1.0, 2.0]},
    "parts": [
        {"name": "disk", "shape": "cylinder", "radius": 0.5, "z": [0.0, 0.3], "material": "lead",
         "center": [0.0, 0.0, 0.2]},                                       # inside the phantom
        {"name": "block", "shape": "box", "size": [2.0, 2.0, 1.0], "material": "water", "density": 1.5,
         "center": [0.0, 0.0, 1.5]},                                       # mesh bins z in [1, 2]
        {"name": "filter", "shape": "box", "size": [3.0, 3.0, 0.2], "material": "aluminium",
         "center": [0.0, 0.0, -1.0]},                                      # in front of the phantom
        {"name": "gap", "shape": "sphere", "radius": 0.4, "material": "vacuum", "center": [0.0, 0.0, 3.0]},
    ],
}


@pytest.fixture(scope="module", params=["analog", "tracklength"])
def run(request):
    spec = validate({**CONFIG, "scoring": {**CONFIG["scoring"], "estimator": request.param}})
    problem = build_problem(spec)
    return request.param, spec, problem


def test_regions_sum_to_the_deposited_counter_exactly(run):
    """Analog scoring: every deposit is in one region, so the regions sum to DEPOSITED in int64 units
    exactly, with deposits in parts inside and outside the phantom."""
    estimator, _, problem = run
    assert problem.region_names == ("phantom", "disk", "block", "filter", "gap", "world")
    _, counters, _ = problem._transport(problem.source, 11, 0, 2000, 2)
    regions = counters[codes.N_COUNTERS:]
    assert np.all(regions[:4] > 0) and regions[4] == 0 and regions[5] == 0       # vacuum gap, vacuum world
    if estimator == "analog":
        assert regions.sum() == counters[codes.DEPOSITED]


def test_a_part_covering_mesh_bins_scores_their_energy(run):
    """The box part ``block`` is exactly the mesh bins z in [1, 2]: same energy to the rounding of the
    fixed-point units (one quantum per deposit or segment) and of a deposit on the shared boundary."""
    _, spec, problem = run
    tally = problem.transport_batch(spec.run.seed, 0, 3000, 0)
    mesh = tally.edep.reshape(problem.grid.shape)[:, :, 1].sum()
    assert tally.regions[2] == pytest.approx(mesh, rel=1e-6)


def test_region_dose_is_energy_over_the_analytic_mass(run, tmp_path):
    """Masses against volume x density (the cylinder's stated uncertainty within 4 sigma, the boxes exact),
    dose = energy / mass in the Result and its file, vacuum: mass and dose 0."""
    _, spec, problem = run
    plan = RunPlan.of(spec, problem)
    result = merge(problem, spec, [run_batch(problem, plan, b, threads=2) for b in range(plan.batches)])
    r = result.regions
    disk = np.pi * 0.5 ** 2 * 0.3 * LEAD_RHO
    assert r.mass_uncertainty[1] < 3e-3
    assert abs(r.mass[1] - disk) < 4 * r.mass_uncertainty[1] * disk
    assert r.mass[2] == pytest.approx(2.0 * 2.0 * 1.0 * 1.5, rel=1e-12) and r.mass_uncertainty[2] < 1e-12
    assert r.mass[3] == pytest.approx(3.0 * 3.0 * 0.2 * 2.699, rel=1e-3)
    phantom = (6.0 * 6.0 * 4.0 - 4.0 - np.pi * 0.5 ** 2 * 0.3 - 4.0 / 3.0 * np.pi * 0.4 ** 3) * 1.0
    assert abs(r.mass[0] - phantom) < 4 * r.mass_uncertainty[0] * phantom + 1e-9
    assert r.mass[4] == r.mass[5] == r.dose[4] == 0.0
    np.testing.assert_allclose(r.dose[:4], r.energy[:4] / r.mass[:4] * MEV_PER_GRAM_TO_GY, rtol=1e-15)
    assert np.all(r.uncertainty[:4] > 0) and np.all(r.uncertainty[:4] < 0.2)
    back = load(result.save(tmp_path / "r.h5"))
    assert back.regions.name == r.name
    for key in ("energy", "dose", "uncertainty", "mass", "mass_uncertainty"):
        np.testing.assert_array_equal(getattr(back.regions, key), getattr(r, key))


SLAB = 5.0     # cm of water; the world is the slab's box (world_margin = 0)
HALF = 10.0    # cm: half its lateral size
FACES = [{"z": 0.0}, {"z": SLAB}] + [{"point": [sign * HALF if k == i else 0.0 for k in range(3)],
                                     "normal": [1.0 if k == i else 0.0 for k in range(3)]}
                                    for i in (0, 1) for sign in (-1, 1)]
BEAM = {
    "run": {"histories": 20000, "batches": 4, "seed": 3},
    "source": {"type": "beam", "particle": "photon", "energy": 1.0, "radius": 0.1, "z": 0.0},
    "phantom": {"type": "box", "size": [2 * HALF, 2 * HALF, SLAB], "material": "water", "world_margin": 0.0},
    "scoring": {"x": [-1.0, 1.0], "y": [-1.0, 1.0], "z": [0.0, SLAB]},
    "physics": {"electrons": "local"},
    "scorers": [{"name": name, **face} for name, face in zip(("front", "back", "-x", "+x", "-y", "+y"), FACES)],
}


@functools.cache
def _beam(particle):
    """Batches of a 1 MeV beam of ``particle`` (electrons transported; no pair production) on 1 and 2 threads."""
    spec = validate({**BEAM, "source": {**BEAM["source"], "particle": particle},
                     "physics": {"electrons": "local" if particle == "photon" else "transport"}})
    problem = build_problem(spec)
    plan = RunPlan.of(spec, problem)
    one = [run_batch(problem, plan, b, threads=1) for b in range(plan.batches)]
    two = [run_batch(problem, plan, b, threads=2) for b in range(plan.batches)]
    return spec, problem, one, two


@pytest.fixture(scope="module", params=["photon", "electron"])
def beam(request):
    return _beam(request.param)


def test_plane_records_do_not_depend_on_the_threads(beam):
    spec, problem, one, two = beam
    for a, b in zip(one, two):
        assert len(a.phase_space) > 0 and a.phase_space_dropped == b.phase_space_dropped == 0
        np.testing.assert_array_equal(a.phase_space, b.phase_space)
        assert a.checksum() == b.checksum()
    result = merge(problem, spec, two)
    ps = result.phase_space
    assert ps.name == ("front", "back", "-x", "+x", "-y", "+y")
    assert result.metadata["phase_space_records"] == len(ps.records) and ps.dropped == 0
    order = np.lexsort((ps.column("sequence"), ps.column("history"), ps.column("batch")))
    np.testing.assert_array_equal(order, np.arange(len(order)))


def test_uncollided_photons_behind_the_slab_follow_exp_minus_mu_x():
    """Photons recorded on the back face with the beam's direction and energy: a fraction exp(-mu x) of the
    histories, mu = mu/rho(1 MeV, all processes) x 1 g/cm3, within 3 binomial sigma."""
    spec, problem, one, _ = _beam("photon")
    ps = merge(problem, spec, one).phase_space
    back = ps.column("scorer") == 1
    uncollided = back & (ps.column("energy") == 1.0) & (ps.column("w") == 1.0)
    n = spec.run.histories
    p = np.exp(-float(tables("water").mu_over_rho(1.0)) * 1.0 * SLAB)
    sigma = np.sqrt(p * (1 - p) / n)
    assert abs(uncollided.sum() / n - p) < 3 * sigma
    assert np.all(ps.column("z")[back] == pytest.approx(SLAB, abs=1e-9))


def test_planes_enclosing_the_world_record_the_escaped_energy(beam):
    """Every particle leaving the world crosses one face on its last flight or segment (an electron's energy
    at the crossing is the segment's end energy): the weighted energy recorded on the six faces is the
    ESCAPED counter, to the fixed-point rounding (conservation, every batch)."""
    one = beam[2]
    for p in one:
        ps = p.phase_space
        recorded = float(np.sum(ps[:, 9] * ps[:, 10]))      # energy x weight
        assert recorded == pytest.approx(p.counters["escaped"], rel=1e-9)


def test_records_beyond_max_records_are_dropped_and_counted():
    """A buffer smaller than the crossings: each batch keeps at most max_records records (split over
    its chunks), the rest are counted, and kept + dropped is the full run's number of crossings."""
    _, _, full, _ = _beam("photon")
    limit = 8
    spec = validate({**BEAM, "scorers": [{**s, "max_records": limit} for s in BEAM["scorers"]]})
    problem = build_problem(spec)
    plan = RunPlan.of(spec, problem)
    small = [run_batch(problem, plan, b, threads=1) for b in range(plan.batches)]
    for a, b in zip(small, full):
        assert 0 < len(a.phase_space) <= limit * len(BEAM["scorers"]) and a.phase_space_dropped > 0
        assert len(a.phase_space) + a.phase_space_dropped == len(b.phase_space)
    result = merge(problem, spec, small)
    assert result.phase_space.dropped == sum(p.phase_space_dropped for p in small)
