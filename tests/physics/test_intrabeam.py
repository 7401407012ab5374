"""INTRABEAM (issue 17): the 50 kV source model from first principles, the bare probe in water, the spherical
applicators, and the splitting that builds the model.

References: the analog build of the same model (splitting unbiased); xraylib's gold L and iron K line
energies (the characteristic lines in the spectrum); the published fall-off of the bare probe in water
(about 1/r^3 between 5 and 35 mm: Armoogum et al., Radiat. Oncol. 2 (2007) 11) and its published
beam-quality figures (18 and 24 keV behind 5 and 10 mm of solid water, effective energies from the
aluminium HVL, broad beam, ICRU 17: bracketed by the narrow-beam HVL effective energy and the fluence-mean
energy of the computed spectrum); track-length against analog scoring around the applicator.
"""
import numpy as np
import pytest

import mcdose
from mcdose.analysis import aluminium_hvl, effective_energy
from mcdose.errors import InputError
from mcdose.sources import intrabeam_model

xraylib = pytest.importorskip("xraylib")

MODEL_HISTORIES = {"split": 20_000, "analog": 60_000}


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("intrabeam") / "model50.h5"
    intrabeam_model.save(intrabeam_model.build(50.0, histories=MODEL_HISTORIES["split"], splitting=100,
                                               threads=2), path)
    return path


def _water(model_file, applicator="bare", estimator="analog", mesh=None, histories=100_000, **extra):
    return {
        "run": {"histories": histories, "batches": 10, "seed": 3},
        "source": {"type": "intrabeam", "voltage": 50.0, "applicator": applicator, "model": str(model_file),
                   "tip": [0.0, 0.0, 6.0]},
        "phantom": {"type": "box", "material": "water", "size": [14.0, 14.0, 12.0]},
        "scoring": mesh or {"mesh": "spherical", "r": {"min": 0.2, "max": 4.0, "step": 0.1},
                            "center": [0.0, 0.0, 6.0], "estimator": estimator},
        **extra,
    }


def test_model_file_round_trip_and_provenance(model_file):
    model = intrabeam_model.load(model_file)
    assert model.attrs["method"] == "first principles" and model.attrs["voltage_kV"] == 50.0
    assert model.attrs["histories"] == MODEL_HISTORIES["split"] and model.attrs["brems_splitting"] == 100
    assert 1e-3 < model.photons_per_electron < 3e-2
    assert model.weights[model.mu_edges[1:] < -0.9].sum() < 0.01 * model.photons_per_electron  # shaft shadow


@pytest.mark.parametrize("element, line", [("Au", "LA1_LINE"), ("Au", "LB1_LINE"), ("Fe", "KA1_LINE")])
def test_characteristic_lines_stand_out_of_the_spectrum(model_file, element, line):
    """The gold L lines (target) and the iron K line (steel tube) stand above the continuum next to them:
    the bin holding xraylib's line energy against the median of the bins 1-3 keV below and above."""
    energy = xraylib.LineEnergy(xraylib.SymbolToAtomicNumber(element), getattr(xraylib, line)) / 1000.0
    model = intrabeam_model.load(model_file)
    e, p = model.spectrum()
    i = int(np.searchsorted(model.energy_edges, energy) - 1)
    near = np.concatenate([p[i - 6:i - 2], p[i + 3:i + 7]])
    assert p[i] > 1.5 * np.median(near)


def test_splitting_builds_the_analog_model(model_file):
    """The model built with splitting 100 against the analog build: photons per electron and mean energy
    within 4 sigma (the analog's Poisson count dominates; the split build's is taken as sqrt(events))."""
    split = intrabeam_model.load(model_file)
    analog = intrabeam_model.build(50.0, histories=MODEL_HISTORIES["analog"], splitting=1, threads=2)
    n_analog = analog.attrs["photon_records"]
    n_split = split.attrs["photon_records"] / 100
    y_a, y_s = analog.photons_per_electron, split.photons_per_electron
    assert abs(y_a - y_s) <= 4 * np.hypot(y_a / np.sqrt(n_analog), y_s / np.sqrt(n_split))
    e, _ = analog.spectrum()
    spread = np.sqrt(analog.spectrum()[1] @ (e - analog.mean_energy()) ** 2)
    assert abs(analog.mean_energy() - split.mean_energy()) <= 4 * spread * np.hypot(1 / np.sqrt(n_analog),
                                                                                      1 / np.sqrt(n_split))


@pytest.fixture(scope="module")
def bare(model_file):
    config = _water(model_file, estimator="tracklength",
                    scorers=[{"z": 6.5, "particles": ["photon"]}, {"z": 7.0, "particles": ["photon"]}])
    return mcdose.run(config, threads=2)


def test_bare_probe_dose_falls_as_r_to_the_minus_three(bare):
    """Fit of log D against log r between 5 and 35 mm: n within 3 +- 0.35 (published: about 3)."""
    r = 0.5 * (bare.grid.edges["r_edges"][1:] + bare.grid.edges["r_edges"][:-1])
    m = (r >= 0.5) & (r <= 3.5)
    n = -np.polyfit(np.log(r[m]), np.log(bare.dose[m]), 1)[0]
    assert abs(n - 3.0) <= 0.35, n


@pytest.mark.parametrize("scorer, published", [(0, 0.018), (1, 0.024)], ids=["5mm", "10mm"])
def test_beam_hardens_with_depth_as_published(bare, scorer, published):
    """Photons crossing the planes 5 and 10 mm beyond the tip (within 5 mm of the axis, outwards): the
    published effective energy lies between the narrow-beam HVL effective energy (broad-beam HVLs are
    larger) and the fluence-mean energy of the spectrum."""
    ps = bare.phase_space
    m = (ps.column("scorer") == scorer) & (np.hypot(ps.column("x"), ps.column("y")) < 0.5) & (ps.column("w") > 0)
    energy, weight = ps.column("energy")[m], ps.column("weight")[m] / ps.column("w")[m]
    mean = np.average(energy, weights=weight)
    assert effective_energy(aluminium_hvl(energy, weight)) < published < mean


def test_sphere_track_length_and_analog_agree(model_file):
    """The 4-cm applicator in water: radial dose from 2.0 to 4.0 cm, track-length against analog, each bin
    within 4 sigma."""
    mesh = {"mesh": "spherical", "r": {"min": 2.0, "max": 4.0, "step": 0.2}, "center": [0.0, 0.0, 6.0]}
    a = mcdose.run(_water(model_file, 4.0, mesh={**mesh, "estimator": "analog"}, histories=60_000), threads=2)
    t = mcdose.run(_water(model_file, 4.0, mesh={**mesh, "estimator": "tracklength"}, histories=60_000), threads=2)
    assert np.all(np.abs(a.dose - t.dose) <= 4 * np.hypot(a.dose * a.uncertainty, t.dose * t.uncertainty))
    assert np.all(a.uncertainty < 0.1)


def test_sphere_treatment_time_reproduces_the_published_arithmetic(model_file, tmp_path, capsys):
    """Sethi et al., Front. Oncol. 8 (2018) 74: 20 Gy at the 4-cm sphere's surface at 0.8 Gy/min is 25 min;
    the command prints it, and the doses at 5, 10 and 20 mm below the prescription."""
    from mcdose import cli
    mesh = {"mesh": "spherical", "r": {"min": 2.0, "max": 4.5, "step": 0.1}, "center": [0.0, 0.0, 6.0],
            "estimator": "tracklength"}
    mcdose.run(_water(model_file, 4.0, mesh=mesh, histories=30_000), output=tmp_path / "s.h5", threads=2)
    assert cli.main(["treatment-time", str(tmp_path / "s.h5"), "--prescription", "20", "--at", "surface",
                     "--dose-rate", "0.8"]) == 0
    out = capsys.readouterr().out
    assert "25.0" in out and "min" in out


@pytest.mark.parametrize("bad, match", [({"applicator": 4.2}, "source.applicator"),
                                        ({"applicator": "none"}, "source.applicator"),
                                        ({"voltage": 60.0}, "source.voltage"),
                                        ({"particle": "electron"}, "source.particle"),
                                        ({"forward": [0.0, 0.0, 0.0]}, "source.forward")])
def test_bad_keys_are_refused(model_file, bad, match):
    config = _water(model_file)
    config["source"].update(bad)
    with pytest.raises(InputError, match=match):
        mcdose.config.validate(config)


def test_model_of_another_voltage_is_refused(model_file):
    config = _water(model_file)
    config["source"]["voltage"] = 40.0
    with pytest.raises(InputError, match="built for 50 kV"):
        mcdose.config.validate(config)



def test_model_from_a_tabulated_spectrum_emits_it(tmp_path):
    """A model from two lines (20 and 40 keV, 1 : 3) and an angular table that is zero between 60 and 120
    degrees: photons crossing the planes 1 cm ahead of and behind the tip (in vacuum) carry the lines in that
    ratio (4 sigma) and none leaves between 60 and 120 degrees."""
    model = intrabeam_model.from_spectrum([[0.02, 1.0], [0.04, 3.0]],
                                          [[0.0, 1.0], [60.0, 1.0], [60.01, 0.0], [119.99, 0.0], [120.0, 1.0],
                                           [180.0, 1.0]])
    intrabeam_model.save(model, tmp_path / "m.h5")
    config = {"run": {"histories": 20_000, "batches": 10, "seed": 2},
              "source": {"type": "intrabeam", "applicator": "bare", "model": str(tmp_path / "m.h5"),
                         "tip": [0.0, 0.0, 5.0]},
              "phantom": {"type": "box", "material": "water", "size": [1.0, 1.0, 1.0], "world_margin": 10.0},
              "scoring": {"x": [-0.5, 0.5], "y": [-0.5, 0.5], "z": [0.0, 1.0]},
              "scorers": [{"z": 6.0, "particles": ["photon"]}, {"z": 4.0, "particles": ["photon"]}]}
    ps = mcdose.run(config, threads=2).phase_space
    w = ps.column("w")
    direct = np.where(ps.column("scorer") == 0, w > 0, w < 0)          # straight from the tip (vacuum)
    assert direct.sum() > 15_000
    assert not np.any(np.abs(w[direct]) < np.cos(np.radians(60.01)) - 1e-9)     # the ramps end at 60.01, 119.99
    high = np.mean(ps.column("energy")[direct] > 0.03)
    assert abs(high - 0.75) <= 4 * np.sqrt(0.75 * 0.25 / direct.sum())
