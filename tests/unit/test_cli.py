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

    from mcdose.results import Grid, Regions, Result
    grid = Grid("cylindrical", {"r_edges": [0.0, 1.0], "z_edges": [0.0, 1.0, 2.0]})
    Result(np.array([[1e-12, 2e-12]]), np.array([[0.01, 0.02]]), np.array([[1e-9, 2e-9]]), grid, ("water",),
           {"mcdose_version": "0.1.0", "histories": 100, "seed": 3}).save(tmp_path / "r.h5")
    assert main(["info", str(tmp_path / "r.h5")]) == 0
    out = capsys.readouterr().out
    assert "cylindrical" in out and "2e-12" in out and "histories:" in out and "region" not in out
    assert main(["info", str(tmp_path / "none.h5")]) == 2
    regions = Regions(("phantom", "shield", "world"), [2.0, 0.5, 0.0], [1e-12, 3e-12, 0.0], [0.01, 0.05, 0.0],
                      [300.0, 2.6, 0.0], [1e-4, 1e-3, 0.0])
    Result(np.array([[1e-12, 2e-12]]), np.array([[0.01, 0.02]]), np.array([[1e-9, 2e-9]]), grid, ("water",),
           {"phase_space_records": 12, "phase_space_dropped": 0}, regions).save(tmp_path / "p.h5")
    assert main(["info", str(tmp_path / "p.h5")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "phase space:    12 records (0 dropped)" in lines
    assert lines[-2].split() == ["shield", "2.6", "0.5", "3e-12", "5.00%"] and lines[-1].split()[-2] == "-"


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
    assert "depth_cm" in out and "beam metrics withheld: " in out and "R50" not in out
    rows = np.loadtxt(tmp_path / "pdd.csv", delimiter=",", skiprows=2)
    np.testing.assert_allclose(rows[:, 1], [3e-12, 2e-12, 1e-12])


def _electron_like_result(path):
    import numpy as np
    from scipy.stats import norm

    from mcdose.results import Grid, Result
    grid = Grid("cylindrical", {"r_edges": np.arange(0, 8.0001, 0.2), "z_edges": np.arange(0, 6.0001, 0.1)})
    rc, zc = grid.centers("r_edges"), grid.centers("z_edges")
    pdd = (1 - 0.25 * np.exp(-zc / 0.5)) * norm.cdf((2.7 - zc) / 0.45) + 0.02
    dose = 1e-12 * norm.cdf((5.0 - rc) / 0.4)[:, None] * pdd[None, :]
    Result(dose, np.full(dose.shape, 0.01), dose, grid, ("water",)).save(path)
    return path


@pytest.mark.parametrize("kind, extra", [("pdd", []), ("profile", ["--depth", "1.0"]),
                                         ("isodose", ["--levels", "90,50,10"]),
                                         ("isodose", ["--prescription", "10", "--prescription-isodose", "90"])])
def test_plot_result_kinds(tmp_path, capsys, kind, extra):
    h5 = _electron_like_result(tmp_path / "r.h5")
    out = tmp_path / f"{kind}.png"
    assert main(["plot", str(h5), "--kind", kind, "-o", str(out), *extra]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "wrote" in capsys.readouterr().out


def test_plot_isodose_over_geometry_outline(tmp_path):
    h5 = _electron_like_result(tmp_path / "r.h5")
    out = tmp_path / "iso.png"
    assert main(["plot", str(h5), "--kind", "isodose", "-o", str(out),
                 "--config", str(ROOT / "examples" / "water_9MeV.toml")]) == 0
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize("args, match", [
    (["{h5}", "--kind", "geometry"], "needs a configuration file"),
    (["{toml}", "--kind", "pdd"], "needs a result file"),
    (["{h5}", "--kind", "pdd", "--depth", "1"], "--depth applies to --kind profile"),
    (["{h5}", "--kind", "profile"], "needs --depth"),
    (["{h5}", "--kind", "isodose", "--plane", "z", "--position", "1"], "r-z plane"),
    (["{h5}", "--kind", "isodose", "--levels", "90,x"], "--levels"),
])
def test_plot_wrong_combinations_exit_2(tmp_path, capsys, args, match):
    h5 = _electron_like_result(tmp_path / "r.h5")
    toml = ROOT / "examples" / "water_9MeV.toml"
    argv = ["plot"] + [a.format(h5=h5, toml=toml) for a in args] + ["-o", str(tmp_path / "f.png")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and match in err
