"""Fuzzing `mcdose check`: every configuration key, and every element of its value, set to NaN, inf,
negative, zero, huge or a value of the wrong type, or left out. Each configuration must either be
valid (and its resolved form finite TOML) or end in exactly one line ``mcdose: error: ...`` and
exit status 2; any other exception fails. No transport: this runs in seconds."""
import copy
import math

import numpy as np
import pytest
from synthetic_ct import write_series

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from mcdose import cli, shields
from mcdose.config import dumps_toml
from mcdose.phsp import PhaseSpaceWriter
from mcdose.sources import intrabeam_model
from mcdose.schema import SECTIONS

PHYSICS = {"electron_cutoff": 0.01, "photon_cutoff": 0.001, "delta_threshold": 0.01, "brems_threshold": 0.01,
           "electrons": "transport", "woodcock": True, "max_step_loss": 0.25, "max_step_scatter": 0.2,
           "range_rejection": True, "multiple_scattering": True, "discrete_events": True, "spin": True}
RUN = {"histories": 1000, "batches": 10, "seed": 7, "threads": 1}
CARTESIAN = {"mesh": "cartesian", "x_edges": [-5.0, 0.0, 5.0], "y_edges": [-5.0, 5.0],
             "z_edges": {"min": 0.0, "max": 4.0, "step": 1.0}, "estimator": "analog"}

# valid configurations between them using every key of the schema and of [materials.NAME]
BASES = {
    "beam_box": {
        "run": RUN, "physics": PHYSICS, "scoring": CARTESIAN,
        "source": {"type": "beam", "particle": "electron", "energy": 9.0, "shape": "circle", "radius": 5.0,
                   "z": 0.0, "focus_distance": 100.0, "weight": 2.0},
        "phantom": {"type": "box", "material": "gel", "size": [30.0, 30.0, 20.0], "world": "air",
                    "world_margin": 5.0},
        "materials": {"gel": {"formula": "C2H4O", "density": 1.1, "I": 70.0},
                      "mix": {"composition": {"H": 0.1, "O": 0.9}, "density": 1.0}},
    },
    "rectangle_cylinder": {
        "run": RUN,
        "source": {"type": "beam", "particle": "photon", "spectrum": [[0.5, 1.0], [1.0, 2.0]], "shape": "rectangle",
                   "size": [4.0, 6.0]},
        "phantom": {"type": "cylinder", "material": "water", "radius": 10.0, "length": 20.0},
        "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0, 2.0], "z_edges": [0.0, 1.0, 2.0]},
    },
    "point_cavity": {
        "run": RUN,
        "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0.0, 0.0, 5.0],
                   "direction": [0.0, 1.0, 1.0], "angular": [[0.0, 1.0], [60.0, 2.0], [120.0, 0.0]]},
        "phantom": {"type": "spherical_cavity", "size": [10.0, 10.0, 10.0], "medium": "water",
                    "applicator_diameter": 3.0, "wall": 0.2, "applicator_material": "polyetherimide",
                    "cavity_material": "air", "applicator_center": [0.0, 0.0, 5.0]},
        "scoring": {"mesh": "spherical", "r_edges": [1.5, 2.0, 3.0], "center": [0.0, 0.0, 5.0],
                    "estimator": "tracklength"},
    },
    "point_cone": {
        "run": RUN, "scoring": CARTESIAN,
        "source": {"type": "point", "particle": "electron", "energy": 1.0, "position": [0.0, 0.0, -1.0],
                   "direction": [0.0, 0.0, 2.0], "half_angle": 20.0},
        "phantom": {"type": "box", "material": "water", "size": [10.0, 10.0, 10.0]},
    },
    "volume_slabs": {
        "run": RUN, "scoring": CARTESIAN,
        "source": {"type": "volume", "particle": "photon", "energy": 1.0, "box": [-1.0, 1.0, -1.0, 1.0, 0.0, 1.0],
                   "primaries_per_history": 2},
        "phantom": {"type": "slabs", "size": [10.0, 10.0],
                    "layers": [{"material": "water", "thickness": 1.0}, {"material": "lung", "thickness": 4.0}]},
    },
    "ioert_soft": {
        "run": RUN, "scoring": CARTESIAN,
        "source": {"type": "ioert", "machine": "mobetron", "energy": 9.0, "applicator": 5.0, "bevel": 15.0,
                   "docking": "soft", "air_gap": 1.0, "tilt": 1.0},
        "phantom": {"type": "box", "material": "breast", "size": [20.0, 20.0, 8.0]},
        "shields": [{"type": "mobetron", "depth": 2.0, "diameter": 6.0, "center": [0.5, 0.0], "name": "disk"}],
        "variance_reduction": {"importance": {"applicator inside": 2.0, "phantom": 0.5}},
    },
    "phase_space": {
        "run": RUN,
        "source": {"type": "phase_space", "file": "beam.IAEAheader", "recycle": 1, "rotate": "fixed",
                   "rotate_angle": 30.0, "mirror": "x", "center": [0.0, 0.0, -1.0], "axis": [0.0, 0.1, 1.0]},
        "phantom": {"type": "box", "material": "water", "size": [10.0, 10.0, 10.0]},
        "scoring": {**CARTESIAN, "phase_space": [{"z": 2.0, "file": "out.IAEAheader", "particles": ["electron"],
                                                   "min_energy": 0.1, "name": "plane"}]},
    },
    "intrabeam": {
        "run": RUN,
        "source": {"type": "intrabeam", "voltage": 50.0, "applicator": 3.5, "model": "model.h5",
                   "tip": [0.0, 0.0, 5.0], "forward": [0.0, 0.0, 1.0]},
        "phantom": {"type": "box", "material": "breast", "size": [10.0, 10.0, 10.0]},
        "scoring": {"mesh": "spherical", "r_edges": [1.75, 2.0, 3.0], "center": [0.0, 0.0, 5.0]},
        "variance_reduction": {"brems_splitting": 10, "russian_roulette": True, "photon_roulette": 0.1,
                               "brems_enhancement": 5.0, "splitting_field_center": [0.0, 0.0, 5.0],
                               "splitting_field_radius": 3.0},
    },
    "shield": {
        "run": RUN, "scoring": CARTESIAN,
        "source": {"type": "beam", "particle": "electron", "energy": 6.0, "radius": 2.0},
        "phantom": {"type": "breast_shield", "size": [20.0, 20.0, 8.0], "tissue_material": "breast",
                    "tissue_thickness": 1.5, "shield_diameter": 6.0, "backing_material": "water",
                    "shield_layers": [{"material": "pmma", "thickness": 0.7}, {"material": "copper", "thickness": 0.25}]},
    },
    "voxels_spectrum_file": {
        "run": RUN, "scoring": CARTESIAN,
        "source": {"type": "beam", "particle": "photon", "spectrum_file": "spectrum.csv", "radius": 2.0},
        "phantom": {"type": "voxels", "file": "ids.npy", "density_file": "rho.npy", "voxel_size": [5.0, 5.0, 2.0],
                    "voxel_materials": "water, lung"},
    },
    "ct": {
        "run": RUN,
        "source": {"type": "beam", "particle": "electron", "energy": 6.0, "radius": 1.0, "z": 9.0},
        "phantom": {"type": "ct", "directory": "ct", "crop": [-3.0, 3.0, -3.0, 3.0, 10.0, 12.5],
                    "hu_to_density": [[-1000.0, 0.001], [0.0, 1.0], [2000.0, 2.0]],
                    "hu_materials": [[-900.0, "air"], [-500.0, "lung"], [2000.0, "water"]], "body_threshold": -400.0},
        "scoring": {"mesh": "cartesian", "x_edges": [-2.0, 2.0], "y_edges": [-2.0, 2.0],
                    "z_edges": {"min": 10.0, "max": 12.0, "step": 0.5}},
    },
}

BAD = [math.nan, math.inf, -math.inf, -1, -1.5, 0, 0.0, 1e300, -1e300, "x", "", [], [1, 2], {"a": 1}, True]
MISSING = object()


def _leaves(value, path=()):
    """Paths into a value: itself, the first element of an array, every entry of a table (3 deep)."""
    yield path
    if len(path) < 3:
        if isinstance(value, list) and value:
            yield from _leaves(value[0], path + (0,))
        elif isinstance(value, dict):
            for k, v in value.items():
                yield from _leaves(v, path + (k,))


def _cases():
    """(id, base name, key path into the configuration) for every key: of the schema, then [materials]."""
    cases = []
    for section, schema in SECTIONS.items():
        for key in schema.fields:
            base = next((n for n, b in BASES.items() if key in b.get(section, {})), None)
            assert base, f"no base configuration uses {section}.{key}"
            cases.append((f"{section}.{key}", base, (section, key)))
    cases += [(f"materials.{m}.{key}", "beam_box", ("materials", m, key))
              for m, entry in BASES["beam_box"]["materials"].items() for key in entry]
    cases += [(f"shields.{key}", "ioert_soft", ("shields", 0, key)) for key in shields.SCHEMA.fields]
    cases += [(f"scoring.phase_space.{key}", "phase_space", ("scoring", "phase_space", 0, key))
              for key in BASES["phase_space"]["scoring"]["phase_space"][0]]
    return cases


@pytest.fixture(autouse=True)
def one_parser(monkeypatch):
    """The argument parser built once: building it takes longer than most checks."""
    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Where the configurations are written, with the files the voxel base reads."""
    d = tmp_path_factory.mktemp("fuzz")
    ids = np.zeros((2, 2, 3), np.int16)
    ids[:, :, 2] = 1
    np.save(d / "ids.npy", ids)
    np.save(d / "rho.npy", np.where(ids == 1, 0.3, 1.0))
    (d / "spectrum.csv").write_text("energy_MeV,weight\n0.5,1\n1.0,2\n")
    write_series(d / "ct")
    with PhaseSpaceWriter(d / "beam.IAEAheader", title="fuzz", constant_z=0.0) as writer:
        n = 1000
        writer.write(np.ones(n, np.int8), np.linspace(-1, 1, n), np.zeros(n), None, np.zeros(n), np.zeros(n),
                     np.ones(n), np.full(n, 6.0), np.ones(n), np.ones(n, bool), np.ones(n, np.int64))
        writer.close(orig_histories=n)
    model = intrabeam_model.from_spectrum([[0.01, 1.0], [0.03, 2.0]], [[0.0, 1.0], [180.0, 0.5]])
    intrabeam_model.save(intrabeam_model.SourceModel(model.mu_edges, model.energy_edges, model.weights,
                                                     {**model.attrs, "voltage_kV": 50.0}), d / "model.h5")
    return d


def _check(folder, config, capsys) -> str:
    path = folder / "fuzz.toml"
    path.write_text(dumps_toml(config), encoding="utf-8")
    rc = cli.main(["check", str(path)])
    out, err = capsys.readouterr()
    if rc == 0:
        assert all(line.startswith("mcdose: warning: ") for line in err.splitlines()), err
        resolved = tomllib.loads(out)
        for leaf in _leaves_of(resolved):
            assert not isinstance(leaf, float) or math.isfinite(leaf), f"non-finite value accepted: {out}"
        return "valid"
    assert rc == 2, f"exit status {rc}: {err}"
    assert err.startswith("mcdose: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return "error"


def _leaves_of(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves_of(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves_of(v)
    else:
        yield value


def _set(config, path, value):
    node = config
    for k in path[:-1]:
        node = node[k]
    if value is MISSING:
        del node[path[-1]]
    else:
        node[path[-1]] = value


def _get(config, path):
    for k in path:
        config = config[k]
    return config


@pytest.mark.parametrize("key,base,path", _cases(), ids=[c[0] for c in _cases()])
def test_bad_values_are_valid_or_one_line_exit_2(folder, capsys, key, base, path):
    assert _check(folder, BASES[base], capsys) == "valid"
    outcomes = []
    for leaf in _leaves(_get(BASES[base], path)):
        for value in BAD + ([MISSING] if leaf == () or isinstance(leaf[-1], str) else []):
            config = copy.deepcopy(BASES[base])
            _set(config, path + leaf, value)
            outcomes.append(_check(folder, config, capsys))
    assert "error" in outcomes  # every key refuses something
