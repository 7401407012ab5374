"""IOERT machine library: generic open models of mobile intra-operative electron linacs.

A machine file is TOML with the keys ``name``, ``title``, ``caveat``, ``references``, a ``[head]`` table
(``layers``, ``applicator_top``), one ``[[energies]]`` table per nominal energy (``nominal``,
``mean_energy``, ``energy_fwhm``, ``spot_sigma``, ``angular_sigma``, ``virtual_source_distance``) and an
``[applicators]`` table (``material``, ``diameters``, ``wall``, ``length``, ``bevels``, ``docking``).

Coordinates: z is measured downward, along the beam, from the upstream face of the exit window; the
electron beam starts just upstream of z = 0. Head layers are discs crossed by the beam, in beam order.
Units: cm, MeV, degrees (angles), FWHM and 1-sigma as named.

The library files (``mobetron``, ``liac12``, ``novac7``) are built from open models and papers, cited in
each file's ``references`` and next to each number: the Geant4 examples ``iort_therapy`` (NOVAC7) and
``eFLASH_radiotherapy``, the GATE 10 ``contrib/linacs/electron_flash`` model (LIAC family) and AAPM TG-72
(Beddar et al., Med. Phys. 33 (2006) 1476). They are not vendors' heads: commission before use.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Machine", "Energy", "Layer", "Applicators", "names", "load", "describe"]

LIBRARY_DIR = Path(__file__).resolve().parent
TOLERANCE = 1e-6
DOCKING = ("hard", "soft")

_TOP = ("name", "title", "caveat", "references", "head", "energies", "applicators")
_HEAD = ("layers", "applicator_top")
_LAYER = ("name", "material", "z", "thickness", "radius")
_ENERGY = ("nominal", "mean_energy", "energy_fwhm", "spot_sigma", "angular_sigma", "virtual_source_distance")
_APPLICATORS = ("material", "diameters", "wall", "length", "bevels", "docking")

# (low, high, low inclusive, unit) of every number.
_RANGES = {
    "z": (0.0, 200.0, True, "cm"), "thickness": (0.0, 1.0, False, "cm"), "radius": (0.0, 50.0, False, "cm"),
    "applicator_top": (0.0, 200.0, False, "cm"),
    "nominal": (0.0, 25.0, False, "MeV"), "mean_energy": (0.5, 25.0, False, "MeV"),
    "energy_fwhm": (0.0, 5.0, True, "MeV"), "spot_sigma": (0.0, 2.0, True, "cm"),
    "angular_sigma": (0.0, 20.0, True, "degrees"), "virtual_source_distance": (0.0, 500.0, True, "cm"),
    "diameters": (0.0, 20.0, False, "cm"), "wall": (0.0, 2.0, False, "cm"), "length": (1.0, 200.0, False, "cm"),
    "bevels": (0.0, 60.0, True, "degrees"),
}


@dataclass(frozen=True)
class Layer:
    """A disc crossed by the beam: material id, upstream face z, thickness and radius (cm)."""

    name: str
    material: str
    z: float
    thickness: float
    radius: float

    @property
    def z_end(self) -> float:
        """Downstream face, cm."""
        return self.z + self.thickness


@dataclass(frozen=True)
class Energy:
    """Beam of one nominal energy at the window: energies in MeV, spot_sigma in cm (1-sigma, each axis),
    angular_sigma in degrees (1-sigma, each projected axis), virtual_source_distance in cm upstream of z = 0
    (0 = parallel mean directions)."""

    nominal: float
    mean_energy: float
    energy_fwhm: float
    spot_sigma: float
    angular_sigma: float
    virtual_source_distance: float


@dataclass(frozen=True)
class Applicators:
    """Applicator set: inner diameters (cm, increasing), wall per diameter (cm), length (cm, to the face
    centre of a bevelled one), bevel angles (degrees), docking modes ("hard", "soft")."""

    material: str
    diameters: tuple
    wall: tuple
    length: float
    bevels: tuple
    docking: tuple

    def _index(self, diameter) -> int:
        for i, d in enumerate(self.diameters):
            if isinstance(diameter, (int, float)) and abs(float(diameter) - d) <= TOLERANCE:
                return i
        raise InputError(f"applicator diameter {diameter!r} cm is not available: must be one of "
                         f"{', '.join(f'{d:g}' for d in self.diameters)} cm")

    def wall_for(self, diameter) -> float:
        """Wall thickness (cm) of the applicator with this inner diameter (cm)."""
        return self.wall[self._index(diameter)]


@dataclass(frozen=True)
class Machine:
    """A validated machine file. ``applicator_top``: cm below z = 0 where a docked applicator's upstream end
    sits; ``path``: the file it was read from."""

    name: str
    title: str
    caveat: str
    references: tuple
    layers: tuple
    applicator_top: float
    energies: tuple
    applicators: Applicators
    path: str = ""

    @property
    def nominal_energies(self) -> tuple:
        return tuple(e.nominal for e in self.energies)

    def energy(self, nominal) -> Energy:
        """The beam of this nominal energy (MeV, matched within 1e-6)."""
        for e in self.energies:
            if isinstance(nominal, (int, float)) and abs(float(nominal) - e.nominal) <= TOLERANCE:
                return e
        raise InputError(f"machine {self.name}: nominal energy {nominal!r} MeV is not available: must be one of "
                         f"{', '.join(f'{n:g}' for n in self.nominal_energies)} MeV")


# ----------------------------------------------------------------------------------------------
# loading

def names() -> list:
    """The library machines (file stems), sorted."""
    return sorted(p.stem for p in LIBRARY_DIR.glob("*.toml"))


def load(name_or_path, base: Path | None = None) -> Machine:
    """A library machine by name, or a machine file (``.toml``; a relative path is taken against ``base``,
    the configuration's folder, else the working directory)."""
    text = str(name_or_path).strip()
    if not isinstance(name_or_path, Path) and text.lower() in names():
        return _read(LIBRARY_DIR / f"{text.lower()}.toml", text.lower())
    if isinstance(name_or_path, Path) or text.lower().endswith(".toml") or "/" in text or "\\" in text:
        path = Path(text)
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        return _read(path, path.stem)
    close = difflib.get_close_matches(text.lower(), names(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(f"unknown machine {text!r}{hint}; mcdose machines lists them")


def _read(path: Path, label: str) -> Machine:
    from ..config import existing_file, read_text     # config imports the sources, which import this
    where = f"machine file {str(path)!r}"
    text = read_text(existing_file(path, "machine file", "machine"), "machine")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not valid TOML: {exc}") from None
    return _Checker(label).machine(raw, str(path))


# ----------------------------------------------------------------------------------------------
# validation

def _show(value) -> str:
    return str(value) if isinstance(value, (list, tuple, dict)) else repr(value)


class _Checker:
    """Validation with one-line errors ``machine LABEL: FIELD: VALUE is not allowed: RULE``."""

    def __init__(self, label: str):
        self.label = label

    def error(self, field: str, message: str) -> InputError:
        return InputError(f"machine {self.label}: {field}: {message}")

    def bad(self, field: str, value, rule: str) -> InputError:
        return self.error(field, f"{_show(value)} is not allowed: {rule}")

    def table(self, field: str, value, allowed: tuple) -> dict:
        if not isinstance(value, dict):
            raise self.bad(field, value, "must be a table")
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                where = f"{field}.{key}" if field else str(key)
                raise self.error(where, f"unknown key{hint}; allowed: {', '.join(allowed)}")
        for key in allowed:
            if key not in value:
                raise self.error(f"{field}.{key}" if field else key, "missing")
        return value

    def text(self, field: str, value) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.bad(field, value, "must be a non-empty string")
        return value

    def number(self, field: str, value, key: str) -> float:
        low, high, closed, unit = _RANGES[key]
        rule = f"must be in {'[' if closed else '('}{low:g}, {high:g}] {unit}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.bad(field, value, f"{rule} (a finite number)")
        if not ((value >= low if closed else value > low) and value <= high):
            raise self.bad(field, value, rule)
        return float(value)

    def array(self, field: str, value) -> list:
        if not isinstance(value, list) or not value:
            raise self.bad(field, value, "must be a non-empty array")
        return value

    def material(self, field: str, value) -> str:
        from .. import materials
        name = self.text(field, value)
        try:
            return materials.get(name).name
        except InputError as exc:
            raise self.error(field, str(exc)) from None

    def machine(self, raw: dict, path: str) -> Machine:
        self.table("", raw, _TOP)
        refs = raw["references"]
        if not isinstance(refs, list):
            raise self.bad("references", refs, "must be an array of strings")
        references = tuple(self.text(f"references[{i}]", r) for i, r in enumerate(refs))
        head = self.table("head", raw["head"], _HEAD)
        top = self.number("head.applicator_top", head["applicator_top"], "applicator_top")
        return Machine(self.text("name", raw["name"]), self.text("title", raw["title"]),
                       self.text("caveat", raw["caveat"]), references, self.layers(head["layers"], top), top,
                       self.energies(raw["energies"]), self.applicators(raw["applicators"]), path)

    def layers(self, value, top: float) -> tuple:
        if not isinstance(value, list):
            raise self.bad("head.layers", value, "must be an array of layer tables")
        out = []
        for i, raw in enumerate(value):
            f = f"head.layers[{i}]"
            self.table(f, raw, _LAYER)
            layer = Layer(self.text(f"{f}.name", raw["name"]), self.material(f"{f}.material", raw["material"]),
                          *(self.number(f"{f}.{k}", raw[k], k) for k in ("z", "thickness", "radius")))
            if out and layer.z < out[-1].z_end - TOLERANCE:
                raise self.bad(f"{f}.z", raw["z"], f"layers must be in increasing z without overlap: must be "
                                                   f">= {out[-1].z_end:g} cm (end of {out[-1].name!r})")
            out.append(layer)
        if out and out[-1].z_end > top + TOLERANCE:
            raise self.bad("head.applicator_top", top, f"must be >= {out[-1].z_end:g} cm, the end of the last "
                                                       f"layer {out[-1].name!r}")
        return tuple(out)

    def energies(self, value) -> tuple:
        out = []
        for i, raw in enumerate(self.array("energies", value)):
            f = f"energies[{i}]"
            self.table(f, raw, _ENERGY)
            e = Energy(*(self.number(f"{f}.{k}", raw[k], k) for k in _ENERGY))
            for j, other in enumerate(out):
                if abs(other.nominal - e.nominal) <= TOLERANCE:
                    raise self.bad(f"{f}.nominal", raw["nominal"], f"nominal energies must be unique "
                                                                   f"(energies[{j}] has it)")
            out.append(e)
        return tuple(out)

    def applicators(self, value) -> Applicators:
        raw = self.table("applicators", value, _APPLICATORS)
        f = "applicators"
        diameters = tuple(self.number(f"{f}.diameters[{i}]", d, "diameters")
                          for i, d in enumerate(self.array(f"{f}.diameters", raw["diameters"])))
        for i in range(1, len(diameters)):
            if diameters[i] <= diameters[i - 1]:
                raise self.bad(f"{f}.diameters", raw["diameters"], "must be unique and increasing")
        wall = raw["wall"]
        if isinstance(wall, list):
            if len(wall) != len(diameters):
                raise self.bad(f"{f}.wall", wall, f"a wall list must have one entry per diameter "
                                                  f"({len(diameters)})")
            walls = tuple(self.number(f"{f}.wall[{i}]", w, "wall") for i, w in enumerate(wall))
        else:
            walls = (self.number(f"{f}.wall", wall, "wall"),) * len(diameters)
        bevels = tuple(self.number(f"{f}.bevels[{i}]", b, "bevels")
                       for i, b in enumerate(self.array(f"{f}.bevels", raw["bevels"])))
        if len(set(bevels)) != len(bevels):
            raise self.bad(f"{f}.bevels", raw["bevels"], "must be unique")
        docking = self.array(f"{f}.docking", raw["docking"])
        if not all(isinstance(d, str) and d in DOCKING for d in docking) or len(set(docking)) != len(docking):
            raise self.bad(f"{f}.docking", docking, "must be a non-empty array of distinct values from 'hard', "
                                                    "'soft'")
        return Applicators(self.material(f"{f}.material", raw["material"]), diameters, walls,
                           self.number(f"{f}.length", raw["length"], "length"), bevels, tuple(docking))


# ----------------------------------------------------------------------------------------------
# description

def describe(machine: Machine) -> str:
    """Human-readable summary for ``mcdose machines NAME`` (caveat first)."""
    m, a = machine, machine.applicators
    lines = [f"{m.name}: {m.title}", "",
             "CAVEAT: a generic model built from open sources, not the vendor's treatment head. It must be",
             "commissioned against your measured data before any clinical use.", f"  {m.caveat}", "",
             "energies (at the exit window):",
             f"  {'nominal MeV':>11} {'mean MeV':>9} {'FWHM MeV':>9} {'spot 1sd cm':>11} {'angle 1sd deg':>13} "
             f"{'virtual source cm':>17}"]
    lines += [f"  {e.nominal:>11g} {e.mean_energy:>9g} {e.energy_fwhm:>9g} {e.spot_sigma:>11g} "
              f"{e.angular_sigma:>13g} {e.virtual_source_distance:>17g}" for e in m.energies]
    lines += ["", "head layers (z down from the window's upstream face):",
              f"  {'name':<28} {'material':<12} {'z cm':>8} {'thickness um':>12} {'radius cm':>9}"]
    lines += [f"  {l.name:<28} {l.material:<12} {l.z:>8g} {l.thickness * 1e4:>12g} {l.radius:>9g}"
              for l in m.layers] or ["  (none)"]
    walls = f"{a.wall[0]:g} cm" if len(set(a.wall)) == 1 else ", ".join(f"{w:g}" for w in a.wall) + " cm"
    lines += ["", f"applicators ({a.material}, upstream end {m.applicator_top:g} cm below the window):",
              f"  inner diameters  {', '.join(f'{d:g}' for d in a.diameters)} cm",
              f"  wall             {walls}", f"  length           {a.length:g} cm",
              f"  bevels           {', '.join(f'{b:g}' for b in a.bevels)} degrees",
              f"  docking          {', '.join(a.docking)}", "", "references:"]
    lines += [f"  [{i}] {r}" for i, r in enumerate(m.references, 1)]
    return "\n".join(lines) + "\n"
