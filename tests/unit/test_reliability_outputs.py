"""Issue 12 (reliability): output paths checked before any work, inputs never overwritten, atomic
writes with the umask's mode, numeric options and error lines (one line, bounded length)."""
import os
import stat
import tempfile
from pathlib import Path

import numpy as np
import pytest

import mcdose.results
from mcdose.cli import MESSAGE_LIMIT, _one_line, main
from mcdose.errors import InputError
from mcdose.outputs import atomic_write, check_output, config_inputs
from mcdose.results import Grid, Result

ROOT = Path(__file__).resolve().parents[2]
CONFIG = (ROOT / "examples" / "water_9MeV.toml").read_text()
LONG_NAME = "x" * 300 + ".h5"


def _error(capsys, argv) -> str:
    """Run the CLI expecting exit status 2 and one line ``mcdose: error: ...``; that line."""
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mcdose: error: "), err
    return err


def _result(path: Path) -> Path:
    grid = Grid("cylindrical", {"r_edges": [0.0, 1.0, 2.0], "z_edges": [0.0, 1.0, 2.0, 3.0]})
    dose = np.array([[3e-12, 2e-12, 1e-12], [1e-12, 1e-12, 1e-12]])
    return Result(dose, np.full(dose.shape, 0.01), dose, grid, ("water",)).save(path)


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder nobody can create files in: read-only for a normal user; for root (whom file modes do
    not stop) a read-only file system such as /sys."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, Path("/sys")):
        try:
            fd, probe = tempfile.mkstemp(dir=candidate)
        except OSError:
            return candidate
        os.close(fd)
        os.unlink(probe)
    pytest.skip("no unwritable folder on this machine")


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A folder with a configuration c.toml, a file afile, a directory adir and a result r.h5."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.toml").write_text(CONFIG)
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    _result(tmp_path / "r.h5")
    return tmp_path


@pytest.fixture
def no_load(monkeypatch):
    """Reading a result file fails the test: the output check must come first."""
    def load(path):
        raise AssertionError("result file read before the output check")
    monkeypatch.setattr(mcdose.results, "load", load)


# ---------------------------------------------------------------------------- item 1: run
@pytest.mark.parametrize("output, force, match", [
    ("nodir/out.h5", False, "folder 'nodir' does not exist"),
    ("afile/out.h5", False, "'afile' is not a folder"),
    ("adir", True, "is a directory"),
    (LONG_NAME, False, "file name too long"),
    ("c.toml", True, "is an input of this run (the configuration)"),
    ("c.toml", False, "is an input of this run (the configuration)"),
])
def test_run_output_checked_before_the_build(work, capsys, monkeypatch, output, force, match):
    monkeypatch.setattr("mcdose.problem.build_problem", lambda spec: pytest.fail("problem built"))
    err = _error(capsys, ["run", "c.toml", "-o", output] + (["--force"] if force else []))
    assert match in err
    assert (work / "c.toml").read_text() == CONFIG


def test_run_output_in_an_unwritable_folder(work, capsys):
    folder = _unwritable_folder(work)
    err = _error(capsys, ["run", "c.toml", "-o", folder / "out.h5"])
    assert "is not writable" in err and str(folder) in err


def test_run_refuses_to_overwrite_its_spectrum_and_phantom_files(work, capsys):
    (work / "spec.csv").write_text("energy_MeV,weight\n1.0,1.0\n")
    (work / "d.toml").write_text(CONFIG.replace("[source]", '[source]\nspectrum_file = "spec.csv"'))
    assert "source.spectrum_file" in _error(capsys, ["run", "d.toml", "-o", "spec.csv", "--force"])
    assert (work / "spec.csv").read_text().startswith("energy_MeV")
    inputs = dict(config_inputs({"phantom": {"file": "ph.npy", "density_file": "rho.npy"}}))
    assert inputs == {"phantom.file": Path("ph.npy"), "phantom.density_file": Path("rho.npy")}
    assert dict(config_inputs(work / "c.toml", {"source.spectrum_file": "s.csv"}))["source.spectrum_file"] == \
        work / "s.csv"


# ---------------------------------------------------------------------------- item 1: pdd, materials, compare, plot
@pytest.mark.parametrize("output, match", [
    ("nodir/p.csv", "does not exist"), ("afile/p.csv", "is not a folder"), ("adir", "is a directory"),
    (LONG_NAME, "too long"), ("r.h5", "is an input of this run (the result file)"),
])
def test_pdd_csv_checked_first(work, capsys, no_load, output, match):
    assert match in _error(capsys, ["pdd", "r.h5", "--csv", output])


def test_pdd_csv_written_atomically_and_overwritten(work, capsys):
    (work / "p.csv").write_text("old")
    assert main(["pdd", "r.h5", "--csv", "p.csv"]) == 0
    assert (work / "p.csv").read_text().splitlines()[1].startswith("depth_cm,dose")
    assert sorted(p.name for p in work.iterdir()) == ["adir", "afile", "c.toml", "p.csv", "r.h5"]


@pytest.mark.parametrize("output, match", [("nodir/w.csv", "does not exist"), ("adir", "is a directory")])
def test_materials_csv_checked_first(work, capsys, monkeypatch, output, match):
    monkeypatch.setattr("mcdose.physics.report.material_table", lambda m: pytest.fail("table computed"))
    assert match in _error(capsys, ["materials", "water", "--csv", output])


@pytest.mark.parametrize("output, extra, match", [
    ("nodir/r.html", [], "does not exist"), ("adir", ["--force"], "is a directory"),
    ("m.csv", ["--force"], "is an input of this run (a measured file)"),
    ("afile", [], "exists; use --force"),
])
def test_compare_html_checked_first(work, capsys, no_load, output, extra, match):
    (work / "m.csv").write_text("depth_mm,dose\n0,1\n10,2\n")
    assert match in _error(capsys, ["compare", "r.h5", "m.csv", "--html", output, *extra])


@pytest.mark.parametrize("output, match", [
    ("nodir/f.png", "does not exist"), ("adir", "is a directory"), ("f.xyz", "suffix '.xyz' is not allowed"),
    ("f", "suffix '(none)' is not allowed"), ("r.h5", "is an input of this run (the result file)"),
])
def test_plot_output_checked_before_the_figure(work, capsys, no_load, output, match):
    err = _error(capsys, ["plot", "r.h5", "--kind", "pdd", "-o", output])
    assert match in err


def test_plot_geometry_refuses_its_configuration(work, capsys):
    assert "(the configuration)" in _error(capsys, ["plot", "c.toml", "--kind", "geometry", "-o", "c.toml"])


def test_symlink_output_refused_even_with_force(work, capsys):
    (work / "link.png").symlink_to(work / "afile")
    assert "symbolic link" in _error(capsys, ["plot", "r.h5", "--kind", "pdd", "-o", "link.png"])
    with pytest.raises(InputError, match="symbolic link"):
        check_output(work / "link.png", force=True)
    assert (work / "afile").read_text() == "x"


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_special_file_output_refused(work, capsys):
    assert "not a regular file" in _error(capsys, ["run", "c.toml", "-o", "/dev/null", "--force"])


# ---------------------------------------------------------------------------- items 2, 3: check_output, atomic_write
def test_check_output_rules(tmp_path):
    out = tmp_path / "out.h5"
    assert check_output(str(out), False) == out
    out.write_text("x")
    with pytest.raises(InputError, match=r"exists; use --force \(force=True\) to overwrite"):
        check_output(out, False)
    assert check_output(out, True) == out
    os.link(out, tmp_path / "hard.h5")
    with pytest.raises(InputError, match=r"is an input of this run \(the data\)"):
        check_output(out, True, inputs=[("the data", tmp_path / "hard.h5")])
    with pytest.raises(InputError, match="is an input"):
        check_output(tmp_path / "new.h5", False, inputs=[("x", tmp_path / "sub" / ".." / "new.h5")])
    assert check_output(tmp_path / "F.PNG", False, suffixes=(".png",)).name == "F.PNG"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []    # the probe is gone


def test_atomic_write_mode_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "a.txt", lambda tmp: Path(tmp).write_text("a"))
        path = _result(tmp_path / "r.h5")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_atomic_write_failure_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")

    def fail(tmp):
        Path(tmp).write_text("half")
        raise RuntimeError("crash")
    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    with pytest.raises(InputError, match="cannot be written"):
        atomic_write(target, lambda tmp: open(tmp + "/x"))      # an OSError: named, one line
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"] and target.read_text() == "old"


def test_atomic_write_replaces_a_link_without_writing_through_it(tmp_path):
    (tmp_path / "victim").write_text("keep")
    (tmp_path / "link").symlink_to(tmp_path / "victim")
    atomic_write(tmp_path / "link", lambda tmp: Path(tmp).write_text("new"))
    assert (tmp_path / "victim").read_text() == "keep" and not (tmp_path / "link").is_symlink()


def test_results_check_output_is_the_outputs_one():
    assert mcdose.results.check_output is check_output


# ---------------------------------------------------------------------------- item 4: numeric options
@pytest.mark.parametrize("argv, match", [
    (["pdd", "r.h5", "--radius", "-1"], "--radius: -1.0 is not allowed: cm, must be > 0"),
    (["pdd", "r.h5", "--radius", "nan"], "--radius: nan is not allowed: cm, must be a finite number"),
    (["pdd", "r.h5", "--radius", "abc"], "--radius: invalid float value"),
    (["plot", "r.h5", "--kind", "pdd", "--radius", "-3", "-o", "f.png"], "--radius: -3.0 is not allowed"),
    (["plot", "r.h5", "--kind", "isodose", "--levels", "nan,-5", "-o", "f.png"], "--levels: 'nan,-5' is not allowed"),
    (["plot", "r.h5", "--kind", "isodose", "--levels", "inf", "-o", "f.png"], "--levels"),
    (["plot", "r.h5", "--kind", "profile", "--depth", "inf", "-o", "f.png"], "--depth: inf is not allowed"),
    (["plot", "r.h5", "--kind", "profile", "--depth", "1", "--offset", "nan", "-o", "f.png"], "--offset"),
    (["plot", "r.h5", "--kind", "isodose", "--position", "-inf", "-o", "f.png"], "--position"),
    (["plot", "r.h5", "--kind", "isodose", "--prescription", "0", "-o", "f.png"], "--prescription: 0.0 is not"),
    (["plot", "r.h5", "--kind", "isodose", "--prescription", "5", "--prescription-isodose", "120", "-o", "f.png"],
     "--prescription-isodose: 120.0 is not allowed: %, must be > 0 and <= 100"),
    (["compare", "r.h5", "m.csv", "--pass-rate", "nan"], "--pass-rate"),
    (["compare", "r.h5", "m.csv", "--threshold", "-1"], "--threshold"),
    (["compare", "r.h5", "m.csv", "--r50-tol", "inf"], "--r50-tol: inf is not allowed: mm"),
    (["compare", "r.h5", "m.csv", "--field-size-tol", "0"], "--field-size-tol"),
    (["compare", "r.h5", "m.csv", "--ds-tol", "-2"], "--ds-tol"),
    (["compare", "r.h5", "m.csv", "--depth", "nan"], "--depth"),
])
def test_numeric_options_refused_in_one_line(work, capsys, no_load, argv, match):
    assert match in _error(capsys, argv)


# ---------------------------------------------------------------------------- item 5: error lines
@pytest.mark.parametrize("argv", [["pdd"], ["nosuch"], ["run", "c.toml"], ["plot", "r.h5", "--kind", "x"]])
def test_argparse_errors_are_one_line(work, capsys, argv):
    _error(capsys, argv)


def test_long_error_line_is_cut(capsys):
    err = _error(capsys, ["materials", "w" * 100_000 + "\n"])
    assert len(err) < MESSAGE_LIMIT + 40 and " ... " in err and err.startswith("mcdose: error: unknown material")


def test_one_line_escapes_control_characters():
    assert _one_line("a\nb\tc\x1b[0m") == "a\\nb\\tc\\x1b[0m"
    text = _one_line("s" + "m" * 1000 + "e")
    assert len(text) <= MESSAGE_LIMIT and text.startswith("sm") and text.endswith("me")
