"""Run to an uncertainty goal (mcdose.goal): the first batch prefix that reaches it, whatever order the batches
arrive in; the goal, where it was tested and what was reached are recorded."""
import numpy as np
import pytest

from mcdose.config import validate
from mcdose.errors import InputError
from mcdose.goal import MIN_BATCHES, UncertaintyGoal
from mcdose.results import Grid, load
from mcdose.runner import BatchTally, LocalExecutor, RunPlan, execute, run_batch


class NoisyProblem:
    """A stand-in transport: a cylindrical mesh, 20 % noise per batch, deterministic per (seed, batch)."""

    def __init__(self):
        self.grid = Grid("cylindrical", {"r_edges": [0.0, 1.0, 2.0], "z_edges": np.linspace(0.0, 4.0, 9)})
        self.masses = self.grid.volumes()
        self.material_names = ["water"]
        self.region_names = ("phantom", "world")
        self.region_masses, self.region_mass_uncertainty = (216.0, 0.0), (0.0, 0.0)
        self.electrons = "test"

    def transport_batch(self, seed, batch, n, threads):
        rng = np.random.default_rng([seed, batch])
        shape = np.linspace(2.0, 0.5, 8)[None, :] * np.array([[1.0], [0.6]])
        edep = (self.masses * shape * (1 + 0.2 * rng.standard_normal(shape.shape))).ravel() * n
        regions = np.array([edep.sum(), 0.1 * n * (1 + 0.3 * rng.standard_normal())])
        return BatchTally(edep, {"emitted": 1.0, "deposited": 1.0, "escaped": 0.0, "lost": 0.0,
                                 "lost_particles": 0.0}, regions)


def _spec(batches=40):
    return validate({"run": {"histories": 100 * batches, "batches": batches, "seed": 9},
                     "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0, 0, 1.0]},
                     "phantom": {"type": "box", "material": "water", "size": [6.0, 6.0, 6.0]},
                     "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0, 2.0],
                                 "z_edges": np.linspace(0.0, 4.0, 9).tolist()}})


def _first_prefix(goal_rel, bin_index=None):
    """The smallest k >= MIN_BATCHES whose batch-method sigma meets the goal, computed from scratch."""
    problem, spec = NoisyProblem(), _spec()
    plan = RunPlan.of(spec, problem)
    x = np.array([run_batch(problem, plan, b).edep / plan.sizes[b] for b in range(plan.batches)])
    masses = problem.masses.ravel()
    for k in range(MIN_BATCHES, plan.batches + 1):
        mean = x[:k].mean(axis=0)
        i = int(np.argmax(mean / masses)) if bin_index is None else bin_index
        rel = x[:k, i].std(ddof=1) / np.sqrt(k) / mean[i]
        if rel <= goal_rel:
            return k, rel
    return None


class ShuffledExecutor(LocalExecutor):
    """Runs the batches in a scrambled order, as a cluster returns them."""

    def run(self, plan, batches, stop=None):
        order = np.random.default_rng(1).permutation(list(batches))
        for b in order:
            yield run_batch(self.problem, plan, int(b))


def test_the_first_prefix_that_reaches_the_goal_whatever_the_order(tmp_path):
    expected = _first_prefix(0.05)
    assert expected is not None and MIN_BATCHES < expected[0] < 40
    goal = UncertaintyGoal.parse("5%")
    in_order = execute(NoisyProblem(), _spec(), output=tmp_path / "a.h5", progress=False, goal=goal)
    shuffled = execute(NoisyProblem(), _spec(), progress=False, goal=goal,
                       executor=ShuffledExecutor(NoisyProblem()))
    assert in_order.metadata["batches"] == shuffled.metadata["batches"] == expected[0]
    np.testing.assert_array_equal(in_order.dose, shuffled.dose)
    np.testing.assert_array_equal(in_order.uncertainty, shuffled.uncertainty)
    md = load(tmp_path / "a.h5").metadata
    assert md["uncertainty_goal"] == 0.05 and md["uncertainty_goal_met"] is True
    assert md["uncertainty_reached"] == pytest.approx(expected[1], rel=1e-9)
    assert md["uncertainty_goal_at"] == "the dose maximum" and md["batches_requested"] == 40
    assert not (tmp_path / "a.h5.partials").exists()
    # the same as a plain run of those batches only
    plain = execute(NoisyProblem(), _spec(), progress=False, executor=_Only(NoisyProblem(), expected[0]))
    np.testing.assert_array_equal(plain.dose, in_order.dose)


class _Only(LocalExecutor):
    """Runs only the first k batches (a stopped run)."""

    def __init__(self, problem, k):
        super().__init__(problem)
        self.k = k

    def run(self, plan, batches, stop=None):
        for b in batches:
            if b < self.k:
                yield run_batch(self.problem, plan, b)


def test_a_goal_out_of_reach_runs_every_batch_and_says_so():
    res = execute(NoisyProblem(), _spec(), progress=False, goal=UncertaintyGoal.parse("0.0001"))
    assert res.metadata["batches"] == 40 and res.metadata["uncertainty_goal_met"] is False
    assert res.metadata["uncertainty_reached"] > 0.0001


def test_a_goal_at_a_point_and_in_a_region():
    problem = NoisyProblem()
    at_point = UncertaintyGoal.parse("5%", "1.5,0,3.7")             # r bin 1, z bin 7 (the lowest dose)
    assert at_point.where == "the bin at (1.5, 0, 3.7) cm"
    expected = _first_prefix(0.05, bin_index=1 * 8 + 7)
    res = execute(problem, _spec(), progress=False, goal=at_point)
    assert expected is not None and res.metadata["batches"] == expected[0]
    region = UncertaintyGoal.parse("2%", "world")
    res = execute(NoisyProblem(), _spec(), progress=False, goal=region)
    assert res.metadata["uncertainty_goal_at"] == "region world"
    assert res.metadata["uncertainty_reached"] == pytest.approx(res.regions.uncertainty[1], rel=1e-12)
    with pytest.raises(InputError, match="outside the scoring mesh"):
        UncertaintyGoal.parse("1%", "0,0,9").check_target(problem)
    with pytest.raises(InputError, match="not one of this run's regions: phantom, world"):
        UncertaintyGoal.parse("1%", "applicator").check_target(problem)


@pytest.mark.parametrize("text", ["0", "100%", "-1%", "abc", "nan", "1%%", ""])
def test_bad_goals_are_refused(text):
    with pytest.raises(InputError, match="--uncertainty"):
        UncertaintyGoal.parse(text)
