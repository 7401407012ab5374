"""IOERT machine library (mcdose.machines): library files, validation, the ``mcdose machines`` command.

Published facts checked: NOVAC7 12 um Ti window (Geant4 example iort_therapy), LIAC/ElectronFlash 55 um Ti
window and 100/110 mm x 742 mm PMMA applicator (GATE 10 contrib electron_flash model)."""
import pytest

from mcdose import machines, materials
from mcdose.cli import main
from mcdose.errors import InputError

GOOD = """\
name = "test"
title = "test machine"
caveat = "generic"
references = ["none"]

[head]
layers = [
  { name = "window", material = "titanium", z = 0.0, thickness = 0.005, radius = 2.0 },
  { name = "foil", material = "aluminium", z = 1.0, thickness = 0.002, radius = 3.0 },
]
applicator_top = 5.0

[[energies]]
nominal = 6.0
mean_energy = 6.2
energy_fwhm = 0.5
spot_sigma = 0.1
angular_sigma = 0.3
virtual_source_distance = 0.0

[[energies]]
nominal = 9.0
mean_energy = 9.2
energy_fwhm = 0.5
spot_sigma = 0.1
angular_sigma = 0.3
virtual_source_distance = 0.0

[applicators]
material = "pmma"
diameters = [4.0, 5.0]
wall = 0.5
length = 50.0
bevels = [0.0, 30.0]
docking = ["hard"]
"""


def _write(tmp_path, text, name="m.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", machines.names())
def test_library_machine_loads_with_existing_materials(name):
    m = machines.load(name)
    assert m.name == name and m.title and m.caveat and m.references and m.energies
    for layer in m.layers:
        assert materials.get(layer.material).name == layer.material
    assert materials.get(m.applicators.material)
    assert m.layers[0].name == "exit window" and m.layers[0].z == 0.0
    assert m.layers[-1].z_end <= m.applicator_top
    for d in m.applicators.diameters:
        assert 0 < m.applicators.wall_for(d) <= 2


def test_library_names():
    assert machines.names() == ["liac12", "mobetron", "novac7"]


@pytest.mark.parametrize("name,energies", [("mobetron", (6, 9, 12)), ("liac12", (6, 8, 10, 12)),
                                           ("novac7", (3, 5, 7, 9))])
def test_nominal_energies(name, energies):
    m = machines.load(name)
    assert m.nominal_energies == energies
    assert m.energy(energies[-1]).nominal == energies[-1]
    with pytest.raises(InputError, match="must be one of"):
        m.energy(4.5)


def test_published_facts():
    novac, liac = machines.load("novac7"), machines.load("liac12")
    assert (novac.layers[0].material, novac.layers[0].thickness) == ("titanium", pytest.approx(12e-4))
    assert all(l.material == "aluminium" for l in novac.layers[1:])
    assert (liac.layers[0].material, liac.layers[0].thickness) == ("titanium", pytest.approx(55e-4))
    app = liac.applicators
    assert app.material == "pmma" and 10.0 in app.diameters
    assert 10.0 + 2 * app.wall_for(10.0) == pytest.approx(11.0) and app.length == pytest.approx(74.2)
    assert machines.load("mobetron").applicators.docking == ("soft",)


def test_wall_for_unknown_diameter_lists_the_allowed():
    with pytest.raises(InputError, match=r"4, 5, 6, 7, 8, 9, 10 cm"):
        machines.load("liac12").applicators.wall_for(3.3)


def test_user_file_relative_to_base_and_wall_list(tmp_path):
    _write(tmp_path, GOOD.replace("wall = 0.5", "wall = [0.4, 0.6]"))
    m = machines.load("m.toml", base=tmp_path)
    assert m.applicators.wall == (0.4, 0.6) and m.applicators.wall_for(5.0) == 0.6
    assert "CAVEAT" in machines.describe(m).splitlines()[2]


BAD = {
    "negative thickness": (("thickness = 0.005", "thickness = -0.005"), "head.layers[0].thickness: -0.005 is not allowed"),
    "thick layer": (("thickness = 0.002", "thickness = 1.5"), "must be in (0, 1] cm"),
    "overlapping layers": (("z = 1.0", "z = 0.001"), "head.layers[1].z: 0.001 is not allowed: layers must be in "
                                                     "increasing z"),
    "unknown material": (('"aluminium"', '"unobtainium"'), "head.layers[1].material: unknown material"),
    "unknown key": (("applicator_top = 5.0", "applicator_top = 5.0\ncolour = 'red'"),
                    "head.colour: unknown key; allowed: layers, applicator_top"),
    "unknown top key": (('title = "test machine"', 'title = "test machine"\nmodel = 3'), "model: unknown key"),
    "missing key": (("virtual_source_distance = 0.0\n\n[applicators]", "\n[applicators]"),
                    "energies[1].virtual_source_distance: missing"),
    "wall list length": (("wall = 0.5", "wall = [0.5]"), "applicators.wall: [0.5] is not allowed: a wall list"),
    "duplicate nominal": (("nominal = 9.0", "nominal = 6.0"), "energies[1].nominal: 6.0 is not allowed: nominal "
                                                              "energies must be unique"),
    "spot sigma": (("spot_sigma = 0.1\nangular_sigma = 0.3\nvirtual_source_distance = 0.0\n\n[applicators]",
                    "spot_sigma = -1.0\nangular_sigma = 0.3\nvirtual_source_distance = 0.0\n\n[applicators]"),
                   "machine m: energies[1].spot_sigma: -1.0 is not allowed: must be in [0, 2] cm"),
    "low mean energy": (("mean_energy = 6.2", "mean_energy = 0.5"), "must be in (0.5, 25] MeV"),
    "angular sigma": (("angular_sigma = 0.3", "angular_sigma = 25"), "energies[0].angular_sigma: 25 is not allowed"),
    "decreasing diameters": (("[4.0, 5.0]", "[5.0, 4.0]"), "applicators.diameters: [5.0, 4.0] is not allowed: "
                                                           "must be unique and increasing"),
    "bevel": (("[0.0, 30.0]", "[0.0, 75.0]"), "applicators.bevels[1]: 75.0 is not allowed: must be in [0, 60]"),
    "docking": (('["hard"]', '["magnetic"]'), "applicators.docking: ['magnetic'] is not allowed"),
    "short length": (("length = 50.0", "length = 1.0"), "must be in (1, 200] cm"),
    "string number": (("energy_fwhm = 0.5", "energy_fwhm = '0.5'"), "energies[0].energy_fwhm: '0.5' is not "
                                                                    "allowed"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_machine_file_refused_naming_the_field(tmp_path, case):
    (old, new), expected = BAD[case]
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        machines.load(path)
    message = str(info.value)
    assert expected in message and "\n" not in message


@pytest.mark.parametrize("text,expected", [(None, "not found"), ("this is [not toml\n", "not valid TOML"),
                                           (b"\0\1\2", "not UTF-8 text")])
def test_unreadable_files_one_line_error_naming_the_path(tmp_path, text, expected):
    path = tmp_path / "x.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    with pytest.raises(InputError, match=expected) as info:
        machines.load(str(path))
    assert str(path) in str(info.value)


def test_unknown_name_hints():
    with pytest.raises(InputError, match=r"unknown machine 'liac' \(did you mean 'liac12'\?\); mcdose machines"):
        machines.load("liac")


def test_cli_lists_and_describes(capsys):
    assert main(["machines"]) == 0
    out = capsys.readouterr().out
    for name in machines.names():
        assert name in out and machines.load(name).title in out
    assert main(["machines", "novac7"]) == 0
    out = capsys.readouterr().out
    assert out.index("CAVEAT") < out.index("energies") < out.index("head layers") < out.index("references")
    assert "must be" in out and "commissioned against your measured data" in out
    assert "titanium" in out and " 12 " in out          # window thickness in um


def test_cli_path_and_unknown_name(tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    assert main(["machines", str(path)]) == 0
    assert "test machine" in capsys.readouterr().out
    assert main(["machines", "mobetrom"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcdose: error: unknown machine") and "did you mean 'mobetron'" in err
    assert err.count("\n") == 1
