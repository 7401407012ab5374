"""Geometric importance (issue 20: the commissioning kernels' noise): splitting where particles enter a region of
higher importance and Russian roulette where they enter one of lower importance are unbiased.

Reference: the analog run of the same problem (fixed seeds): the dose in every mesh bin and the energy scored in
every region agree within k = 4 sigma (the two runs' batch sigmas combined; 4 sigma over about 30 compared
numbers). Electrons (6 MeV, with their bremsstrahlung) and photons (1 MeV) cross from a water phantom
(importance 1) into a water core of importance 2.5 (on entry 2 or 3 copies, the fraction played) and back
(roulette, survival 0.4), and into a water backing of importance 0.3 (roulette) and back (3 or 4 copies).
The copies must not be lost to the stack, and the dose must not depend on the thread count.
"""
import numpy as np
import pytest

import mcdose
from mcdose.config import validate
from mcdose.errors import InputError

IMPORTANCE = {"core": 2.5, "backing": 0.3}
SLAB = {
    "run": {"histories": 20_000, "batches": 10, "seed": 5},
    "source": {"type": "beam", "particle": "electron", "energy": 6.0, "radius": 2.0, "z": -1.0},
    "phantom": {"type": "box", "size": [8.0, 8.0, 4.0], "material": "water"},
    "parts": [{"name": "core", "shape": "cylinder", "radius": 1.0, "z": [0.5, 2.5], "material": "water",
               "max_step": 1000.0},
              {"name": "backing", "shape": "box", "center": [0.0, 0.0, 3.5], "size": [8.0, 8.0, 1.0],
               "material": "water", "max_step": 1000.0}],
    "scoring": {"mesh": "cylindrical", "r": [0.0, 0.5, 1.0, 1.5, 3.0], "z": [0.0, 0.5, 1.5, 2.5, 3.0, 3.5, 4.0]},
}
PHOTONS = {**SLAB, "source": {**SLAB["source"], "particle": "photon", "energy": 1.0}}


def _agree(analog, vr, k=4.0):
    """Mesh doses and region energies of two runs within k combined sigma."""
    da, dv = analog.dose.ravel(), vr.dose.ravel()
    sa, sv = da * analog.uncertainty.ravel(), dv * vr.uncertainty.ravel()
    ra, rv = analog.regions, vr.regions
    ea, ev = ra.energy[:-1], rv.energy[:-1]                      # the world scores nothing
    pulls = np.concatenate([(dv - da) / np.hypot(sa, sv),
                            (ev - ea) / np.hypot(ea * ra.uncertainty[:-1], ev * rv.uncertainty[:-1])])
    assert np.all(np.isfinite(pulls)), pulls
    assert np.all(np.abs(pulls) <= k), pulls


def _variance_per_history(result, bins) -> float:
    """Summed variance of the dose in the mesh bins ``bins`` (boolean mask) times the run's histories."""
    return float(np.sum((result.dose * result.uncertainty)[bins] ** 2) * result.metadata["histories"])


@pytest.mark.parametrize("problem, importance, histories",
                         [(SLAB, IMPORTANCE, (60_000, 20_000)), (PHOTONS, {**IMPORTANCE, "core": 7.5}, (10**6, 200_000))],
                         ids=["electrons", "photons"])
def test_importance_splitting_and_roulette_are_unbiased(problem, importance, histories):
    """Within 4 sigma of the analog run; and both games act: behind the backing's roulette the variance per
    history grows; in the core (importance 7.5 for photons) the split photons, each interacting on its own,
    lower it. (A split electron's copies share where they entered, which the dose in a broad beam's bins mostly depends on: their gain shows
    in a narrow region seen through scattering, as the commissioning kernels', benchmarks/importance.py.)
    The photon runs are long enough that the backing's bins (a few photons interacting there per batch of the
    rouletted run) have batch sigmas worth comparing: over 12 seeds the pulls of every bin had mean 0.06 and
    standard deviation 0.95 (288 pulls, 2026-12-05)."""
    analog = mcdose.run(problem, threads=2, histories=histories[0], batches=20)
    vr = mcdose.run({**problem, "variance_reduction": {"importance": importance}}, threads=2, histories=histories[1],
                    batches=20)
    _agree(analog, vr)
    assert vr.metadata["lost_particles"] == 0
    backing, core = np.zeros(vr.dose.shape, bool), np.zeros(vr.dose.shape, bool)
    backing[:, 4:] = True                                         # z 3-4 cm
    core[:2, 1:3] = True                                          # r < 1 cm, z 0.5-2.5 cm
    assert _variance_per_history(vr, backing) > 2 * _variance_per_history(analog, backing)
    if problem is PHOTONS:
        assert _variance_per_history(vr, core) < 0.5 * _variance_per_history(analog, core)


def test_importance_does_not_depend_on_threads():
    cfg = {**SLAB, "run": {**SLAB["run"], "histories": 2000}, "variance_reduction": {"importance": IMPORTANCE}}
    one, two = mcdose.run(cfg, threads=1), mcdose.run(cfg, threads=2)
    assert np.array_equal(one.dose, two.dose) and np.array_equal(one.regions.energy, two.regions.energy)


def test_the_stack_holds_the_largest_split():
    """Importance 1000 against the phantom's 1: each electron entering the core goes on as 1000 copies (999 on
    the stack at once); none is lost."""
    cfg = {**SLAB, "run": {"histories": 20, "batches": 2, "seed": 1},
           "source": {**SLAB["source"], "energy": 1.0, "radius": 0.5, "z": 0.4},
           "parts": [{**SLAB["parts"][0], "z": [0.45, 2.5]}],
           "variance_reduction": {"importance": {"core": 1000}}}
    result = mcdose.run(cfg, threads=1)
    assert result.metadata["lost_particles"] == 0
    assert result.regions.energy[1] > 0


@pytest.mark.parametrize("bad, match", [
    ({"core": 0}, r"variance_reduction.importance.core: 0 is not allowed: must be >= 0.001 and <= 1000"),
    ({"core": 2000}, r"variance_reduction.importance.core: 2000 is not allowed"),
    ({"core": "high"}, r"variance_reduction.importance.core: 'high' is not allowed"),
    ({"the core": -1}, r'variance_reduction.importance."the core": -1 is not allowed'),
    ([2.0], r"variance_reduction.importance: \[2.0\] is not allowed: must be a table \{ REGION = importance"),
])
def test_bad_importance_is_refused(bad, match):
    with pytest.raises(InputError, match=match):
        validate({**SLAB, "variance_reduction": {"importance": bad}})


def test_importances_too_far_apart_are_refused():
    """Each importance is in range, but a particle crossing from the backing to the core would become 2000 copies."""
    with pytest.raises(InputError, match=r"variance_reduction.importance: the largest importance is 2000 times the "
                                         r"smallest \(1 for the regions not named\); at most 1000"):
        mcdose.run({**SLAB, "variance_reduction": {"importance": {"core": 1000, "backing": 0.5}}}, histories=10)


@pytest.mark.parametrize("name", ["cor", "world"])
def test_importance_of_a_region_not_in_the_scene_is_refused(name):
    with pytest.raises(InputError, match=rf"variance_reduction.importance: region '{name}' is not in the scene; "
                                         r"its regions are 'phantom', 'core', 'backing'"):
        mcdose.run({**SLAB, "variance_reduction": {"importance": {name: 2.0}}}, histories=10)
