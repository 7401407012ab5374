"""The mcdose command line: exit codes, one-line errors, the physicist-facing output."""
import subprocess
import sys
from pathlib import Path

import pytest

from mcdose.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_check_examples(example, capsys):
    assert main(["check", str(example)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "[physics]" in out and "electron_cutoff" in out


BAD_FILES = {
    "negative_energy.toml": ("[source]\nparticle = 'electron'\nenergy = -3\nradius = 5.0\n"
                             "[phantom]\nmaterial = 'water'\nsize = [30.0, 30.0, 20.0]\n"
                             "[scoring]\nmesh = 'spherical'\nr_edges = [0.0, 1.0]\n",
                             "source.energy: -3 is not allowed: MeV, must be > 0 and <= 50"),
    "not_toml.toml": ("this is [not toml\n", "not valid TOML"),
    "missing_section.toml": ("[run]\nhistories = 10\nbatches = 1\n", "[source]: missing section"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_check_bad_file_one_line_exit_2(tmp_path, name, capsys):
    text, expected = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(text)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mcdose: error:")
    assert expected in err


def test_missing_file_exit_2(tmp_path, capsys):
    assert main(["check", str(tmp_path / "absent.toml")]) == 2
    assert "not found" in capsys.readouterr().err


def test_info(tmp_path, capsys):
    import numpy as np

    from mcdose.results import Grid, Result
    grid = Grid("cylindrical", {"r_edges": [0.0, 1.0], "z_edges": [0.0, 1.0, 2.0]})
    Result(np.array([[1e-12, 2e-12]]), np.array([[0.01, 0.02]]), np.array([[1e-9, 2e-9]]), grid, ("water",),
           {"mcdose_version": "0.1.0", "histories": 100, "seed": 3}).save(tmp_path / "r.h5")
    assert main(["info", str(tmp_path / "r.h5")]) == 0
    out = capsys.readouterr().out
    assert "cylindrical" in out and "2e-12" in out and "histories:" in out
    assert main(["info", str(tmp_path / "none.h5")]) == 2


def test_materials_list_and_one(capsys):
    assert main(["materials"]) == 0
    out = capsys.readouterr().out
    for name in ("water", "pmma", "lead", "polyetherimide", "cortical_bone"):
        assert name in out
    assert main(["materials", "Lucite"]) == 0
    assert "pmma" in capsys.readouterr().out
    assert main(["materials", "unobtainium"]) == 2


def test_version_and_help():
    out = subprocess.run([sys.executable, "-m", "mcdose", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("mcdose ")
    helptext = subprocess.run([sys.executable, "-m", "mcdose", "--help"], capture_output=True, text=True).stdout
    for cmd in ("check", "info", "materials"):
        assert cmd in helptext


def test_debug_shows_traceback(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mcdose", "--debug", "check", str(tmp_path / "x.toml")],
                         capture_output=True, text=True)
    assert out.returncode != 0 and "Traceback" in out.stderr


def test_pdd_prints_and_writes_csv(tmp_path, capsys):
    import numpy as np

    from mcdose.results import Grid, Result
    grid = Grid("cylindrical", {"r_edges": [0.0, 1.0, 2.0], "z_edges": [0.0, 1.0, 2.0, 3.0]})
    dose = np.array([[3e-12, 2e-12, 1e-12], [1e-12, 1e-12, 1e-12]])
    Result(dose, np.full(dose.shape, 0.01), dose, grid).save(tmp_path / "r.h5")
    assert main(["pdd", str(tmp_path / "r.h5"), "--csv", str(tmp_path / "pdd.csv")]) == 0
    out = capsys.readouterr().out
    assert "depth_cm" in out and "metrics: not available" in out
    rows = np.loadtxt(tmp_path / "pdd.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(rows[:, 1], [3e-12, 2e-12, 1e-12])
