"""Source sampling against the distributions it must reproduce (chi-square, fixed seeds)."""
import numpy as np
import pytest
from sampling_stats import bin_integrals, chi2_p
from scipy import stats

from mcdose.config import validate
from mcdose.errors import InputError
from mcdose.geometry import Cell, Geometry, box
from mcdose.kernels._jit import jit
from mcdose.kernels.geometry import max_density
from mcdose.kernels.rng import stream_init
from mcdose.kernels.codes import EMITTED, MEC2, N_COUNTERS, POSITRON
from mcdose.kernels.source import sample_primaries, sample_primary
from mcdose.kernels.tally import QUANTUM, STACK_COLUMNS, STACK_SIZE
from mcdose.sources import mean_energy, source_arrays

ALPHA = 1e-4   # false-alarm probability of each chi-square check


# two slabs of densities 1 and 3 g/cm3 (volume sources sample per unit mass)
SLABS = Geometry([Cell("light", box(-10, 10, -10, 10, 0, 1), "water", 1.0),
                  Cell("dense", box(-10, 10, -10, 10, 1, 2), "water", 3.0)],
                 [[-20, 20], [-20, 20], [-10, 10]], name="two slabs").compile()


@jit(refcount=True)
def _draw(src, geo, n, out):
    state = np.empty(4, dtype=np.uint64)
    rho_max = max_density(geo)
    for h in range(n):
        stream_init(state, 9, 0, h)
        out[h] = sample_primary(src, geo, rho_max, state)


def draw(section, n=200_000):
    out = np.empty((n, 8))
    _draw(source_arrays({"particle": "photon", **section}), SLABS, n, out)
    return out


def test_spectrum_lines_in_proportion():
    section = {"type": "point", "position": (0.0, 0.0, 1.0), "spectrum": ((0.02, 1.0), (0.03, 2.0), (0.05, 0.0), (0.06, 1.0))}
    E = draw(section)[:, 6]
    counts = np.array([(E == e).sum() for e in (0.02, 0.03, 0.06)])
    assert counts.sum() == E.size
    assert stats.chisquare(counts, E.size * np.array([0.25, 0.5, 0.25])).pvalue > ALPHA
    assert mean_energy(section) == pytest.approx(0.25 * 0.02 + 0.5 * 0.03 + 0.25 * 0.06)


def test_point_source_is_isotropic_and_placed():
    out = draw({"type": "point", "position": (1.0, -2.0, 3.0), "energy": 0.05})
    assert np.all(out[:, :3] == (1.0, -2.0, 3.0))
    u, v, w = out[:, 3:6].T
    assert np.allclose(u * u + v * v + w * w, 1.0, atol=1e-12)
    expected = np.full(20, out.shape[0] / 20)
    assert stats.chisquare(np.histogram(w, np.linspace(-1, 1, 21))[0], expected).pvalue > ALPHA
    assert stats.chisquare(np.histogram(np.arctan2(v, u), np.linspace(-np.pi, np.pi, 21))[0], expected).pvalue > ALPHA


def test_circular_beam_uniform_over_the_disc_and_parallel():
    out = draw({"type": "beam", "shape": "circle", "radius": 5.0, "z": -1.0, "energy": 6.0})
    r2 = out[:, 0] ** 2 + out[:, 1] ** 2
    assert np.all(out[:, 2] == -1.0) and np.all(out[:, 5] == 1.0) and r2.max() <= 25.0
    expected = np.full(25, out.shape[0] / 25)   # uniform in r^2 means uniform per unit area
    assert stats.chisquare(np.histogram(r2, np.linspace(0, 25, 26))[0], expected).pvalue > ALPHA


def test_divergent_rectangular_beam_points_back_to_the_focus():
    out = draw({"type": "beam", "shape": "rectangle", "size": (4.0, 2.0), "z": 0.0, "energy": 9.0,
                "focus_distance": 100.0})
    x, y, z, u, v, w = out[:, :6].T
    assert np.all(np.abs(x) <= 2.0) and np.all(np.abs(y) <= 1.0)
    # the direction is the ray from the focus (0, 0, -100) through the start point
    np.testing.assert_allclose(u / w, x / 100.0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(v / w, y / 100.0, rtol=1e-12, atol=1e-15)
    assert stats.chisquare(np.histogram(x, np.linspace(-2, 2, 21))[0], np.full(20, x.size / 20)).pvalue > ALPHA


def test_volume_source_uniform_per_unit_mass_and_isotropic():
    """Points in a box spanning vacuum, a 1 g/cm3 and a 3 g/cm3 slab: none in vacuum, the slabs
    in the ratio of their masses (1 : 3), uniform within each, directions isotropic."""
    out = draw({"type": "volume", "box": (-5.0, 5.0, -5.0, 5.0, -1.0, 2.0), "energy": 1.0})
    z = out[:, 2]
    assert np.all((z >= 0.0) & (z <= 2.0)) and np.all(np.abs(out[:, :2]) <= 5.0)
    counts = np.histogram(z, np.linspace(0.0, 2.0, 11))[0]
    expected = out.shape[0] * np.repeat([0.25 / 5, 0.75 / 5], 5)
    assert stats.chisquare(counts, expected).pvalue > ALPHA
    w = out[:, 5]
    assert stats.chisquare(np.histogram(w, np.linspace(-1, 1, 21))[0], np.full(20, w.size / 20)).pvalue > ALPHA


def test_volume_source_without_matter_is_refused(tmp_path, capsys):
    """A volume-source box in the vacuum around the phantom: one-line error naming source.box."""
    from mcdose.cli import main
    cfg = tmp_path / "v.toml"
    cfg.write_text("[source]\ntype = 'volume'\nparticle = 'electron'\nenergy = 1.0\n"
                   "box = [20.0, 21.0, 0.0, 1.0, 0.0, 1.0]\n"
                   "[phantom]\nmaterial = 'water'\nsize = [10.0, 10.0, 5.0]\nworld_margin = 20.0\n"
                   "[scoring]\nmesh = 'cylindrical'\nr_edges = [0.0, 1.0]\nz_edges = [0.0, 1.0]\n")
    assert main(["run", str(cfg), "-o", str(tmp_path / "o.h5")]) == 2
    err = capsys.readouterr().err
    assert "source.box" in err and "no matter" in err and len(err.strip().splitlines()) == 1


def _axis_frame(d):
    """Polar angle cosines and azimuths of directions about the unit axis d."""
    d = np.asarray(d, float)
    e1 = np.cross(d, (1.0, 0.0, 0.0) if abs(d[0]) < 0.9 else (0.0, 1.0, 0.0))
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(d, e1)
    return lambda dirs: (dirs @ d, np.arctan2(dirs @ e2, dirs @ e1))


def test_cone_uniform_per_solid_angle_about_its_axis_and_weighted():
    """half_angle a: cos(theta) uniform on [cos a, 1] about the direction, azimuth uniform, unit
    directions; every primary carries the source weight."""
    d = np.array([1.0, -2.0, 2.0]) / 3.0
    out = draw({"type": "point", "position": (0.0, 0.0, 1.0), "energy": 0.05, "direction": tuple(d),
                "half_angle": 20.0, "weight": 0.25})
    dirs = out[:, 3:6]
    assert np.allclose(np.einsum("ij,ij->i", dirs, dirs), 1.0, atol=1e-12) and np.all(out[:, 7] == 0.25)
    mu, phi = _axis_frame(d)(dirs)
    cos_a = np.cos(np.radians(20.0))
    assert mu.min() >= cos_a - 1e-12
    expected = np.full(20, mu.size / 20)
    assert chi2_p(np.histogram(mu, np.linspace(cos_a, 1.0, 21))[0], expected) > ALPHA
    assert chi2_p(np.histogram(phi, np.linspace(-np.pi, np.pi, 21))[0], expected) > ALPHA


ANGULAR = ((10.0, 2.0), (40.0, 0.5), (90.0, 1.0), (150.0, 0.0))


def test_angular_table_polar_angle_follows_intensity_times_sin():
    """An angular table: theta has the pdf I(theta) sin(theta), I linear between the table's points and
    zero outside (2-degree bins, chi-square); azimuth uniform about the axis (here -x)."""
    out = draw({"type": "point", "position": (0.0, 0.0, 1.0), "energy": 0.05, "direction": (-1.0, 0.0, 0.0),
                "angular": ANGULAR})
    mu, phi = _axis_frame((-1.0, 0.0, 0.0))(out[:, 3:6])
    theta = np.degrees(np.arccos(np.clip(mu, -1.0, 1.0)))
    deg, intensity = np.array(ANGULAR).T
    edges = np.linspace(0.0, 180.0, 91)
    prob = bin_integrals(lambda t: np.interp(t, deg, intensity, left=0.0, right=0.0) * np.sin(np.radians(t)), edges)
    assert chi2_p(np.histogram(theta, edges)[0], prob) > ALPHA
    assert chi2_p(np.histogram(phi, np.linspace(-np.pi, np.pi, 21))[0], np.full(20, 0.05)) > ALPHA


POINT = {"type": "point", "particle": "photon", "energy": 0.05, "position": [0.0, 0.0, 1.0]}
BEAM = {"type": "beam", "particle": "electron", "energy": 6.0, "radius": 1.0}


def _config(source):
    return {"source": source, "phantom": {"material": "water", "size": [10.0, 10.0, 5.0]},
            "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0], "z_edges": [0.0, 1.0]}}


def test_direction_is_normalised_and_weight_defaults_to_one():
    src = validate(_config({**POINT, "direction": [0.0, 3.0, 4.0], "half_angle": 30.0})).source
    assert src["direction"] == pytest.approx((0.0, 0.6, 0.8), abs=1e-15) and src["weight"] == 1.0
    assert source_arrays(src).weight == 1.0


@pytest.mark.parametrize("source,message", [
    ({**POINT, "direction": [0.0, 0.0, 0.0], "half_angle": 30.0}, "source.direction: [0.0, 0.0, 0.0] is not allowed"),
    ({**POINT, "direction": [1.0, 0.0, 0.0]}, "source.direction: only used with source.half_angle or source.angular"),
    ({**POINT, "half_angle": 0.0}, "source.half_angle: 0.0 is not allowed: degrees, must be > 0 and <= 180"),
    ({**POINT, "half_angle": 180.5}, "source.half_angle: 180.5 is not allowed: degrees, must be > 0 and <= 180"),
    ({**POINT, "angular": [[0.0, 1.0], [30.0, 1.0], [30.0, 2.0]]}, "source.angular[2][0]: 30 is not allowed: polar "
                                                                  "angles must increase strictly"),
    ({**POINT, "angular": [[0.0, 1.0], [200.0, 1.0]]}, "source.angular[1][0]: 200.0 is not allowed: degrees, must be "
                                                      ">= 0 and <= 180"),
    ({**POINT, "angular": [[0.0, 1.0], [30.0, -1.0]]}, "source.angular[1][1]: -1.0 is not allowed: must be >= 0"),
    ({**POINT, "angular": [[0.0, 0.0], [30.0, 0.0]]}, "source.angular: the intensities are all zero"),
    ({**POINT, "angular": [[0.0, 1.0]]}, "source.angular: [[0.0, 1.0]] is not allowed: must be an array of at "
                                        "least two"),
    ({**POINT, "angular": [[0.0, 1.0], [30.0, 1.0]], "half_angle": 30.0}, "source.angular: not allowed together with "
                                                                          "source.half_angle"),
    ({**BEAM, "half_angle": 30.0}, "source.half_angle: not used with type = 'point'"),
    ({**BEAM, "angular": [[0.0, 1.0], [30.0, 1.0]]}, "source.angular: not used with type = 'point'"),
    ({**BEAM, "direction": [0.0, 0.0, 1.0]}, "source.direction: not used with type = 'point'"),
    ({**BEAM, "weight": 0.0}, "source.weight: 0.0 is not allowed: must be > 0 and <= 1e+06"),
])
def test_bad_emission_options_are_refused_naming_the_key(source, message):
    with pytest.raises(InputError) as err:
        validate(_config(source))
    assert str(err.value).startswith(message), str(err.value)


@jit(refcount=True)
def _start(src, geo, n, stacks, heights, emitted):
    state = np.empty(4, dtype=np.uint64)
    rho_max = max_density(geo)
    counters = np.zeros(N_COUNTERS, dtype=np.int64)
    for h in range(n):
        stream_init(state, 9, 0, h)
        counters[EMITTED] = 0
        heights[h] = sample_primaries(src, geo, rho_max, state, stacks[h], counters, h)
        emitted[h] = counters[EMITTED]


def test_a_history_starts_its_primaries_in_turn_with_their_emitted_energy():
    """primaries_per_history = k: the stack holds k primaries, the ones sample_primary draws in turn from
    the history's stream (positron: the kind and T + 2 mc2 times the weight counted as emitted)."""
    k, n = 3, 50
    section = {"type": "volume", "particle": "positron", "box": (-5.0, 5.0, -5.0, 5.0, -1.0, 2.0),
               "spectrum": ((0.5, 1.0), (2.0, 1.0)), "weight": 0.75, "primaries_per_history": k}
    src = source_arrays(section)
    stacks, heights, emitted = np.zeros((n, STACK_SIZE, STACK_COLUMNS)), np.zeros(n, np.int64), np.zeros(n, np.int64)
    _start(src, SLABS, n, stacks, heights, emitted)
    assert np.all(heights == k)
    drawn = np.empty((n * k, 8))
    _draw_in_turn(src, SLABS, n, k, drawn)
    rows = stacks[:, :k].reshape(n * k, STACK_COLUMNS)
    np.testing.assert_array_equal(rows[:, :7], drawn[:, :7])
    assert np.all(rows[:, 7] == POSITRON) and np.all(rows[:, 8] == 0.75)
    per_primary = np.floor((drawn[:, 6] + 2 * MEC2) * 0.75 / QUANTUM + 0.5).astype(np.int64).reshape(n, k)
    np.testing.assert_array_equal(emitted, per_primary.sum(axis=1))


@jit(refcount=True)
def _draw_in_turn(src, geo, n, k, out):
    state = np.empty(4, dtype=np.uint64)
    rho_max = max_density(geo)
    for h in range(n):
        stream_init(state, 9, 0, h)
        for i in range(k):
            out[h * k + i] = sample_primary(src, geo, rho_max, state)


def test_source_schema_is_assembled_from_the_families(monkeypatch):
    """Every family's keys apply under its type only; a new family is one module and one registry entry."""
    from types import SimpleNamespace

    from mcdose.schema import SECTIONS, Field
    from mcdose.sources import FAMILIES, registry
    fields = SECTIONS["source"].fields
    assert fields["type"].choices == tuple(FAMILIES)
    for name, family in FAMILIES.items():
        for key, field in family.FIELDS.items():
            assert fields[key].when == (("type", (name,)),) + field.when
    line = SimpleNamespace(FIELDS={"length": Field("float", unit="cm", gt=0, required=True)})
    monkeypatch.setitem(registry.FAMILIES, "line", line)
    schema = registry.section()
    assert "line" in schema.fields["type"].choices and schema.fields["length"].when == (("type", ("line",)),)
    assert list(schema.fields)[-2:] == ["weight", "primaries_per_history"]


@pytest.mark.parametrize("value", [0, 101, 1.5])
def test_primaries_per_history_is_an_integer_from_1_to_100(value):
    with pytest.raises(InputError) as err:
        validate(_config({**POINT, "primaries_per_history": value}))
    assert str(err.value).startswith(f"source.primaries_per_history: {value!r} is not allowed: must be "), str(err.value)
    assert validate(_config(POINT)).source["primaries_per_history"] == 1
