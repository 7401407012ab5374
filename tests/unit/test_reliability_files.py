"""Crafted result and measured-data files: every command that reads one ends in one line
``mcdose: error: <file>: <what is wrong>`` and exit status 2, never a traceback, never echoing file content."""
import h5py
import numpy as np
import pytest

from mcdose.cli import main
from mcdose.errors import InputError
from mcdose.results import Grid, Result, load

SECRET = "SECRET_CONTENT_42"


def _result_file(path, kind="cartesian", **metadata):
    if kind == "cartesian":
        grid = Grid(kind, {"x_edges": [-1.0, 0.0, 1.0], "y_edges": [-1.0, 0.0, 1.0], "z_edges": np.linspace(0, 3, 7)})
    elif kind == "cylindrical":
        grid = Grid(kind, {"r_edges": [0.0, 1.0, 2.0], "z_edges": np.linspace(0, 3, 7)})
    else:
        grid = Grid(kind, {"r_edges": np.linspace(0, 5, 11)}, center=(0, 0, 10))
    dose = np.random.default_rng(1).random(grid.shape) * 1e-12 + 1e-13
    md = {"mcdose_version": "0.1.0", "config": "[run]\nseed = 7\n", "seed": 7, "histories": 1000, "batches": 10,
          "batches_requested": 10, "elapsed_seconds": 1.5, "lost_particles": 0, "uncertainty_method": "batch",
          "electron_transport": "transported", "energy_deposited_MeV_per_particle": 8.5,
          "physics_electron_cutoff": 0.01, "physics_woodcock": True, **metadata}
    return Result(dose, np.full(grid.shape, 0.01), dose * 3.0, grid, ("water",), md).save(path)


def _replace(name, data, group="/"):
    def doctor(f):
        del f[group][name]
        f[group][name] = data
    return doctor


def _attr(name, value, where="/"):
    def doctor(f):
        f[where].attrs[name] = value
    return doctor


def _make_group(name):
    def doctor(f):
        del f[name]
        f.create_group(name)
    return doctor


def _utf8_attr(name, raw: bytes):
    def doctor(f):
        f.attrs.create(name, raw, dtype=h5py.string_dtype("utf-8"))
    return doctor


# name: (mesh kind, doctor, expected words)
CASES = {
    "schema_version_str": ("cartesian", _attr("schema_version", "1"), "'schema_version' must be an integer"),
    "schema_version_array": ("cartesian", _attr("schema_version", [1, 1]), "'schema_version' must be an integer"),
    "schema_version_nan": ("cartesian", _attr("schema_version", np.nan), "'schema_version' must be an integer"),
    "schema_version_zero": ("cartesian", _attr("schema_version", 0), "'schema_version' = 0 is not allowed"),
    "schema_version_missing": ("cartesian", lambda f: f.attrs.__delitem__("schema_version"), "no schema_version"),
    "format_array": ("cartesian", _attr("format", ["mcdose-result"] * 2), "not an mcdose result file"),
    "elapsed_str": ("cartesian", _attr("elapsed_seconds", "fast"), "'elapsed_seconds' must be a finite number"),
    "elapsed_array": ("cartesian", _attr("elapsed_seconds", [1.0, 2.0]), "'elapsed_seconds' must be a finite"),
    "elapsed_nan": ("cartesian", _attr("elapsed_seconds", np.nan), "'elapsed_seconds' must be a finite number"),
    "elapsed_negative": ("cartesian", _attr("elapsed_seconds", -1.0), "must be >= 0"),
    "histories_huge": ("cartesian", _attr("histories", 10 ** 18),
                       "'histories' = 1000000000000000000 is not allowed: must be >= 1 and <= 10000000000000"),
    "histories_negative": ("cartesian", _attr("histories", -5), "'histories' = -5 is not allowed: must be >= 1"),
    "histories_float": ("cartesian", _attr("histories", 1000.0), "'histories' must be an integer"),
    "batches_huge": ("cartesian", _attr("batches", 2 ** 62), "'batches'"),
    "batches_negative": ("cartesian", _attr("batches", -1), "'batches' = -1 is not allowed"),
    "batches_requested_low": ("cartesian", _attr("batches_requested", 3), "'batches_requested' (3) must be >= "),
    "seed_negative": ("cartesian", _attr("seed", -1), "'seed' = -1"),
    "lost_particles_bool": ("cartesian", _attr("lost_particles", True), "'lost_particles' must be an integer"),
    "energy_nan": ("cartesian", _attr("energy_deposited_MeV_per_particle", np.inf), "must be a finite number"),
    "physics_array": ("cartesian", _attr("physics_electron_cutoff", [0.01, 0.02]), "'physics_electron_cutoff'"),
    "extra_array": ("cartesian", _attr("something_new", np.zeros(4)), "'something_new' must be"),
    "stopped_by_escape": ("cartesian", _attr("stopped_by", "\x1b[2J"), "'stopped_by' must be a one-line printable"),
    "physics_newline": ("cartesian", _attr("physics_electrons", "a\nb"), "'physics_electrons' must be"),
    "stopped_by_int": ("cartesian", _attr("stopped_by", 2),
                       "'stopped_by' must be a one-line printable UTF-8 string, got 2"),
    "config_bytes": ("cartesian", _attr("config", np.bytes_(b"\xff\xfe" + SECRET.encode())), "'config' must be a "
                     "UTF-8 string, got text that is not UTF-8"),
    "config_vlen_not_utf8": ("cartesian", _utf8_attr("config", b"\xff" + SECRET.encode()), "not UTF-8"),
    "config_garbage": ("cartesian", _attr("config", f"\x01{SECRET} = = ["), "'config' is not TOML text"),
    "config_array": ("cartesian", _attr("config", np.arange(3)), "'config' must be a UTF-8 string"),
    "version_not_utf8": ("cartesian", _utf8_attr("mcdose_version", b"\xfe"), "'mcdose_version'"),
    "dose_strings": ("cartesian", _replace("dose", np.full((2, 2, 6), b"1.0")), "/dose must hold real floating"),
    "dose_complex": ("cartesian", _replace("dose", np.ones((2, 2, 6), complex)), "/dose must hold real floating"),
    "dose_shape": ("cartesian", _replace("dose", np.ones((2, 6))), "/dose has shape (2, 6), must be (2, 2, 6)"),
    "dose_nan": ("cartesian", _replace("dose", np.full((2, 2, 6), np.nan)), "dose: contains NaN"),
    "uncertainty_negative": ("cartesian", _replace("uncertainty", -np.ones((2, 2, 6))), "negative"),
    "dose_group": ("cartesian", _make_group("dose"), "/dose must be a dataset, found a group"),
    "dose_missing": ("cartesian", lambda f: f.__delitem__("dose"), "no /dose"),
    "dose_dangling_link": ("cartesian", _replace("dose", h5py.SoftLink("/nowhere")), "no /dose"),
    "grid_dataset": ("cartesian", _replace("grid", np.ones(3)), "/grid must be a group, found a dataset"),
    "grid_kind_int": ("cartesian", _attr("kind", 3, "grid"), "/grid attribute 'kind' must be one of"),
    "grid_kind_array": ("cartesian", _attr("kind", ["cartesian"], "grid"), "/grid attribute 'kind' must be one of"),
    "grid_kind_unknown": ("cartesian", _attr("kind", SECRET, "grid"), "/grid attribute 'kind' must be one of"),
    "edges_strings": ("cartesian", _replace("x_edges", np.array([b"-1", b"0", b"1"]), "grid"),
                      "/grid/x_edges must hold real floating"),
    "edges_2d": ("cartesian", _replace("x_edges", np.ones((3, 1)), "grid"), "/grid/x_edges has shape (3, 1)"),
    "edges_decreasing": ("cartesian", _replace("x_edges", [1.0, 0.0, -1.0], "grid"), "strictly increasing"),
    "edges_group": ("cartesian", _make_group("grid/z_edges"), "/grid/z_edges must be a dataset"),
    "r_edges_negative": ("cylindrical", _replace("r_edges", [-2.0, -1.0, 0.0], "grid"), "radii must be >= 0"),
    "center_nan": ("spherical", _replace("center", [np.nan, 0.0, 0.0], "grid"), "3 finite coordinates"),
    "center_shape": ("spherical", _replace("center", [0.0, 0.0], "grid"), "/grid/center has shape (2,)"),
    "materials_numeric": ("cartesian", _replace("materials", [1.0, 2.0]), "/materials must hold strings"),
    "materials_scalar": ("cartesian", _replace("materials", np.array("water", dtype=h5py.string_dtype())),
                         "/materials has shape ()"),
    "materials_control": ("cartesian", _replace("materials", np.array(["wa\x1bter"], dtype=h5py.string_dtype())),
                          "/materials must be printable"),
    "materials_not_utf8": ("cartesian", _replace("materials", np.array([b"\xff"], dtype=h5py.string_dtype())),
                           "/materials holds text that is not UTF-8"),
}

COMMANDS = {
    "info": ["info", "{h5}"],
    "pdd": ["pdd", "{h5}"],
    "plot_pdd": ["plot", "{h5}", "--kind", "pdd", "-o", "{tmp}/f.png"],
    "plot_profile": ["plot", "{h5}", "--kind", "profile", "--depth", "1", "-o", "{tmp}/f.png"],
    "plot_isodose": ["plot", "{h5}", "--kind", "isodose", "-o", "{tmp}/f.png"],
    "compare": ["compare", "{h5}", "{tmp}/meas.csv"],
}


def _one_error_line(capsys, *must_contain) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mcdose: error: "), err
    for text in must_contain:
        assert text in err, err
    assert SECRET not in err
    return err


@pytest.mark.parametrize("case", CASES)
def test_crafted_result_file_is_one_clear_error_in_every_command(tmp_path, capsys, case):
    kind, doctor, expected = CASES[case]
    h5 = _result_file(tmp_path / "r.h5", kind)
    with h5py.File(h5, "r+") as f:
        doctor(f)
    (tmp_path / "meas.csv").write_text("depth_mm,dose\n0,80\n10,100\n20,70\n30,10\n40,2\n")
    for name, argv in COMMANDS.items():
        assert main([a.format(h5=h5, tmp=tmp_path) for a in argv]) == 2, name
        _one_error_line(capsys, f"mcdose: error: {h5}: ", expected)
    assert not (tmp_path / "f.png").exists()


def test_accepted_attributes_of_an_interrupted_run(tmp_path, capsys):
    h5 = _result_file(tmp_path / "r.h5", stopped_by="SIGINT", batches=4, batches_requested=20, elapsed_seconds=3,
                      note="kept")
    md = load(h5).metadata
    assert md["stopped_by"] == "SIGINT" and md["batches_requested"] == 20 and md["note"] == "kept"
    assert md["elapsed_seconds"] == 3.0 and type(md["elapsed_seconds"]) is float
    assert "format" not in md and "schema_version" not in md
    assert main(["info", str(h5)]) == 0
    assert "elapsed:        3.0 s" in capsys.readouterr().out


def test_grid_checks_radii_and_centre():
    with pytest.raises(InputError, match="radii"):
        Grid("spherical", {"r_edges": [-1.0, 1.0]})
    with pytest.raises(InputError, match="3 finite"):
        Grid("spherical", {"r_edges": [0.0, 1.0]}, center=(0.0, np.inf, 0.0))


def _sparse(path, size):
    with open(path, "wb") as fh:
        fh.truncate(size)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
MEASURED = {  # file name: (content | writer, expected words)
    "random.csv": (np.random.default_rng(0).bytes(4096), "a binary file"),
    "image.mcc": (PNG, "a binary file"),
    "image.csv": (PNG, "a binary file"),
    "latin1.csv": (f"depth_mm,dose\n# {SECRET} bei 20 °C\n0,1\n".encode("latin-1"), "line 2: not UTF-8 text"),
    "empty.csv": (b"", "needs a header row and data rows"),
    "empty.mcc": (b"", "no BEGIN_SCAN"),
    "empty.asc": (b"", "no $STOM"),
    "nan.csv": (b"depth_mm,dose\n0,80\n10,nan\n20,70\n30,10\n40,2\n", "line 3: NaN or infinite"),
    "inf.csv": (b"depth_mm,dose\n0,80\n10,100\n-inf,70\n30,10\n40,2\n", "line 4: NaN or infinite"),
    "short_row.csv": (b"depth_mm,dose\n0,80\n10\n20,70\n", "line 3: expected 2 numbers, found 1"),
    "text_value.csv": (f"depth_mm,dose\n0,{SECRET}\n".encode(), "line 2: non-numeric value"),
    "bad_header.csv": (f"{SECRET},dose\n0,1\n".encode(), "line 1: the first column's name"),
    "bad_depth_comment.csv": (f"# depth_mm = {SECRET}\nx_mm,dose\n0,1\n".encode(), "line 1: non-numeric"),
    "one_column.mcc": (f"BEGIN_SCAN 1\nSCAN_CURVETYPE=PDD\nBEGIN_DATA\n1.0\n{SECRET}\nEND_DATA\nEND_SCAN 1\n".encode(),
                       "line 4: expected 2 numbers, found 1"),
    "curvetype.mcc": (f"BEGIN_SCAN 1\nSCAN_CURVETYPE={SECRET}\nBEGIN_DATA\n0 1\nEND_DATA\nEND_SCAN 1\n".encode(),
                      "SCAN_CURVETYPE not supported"),
    "depth_text.mcc": ((f"BEGIN_SCAN 1\nSCAN_CURVETYPE=CROSSPLANE_PROFILE\nSCAN_DEPTH={SECRET}\nBEGIN_DATA\n"
                        + "".join(f"{x} 1\n" for x in range(5)) + "END_DATA\nEND_SCAN 1\n").encode(),
                      "scan 1: SCAN_DEPTH: non-numeric"),
    "short_point.asc": (f"$STOM\n%TYPE OPD\n%AXIS Z\n<0 0 {SECRET}>\n$ENOM\n".encode(), "line 4: expected 4"),
    "depth_text.asc": (f"$STOM\n%TYPE OPP\n%AXIS X\n%DPTH {SECRET}\n".encode()
                       + b"".join(f"<{x} 0 20 1>\n".encode() for x in range(5)) + b"$ENOM\n",
                       "measurement 1: %DPTH: non-numeric"),
    "huge.csv": (lambda p: _sparse(p, 65 * 2**20), "larger than a measured-data file can be"),
    "folder.csv": (lambda p: p.mkdir(), "is not a regular file"),
}


@pytest.mark.parametrize("name", MEASURED)
def test_bad_measured_file_is_one_clear_error(tmp_path, capsys, name):
    content, expected = MEASURED[name]
    h5 = _result_file(tmp_path / "r.h5")
    path = tmp_path / name
    content(path) if callable(content) else path.write_bytes(content)
    assert main(["compare", str(h5), str(path)]) == 2
    _one_error_line(capsys, name, expected)
