"""Issue 12 (reliability), bad inputs: each ends in one line ``mcdose: error: ...`` and exit status 2
(or the stated behaviour). User materials, a scoring mesh outside the phantom or too large, voxel
files, the resolved TOML for any material name, a BOM, a directory, spectrum files."""
import copy
import logging
import subprocess
import sys
import warnings

import h5py
import numpy as np
import pytest

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from mcdose.cli import main
from mcdose.config import check_mesh_size, dumps_toml, load_config, validate
from mcdose.errors import InputError


def _check(cfg, tmp_path, capsys, name="c.toml"):
    """`mcdose check` of a configuration dict (written next to the test's files): (status, stdout, stderr)."""
    path = tmp_path / name
    path.write_text(dumps_toml(cfg), encoding="utf-8")
    rc = main(["check", str(path)])
    out, err = capsys.readouterr()
    return rc, out, err


def _refused(cfg, tmp_path, capsys, *words):
    rc, _, err = _check(cfg, tmp_path, capsys)
    assert rc == 2 and err.startswith("mcdose: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err, f"{w!r} not in {err!r}"
    return err


# --- 6. user materials -----------------------------------------------------------------------------

@pytest.mark.parametrize("entry, words", [
    ({"composition": {"H": "abc"}, "density": 1.0},
     ["materials.foo.composition.H: 'abc' is not allowed: a mass fraction, must be a number > 0"]),
    ({"composition": {"H": "0.1", "O": 0.9}, "density": 1.0}, ["materials.foo.composition.H: '0.1'", "a number"]),
    ({"composition": {"H": float("nan"), "O": 0.9}, "density": 1.0}, ["materials.foo.composition.H: nan", "finite"]),
    ({"composition": {"H": float("inf")}, "density": 1.0}, ["materials.foo.composition.H: inf"]),
    ({"composition": {"H": -0.1, "O": 1.1}, "density": 1.0}, ["materials.foo.composition.H: -0.1", "> 0"]),
    ({"composition": {"H": 0.5, "O": 0.9}, "density": 1.0}, ["materials.foo.composition", "sum to 1.4"]),
    ({"composition": {"Xx": 1.0}, "density": 1.0}, ["materials.foo.composition.Xx", "unknown chemical element"]),
    ({"composition": {"Fm": 1.0}, "density": 1.0}, ["materials.foo.composition.Fm", "Z = 1..99"]),
    ({"composition": {}, "density": 1.0}, ["materials.foo.composition", "{element = mass fraction}"]),
    ({"composition": {"H": 1.0}, "density": float("nan")}, ["materials.foo.density: nan"]),
    ({"composition": {"H": 1.0}, "density": float("inf")}, ["materials.foo.density: inf"]),
    ({"composition": {"H": 1.0}, "density": "1.0"}, ["materials.foo.density: '1.0'", "g/cm3"]),
    ({"composition": {"H": 1.0}, "density": 1.0, "I": float("nan")}, ["materials.foo.I: nan", "eV"]),
    ({"formula": "H2O", "composition": {"H": 1.0}, "density": 1.0}, ["materials.foo", "exactly one of"]),
    ({"formula": 18, "density": 1.0}, ["materials.foo.formula: 18", "string"]),
    ({"formula": "H.", "density": 1.0}, ["materials.foo.formula", "'H.'", "element symbols and counts"]),
    ({"formula": "H0", "density": 1.0}, ["materials.foo.formula", "count 0 of H"]),
    ({"formula": "H" + "9" * 400, "density": 1.0}, ["materials.foo.formula", "count inf of H"]),
    ({"formula": "H2O)", "density": 1.0}, ["materials.foo.formula", "element symbols and counts"]),
    ({"formula": "h2o", "density": 1.0}, ["materials.foo.formula", "element symbols and counts"]),
    ({"formula": "Qq2", "density": 1.0}, ["materials.foo.formula", "unknown chemical element 'Qq'"]),
    ({"formula": "FmO", "density": 1.0}, ["materials.foo.formula", "'Fm' (Z = 100)"]),
])
def test_user_material_errors_name_the_key(base_config, tmp_path, capsys, entry, words):
    base_config["materials"] = {"foo": entry}
    _refused(base_config, tmp_path, capsys, *words)


def test_odd_material_name_stays_one_line(base_config, tmp_path, capsys):
    base_config["materials"] = {"a\nb": {"formula": "H2O", "density": "x"}}
    _refused(base_config, tmp_path, capsys, 'materials."a\\u000Ab".density')


# --- 7. a scoring mesh outside the phantom ---------------------------------------------------------

PHANTOM = "the phantom (x -15..15, y -15..15, z 0..20 cm)"


@pytest.mark.parametrize("scoring, mesh", [
    ({"mesh": "cartesian", "x_edges": [50.0, 60.0], "y_edges": [-1.0, 1.0], "z_edges": [0.0, 1.0]},
     "x 50..60, y -1..1, z 0..1 cm"),
    ({"mesh": "cartesian", "x_edges": [-1.0, 1.0], "y_edges": [-1.0, 1.0], "z_edges": [-3.0, 0.0]},
     "x -1..1, y -1..1, z -3..0 cm"),
    ({"mesh": "cylindrical", "r_edges": [0.0, 1.0], "z_edges": [30.0, 40.0]}, "r 0..1 about the z axis, z 30..40 cm"),
    ({"mesh": "cylindrical", "r_edges": [22.0, 30.0], "z_edges": [0.0, 5.0]}, "r 22..30 about the z axis, z 0..5 cm"),
    ({"mesh": "spherical", "r_edges": [0.0, 2.0], "center": [0.0, 0.0, -3.0]}, "r 0..2 cm about (0, 0, -3)"),
    ({"mesh": "spherical", "r_edges": [30.0, 40.0], "center": [0.0, 0.0, 10.0]}, "r 30..40 cm about (0, 0, 10)"),
])
def test_mesh_outside_the_phantom_is_refused(base_config, tmp_path, capsys, scoring, mesh):
    base_config["scoring"] = scoring
    _refused(base_config, tmp_path, capsys, f"scoring: the mesh ({mesh}) lies entirely outside {PHANTOM}",
             "score nothing")


def test_mesh_partly_outside_the_phantom_warns(base_config, tmp_path, capsys, caplog):
    base_config["scoring"]["x_edges"] = [-20.0, 0.0, 20.0]
    with caplog.at_level(logging.WARNING, logger="mcdose"):
        rc, _, _ = _check(base_config, tmp_path, capsys)
    assert rc == 0
    assert [r.getMessage() for r in caplog.records] == [
        f"mcdose: warning: scoring: the mesh (x -20..20, y -15..15, z 0..12 cm) lies partly outside {PHANTOM}; "
        "its bins there score no dose"]


def test_mesh_inside_the_phantom_or_a_material_world_is_quiet(base_config, tmp_path, capsys, caplog):
    with caplog.at_level(logging.WARNING, logger="mcdose"):
        assert _check(base_config, tmp_path, capsys)[0] == 0
        base_config["phantom"]["world"] = "air"      # the world box (5 cm margin) holds matter too
        base_config["scoring"]["x_edges"] = [15.0, 19.0]
        assert _check(base_config, tmp_path, capsys)[0] == 0
        base_config["scoring"]["x_edges"] = [21.0, 22.0]
        _refused(base_config, tmp_path, capsys, "outside the world of phantom.world = 'air' (x -20..20, y -20..20, "
                                                "z -5..25 cm)")
    assert not caplog.records


def test_warning_is_one_stderr_line_of_the_cli(base_config, tmp_path):
    base_config["scoring"]["z_edges"] = [10.0, 30.0]
    del base_config["scoring"]["z"]
    path = tmp_path / "partly.toml"
    path.write_text(dumps_toml(base_config))
    done = subprocess.run([sys.executable, "-m", "mcdose", "check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        f"mcdose: warning: scoring: the mesh (x -15..15, y -15..15, z 10..30 cm) lies partly outside {PHANTOM}; "
        "its bins there score no dose"]


def test_problem_build_refuses_the_mesh_before_any_physics(base_config, monkeypatch):
    from mcdose import problem
    monkeypatch.setattr(problem, "TransportProblem", None)   # reaching it would fail differently
    base_config["scoring"]["x_edges"] = [50.0, 60.0]
    with pytest.raises(InputError, match="lies entirely outside the phantom"):
        problem.build_problem(validate(base_config))


# --- 8. a mesh that cannot fit in memory -----------------------------------------------------------

def test_mesh_of_too_many_bins_is_refused_with_its_memory(base_config, tmp_path, capsys):
    grid = {"min": 0.0, "max": 10.0, "step": 1e-4}
    base_config["scoring"] = {"mesh": "cartesian", "x_edges": grid, "y_edges": grid, "z_edges": grid}
    _refused(base_config, tmp_path, capsys, "100000 x 100000 x 100000 = 1,000,000,000,000,000 bins", "PiB of memory",
             "at most 268,435,456 bins (2**28)")


@pytest.mark.parametrize("grid, words", [
    ({"min": 0.0, "max": 1e9, "step": 1e-3}, ["scoring.z_edges: step 0.001", "1e+12 bins", "at most 100000 per axis"]),
    ({"min": -1e300, "max": 1e300, "step": 1e-300}, ["scoring.z_edges", "inf bins"]),
])
def test_grid_of_billions_of_edges_is_refused_before_making_them(base_config, tmp_path, capsys, grid, words):
    base_config["scoring"]["z"] = grid
    _refused(base_config, tmp_path, capsys, *words)


def test_edge_list_longer_than_an_axis_allows(base_config):
    base_config["scoring"]["x_edges"] = list(np.linspace(-15, 15, 100_002))
    with pytest.raises(InputError, match="scoring.x_edges: 100001 bins is not allowed: at most 100000 per axis"):
        validate(base_config)


def test_mesh_larger_than_the_machine_is_refused():
    spec_scoring = {"mesh": "cylindrical", "r_edges": [0.0, 1.0, 2.0], "z_edges": [0.0, 1.0]}
    run = {"threads": 1, "batches": 10}
    check_mesh_size(spec_scoring, run, memory=10_000)           # 2 bins: 8 B x (1 thread + 12 arrays) each
    with pytest.raises(InputError, match=r"2 x 1 = 2 bins needs about 208 B .*this machine has 100 B$"):
        check_mesh_size(spec_scoring, run, memory=100)


# --- 9. voxel phantom files ------------------------------------------------------------------------

def _voxels(base_config, **phantom):
    base_config["phantom"] = {"type": "voxels", **phantom}
    base_config["scoring"] = {"mesh": "cartesian", "x_edges": [-1.0, 1.0], "y_edges": [-1.0, 1.0], "z_edges": [0.0, 1.0]}
    return base_config


@pytest.mark.parametrize("density, words", [
    (np.array(["1.0"] * 8).reshape(2, 2, 2), ["phantom.density_file", "rho.npy", "dtype <U3 is not allowed",
                                              "real numbers"]),
    (np.ones((2, 2, 2), complex), ["rho.npy", "dtype complex128 is not allowed"]),
    (np.full((2, 2, 2), np.nan), ["rho.npy", "NaN or infinite values are not allowed"]),
    (np.ones((2, 2)), ["rho.npy", "shape (2, 2) is not allowed: must be a non-empty 3-d array"]),
    (np.ones((2, 2, 3)), ["rho.npy", "lattice densities: shape (2, 2, 3) does not match"]),
    (np.full((2, 2, 2), 50.0), ["rho.npy", "g/cm3, must be > 0 and <= 30"]),
    (np.ones((2, 2, 2), bool), ["rho.npy", "dtype bool is not allowed"]),
])
def test_bad_npy_densities(base_config, tmp_path, capsys, density, words):
    np.save(tmp_path / "ids.npy", np.zeros((2, 2, 2), np.int16))
    np.save(tmp_path / "rho.npy", density)
    cfg = _voxels(base_config, file="ids.npy", density_file="rho.npy", voxel_size=[1.0, 1.0, 1.0],
                  voxel_materials="water")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # a complex file is refused, not cast with a ComplexWarning
        _refused(cfg, tmp_path, capsys, *words)


@pytest.mark.parametrize("ids, words", [
    (np.zeros((2, 2, 2)), ["phantom.file", "ids.npy", "dtype float64 is not allowed: must be integers"]),
    (np.zeros((2, 2, 2), bool), ["ids.npy", "dtype bool"]),
    (np.zeros((0, 2, 2), np.int8), ["ids.npy", "shape (0, 2, 2) is not allowed"]),
    (np.full((2, 2, 2), 3, np.int8), ["ids.npy", "must index the 1 material names"]),
])
def test_bad_npy_ids(base_config, tmp_path, capsys, ids, words):
    np.save(tmp_path / "ids.npy", ids)
    cfg = _voxels(base_config, file="ids.npy", voxel_size=[1.0, 1.0, 1.0], voxel_materials="water")
    _refused(cfg, tmp_path, capsys, *words)


def test_npy_that_is_not_an_array(base_config, tmp_path, capsys):
    cfg = _voxels(base_config, file="ids.npy", voxel_size=[1.0, 1.0, 1.0], voxel_materials="water")
    (tmp_path / "ids.npy").write_bytes(b"")
    _refused(cfg, tmp_path, capsys, "phantom.file", "not a plain .npy array")
    with open(tmp_path / "ids.npy", "wb") as f:
        np.savez(f, a=np.zeros(3))
    _refused(cfg, tmp_path, capsys, "phantom.file", "an .npz archive")
    (tmp_path / "ids.npy").unlink()
    (tmp_path / "ids.npy").mkdir()
    _refused(cfg, tmp_path, capsys, "phantom.file", "is a directory, not a voxel file")


def _h5(path, material=True, **extra):
    with h5py.File(path, "w") as f:
        if material is True:
            f["material"] = np.zeros((2, 2, 2), np.int8)
        elif material is not None:
            f.create_group("material")
        for k, v in extra.items():
            if k == "materials":
                f.attrs["materials"] = v
            else:
                f[k] = v


EDGES = {"x_edges": [-1.0, 0.0, 1.0], "y_edges": [-1.0, 0.0, 1.0], "z_edges": [0.0, 0.5, 1.0]}


@pytest.mark.parametrize("content, words", [
    (dict(material="group", materials="water"), ["ct.h5", "'material' is an HDF5 Group, not a dataset"]),
    (dict(material=None, materials="water"), ["ct.h5", "needs a dataset 'material'"]),
    (dict(materials="water", x_edges=[0.0, 1, 2], z_edges=[0.0, 1, 2]), ["ct.h5", "not y_edges"]),
    (dict(materials="water", **dict(EDGES, y_edges=[[0.0, 1.0, 2.0]])),
     ["ct.h5' dataset 'y_edges'", "must be a non-empty 1-d array"]),
    (dict(materials="water", **dict(EDGES, z_edges=["a", "b", "c"])), ["ct.h5' dataset 'z_edges'", "dtype"]),
    (dict(materials="water", **dict(EDGES, x_edges=[0.0, np.inf, 2.0])), ["dataset 'x_edges'", "NaN or infinite"]),
    (dict(materials="water", **dict(EDGES, x_edges=[0.0, 2.0, 1.0])), ["ct.h5", "strictly increasing"]),
    (dict(materials="water", density=np.ones((2, 2, 2), complex), **EDGES), ["dataset 'density'", "complex128"]),
    (dict(materials=[1, 2], **EDGES), ["ct.h5", "attribute 'materials' must hold material names"]),
    (dict(materials="water, unobtainium", **EDGES), ["ct.h5' attribute 'materials'[1]", "unknown material"]),
])
def test_bad_hdf5_phantoms(base_config, tmp_path, capsys, content, words):
    _h5(tmp_path / "ct.h5", **content)
    _refused(_voxels(base_config, file="ct.h5"), tmp_path, capsys, *words)


def test_hdf5_phantom_reads_comma_separated_names_and_refuses_a_density_file(base_config, tmp_path, capsys):
    _h5(tmp_path / "ct.h5", materials="water, lung", **EDGES)
    cfg = _voxels(base_config, file="ct.h5")
    assert _check(cfg, tmp_path, capsys)[0] == 0
    cfg["phantom"]["density_file"] = "rho.npy"
    _refused(cfg, tmp_path, capsys, "phantom.density_file", "only with a .npy file")


# --- 10. the resolved configuration is TOML for any material name ----------------------------------

NASTY = ["é", "naïve ö 🙂", 'quo"te', "back\\slash", "tab\there", "new\nline", "nul\x00", "del\x7f", "a.b", "[x]",
         "#hash", "x = 1", " lead", "\u2028sep", "'single'", '"""', "\\u0041"]


@pytest.mark.parametrize("name", NASTY + [""], ids=[repr(n) for n in NASTY + [""]])
def test_resolved_toml_round_trips_any_material_name(base_config, tmp_path, name):
    base_config["materials"] = {name: {"formula": "H2O", "density": 1.0}, "plain": {"formula": "CH2", "density": 0.9}}
    if name.strip():
        base_config["phantom"]["material"] = name
    spec = validate(base_config)
    data = tomllib.loads(spec.text)
    assert data == spec.to_dict() and name in data["materials"]
    assert data["phantom"]["material"] == (name if name.strip() else "water")
    path = tmp_path / "resolved.toml"
    path.write_text(spec.text, encoding="utf-8")
    assert load_config(path).to_dict() == spec.to_dict()


def test_dumps_toml_quotes_keys_and_strings():
    data = {"materials": {name: {"density": 1.0} for name in NASTY}, "phantom": {"file": "a\nb\\c\"d\x01"},
            "odd section": {"key with space": "v", "ké": "w"}}
    assert tomllib.loads(dumps_toml(data)) == data


# --- 13. configuration files and spectrum files ----------------------------------------------------

def test_byte_order_mark_is_accepted(base_config, tmp_path, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + dumps_toml(base_config).encode())
    assert main(["check", str(path)]) == 0
    assert load_config(path).run.seed == 7


def test_configuration_path_that_is_a_directory(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"mcdose: error: {str(tmp_path)!r} is a directory, not a configuration file\n"


def test_binary_configuration_file(tmp_path, capsys):
    (tmp_path / "bin.toml").write_bytes(b"\x00\x01\xffsecret")
    assert main(["check", str(tmp_path / "bin.toml")]) == 2
    err = capsys.readouterr().err
    assert "binary or non-UTF-8" in err and "secret" not in err and err.count("\n") == 1


def test_override_of_a_section_that_is_not_a_table(base_config):
    base_config["run"] = 5
    with pytest.raises(InputError, match=r"run: must be a table \[run\] \(override 'run.seed'\)"):
        load_config(base_config, **{"run.seed": 3})


def _spectrum(base_config, tmp_path, content: bytes):
    (tmp_path / "spec.csv").write_bytes(content)
    del base_config["source"]["energy"]
    base_config["source"]["spectrum_file"] = "spec.csv"
    return base_config


@pytest.mark.parametrize("content, words", [
    (b"", ["source.spectrum_file ('spec.csv'): no rows of two numbers energy_MeV, weight"]),
    (b"# only a comment\n\n", ["no rows"]),
    (b"root:$6$SECRET:19000:0:99999:7:::\ndaemon:*:19000\n", ["no rows"]),
    (b"1,1\nSECRET token\n", ["line 2: expected two numbers energy_MeV, weight"]),
    (b"1,1\n19000 SECRET\n", ["line 2: expected two numbers"]),
    (b"\x7fELF\x02\x01\x01\x00SECRET", ["spec.csv'", "a binary or non-UTF-8 file"]),
    (b"1,1\n\xff\xfeSECRET\n", ["a binary or non-UTF-8 file"]),
    (b"0.1,1,9\n", ["line 1: 3 columns; expected 2 (energy_MeV, weight)"]),
    (b"0.1\n", ["line 1: 1 columns; expected 2"]),
    (b"e,w\nnan,1\n", ["line 2, energy_MeV: nan is not allowed", "finite"]),
    (b"1,inf\n", ["line 1, weight: inf is not allowed"]),
    (b"1,-1\n", ["line 1, weight: -1.0 is not allowed: must be >= 0"]),
    (b"-1,1\n", ["line 1, energy_MeV: -1.0 is not allowed: MeV"]),
    (b"1,0\n2,0\n", ["the weights sum to 0"]),
    (b"1,1e308\n2,1e308\n", ["the weights sum to inf"]),
])
def test_bad_spectrum_files_never_echo_the_content(base_config, tmp_path, capsys, content, words):
    err = _refused(_spectrum(base_config, tmp_path, content), tmp_path, capsys, "source.spectrum_file", *words)
    assert "SECRET" not in err and "19000" not in err


def test_spectrum_file_separators_header_and_bom(base_config, tmp_path):
    cfg = _spectrum(base_config, tmp_path, "\ufeffenergy (MeV)\tweight\n# comment\n0.02 1\n0.03;2\n\n0.04,\t3\n".encode())
    path = tmp_path / "c.toml"
    path.write_text(dumps_toml(cfg))
    assert load_config(path).source.spectrum == ((0.02, 1.0), (0.03, 2.0), (0.04, 3.0))


def test_spectrum_file_that_is_a_directory_or_missing(base_config, tmp_path, capsys):
    cfg = _spectrum(base_config, tmp_path, b"1,1\n")
    cfg["source"]["spectrum_file"] = "."
    _refused(cfg, tmp_path, capsys, "source.spectrum_file", "is a directory, not a spectrum file")
    cfg["source"]["spectrum_file"] = "absent.csv"
    _refused(cfg, tmp_path, capsys, "source.spectrum_file", "absent.csv': spectrum file not found")


def test_spectrum_in_the_configuration_keeps_its_index_paths(base_config):
    del base_config["source"]["energy"]
    base_config["source"]["spectrum"] = [[1.0, 1.0], [2.0, float("nan")]]
    with pytest.raises(InputError, match=r"source.spectrum\[1\]\[1\]: nan is not allowed"):
        validate(copy.deepcopy(base_config))
