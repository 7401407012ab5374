"""The ioert source family: the head's primaries against the machine file (Kolmogorov-Smirnov, fixed
seeds), its scene, its checks; a bevelled field and a shielding disk in water (energy balance,
mirror symmetry within statistics)."""
import math

import numpy as np
import pytest
from scipy import stats
from test_sources import SLABS, _draw

import mcdose
from mcdose import machines
from mcdose.config import load_config, validate
from mcdose.errors import InputError
from mcdose.sources import source_arrays, spectrum
from mcdose.sources.applicator import applicator_axis, applicator_parts
from mcdose.sources.ioert import FWHM_PER_SIGMA

ALPHA = 1e-4     # false-alarm probability of each statistical check
LIAC = machines.load("liac12")


def section(**changes) -> dict:
    base = {"type": "ioert", "particle": "electron", "machine": "liac12", "energy": 10.0, "applicator": 6.0,
            "bevel": 30.0, "docking": "hard"}
    return {**base, **changes}


def draw(sec, n=100_000):
    out = np.empty((n, 8))
    _draw(source_arrays(sec), SLABS, n, out)
    return out


def test_head_starts_on_the_window_with_the_machines_spot_and_angular_spread():
    sec = section()
    src = source_arrays(sec)
    beam = LIAC.energy(10.0)
    axis = applicator_axis(30.0)
    window = -LIAC.applicators.length * axis - LIAC.applicator_top * axis
    assert np.allclose(src.geometry[:3], window) and np.allclose(src.direction, axis)
    out = draw(sec)
    offset = out[:, :3] - window
    along = offset @ axis
    assert np.max(np.abs(along)) < 1e-9                        # on the window's upstream face
    r = np.linalg.norm(offset - np.outer(along, axis), axis=1)
    assert stats.kstest(r, "rayleigh", args=(0.0, beam.spot_sigma)).pvalue > ALPHA
    theta = np.arccos(np.clip(out[:, 3:6] @ axis, -1.0, 1.0))
    assert stats.kstest(theta, "rayleigh", args=(0.0, math.radians(beam.angular_sigma))).pvalue > ALPHA


def test_virtual_source_directions_point_back_to_it(tmp_path):
    text = (machines.LIBRARY_DIR / "liac12.toml").read_text()
    text = text.replace("virtual_source_distance = 0.0", "virtual_source_distance = 50.0")
    text = text.replace("angular_sigma = 1.5", "angular_sigma = 0.0")
    (tmp_path / "vs.toml").write_text(text)
    sec = section(machine=str(tmp_path / "vs.toml"), bevel=0.0)
    src = source_arrays(sec)
    virtual = src.geometry[:3] - 50.0 * src.direction
    out = draw(sec, 20_000)
    rays = out[:, :3] - virtual
    rays /= np.linalg.norm(rays, axis=1)[:, None]
    assert np.allclose(rays, out[:, 3:6], atol=1e-12)


def test_energy_spectrum_is_the_machines_gaussian():
    beam = LIAC.energy(12.0)
    energies, p = spectrum(section(energy=12.0))
    sigma = beam.energy_fwhm / FWHM_PER_SIGMA
    assert p.sum() == pytest.approx(1.0) and np.dot(energies, p) == pytest.approx(beam.mean_energy, rel=1e-12)
    # truncated at +-3 sigma on 61 lines: the spread is 0.9866 sigma (truncation) to within 0.1 %
    assert math.sqrt(np.dot((energies - beam.mean_energy) ** 2, p)) == pytest.approx(0.9866 * sigma, rel=2e-3)
    e = draw(section(energy=12.0), 50_000)[:, 6]
    assert abs(e.mean() - beam.mean_energy) < 4.0 * sigma / math.sqrt(e.size)


@pytest.mark.parametrize("changes,message", [
    ({"energy": 7.0}, "source.energy"),
    ({"applicator": 6.5}, "source.applicator"),
    ({"bevel": 20.0}, "source.bevel"),
    ({"docking": "soft"}, "source.docking"),
    ({"particle": "photon"}, "source.particle"),
    ({"machine": "liac"}, "did you mean 'liac12'"),
    ({"air_gap": 1.0}, "source.air_gap: not used with type = 'ioert' and docking = 'soft'"),
    ({"energy": None, "spectrum": [[10.0, 1.0]]}, "source.energy: missing"),
])
def test_bad_ioert_source_is_refused_naming_the_key(changes, message):
    src = {k: v for k, v in {**section(), **changes}.items() if v is not None}
    config = {"run": {"histories": 100}, "source": src, "phantom": {"type": "water_box"},
              "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0], "z_edges": [0.0, 1.0]}}
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        validate(config)


def test_machine_file_relative_to_the_configuration(tmp_path):
    (tmp_path / "mine.toml").write_text((machines.LIBRARY_DIR / "novac7.toml").read_text())
    (tmp_path / "run.toml").write_text(
        '[run]\nhistories = 100\n[source]\ntype = "ioert"\nmachine = "mine.toml"\nenergy = 7.0\napplicator = 5.0\n'
        '[phantom]\ntype = "water_box"\n[scoring]\nmesh = "cylindrical"\nr_edges = [0.0, 1.0]\nz_edges = [0.0, 1.0]\n')
    spec = load_config(tmp_path / "run.toml")
    assert spec.source["machine"] == str(tmp_path / "mine.toml") and spec.source["docking"] == "hard"
    assert [p["name"] for p in spec.source_parts][-3:] == ["applicator around", "applicator inside", "applicator wall"]


def test_flat_applicator_is_the_zero_degree_bevel_and_a_bevel_clips_at_the_surface():
    flat = validate({"run": {"histories": 100}, "source": {k: v for k, v in section().items() if k != "bevel"},
                     "phantom": {"type": "water_box"},
                     "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0], "z_edges": [0.0, 1.0]}})
    zero = validate({**flat.to_dict(), "source": {**flat.to_dict()["source"], "bevel": 0.0}})
    assert flat.text == zero.text
    assert [dict(p._data) for p in flat.scene_parts] == [dict(p._data) for p in zero.scene_parts]
    tube = applicator_parts(6.0, 0.5, 74.2, 30.0)[-1]
    assert tube["clip"] == [{"point": [0.0, 0.0, 0.0], "normal": [0.0, 0.0, 1.0]}]
    assert tube["z"][1] == pytest.approx(4.5 * math.tan(math.radians(30.0)))   # (outer radius + margin) tan b


BEVEL_RUN = {
    "run": {"histories": 30_000, "batches": 10, "seed": 11},
    "source": section(),
    "phantom": {"type": "box", "material": "water", "size": [30.0, 30.0, 10.0]},
    "scoring": {"mesh": "cartesian", "x_edges": {"min": -5.0, "max": 5.0, "step": 1.0},
                "y_edges": {"min": -6.0, "max": 9.0, "step": 1.0}, "z_edges": {"min": 0.0, "max": 5.0, "step": 0.5}},
}


@pytest.fixture(scope="module")
def bevelled():
    return mcdose.run(BEVEL_RUN)


def test_bevelled_field_conserves_energy_and_is_mirror_symmetric(bevelled):
    md = bevelled.metadata
    emitted = md["energy_emitted_MeV_per_particle"]
    out = md["energy_deposited_MeV_per_particle"] + md["energy_escaped_MeV_per_particle"] + md["energy_lost_MeV_per_particle"]
    assert out == pytest.approx(emitted, rel=1e-9) and md["lost_particles"] == 0
    d, s = bevelled.dose, bevelled.dose * bevelled.uncertainty
    mirror, s_mirror = d[::-1], s[::-1]                           # x -> -x: the plane x = 0 holds the axis
    half = slice(0, d.shape[0] // 2)
    keep = (d[half] > 0.2 * d.max()) & (mirror[half] > 0.2 * d.max())
    z = (d[half] - mirror[half])[keep] / np.hypot(s[half], s_mirror[half])[keep]
    assert keep.sum() > 50
    assert stats.chi2.sf(np.sum(z ** 2), z.size) > ALPHA


def test_bevelled_field_leans_along_the_applicator_axis(bevelled):
    """Deeper, the dose centroid moves towards +y, the way the tilted axis goes (applicator.py)."""
    y = 0.5 * (bevelled.grid.edges["y_edges"][1:] + bevelled.grid.edges["y_edges"][:-1])
    profile = bevelled.dose.sum(axis=0)                               # (y, z)
    centroid = (profile * y[:, None]).sum(axis=0) / profile.sum(axis=0)
    assert centroid[5] - centroid[0] > 0.5 * math.tan(math.radians(30.0)) * 2.5    # z 2.5-3 cm vs 0-0.5 cm


def test_shielding_disk_layers_are_tallied_and_stop_the_beam():
    config = {"run": {"histories": 4_000, "batches": 4, "seed": 5},
              "source": {"type": "beam", "particle": "electron", "energy": 6.0, "radius": 3.0},
              "phantom": {"type": "box", "material": "breast", "size": [20.0, 20.0, 6.0]},
              "shields": [{"type": "mobetron", "depth": 1.5}],
              "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 2.0], "z_edges": {"min": 0.0, "max": 6.0, "step": 0.5}}}
    result = mcdose.run(config)
    regions = dict(zip(result.regions.name, result.regions.energy))
    assert regions["shields[0] pmma"] > 0.0 and regions["shields[0] copper"] > 0.0
    md = result.metadata
    out = md["energy_deposited_MeV_per_particle"] + md["energy_escaped_MeV_per_particle"] + md["energy_lost_MeV_per_particle"]
    assert out == pytest.approx(md["energy_emitted_MeV_per_particle"], rel=1e-9)
    above, behind = result.dose[0, 2], result.dose[0, 5]           # z 1.0-1.5 cm; z 2.5-3.0 cm (under Cu)
    assert behind < 0.05 * above
