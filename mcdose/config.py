"""Configuration: TOML file or dict -> validated, immutable :class:`Spec`.

The schema (keys, types, units, ranges, defaults) is declared once in
:mod:`mcdose.schema`; this module parses, resolves and checks it. Every error
is an :class:`~mcdose.errors.InputError` whose message names the key path, the
bad value and what is allowed, e.g.
``source.energy: -3 is not allowed: MeV, must be > 0 and <= 50``.
"""
from __future__ import annotations

import difflib
import math
from pathlib import Path
from types import MappingProxyType

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from . import materials
from .errors import InputError
from .schema import SECTIONS, Field

__all__ = ["Spec", "load_config", "validate"]


class Section:
    """Read-only view of one configuration section: attribute and item access."""

    __slots__ = ("_name", "_data")

    def __init__(self, name: str, data: dict):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_data", MappingProxyType(dict(data)))

    def __getattr__(self, key):
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(f"{self._name}.{key}") from None

    def __getitem__(self, key):
        return self._data[key]

    def __contains__(self, key):
        return key in self._data

    def __setattr__(self, key, value):
        raise AttributeError("configuration sections are immutable")

    def get(self, key, default=None):
        return self._data.get(key, default)

    def items(self):
        return self._data.items()

    def __repr__(self):
        return f"Section({self._name}, {dict(self._data)!r})"


class Spec:
    """A validated, immutable configuration.

    Attributes ``run``, ``source``, ``phantom``, ``scoring``, ``physics`` are
    :class:`Section` views with every default filled in and every grid
    resolved to explicit edges (cm). ``materials`` maps user material names to
    :class:`~mcdose.materials.Material`. ``text`` is the resolved TOML.
    """

    __slots__ = ("run", "source", "phantom", "scoring", "physics", "materials", "source_path")

    def __init__(self, sections: dict, user_materials: dict, source_path: str | None):
        for name in SECTIONS:
            object.__setattr__(self, name, Section(name, sections[name]))
        object.__setattr__(self, "materials", MappingProxyType(dict(user_materials)))
        object.__setattr__(self, "source_path", source_path)

    def __setattr__(self, key, value):
        raise AttributeError("Spec is immutable; use mcdose.config.validate(spec.to_dict() | changes)")

    def to_dict(self) -> dict:
        """Plain nested dict of the resolved configuration (inverse of :func:`validate`)."""
        out = {name: _plain(getattr(self, name)._data) for name in SECTIONS}
        if self.materials:
            out["materials"] = {n: _material_dict(m) for n, m in self.materials.items()}
        return out

    @property
    def text(self) -> str:
        """Resolved configuration as TOML text."""
        return dumps_toml(self.to_dict())

    def material(self, name: str) -> materials.Material:
        """A material named in this configuration: user-defined first, then the library."""
        return self.materials[name] if name in self.materials else materials.get(name)


def _plain(value):
    if isinstance(value, (MappingProxyType, dict)):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _material_dict(m: materials.Material) -> dict:
    from xraylib import AtomicNumberToSymbol
    return {"composition": {AtomicNumberToSymbol(z): w for z, w in zip(m.Z, m.mass_fractions)},
            "density": m.density, "I": m.I_eV}


# ----------------------------------------------------------------------------------------------
# loading

def load_config(path_or_dict, **overrides) -> Spec:
    """Read a TOML file (path) or take a dict, apply ``section.key`` overrides, validate."""
    source_path = None
    if isinstance(path_or_dict, Spec):
        raw = path_or_dict.to_dict()
        source_path = path_or_dict.source_path
    elif isinstance(path_or_dict, dict):
        raw = _plain(path_or_dict)
    else:
        path = Path(path_or_dict)
        if not path.is_file():
            raise InputError(f"configuration file {str(path)!r} not found")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"{path}: not a TOML text file (not UTF-8)") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path}: not valid TOML: {exc}") from None
        source_path = str(path.resolve())
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if not key:
            raise InputError(f"override {dotted!r} must be 'section.key'")
        raw.setdefault(section, {})[key] = value
    return validate(raw, source_path=source_path)


def validate(raw: dict, source_path: str | None = None) -> Spec:
    """Validate a configuration dict into a :class:`Spec` (errors name the key path)."""
    if not isinstance(raw, dict):
        raise InputError("configuration must be a table of sections")
    known = set(SECTIONS) | {"materials"}
    for name in raw:
        if name not in known:
            raise InputError(f"{name}: unknown section{_hint(name, known)}; allowed: {', '.join(sorted(known))}")
    user_materials = _user_materials(raw.get("materials", {}))
    resolved = {}
    for name, schema in SECTIONS.items():
        if name not in raw:
            if schema.required:
                raise InputError(f"[{name}]: missing section; it is required ({schema.doc})")
            raw_section = {}
        else:
            raw_section = raw[name]
        if not isinstance(raw_section, dict):
            raise InputError(f"{name}: must be a table [{name}], got {raw_section!r}")
        resolved[name] = _validate_section(name, schema, raw_section)
    if "spectrum_file" in resolved["source"]:
        base = Path(source_path).parent if source_path else Path.cwd()
        src = resolved["source"]
        src["spectrum"] = read_spectrum_file(base / src.pop("spectrum_file"))
    _check_materials(resolved, user_materials)
    _check_cross(resolved)
    return Spec(resolved, user_materials, source_path)


def physics_section(**values) -> Section:
    """A validated [physics] section: the given values, defaults for the rest."""
    return Section("physics", _validate_section("physics", SECTIONS["physics"], values))


def _hint(key: str, allowed) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _validate_section(name: str, schema, raw_section: dict) -> dict:
    fields = schema.fields
    raw_section = dict(raw_section)
    for alias, key in schema.aliases.items():
        if alias in raw_section:
            if key in raw_section:
                raise InputError(f"{name}: give {key} or {alias}, not both")
            raw_section[key] = raw_section.pop(alias)
    allowed = list(fields) + list(schema.aliases)
    for key in raw_section:
        if key not in fields:
            raise InputError(f"{name}.{key}: unknown key{_hint(key, allowed)}; allowed: {', '.join(allowed)}")
    for group in schema.one_of:
        present = [k for k in group if k in raw_section]
        if len(present) != 1:
            got = f" (got {', '.join(present)})" if present else ""
            raise InputError(f"{name}: give exactly one of {', '.join(group)}{got}")
    out = {}
    for key, field in fields.items():
        path = f"{name}.{key}"
        if key in raw_section:
            out[key] = field.check(path, raw_section[key], out)
        elif field.required_when(out):
            raise InputError(f"{path}: missing; {field.describe()}")
        elif field.default is not None and field.applies(out):
            out[key] = field.default
    for key in list(out):
        if not fields[key].applies(out):
            raise InputError(f"{name}.{key}: not used with {fields[key].condition_text()}")
    return out


def _user_materials(table) -> dict:
    if not isinstance(table, dict):
        raise InputError("materials: must be a table of [materials.NAME] entries")
    out = {}
    for name, entry in table.items():
        path = f"materials.{name}"
        if not isinstance(entry, dict):
            raise InputError(f"{path}: must be a table with formula or composition, density and optionally I")
        allowed = {"formula", "composition", "density", "I"}
        for key in entry:
            if key not in allowed:
                raise InputError(f"{path}.{key}: unknown key{_hint(key, allowed)}; allowed: {', '.join(sorted(allowed))}")
        density = Field("float", unit="g/cm3", gt=0, le=30).check(f"{path}.density", entry.get("density"))
        I_eV = None
        if "I" in entry:
            I_eV = Field("float", unit="eV", ge=1, le=2000).check(f"{path}.I", entry["I"])
        try:
            if ("formula" in entry) == ("composition" in entry):
                raise InputError("give exactly one of formula or composition")
            if "formula" in entry:
                out[name] = materials.from_formula(str(entry["formula"]), density, I_eV, name=name)
            else:
                comp = entry["composition"]
                if not isinstance(comp, dict) or not comp:
                    raise InputError("composition must be a table {element = mass fraction}")
                out[name] = materials.from_mass_fractions(comp, density, I_eV, name=name)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None
    return out


def _check_materials(resolved: dict, user_materials: dict) -> None:
    def check(path, name):
        if name in user_materials:
            return
        try:
            materials.get(name)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None

    ph = resolved["phantom"]
    for key in ("material", "tissue_material", "backing_material", "medium", "applicator_material",
                "cavity_material"):
        if key in ph:
            check(f"phantom.{key}", ph[key])
    if ph.get("world") not in (None, "vacuum"):
        check("phantom.world", ph["world"])
    for key in ("layers", "shield_layers"):
        for i, layer in enumerate(ph.get(key, ())):
            check(f"phantom.{key}[{i}].material", layer["material"])
    for i, name in enumerate(n.strip() for n in ph.get("voxel_materials", "").split(",") if n.strip()):
        check(f"phantom.voxel_materials[{i}]", name)


def read_spectrum_file(path: Path) -> tuple:
    """[energy_MeV, weight] pairs from a CSV file (header lines starting with '#' or a letter are skipped)."""
    key = "source.spectrum_file"
    if not path.is_file():
        raise InputError(f"{key}: {str(path)!r} not found")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        text = line.strip()
        if not text or text[0] == "#" or text[0].isalpha():
            continue
        parts = [p for p in text.replace(";", ",").replace("\t", ",").split(",") if p.strip()]
        try:
            rows.append([float(parts[0]), float(parts[1])])
        except (ValueError, IndexError):
            raise InputError(f"{key}: {path.name} line {n}: {text!r} is not 'energy_MeV, weight'") from None
    return Field("spectrum").check(f"{key} ({path.name})", rows)


def _check_cross(resolved: dict) -> None:
    run = resolved["run"]
    if run["batches"] > run["histories"]:
        raise InputError(f"run.batches: {run['batches']} is not allowed: must be <= run.histories ({run['histories']})")
    phys, src = resolved["physics"], resolved["source"]
    energies = [src["energy"]] if "energy" in src else [e for e, _ in src.get("spectrum", ())]
    cutoff = phys["electron_cutoff"] if src["particle"] != "photon" else phys["photon_cutoff"]
    if energies and max(energies) <= cutoff:
        raise InputError(f"source.energy: {max(energies)} MeV is not above the {src['particle']} cut-off "
                         f"{cutoff} MeV (physics.{'photon' if src['particle'] == 'photon' else 'electron'}_cutoff)")
    if src["type"] == "volume":
        box = src["box"]
        for k, axis in enumerate("xyz"):
            if not box[2 * k] < box[2 * k + 1]:
                raise InputError(f"source.box: {axis}_min {box[2 * k]} must be < {axis}_max {box[2 * k + 1]} (cm)")
    sc = resolved["scoring"]
    if sc.get("estimator") == "tracklength" and src["particle"] != "photon":
        raise InputError("scoring.estimator: 'tracklength' scores photon kerma; it needs source.particle = 'photon'")


# ----------------------------------------------------------------------------------------------
# TOML output (resolved configuration, stored in result files)

def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else _toml_value(k)


def dumps_toml(data: dict) -> str:
    """Write a two-level dict (sections of scalars, arrays and inline tables) as TOML."""
    lines = []
    for section, table in data.items():
        if section == "materials":
            for name, entry in table.items():
                lines.append(f"[materials.{_key(name)}]")
                lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in entry.items()]
                lines.append("")
            continue
        lines.append(f"[{section}]")
        lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in table.items()]
        lines.append("")
    return "\n".join(lines)
