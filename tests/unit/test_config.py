"""Configuration validation: valid files resolve, every kind of bad input gives one clear message."""
import pytest

from mcdose.config import load_config, validate
from mcdose.errors import InputError


def test_valid_config_resolves_defaults(base_config):
    spec = validate(base_config)
    assert spec.physics.electron_cutoff == 0.010
    assert spec.physics.electrons == "transport"
    assert spec.run.threads == 0
    assert spec.phantom.world == "vacuum"
    assert len(spec.scoring.z_edges) == 121
    assert spec.scoring.z_edges[-1] == 12.0
    assert spec.source.z == 0.0


def test_spec_is_immutable(base_config):
    spec = validate(base_config)
    with pytest.raises(AttributeError):
        spec.run = None
    with pytest.raises(AttributeError):
        spec.run.histories = 5


def test_round_trip_through_toml_text(base_config, tmp_path):
    spec = validate(base_config)
    path = tmp_path / "resolved.toml"
    path.write_text(spec.text)
    again = load_config(path)
    assert again.to_dict() == spec.to_dict()


def test_overrides(base_config):
    spec = load_config(base_config, **{"run.histories": 5000, "run.seed": 3})
    assert spec.run.histories == 5000 and spec.run.seed == 3


def test_user_material_by_formula(base_config):
    base_config["materials"] = {"gel": {"formula": "C2H4O", "density": 1.1}}
    base_config["phantom"]["material"] = "gel"
    spec = validate(base_config)
    gel = spec.material("gel")
    assert gel.density == 1.1 and gel.Z == (1, 6, 8)


def test_spectrum_file_relative_to_config(base_config, tmp_path):
    (tmp_path / "spec.csv").write_text("energy_MeV,weight\n0.02,1\n0.03,2\n")
    del base_config["source"]["energy"]
    base_config["source"]["spectrum_file"] = "spec.csv"
    cfg = tmp_path / "c.toml"
    from mcdose.config import dumps_toml
    cfg.write_text(dumps_toml(base_config))
    spec = load_config(cfg)
    assert spec.source.spectrum == ((0.02, 1.0), (0.03, 2.0))


def _mutate(cfg, path, value):
    *head, last = path
    node = cfg
    for key in head:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


DELETE = object()

# (what, key path, value, words the one-line message must contain)
BAD = [
    ("negative energy", ("source", "energy"), -3, ["source.energy", "-3", "MeV", "> 0", "<= 50"]),
    ("absurd energy", ("source", "energy"), 5000.0, ["source.energy", "5000", "<= 50"]),
    ("unknown material", ("phantom", "material"), "watr", ["phantom.material", "watr", "did you mean 'water'"]),
    ("unknown key", ("source", "enrgy"), 9.0, ["source.enrgy", "unknown key", "did you mean 'energy'"]),
    ("wrong type", ("run", "histories"), "many", ["run.histories", "'many'", "integer"]),
    ("float histories", ("run", "histories"), 10.5, ["run.histories", "integer"]),
    ("empty grid", ("scoring", "x_edges"), [], ["scoring.x_edges", "at least 2 edges"]),
    ("reversed edges", ("scoring", "x_edges"), [5.0, 1.0, 0.0], ["scoring.x_edges", "increase strictly"]),
    ("zero histories", ("run", "histories"), 0, ["run.histories", "0", ">= 1"]),
    ("missing section", ("source",), DELETE, ["[source]", "missing section"]),
    ("unknown section", ("sorce",), {}, ["sorce", "unknown section", "did you mean 'source'"]),
    ("bad choice", ("source", "particle"), "neutron", ["source.particle", "'neutron'", "'electron'"]),
    ("negative radius", ("source", "radius"), -1.0, ["source.radius", "cm", "> 0"]),
    ("box size length", ("phantom", "size"), [30.0, 30.0], ["phantom.size", "3 numbers"]),
    ("bool as number", ("run", "seed"), True, ["run.seed", "integer"]),
    ("nan energy", ("source", "energy"), float("nan"), ["source.energy", "nan"]),
    ("grid step not whole", ("scoring", "z"), {"min": 0.0, "max": 1.0, "step": 0.3}, ["scoring.z_edges", "whole number"]),
    ("two energies", ("source", "spectrum"), [[1.0, 1.0]], ["source", "exactly one of energy, spectrum"]),
    ("cutoff too high", ("physics",), {"electron_cutoff": 5.0}, ["physics.electron_cutoff", "<= 1"]),
    ("radius with rectangle", ("source", "shape"), "rectangle", ["source.size", "missing"]),
    ("batches > histories", ("run", "batches"), 5000, ["run.batches", "<= run.histories"]),
    ("energy below cutoff", ("source", "energy"), 0.005, ["source.energy", "cut-off"]),
]


@pytest.mark.parametrize("what,path,value,words", BAD, ids=[b[0] for b in BAD])
def test_bad_config_message(base_config, what, path, value, words):
    _mutate(base_config, path, value)
    with pytest.raises(InputError) as err:
        validate(base_config)
    msg = str(err.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, f"{what}: {w!r} not in {msg!r}"


def test_file_not_found(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_not_toml(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[run\nhistories = = 3\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(p)
