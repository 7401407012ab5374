"""Run orchestration: batch merging, checkpoint and resume, graceful stop on SIGINT, progress, CLI."""
import io
import os
import signal

import numpy as np
import pytest

from mcdose.cli import main
from mcdose.config import validate
from mcdose.errors import InputError
from mcdose.results import Grid, load
from mcdose.runner import BatchTally, batch_sizes, execute


class CountingProblem:
    """A stand-in transport: deterministic tallies per (seed, batch), optional SIGINT at one batch."""

    def __init__(self, interrupt_at=None):
        self.grid = Grid("cylindrical", {"r_edges": [0.0, 1.0, 2.0], "z_edges": [0.0, 1.0]})
        self.masses = np.array([[1.0], [3.0]])
        self.material_names = ["water"]
        self.electrons = "test"
        self.interrupt_at = interrupt_at
        self.calls = []

    def transport_batch(self, seed, batch, n, threads):
        self.calls.append(batch)
        if batch == self.interrupt_at:
            os.kill(os.getpid(), signal.SIGINT)
        rng = np.random.default_rng([seed, batch])
        edep = rng.random(2) * n
        return BatchTally(edep, {"emitted": 2.0 * n, "deposited": float(edep.sum()),
                                 "escaped": 2.0 * n - float(edep.sum()), "lost": 0.0, "lost_particles": 0.0})


def _spec(batches=5, histories=1000):
    return validate({"run": {"histories": histories, "batches": batches, "seed": 3},
                     "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0, 0, 1.0]},
                     "phantom": {"type": "box", "material": "water", "size": [4.0, 4.0, 4.0]},
                     "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0, 2.0], "z_edges": [0.0, 1.0]}})


def test_batch_sizes_cover_all_histories():
    assert batch_sizes(10, 3) == [4, 3, 3]
    assert sum(batch_sizes(1_000_003, 20)) == 1_000_003


def test_dose_and_batch_uncertainty():
    res = execute(CountingProblem(), _spec(), progress=False)
    sizes = batch_sizes(1000, 5)
    x = np.array([np.random.default_rng([3, b]).random(2) for b in range(5)])   # MeV per particle per batch
    mean = x.mean(axis=0)
    sem = x.std(axis=0, ddof=1) / np.sqrt(5)
    np.testing.assert_allclose(res.energy_deposited[:, 0], mean, rtol=1e-12)
    np.testing.assert_allclose(res.uncertainty[:, 0], sem / mean, rtol=1e-9)
    np.testing.assert_allclose(res.dose[:, 0], mean / np.array([1.0, 3.0]) * 1.602176634e-10, rtol=1e-12)
    assert all(n == 200 for n in sizes)


def test_sigint_stops_at_batch_boundary_and_resume_completes(tmp_path):
    out = tmp_path / "run.h5"
    err = io.StringIO()
    partial = execute(CountingProblem(interrupt_at=1), _spec(), output=out, stream=err)
    assert partial.metadata["histories"] == 400 and partial.metadata["batches"] == 2
    assert partial.metadata["stopped_by"] == "SIGINT"
    assert "SIGINT: stopping after 2 of 5 batches" in err.getvalue()
    assert load(out).metadata["histories"] == 400
    assert (tmp_path / "run.h5.partials").is_dir()
    with pytest.raises(InputError, match="--resume"):          # neither --resume nor --force: refused
        execute(CountingProblem(), _spec(), output=out, progress=False)
    resumed_problem = CountingProblem()
    resumed = execute(resumed_problem, _spec(), output=out, resume=True, stream=io.StringIO())
    assert resumed_problem.calls == [2, 3, 4]
    assert "stopped_by" not in resumed.metadata
    assert not (tmp_path / "run.h5.partials").exists()
    full = execute(CountingProblem(), _spec(), progress=False)
    np.testing.assert_array_equal(resumed.dose, full.dose)
    np.testing.assert_array_equal(resumed.uncertainty, full.uncertainty)


def test_checkpoint_of_another_configuration_is_refused_on_resume_and_discarded_with_force(tmp_path):
    out = tmp_path / "run.h5"
    execute(CountingProblem(interrupt_at=0), _spec(), output=out, stream=io.StringIO())
    with pytest.raises(InputError, match="another configuration"):
        execute(CountingProblem(), _spec(histories=2000), output=out, resume=True, progress=False)
    problem = CountingProblem()
    execute(problem, _spec(histories=2000), output=out, force=True, progress=False)
    assert problem.calls == [0, 1, 2, 3, 4]


def test_progress_lines_in_a_pipe():
    err = io.StringIO()
    execute(CountingProblem(), _spec(), stream=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 5 and lines[-1].startswith("batch 5/5") and "/s" in lines[-1] and "ETA" in lines[-1]


def test_existing_output_needs_force(tmp_path):
    out = tmp_path / "x.h5"
    out.write_bytes(b"keep me")
    with pytest.raises(InputError, match="exists"):
        execute(CountingProblem(), _spec(), output=out, progress=False)
    assert out.read_bytes() == b"keep me"


def test_cli_run_refuses_to_overwrite_output(tmp_path, capsys):
    cfg = tmp_path / "e.toml"
    cfg.write_text("[run]\nhistories = 20\nbatches = 2\n"
                   "[source]\nparticle = 'electron'\nenergy = 6.0\nradius = 1.0\n"
                   "[phantom]\nmaterial = 'water'\nsize = [10.0, 10.0, 5.0]\n"
                   "[scoring]\nmesh = 'cylindrical'\nr_edges = [0.0, 1.0]\nz_edges = [0.0, 1.0, 2.0, 3.0, 4.0]\n")
    out = tmp_path / "o.h5"
    out.write_text("x")
    assert main(["run", str(cfg), "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["run", str(cfg), "-o", str(out), "--force", "--quiet", "--threads", "1"]) == 0
    res = load(out)
    assert res.metadata["electron_transport"] == "condensed-history transport"
    assert np.all(res.dose[0, :2] > 0)                  # 6 MeV electrons reach 2 cm (R50 = 2.4 cm)


def test_cli_run_writes_a_valid_file(tmp_path, capsys):
    cfg = tmp_path / "p.toml"
    cfg.write_text("[run]\nhistories = 2000\nbatches = 4\n"
                   "[source]\ntype = 'point'\nparticle = 'photon'\nenergy = 0.03\nposition = [0.0, 0.0, 5.0]\n"
                   "[phantom]\nmaterial = 'water'\nsize = [10.0, 10.0, 10.0]\n"
                   "[scoring]\nmesh = 'spherical'\nr_edges = [0.0, 0.5, 1.0, 2.0]\ncenter = [0.0, 0.0, 5.0]\n")
    out = tmp_path / "p.h5"
    assert main(["run", str(cfg), "-o", str(out), "--quiet", "--threads", "1"]) == 0
    res = load(out)
    assert res.metadata["histories"] == 2000 and res.dose.shape == (3,) and np.all(res.dose > 0)
    assert "wrote" in capsys.readouterr().out
    assert main(["info", str(out)]) == 0
