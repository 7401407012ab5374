"""HDF5 result files: round trip, atomic writes, refusal of truncated/foreign/newer files."""
import h5py
import numpy as np
import pytest

from mcdose.errors import InputError, ResultFileError
from mcdose.results import SCHEMA_VERSION, Grid, Regions, Result, load


def _result(kind="cylindrical"):
    if kind == "cartesian":
        grid = Grid(kind, {"x_edges": [-1, 0, 1], "y_edges": [-1, 0, 1], "z_edges": np.linspace(0, 3, 4)})
    elif kind == "cylindrical":
        grid = Grid(kind, {"r_edges": [0, 1, 2], "z_edges": np.linspace(0, 5, 6)})
    else:
        grid = Grid(kind, {"r_edges": np.linspace(0, 5, 11)}, center=(0, 0, 10))
    rng = np.random.default_rng(1)
    dose = rng.random(grid.shape) * 1e-12
    return Result(dose, rng.random(grid.shape) * 0.05, dose * 3.0, grid, ("water",),
                  {"mcdose_version": "0.1.0", "seed": 7, "histories": 1000, "batches": 10,
                   "config": "[run]\nseed = 7\n", "physics_electron_cutoff": 0.01})


@pytest.mark.parametrize("kind", ["cartesian", "cylindrical", "spherical"])
def test_round_trip(tmp_path, kind):
    res = _result(kind)
    path = res.save(tmp_path / "out.h5")
    back = load(path)
    np.testing.assert_array_equal(back.dose, res.dose)
    np.testing.assert_array_equal(back.uncertainty, res.uncertainty)
    np.testing.assert_array_equal(back.energy_deposited, res.energy_deposited)
    assert back.grid.kind == kind
    for name, edges in res.grid.edges.items():
        np.testing.assert_array_equal(back.grid.edges[name], edges)
    assert back.grid.center == res.grid.center
    assert back.materials == ("water",)
    assert back.metadata["seed"] == 7 and back.metadata["config"].startswith("[run]")


def test_layout_is_readable_without_mcdose(tmp_path):
    path = _result("cylindrical").save(tmp_path / "out.h5")
    with h5py.File(path) as f:
        assert f["dose"].shape == (2, 5) and f["dose"].dtype == np.float64
        assert f["grid"].attrs["kind"] == "cylindrical"
        assert list(f["grid"]) == ["r_edges", "z_edges"]
        assert f.attrs["schema_version"] == SCHEMA_VERSION


def test_no_overwrite_without_force(tmp_path):
    res = _result()
    res.save(tmp_path / "out.h5")
    with pytest.raises(InputError, match="exists"):
        res.save(tmp_path / "out.h5")
    res.save(tmp_path / "out.h5", force=True)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    res = _result()
    res.metadata["bad"] = object()  # h5py cannot store it: the write fails midway
    with pytest.raises(TypeError):
        res.save(tmp_path / "out.h5")
    assert list(tmp_path.iterdir()) == []


def test_truncated_file(tmp_path):
    path = _result().save(tmp_path / "out.h5")
    data = path.read_bytes()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(ResultFileError, match="truncated|incomplete"):
        load(cut)


def test_foreign_and_newer_files(tmp_path):
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = [1, 2]
    with pytest.raises(ResultFileError, match="not an mcdose result"):
        load(foreign)
    newer = _result().save(tmp_path / "newer.h5")
    with h5py.File(newer, "a") as f:
        f.attrs["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ResultFileError, match="newer"):
        load(newer)
    text = tmp_path / "text.h5"
    text.write_text("hello")
    with pytest.raises(ResultFileError, match="not a readable HDF5"):
        load(text)


def test_result_rejects_nan_and_bad_shape():
    res = _result()
    with pytest.raises(InputError, match="NaN"):
        Result(res.dose * np.nan, res.uncertainty, res.energy_deposited, res.grid)
    with pytest.raises(InputError, match="shape"):
        Result(res.dose[:1], res.uncertainty, res.energy_deposited, res.grid)


def _regions():
    return Regions(("phantom", "disk", "world"), [2.0, 0.5, 0.0], [1e-12, 3e-12, 0.0], [0.01, 0.05, 0.0],
                   [300.0, 2.6, 0.0], [1e-4, 1e-3, 0.0])


def test_regions_round_trip_and_files_without_them_still_load(tmp_path):
    assert load(_result().save(tmp_path / "old.h5")).regions is None        # a file from before /regions
    res = _result()
    res.regions = _regions()
    path = res.save(tmp_path / "new.h5")
    with h5py.File(path) as f:
        assert sorted(f["regions"]) == ["dose_Gy_per_particle", "energy_MeV_per_particle", "mass_g",
                                        "mass_uncertainty", "name", "uncertainty"]
    back = load(path).regions
    assert back.name == ("phantom", "disk", "world")
    np.testing.assert_array_equal(back.dose, res.regions.dose)
    with h5py.File(path, "a") as f:
        del f["regions/mass_g"]
        f["regions/mass_g"] = [300.0, -1.0, 0.0]
    with pytest.raises(ResultFileError, match="regions mass: contains NaN, infinite or negative"):
        load(path)
    with h5py.File(path, "a") as f:
        del f["regions/mass_g"]
        f["regions/mass_g"] = [300.0, 1.0]
    with pytest.raises(ResultFileError, match="/regions/mass_g has shape"):
        load(path)


def test_grid_volumes():
    g = Grid("spherical", {"r_edges": [0.0, 1.0, 2.0]})
    np.testing.assert_allclose(g.volumes().sum(), 4 / 3 * np.pi * 8)
    c = Grid("cylindrical", {"r_edges": [0.0, 2.0], "z_edges": [0.0, 3.0]})
    np.testing.assert_allclose(c.volumes(), [[np.pi * 4 * 3]])


def test_pdd_cylindrical_volume_weighted_central_average():
    grid = Grid("cylindrical", {"r_edges": [0.0, 0.5, 1.0, 2.0], "z_edges": [0.0, 1.0, 2.0]})
    dose = np.array([[4.0, 2.0], [2.0, 1.0], [9.0, 9.0]])
    res = Result(dose, np.full(dose.shape, 0.1), dose, grid)
    curve = res.pdd(radius=1.0)
    w = np.array([0.25, 0.75])                     # ring areas pi r^2 inside r = 1 cm
    np.testing.assert_allclose(curve.dose, (w[:, None] * dose[:2]).sum(axis=0))
    np.testing.assert_allclose(curve.sigma, np.sqrt(((w[:, None] * dose[:2] * 0.1) ** 2).sum(axis=0)))
    np.testing.assert_allclose(curve.position_cm, [0.5, 1.5])


def test_pdd_cartesian_and_metrics_of_a_known_curve():
    z = np.linspace(0.0, 6.0, 121)
    depth = 0.5 * (z[1:] + z[:-1])
    # linear fall-off from 100 % at 2 cm to 0 at 4 cm: R50 = 3 cm, Rp = 4 cm
    shape = np.where(depth < 2.0, 0.8 + 0.2 * (1 - ((depth - 2.0) / 2.0) ** 2), np.clip((4.0 - depth) / 2.0, 0, 1))
    shape = np.maximum(shape, 1e-3)
    grid = Grid("cartesian", {"x_edges": [-1.5, -0.5, 0.5, 1.5], "y_edges": [-1.5, -0.5, 0.5, 1.5], "z_edges": z})
    dose = np.broadcast_to(shape, (3, 3, depth.size)).copy()
    curve = Result(dose, np.full(dose.shape, 0.001), dose, grid).pdd(radius=0.6)
    np.testing.assert_allclose(curve.dose, shape)
    m = curve.metrics()
    assert abs(m.r50_cm.value - 3.0) < 0.01
    assert abs(m.rp_cm.value - 4.0) < 0.02


def test_pdd_radius_without_bins_is_an_input_error():
    grid = Grid("cartesian", {"x_edges": [1.0, 2.0], "y_edges": [1.0, 2.0], "z_edges": [0.0, 1.0]})
    res = Result(np.ones((1, 1, 1)), np.zeros((1, 1, 1)), np.ones((1, 1, 1)), grid)
    with pytest.raises(InputError, match="radius"):
        res.pdd(radius=0.5)
