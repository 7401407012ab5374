"""Batch groups kept in the result (jackknife uncertainties of metrics), the one normalisation D_ref, the material
interfaces on the axis and the run title/provenance."""
import numpy as np
import pytest

from mcdose.analysis.normalisation import reference_dose
from mcdose.analysis.run_info import provenance, run_title
from mcdose.config import validate
from mcdose.errors import ResultFileError
from mcdose.results import Grid, Result, load
from mcdose.runner import BatchTally, batch_groups, execute


class LayerProblem:
    """A stand-in transport on a cylindrical mesh: deterministic noisy tallies per (seed, batch)."""

    def __init__(self):
        self.grid = Grid("cylindrical", {"r_edges": [0.0, 1.0, 2.0], "z_edges": np.linspace(0.0, 6.0, 31)})
        self.masses = self.grid.volumes()
        self.material_names = ["water"]
        self.electrons = "test"

    def transport_batch(self, seed, batch, n, threads):
        rng = np.random.default_rng([seed, batch])
        z = self.grid.centers("z_edges")
        shape = np.clip(1.0 - np.abs(z - 2.0) / 3.0, 0.05, None)
        edep = (self.masses * shape[None, :] * (1 + 0.05 * rng.standard_normal((2, z.size)))).ravel() * n
        return BatchTally(edep, {"emitted": 1.0, "deposited": 1.0, "escaped": 0.0, "lost": 0.0, "lost_particles": 0.0})


def _spec(batches, particle="electron"):
    return validate({"run": {"histories": 1200, "batches": batches, "seed": 5},
                     "source": {"type": "beam", "particle": particle, "energy": 9.0, "shape": "circle", "radius": 5.0},
                     "phantom": {"type": "slabs", "size": [20.0, 20.0],
                                 "layers": [{"material": "water", "thickness": 2.5},
                                            {"material": "copper", "thickness": 0.25},
                                            {"material": "water", "thickness": 7.25}]},
                     "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0, 2.0],
                                 "z_edges": np.linspace(0.0, 6.0, 31).tolist()}})


@pytest.mark.parametrize("batches, bins, groups", [(20, 100, 20), (10, 100, 10), (40, 100, 20), (25, 100, 5),
                                                   (23, 100, 0), (1, 100, 0), (20, 1_000_000, 10),
                                                   (20, 20_000_000, 0)])
def test_batch_groups_divide_the_batches_within_the_budget(batches, bins, groups):
    assert batch_groups(batches, bins) == groups


def test_group_doses_average_to_the_dose_and_survive_the_file(tmp_path):
    res = execute(LayerProblem(), _spec(12), progress=False)
    assert res.batch_dose.shape == (12, 2, 30) and res.batch_dose.dtype == np.float32
    np.testing.assert_allclose(res.batch_dose.mean(axis=0), res.dose, rtol=1e-6)
    # the spread of the groups is the batch-method uncertainty (12 groups of one batch each)
    sem = res.batch_dose.astype(float).std(axis=0, ddof=1) / np.sqrt(12)
    np.testing.assert_allclose(sem, res.dose * res.uncertainty, rtol=1e-4)
    again = load(res.save(tmp_path / "r.h5"))
    np.testing.assert_array_equal(again.batch_dose, res.batch_dose)
    curve = again.pdd(1.0)
    assert curve.batches.shape == (12, 30)
    np.testing.assert_allclose(curve.batches.mean(axis=0), curve.dose, rtol=1e-6)
    profile = again.profile("x", 2.0)
    assert profile.mirrored and profile.batches.shape == (12, 4)


def test_group_doses_of_consecutive_batches():
    res = execute(LayerProblem(), _spec(40), progress=False)          # 20 groups of 2 batches
    assert res.batch_dose.shape[0] == 20
    np.testing.assert_allclose(res.batch_dose.mean(axis=0), res.dose, rtol=1e-6)


def test_a_damaged_group_dataset_is_refused(tmp_path):
    import h5py
    path = execute(LayerProblem(), _spec(4), progress=False).save(tmp_path / "r.h5")
    with h5py.File(path, "r+") as f:
        data = f["batch_dose"][()]
        del f["batch_dose"]
        f.create_dataset("batch_dose", data=data[:, :1])
    with pytest.raises(ResultFileError, match="batch_dose has shape"):
        load(path)


def test_axis_interfaces_and_particle_reach_the_depth_dose():
    res = execute(LayerProblem(), _spec(4), progress=False)
    curve = res.pdd(1.0)
    assert curve.particle == "electron" and curve.radius_cm == 1.0
    assert [(round(i.depth_cm, 5), i.above, i.below) for i in curve.interfaces] == [(2.5, "water", "copper"),
                                                                                    (2.75, "copper", "water")]


def test_reference_dose_is_the_fitted_axis_maximum_not_the_highest_bin():
    res = execute(LayerProblem(), _spec(10), progress=False)
    norm = reference_dose(res, 1.0)
    curve = res.pdd(1.0)
    top = curve.dose.max()
    assert abs(norm.dose - top) < 3 * curve.sigma[np.argmax(curve.dose)] + 0.02 * top
    assert abs(norm.position_cm - 2.0) < 0.3                 # the peak of the stand-in shape
    assert "fitted maximum of the central-axis depth dose (r ≤ 1 cm)" in norm.describe()
    assert norm.percent(norm.dose) == pytest.approx(100.0)


def test_title_and_provenance_say_what_was_simulated():
    res = execute(LayerProblem(), _spec(4), progress=False)
    assert run_title(res) == "9 MeV electrons, 10 cm diameter field; slabs phantom; 1,200 histories"
    rows = dict(provenance(res, reference_dose(res)))
    assert rows["seed"] == "5" and rows["histories"] == "1,200" and rows["batches"] == "4"
    assert rows["normalisation"].startswith("100 % = D_ref")
    assert len(rows["configuration (SHA-256 of the stored TOML)"]) == 16


def test_a_result_without_configuration_has_no_interfaces():
    g = Grid("cylindrical", {"r_edges": [0.0, 1.0], "z_edges": np.linspace(0, 5, 11)})
    res = Result(np.ones((1, 10)), np.zeros((1, 10)), np.ones((1, 10)), g)
    assert res.pdd(1.0).interfaces is None and res.pdd(1.0).particle is None
    assert run_title(res) == "mcdose result"


class PointProblem:
    """A stand-in point source on a spherical mesh: a dose falling as 1/r^2 (noise-free)."""

    def __init__(self):
        self.grid = Grid("spherical", {"r_edges": np.linspace(0.0, 5.0, 51)}, (0.0, 0.0, 5.0))
        self.masses = self.grid.volumes()
        self.material_names = ["water"]
        self.electrons = "test"

    def transport_batch(self, seed, batch, n, threads):
        r = self.grid.centers("r_edges")
        return BatchTally(self.masses / r ** 2 * n, {"emitted": 1.0, "deposited": 1.0, "escaped": 0.0, "lost": 0.0,
                                                     "lost_particles": 0.0})


def test_a_radial_dose_is_normalised_beyond_the_applicator_surface():
    spec = validate({"run": {"histories": 1000, "batches": 4, "seed": 1},
                     "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0.0, 0.0, 5.0]},
                     "phantom": {"type": "spherical_cavity", "size": [12.0, 12.0, 12.0], "applicator_diameter": 4.0,
                                 "wall": 0.25, "applicator_center": [0.0, 0.0, 5.0]},
                     "scoring": {"mesh": "spherical", "r_edges": np.linspace(0.0, 5.0, 51).tolist(),
                                 "center": [0.0, 0.0, 5.0]}})
    res = execute(PointProblem(), spec, progress=False)
    curve = res.pdd()
    assert [(round(i.depth_cm, 4), i.above, i.below) for i in curve.interfaces] == [
        (1.75, "air", "polyetherimide"), (2.0, "polyetherimide", "water")]
    norm = reference_dose(res)
    assert norm.beyond_cm == pytest.approx(2.0, abs=1e-5) and norm.position_cm == pytest.approx(2.05, abs=1e-9)
    # the dose just beyond the surface (the fitted maximum of a falling curve is its first bin), not the
    # unbounded dose near the source
    assert norm.dose == pytest.approx(curve.dose[20], rel=0.01)
    assert "beyond the surface at r = 2.00 cm" in norm.describe()
