"""Issue 12 regressions of the run itself: checkpoint folder and lock, verified partials on resume,
fixed-point accumulator overflow, interrupted runs, the cold start."""
import io
import os
import signal
import time

import h5py
import numpy as np
import pytest

import mcdose.problem
from mcdose.checkpoint import Checkpoint, checkpoint_folder
from mcdose.cli import main
from mcdose.config import validate
from mcdose.errors import InputError, TallyOverflowError
from mcdose.kernels import codes
from mcdose.kernels import tally as kt
from mcdose.mesh import mesh_arrays
from mcdose.partials import partial_name
from mcdose.problem import ExactSum, check_accumulators, histories_per_call
from mcdose.results import Grid, load
from mcdose.runner import BatchTally, RunPlan, execute, merge, run_batch


class FakeProblem:
    """Deterministic stand-in transport per (seed, batch); SIGINT/SIGTERM to itself at one batch."""

    def __init__(self, interrupt_at=None, signum=signal.SIGINT, prepare_seconds=0.0):
        self.grid = Grid("cylindrical", {"r_edges": [0.0, 1.0, 2.0], "z_edges": [0.0, 1.0]})
        self.masses = np.array([[1.0], [3.0]])
        self.material_names = ["water"]
        self.electrons = "test"
        self.interrupt_at, self.signum, self.prepare_seconds = interrupt_at, signum, prepare_seconds
        self.calls = []

    def prepare(self):
        time.sleep(self.prepare_seconds)

    def transport_batch(self, seed, batch, n, threads):
        self.calls.append(batch)
        if batch == self.interrupt_at:
            os.kill(os.getpid(), self.signum)
        edep = np.random.default_rng([seed, batch]).random(2) * n
        return BatchTally(edep, {"emitted": 2.0 * n, "deposited": float(edep.sum()),
                                 "escaped": 2.0 * n - float(edep.sum()), "lost": 0.0, "lost_particles": 0.0})


CONFIG = {"run": {"histories": 1000, "batches": 5, "seed": 3},
          "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0, 0, 1.0]},
          "phantom": {"type": "box", "material": "water", "size": [4.0, 4.0, 4.0]},
          "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0, 2.0], "z_edges": [0.0, 1.0]}}


def _spec(**run):
    return validate({**CONFIG, "run": {**CONFIG["run"], **run}})


def _interrupted(tmp_path, at=2):
    """An output and checkpoint folder left by a run stopped after batch ``at``."""
    out = tmp_path / "run.h5"
    execute(FakeProblem(interrupt_at=at), _spec(), output=out, stream=io.StringIO())
    return out, checkpoint_folder(out)


# ------------------------------------------------------------------ item 3: folder, links, lock

def test_checkpoint_folder_that_is_a_link_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    out = tmp_path / "run.h5"
    checkpoint_folder(out).symlink_to(victim)
    with pytest.raises(InputError, match="link or a file"):
        execute(FakeProblem(), _spec(), output=out, progress=False)
    assert os.listdir(victim) == ["keep.txt"] and not out.exists()


def test_batch_file_that_is_a_link_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "run.h5"
    folder = checkpoint_folder(out)
    folder.mkdir()
    (folder / partial_name(0)).symlink_to(victim)
    with pytest.raises(InputError, match="not a regular file"):       # resuming: refused, naming the file
        execute(FakeProblem(), _spec(), output=out, resume=True, progress=False)
    execute(FakeProblem(), _spec(), output=out, force=True, progress=False)
    assert victim.read_text() == "precious"
    assert load(out).metadata["batches"] == 5 and not folder.exists()


def test_foreign_files_in_the_checkpoint_folder_are_not_deleted(tmp_path):
    out = tmp_path / "run.h5"
    folder = checkpoint_folder(out)
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="did not write"):
        execute(FakeProblem(), _spec(), output=out, force=True, progress=False)
    assert (folder / "notes.txt").read_text() == "mine"


def test_a_second_run_on_the_same_output_is_refused_while_the_first_holds_the_lock(tmp_path):
    out = tmp_path / "run.h5"
    plan = RunPlan.of(_spec(), FakeProblem())
    with Checkpoint(out) as first:
        first.open(plan, resume=False, force=False)
        for flags in ({}, {"force": True}, {"resume": True}):
            with pytest.raises(InputError, match="another mcdose run"):
                execute(FakeProblem(), _spec(), output=out, progress=False, **flags)
    execute(FakeProblem(), _spec(), output=out, progress=False)        # lock released: runs
    assert load(out).metadata["batches"] == 5


def test_checkpoint_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        out, folder = _interrupted(tmp_path)
    finally:
        os.umask(old)
    assert (folder / partial_name(0)).stat().st_mode & 0o777 == 0o644
    assert out.stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------------ item 4: verified partials

def _doctor(path, change):
    with h5py.File(path, "r+") as f:
        change(f)


def _set_attr(key, value):
    def change(f):
        del f.attrs[key]
        f.attrs[key] = value
    return change


def _scale_edep(f):
    f["edep"][...] = 2.0 * f["edep"][()]


def _nan_edep(f):
    f["edep"][0] = np.nan


DOCTORED = {
    "doubled sums": (_scale_edep, "checksum"),
    "NaN sums": (_nan_edep, "checksum"),
    "fractional batch": (_set_attr("batch", 1.5), "'batch' must be an integer"),
    "batch out of range": (_set_attr("batch", 7), "outside this run"),
    "fewer histories": (_set_attr("histories", 100), "holds 100 histories"),
    "string histories": (_set_attr("histories", "200"), "'histories' must be an integer"),
    "array seed": (_set_attr("seed", np.array([3, 3])), "'seed' must be an integer"),
    "foreign digest": (_set_attr("config_sha256", "0" * 64), "another configuration"),
    "other version": (_set_attr("mcdose_version", "0.0.1"), "made by mcdose 0.0.1"),
    "negative counter": (_set_attr("counter_emitted", -1.0), "counter_emitted"),
    "wrong checksum": (_set_attr("checksum", "abc"), "checksum"),
    "edep of another mesh": (lambda f: (f.__delitem__("edep"), f.create_dataset("edep", data=np.zeros(3))),
                             "float64 of shape"),
}


@pytest.mark.parametrize("case", list(DOCTORED))
def test_doctored_checkpoint_is_refused_naming_the_file(tmp_path, case):
    change, message = DOCTORED[case]
    out, folder = _interrupted(tmp_path)
    target = folder / partial_name(1)
    _doctor(target, change)
    with pytest.raises(InputError, match=message) as err:
        execute(FakeProblem(), _spec(), output=out, resume=True, progress=False)
    assert str(target) in str(err.value)


def test_a_directory_or_garbage_in_place_of_a_batch_file_is_refused(tmp_path):
    out, folder = _interrupted(tmp_path)
    (folder / partial_name(0)).unlink()
    (folder / partial_name(0)).mkdir()
    with pytest.raises(InputError, match="not a regular file"):
        execute(FakeProblem(), _spec(), output=out, resume=True, progress=False)
    (folder / partial_name(0)).rmdir()
    (folder / partial_name(0)).write_bytes(b"\x89HDF garbage")
    with pytest.raises(InputError, match="not a readable HDF5 file"):
        execute(FakeProblem(), _spec(), output=out, resume=True, progress=False)


def test_a_file_renamed_to_another_batch_is_refused(tmp_path):
    out, folder = _interrupted(tmp_path)
    (folder / partial_name(1)).rename(folder / partial_name(4))
    with pytest.raises(InputError, match="batch-000004.h5"):
        execute(FakeProblem(), _spec(), output=out, resume=True, progress=False)


def test_resume_verifies_and_gives_the_bits_of_an_uninterrupted_run(tmp_path):
    out, _ = _interrupted(tmp_path)
    problem = FakeProblem()
    resumed = execute(problem, _spec(threads=2), output=out, resume=True, progress=False)  # threads: not in digest
    assert problem.calls == [3, 4]
    full = execute(FakeProblem(), _spec(), progress=False)
    np.testing.assert_array_equal(resumed.dose, full.dose)
    np.testing.assert_array_equal(resumed.uncertainty, full.uncertainty)


def test_resume_without_a_checkpoint_says_there_is_nothing_to_resume(tmp_path):
    with pytest.raises(InputError, match="nothing to resume"):
        execute(FakeProblem(), _spec(), output=tmp_path / "x.h5", resume=True, progress=False)


# ------------------------------------------------------------------ pure batches and merge

def test_merge_is_independent_of_arrival_order_and_refuses_strangers():
    problem, spec = FakeProblem(), _spec()
    plan = RunPlan.of(spec, problem)
    partials = [run_batch(problem, plan, b) for b in range(plan.batches)]
    ordered = merge(problem, spec, partials)
    shuffled = merge(problem, spec, [partials[i] for i in (3, 0, 4, 2, 1)])
    np.testing.assert_array_equal(ordered.dose, shuffled.dose)
    np.testing.assert_array_equal(ordered.uncertainty, shuffled.uncertainty)
    other = RunPlan.of(_spec(histories=2000), problem)
    with pytest.raises(InputError, match="another configuration"):
        merge(problem, spec, partials[:4] + [run_batch(problem, other, 4)])
    with pytest.raises(InputError, match="given twice"):
        merge(problem, spec, partials + partials[:1])


# ------------------------------------------------------------------ item 5: accumulator overflow

def test_an_accumulator_driven_past_its_range_stops_the_run():
    mesh = mesh_arrays(FakeProblem().grid)
    tally = np.array([np.iinfo(np.int64).max - 10], dtype=np.int64)
    counters = np.zeros(codes.N_COUNTERS, dtype=np.int64)
    kt.deposit(mesh, tally, counters, 0, 0.0, 0.0, 0.0, 1.0, 1.0, False)       # counters only: below the limit
    check_accumulators(tally, counters)
    counters[codes.DEPOSITED] = np.iinfo(np.int64).max - 10
    kt.deposit(mesh, tally, counters, 0, 0.0, 0.0, 0.0, 1.0, 1.0, False)       # 2**36 units more: wraps
    assert counters[codes.DEPOSITED] < 0
    with pytest.raises(TallyOverflowError, match="run.batches"):
        check_accumulators(tally, counters)


def test_histories_per_call_keep_every_call_below_half_the_int64_range():
    n = histories_per_call(9.0)
    assert n * 9.0 / kt.QUANTUM <= 2 ** 62 < (n + 1) * 9.0 / kt.QUANTUM
    assert 7e6 < n < 8e6                       # 9 MeV: ~7.5e6 histories per kernel call
    assert histories_per_call(1e30) == 1


def test_exact_sum_does_not_depend_on_how_the_addends_are_grouped():
    rng = np.random.default_rng(1)
    parts = rng.integers(0, 2 ** 62, size=(50, 7), dtype=np.int64)
    one = ExactSum(7)
    for p in parts:
        one.add(p)
    two = ExactSum(7)
    for p in parts[::-1]:
        two.add(p)
    exact = [sum(int(v) for v in parts[:, j]) for j in range(7)]
    np.testing.assert_array_equal(one.value(), two.value())
    assert [int(h) * 2 ** 62 + int(lo) for h, lo in zip(one.hi, one.lo)] == exact
    with pytest.raises(TallyOverflowError):
        one.add(np.full(7, -1, dtype=np.int64))


def test_a_batch_split_into_many_kernel_calls_gives_the_same_bits(monkeypatch):
    spec = validate({"run": {"histories": 60, "batches": 2, "seed": 5},
                     "source": {"particle": "electron", "energy": 3.0, "radius": 0.5},
                     "phantom": {"type": "box", "material": "water", "size": [6.0, 6.0, 3.0]},
                     "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0], "z": {"min": 0, "max": 2, "step": 0.5}}})
    problem = mcdose.problem.build_problem(spec)
    whole = problem.transport_batch(5, 1, 30, 1)
    problem.histories_per_call = 7
    split = problem.transport_batch(5, 1, 30, 2)
    np.testing.assert_array_equal(whole.edep, split.edep)
    assert whole.counters == split.counters


# ------------------------------------------------------------------ item 11: interrupted runs

@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_cli_run_writes_its_batches_and_exits_non_zero(tmp_path, monkeypatch, capsys, signum, status):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[run]\nhistories = 1000\nbatches = 5\nseed = 3\n"
                   "[source]\ntype = 'point'\nparticle = 'photon'\nenergy = 0.05\nposition = [0, 0, 1.0]\n"
                   "[phantom]\nmaterial = 'water'\nsize = [4.0, 4.0, 4.0]\n"
                   "[scoring]\nmesh = 'cylindrical'\nr_edges = [0.0, 1.0, 2.0]\nz_edges = [0.0, 1.0]\n")
    out = tmp_path / "o.h5"
    monkeypatch.setattr(mcdose.problem, "build_problem", lambda spec, **_: FakeProblem(interrupt_at=1, signum=signum))
    assert main(["run", str(cfg), "-o", str(out), "--quiet"]) == status
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "incomplete: 2 of 5 batches" in info and "--resume" in info
    assert main(["run", str(cfg), "-o", str(out), "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    monkeypatch.setattr(mcdose.problem, "build_problem", lambda spec, **_: FakeProblem())
    assert main(["run", str(cfg), "-o", str(out), "--quiet", "--resume"]) == 0
    assert load(out).metadata["batches"] == 5 and not checkpoint_folder(out).exists()


# ------------------------------------------------------------------ item 14: cold start

def test_kernel_preparation_is_announced_and_left_out_of_the_rate():
    err = io.StringIO()
    execute(FakeProblem(prepare_seconds=1.0), _spec(), stream=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("preparing the transport kernels") and "ready in" in lines[0]
    first_rate = float(lines[1].split()[4].replace(",", ""))
    assert first_rate > 200 / 0.5          # 200 histories in far less than the 1 s preparation
