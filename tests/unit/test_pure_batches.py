"""Pure batches (issue 14): run_batch is a pure function of (problem, plan, batch); merge gives the same
bits whatever the thread count and the order the partials arrive in, from memory or from files."""
import random

import h5py
import numpy as np
import pytest

import mcdose
from mcdose.config import validate
from mcdose.errors import InputError
from mcdose.partials import read_partial, write_partial
from mcdose.problem import build_problem
from mcdose.runner import RunPlan, execute, merge, run_batch

CONFIG = {"run": {"histories": 240, "batches": 6, "seed": 17},
          "source": {"particle": "electron", "energy": 4.0, "radius": 0.5},
          "phantom": {"type": "slabs", "size": [8.0, 8.0], "layers": [
              {"material": "water", "thickness": 0.8}, {"material": "lead", "thickness": 0.1},
              {"material": "water", "thickness": 2.0}]},
          "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 0.5, 1.0, 3.0], "z": {"min": 0.0, "max": 2.5, "step": 0.25}}}


@pytest.fixture(scope="module")
def setup():
    spec = validate(CONFIG)
    problem = build_problem(spec)
    plan = RunPlan.of(spec, problem)
    return spec, problem, plan


def test_threads_and_merge_order_do_not_change_a_bit(setup, tmp_path):
    spec, problem, plan = setup
    one = [run_batch(problem, plan, b, threads=1) for b in range(plan.batches)]
    two = [run_batch(problem, plan, b, threads=2) for b in range(plan.batches)]
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a.edep, b.edep)
        assert a.counters == b.counters and a.checksum() == b.checksum()
    reference = execute(problem, spec, progress=False)
    shuffled = two[:]
    random.Random(3).shuffle(shuffled)
    paths = []
    for p in shuffled:                                   # through files, as a cluster would hand them in
        path = tmp_path / f"part-{p.batch}.h5"
        with h5py.File(path, "w") as f:
            write_partial(f, p)
        paths.append(path)
    from_files = [read_partial(path, plan) for path in paths]
    for result in (merge(problem, spec, one), merge(problem, spec, two[::-1]), merge(problem, spec, from_files)):
        np.testing.assert_array_equal(result.dose, reference.dose)
        np.testing.assert_array_equal(result.uncertainty, reference.uncertainty)
        np.testing.assert_array_equal(result.regions.energy, reference.regions.energy)
        np.testing.assert_array_equal(result.regions.uncertainty, reference.regions.uncertainty)
        assert result.metadata["energy_emitted_MeV_per_particle"] == reference.metadata["energy_emitted_MeV_per_particle"]
    assert np.all(reference.dose[0, :3] > 0)


def test_a_partial_from_another_configuration_or_version_is_refused(setup):
    spec, problem, plan = setup
    partials = [run_batch(problem, plan, b, threads=1) for b in range(2)]
    other_spec = validate({**CONFIG, "source": {**CONFIG["source"], "energy": 5.0}})
    stranger = run_batch(problem, RunPlan.of(other_spec, problem), 2, threads=1)
    with pytest.raises(InputError, match="another configuration"):
        merge(problem, spec, partials + [stranger])
    old = RunPlan(plan.seed, plan.sizes, plan.digest, plan.n_bins, version="0.0.1")
    with pytest.raises(InputError, match="made by mcdose 0.0.1"):
        merge(problem, spec, partials + [run_batch(problem, old, 2, threads=1)])
    assert mcdose.__version__ != "0.0.1"
