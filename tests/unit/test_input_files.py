"""The run digest covers the content of the files a configuration reads: partials made before a file was
edited are refused on merge (and so on --resume, by part-file merge and by Dask workers)."""
import shutil
from importlib import resources

import numpy as np
import pytest

from mcdose.config import validate
from mcdose.errors import InputError
from mcdose.input_files import input_paths
from mcdose.runner import RunPlan, merge, run_batch, run_digest

from test_reliability_runs import FakeProblem

VOXELS = {"run": {"histories": 1000, "batches": 3, "seed": 3},
          "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0, 0, 1.0]},
          "phantom": {"type": "voxels", "file": "ids.npy", "voxel_size": [1.0, 1.0, 1.0],
                      "voxel_materials": "water, lung"},
          "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0, 2.0], "z_edges": [0.0, 1.0]}}


def _voxel_spec(folder):
    return validate(VOXELS, source_path=str(folder / "run.toml"))


def test_editing_a_voxel_file_changes_the_digest_and_old_partials_are_refused(tmp_path):
    ids = np.zeros((4, 4, 4), dtype=np.int32)
    np.save(tmp_path / "ids.npy", ids)
    spec = _voxel_spec(tmp_path)
    assert [k for k, _ in input_paths(spec)] == ["phantom.file"]
    before = run_digest(spec)
    assert run_digest(_voxel_spec(tmp_path)) == before          # same bytes, same digest
    problem = FakeProblem()
    partials = [run_batch(problem, RunPlan.of(spec, problem), b) for b in range(3)]
    merge(problem, spec, partials)                              # the files unchanged: accepted
    ids[1, 2, 3] = 1
    np.save(tmp_path / "ids.npy", ids)                          # one voxel becomes lung
    edited = _voxel_spec(tmp_path)
    assert run_digest(edited) != before
    with pytest.raises(InputError, match="another configuration"):
        merge(problem, edited, partials)


def test_a_machine_file_given_by_path_is_covered_a_library_machine_is_not(tmp_path):
    machine = tmp_path / "unit.toml"
    shutil.copy(resources.files("mcdose.machines") / "liac12.toml", machine)
    config = {"run": {"histories": 100, "batches": 2},
              "source": {"type": "ioert", "machine": "unit.toml", "energy": 10.0, "applicator": 10.0},
              "phantom": {"type": "water_box"},
              "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0], "z_edges": [0.0, 1.0]}}
    spec = validate(config, source_path=str(tmp_path / "run.toml"))
    assert input_paths(spec) == [("source.machine", machine.resolve())]
    before = run_digest(spec)
    machine.write_text(machine.read_text().replace("mean_energy = 10.2", "mean_energy = 10.4"))
    assert run_digest(validate(config, source_path=str(tmp_path / "run.toml"))) != before
    library = validate({**config, "source": {**config["source"], "machine": "liac12"}})
    assert input_paths(library) == []
