"""Configuration: TOML file or dict -> validated, immutable :class:`Spec`.

The schema (keys, types, units, ranges, defaults) is declared once in
:mod:`mcdose.schema`; this module parses, resolves and checks it. Every error
is an :class:`~mcdose.errors.InputError` whose message names the key path, the
bad value and what is allowed, e.g.
``source.energy: -3 is not allowed: MeV, must be > 0 and <= 50``.
:func:`preflight` checks what the schema cannot (the phantom, the scoring mesh
against it and the memory) before any physics; warnings go to the ``mcdose``
logger as one line ``mcdose: warning: ...`` (:func:`warn`).
"""
from __future__ import annotations

import difflib
import logging
import math
import os
import re
from pathlib import Path
from types import MappingProxyType

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from . import materials, shields, sources
from .errors import InputError
from .schema import MAX_IMPORTANCE, PARTS, PHASE_SPACE_SCORERS, SCORERS, SECTIONS, Field, _show, check_spectrum

__all__ = ["Spec", "load_config", "validate", "preflight"]

log = logging.getLogger("mcdose")
MAX_BINS = 2 ** 28                  # scoring bins: 2 GiB per float64 array over the mesh
MAX_TEXT_BYTES = 16 * 2 ** 20       # a configuration or spectrum file larger than this is not one


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

    Attributes ``run``, ``source``, ``phantom``, ``scoring``, ``physics``, ``variance_reduction`` are
    :class:`Section` views with every default filled in and every grid
    resolved to explicit edges (cm). ``materials`` maps user material names to
    :class:`~mcdose.materials.Material`. ``parts`` and ``scorers`` are tuples of :class:`Section`
    views of the [[parts]] and [[scorers]] tables, in order; ``phase_space`` of the
    [[scoring.phase_space]] tables (phase-space files). ``text`` is the resolved TOML.
    """

    __slots__ = ("run", "source", "phantom", "scoring", "physics", "variance_reduction", "materials", "parts", "scorers", "source_path",
                 "source_parts", "shields", "shield_parts", "phase_space")

    def __init__(self, sections: dict, user_materials: dict, source_path: str | None, parts=(), scorers=(),
                 source_parts=(), shields=(), shield_parts=(), phase_space=()):
        for name in SECTIONS:
            object.__setattr__(self, name, Section(name, sections[name]))
        object.__setattr__(self, "materials", MappingProxyType(dict(user_materials)))
        object.__setattr__(self, "parts", tuple(Section(f"parts[{i}]", p) for i, p in enumerate(parts)))
        object.__setattr__(self, "scorers", tuple(Section(f"scorers[{i}]", p) for i, p in enumerate(scorers)))
        object.__setattr__(self, "source_path", source_path)
        object.__setattr__(self, "source_parts",
                           tuple(Section(f"source parts[{i}]", p) for i, p in enumerate(source_parts)))
        object.__setattr__(self, "shields", tuple(Section(f"shields[{i}]", p) for i, p in enumerate(shields)))
        object.__setattr__(self, "shield_parts",
                           tuple(Section(f"shield parts[{i}]", p) for i, p in enumerate(shield_parts)))
        object.__setattr__(self, "phase_space",
                           tuple(Section(f"scoring.phase_space[{i}]", p) for i, p in enumerate(phase_space)))

    def __setattr__(self, key, value):
        raise AttributeError("Spec is immutable; use mcdose.config.validate(spec.to_dict() | changes)")

    def to_dict(self) -> dict:
        """Plain nested dict of the resolved configuration (inverse of :func:`validate`)."""
        out = {name: _plain(getattr(self, name)._data) for name in SECTIONS}
        if self.materials:
            out["materials"] = {n: _material_dict(m) for n, m in self.materials.items()}
        for key in ("parts", "scorers", "shields"):
            if getattr(self, key):
                out[key] = [_plain(p._data) for p in getattr(self, key)]
        if self.phase_space:
            out["scoring"]["phase_space"] = [_plain(p._data) for p in self.phase_space]
        return out

    @property
    def scene_parts(self) -> tuple:
        """The parts painted over the phantom: the source family's (an applicator, a probe), then the
        user's [[parts]] (which therefore paint over the family's), then the layers of the [[shields]].
        Only the user's parts and shields are written back in :attr:`text`: the family adds its own
        again from the [source] section."""
        return self.source_parts + self.parts + self.shield_parts

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
        path = existing_file(path_or_dict, "configuration file")
        try:
            raw = tomllib.loads(read_text(path))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{str(path)!r}: not valid TOML: {exc}") from None
        source_path = str(path.resolve())
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if not key:
            raise InputError(f"override {dotted!r} must be 'section.key'")
        if not isinstance(raw.setdefault(section, {}), dict):
            raise InputError(f"{_dotted(section)}: must be a table [{_dotted(section)}] (override {dotted!r})")
        raw[section][key] = value
    return validate(raw, source_path=source_path)


def existing_file(path, noun: str, key: str = "") -> Path:
    """``path`` as a Path if it is a regular file; else an InputError (prefixed ``key:``) saying it is
    missing, a directory or something else (``noun``: what it should be, e.g. "configuration file")."""
    path = Path(path)
    head = f"{key}: " if key else ""
    if path.is_dir():
        raise InputError(f"{head}{str(path)!r} is a directory, not a {noun}")
    if not path.exists():
        raise InputError(f"{head}{str(path)!r}: {noun} not found")
    if not path.is_file():
        raise InputError(f"{head}{str(path)!r} is not a regular file; a {noun} must be one")
    return path


def read_text(path: Path, key: str = "") -> str:
    """The text of a UTF-8 file (a leading byte-order mark is dropped). Binary, non-UTF-8, unreadable
    and larger than MAX_TEXT_BYTES files are refused; the message names the file, never its content."""
    head = f"{key}: " if key else ""
    try:
        if path.stat().st_size > MAX_TEXT_BYTES:
            raise InputError(f"{head}{str(path)!r}: larger than {MAX_TEXT_BYTES // 2 ** 20} MiB; not a text input")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{head}{str(path)!r}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        if b"\0" in data:
            raise UnicodeError
        return data.decode("utf-8-sig")
    except UnicodeError:
        raise InputError(f"{head}{str(path)!r}: a binary or non-UTF-8 file, not UTF-8 text") from None


def validate(raw: dict, source_path: str | None = None) -> Spec:
    """Validate a configuration dict into a :class:`Spec` (errors name the key path)."""
    if not isinstance(raw, dict):
        raise InputError("configuration must be a table of sections")
    known = set(SECTIONS) | {"materials", "parts", "scorers", "shields"}
    for name in raw:
        if name not in known:
            raise InputError(f"{_dotted(name)}: unknown section{_hint(name, known)}; "
                             f"allowed: {', '.join(sorted(known))}")
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
        if name == "scoring":
            raw_section = {k: v for k, v in raw_section.items() if k != "phase_space"}
        resolved[name] = _validate_section(name, schema, raw_section)
    sources.resolve(resolved["source"], Path(source_path).parent if source_path else Path.cwd())
    sources.check(resolved["source"])
    parts = _parts(raw.get("parts", []))
    source_parts = _parts(sources.parts(resolved["source"]), "source parts")
    shields.check_tables(raw.get("shields", []))
    shield_tables = [_validate_section(f"shields[{i}]", shields.SCHEMA, t) for i, t in enumerate(raw.get("shields", []))]
    shield_parts = _parts(shields.shield_parts(shield_tables), "shield parts")
    _check_materials(resolved, user_materials, {"source parts": source_parts, "parts": parts,
                                                "shield parts": shield_parts})
    _check_cross(resolved)
    phase_space = _phase_space(raw.get("scoring", {}).get("phase_space", []))
    return Spec(resolved, user_materials, source_path, parts, _scorers(raw.get("scorers", [])), source_parts,
                shield_tables, shield_parts, phase_space)


def physics_section(**values) -> Section:
    """A validated [physics] section: the given values, defaults for the rest."""
    return Section("physics", _validate_section("physics", SECTIONS["physics"], values))


def _hint(key: str, allowed) -> str:
    close = difflib.get_close_matches(str(key), list(allowed), n=1)
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
            raise InputError(f"{name}.{_key(key)}: unknown key{_hint(key, allowed)}; allowed: {', '.join(allowed)}")
    out = {}
    for key, field in fields.items():
        path = f"{name}.{key}"
        if key in raw_section:
            out[key] = field.check(path, raw_section[key], out)
        elif field.required_when(out):
            raise InputError(f"{path}: missing; {field.describe()}")
        elif field.applies(out) and (default := field.default_for(out)) is not None:
            out[key] = default
    for group in schema.one_of:
        if not any(fields[k].applies(out) for k in group):
            continue                      # none of the group is used with these values (their own check)
        present = [k for k in group if k in raw_section]
        if len(present) != 1:
            got = f" (got {', '.join(present)})" if present else ""
            raise InputError(f"{name}: give exactly one of {', '.join(group)}{got}")
    for key in list(out):
        if not fields[key].applies(out):
            raise InputError(f"{name}.{key}: not used with {fields[key].condition_text()}")
    return out


def _scorers(tables) -> list:
    """The [[scorers]] tables (plane scorers), each validated as a section named scorers[i]."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise InputError("scorers: must be an array of tables [[scorers]]")
    out = []
    for i, table in enumerate(tables):
        sc = _validate_section(f"scorers[{i}]", SCORERS, table)
        _check_plane(f"scorers[{i}]", sc)
        out.append(sc)
    return out


PHASE_SPACE_SUFFIXES = (".IAEAheader", ".IAEAphsp")


def _phase_space(tables) -> list:
    """The [[scoring.phase_space]] tables, each validated as scoring.phase_space[i]: a plane (z, or point
    and normal) and a file named NAME.IAEAheader or NAME.IAEAphsp (kept as the header's name), each file once."""
    label = "scoring.phase_space"
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise InputError(f"{label}: must be an array of tables [[{label}]]")
    out, files = [], {}
    for i, table in enumerate(tables):
        sc = _validate_section(f"{label}[{i}]", PHASE_SPACE_SCORERS, table)
        _check_plane(f"{label}[{i}]", sc)
        name = sc["file"]
        if not name.endswith(PHASE_SPACE_SUFFIXES) or not Path(name).stem:
            raise InputError(f"{label}[{i}].file: {name!r} is not allowed: must be NAME.IAEAheader or NAME.IAEAphsp")
        sc["file"] = str(Path(name).with_suffix(".IAEAheader"))
        if sc["file"] in files:
            raise InputError(f"{label}[{i}].file: {sc['file']!r} is written by {label}[{files[sc['file']]}] already")
        files[sc["file"]] = i
        out.append(sc)
    return out


def _check_plane(label: str, sc: dict) -> None:
    """A plane scorer's z, or point with a non-zero normal."""
    if ("normal" in sc) != ("point" in sc):
        raise InputError(f"{label}: give z, or point and normal (a general plane)")
    if "normal" in sc and not any(sc["normal"]):
        raise InputError(f"{label}.normal: {list(sc['normal'])} is not allowed: must not be all 0")


def _parts(tables, label: str = "parts") -> list:
    """The [[parts]] tables (``label``: "parts", or "source parts" for those a source family adds), each
    validated as a section named label[i], with the checks between keys."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise InputError(f"{label}: must be an array of tables [[parts]]")
    out = []
    for i, table in enumerate(tables):
        p = _validate_section(f"{label}[{i}]", PARTS, table)
        if p["shape"] in ("tube", "shell") and not p["outer_radius"] > p["inner_radius"]:
            raise InputError(f"{label}[{i}].outer_radius: {p['outer_radius']:g} is not allowed: cm, must be > "
                             f"inner_radius {p['inner_radius']:g}")
        if "z" in p and not p["z"][1] > p["z"][0]:
            raise InputError(f"{label}[{i}].z: {list(p['z'])} is not allowed: cm, must be [z_start, z_end] with "
                             "z_end > z_start")
        if "radii" in p and not max(p["radii"]) > 0:
            raise InputError(f"{label}[{i}].radii: {list(p['radii'])} is not allowed: cm, at most one may be 0")
        if "axis" in p and not any(p["axis"]):
            raise InputError(f"{label}[{i}].axis: {list(p['axis'])} is not allowed: a direction, must not be all 0")
        out.append(p)
    return out


def _user_materials(table) -> dict:
    if not isinstance(table, dict):
        raise InputError("materials: must be a table of [materials.NAME] entries")
    allowed = ("formula", "composition", "density", "I")
    fraction = Field("float", unit="a mass fraction", gt=0)
    out = {}
    for name, entry in table.items():
        path = _dotted("materials", name)
        if not isinstance(name, str) or not isinstance(entry, dict):
            raise InputError(f"{path}: must be a table with formula or composition, density and optionally I")
        for key in entry:
            if key not in allowed:
                raise InputError(f"{_dotted('materials', name, key)}: unknown key{_hint(key, allowed)}; "
                                 f"allowed: {', '.join(allowed)}")
        if ("formula" in entry) == ("composition" in entry):
            raise InputError(f"{path}: give exactly one of formula or composition")
        density = Field("float", unit="g/cm3", gt=0, le=30).check(f"{path}.density", entry.get("density"))
        I_eV = Field("float", unit="eV", ge=1, le=2000).check(f"{path}.I", entry["I"]) if "I" in entry else None
        if "formula" in entry:
            where = f"{path}.formula"
            formula = Field("str").check(where, entry["formula"])
        else:
            where, comp = f"{path}.composition", entry["composition"]
            if not isinstance(comp, dict) or not comp:
                raise InputError(f"{where}: {_show(comp)} is not allowed: must be a table {{element = mass fraction}}")
            for element, w in comp.items():
                at = _dotted("materials", name, "composition", element)
                fraction.check(at, w)
                try:
                    materials.atomic_number(element)
                except InputError as exc:
                    raise InputError(f"{at}: {exc}") from None
        try:
            out[name] = (materials.from_formula(formula, density, I_eV, name=name) if "formula" in entry
                         else materials.from_mass_fractions(comp, density, I_eV, name=name))
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    return out


def _check_materials(resolved: dict, user_materials: dict, parts: dict) -> None:
    """Every material named anywhere exists; ``parts``: {label: validated part tables}."""
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
    for i, (_, name) in enumerate(ph.get("hu_materials", ())):
        check(f"phantom.hu_materials[{i}][1]", name)
    for label, group in parts.items():
        for i, part in enumerate(group):
            if part["material"] != "vacuum":
                check(f"{label}[{i}].material", part["material"])
            elif "density" in part:
                raise InputError(f"{label}[{i}].density: not used with material = 'vacuum' (no matter)")


def read_spectrum_file(path: Path) -> tuple:
    """[energy_MeV, weight] pairs from a UTF-8 text file of rows ``energy_MeV, weight``.

    Columns are separated by commas, semicolons, tabs or spaces; blank lines and lines starting
    with '#' are skipped, and so are non-numeric (header) lines before the first row. A row of
    any other number of columns is refused: a histogram ``E_low, E_high, w`` is not read (give
    [energy, weight] lines instead, e.g. the bin centres). Messages give the line number and
    what was expected, never the file's content.
    """
    label, rows, lines = _read_pairs(path, "source.spectrum_file", "spectrum file", ("energy_MeV", "weight"))
    return check_spectrum(label, rows, lambda i, col: f"{label} line {lines[i]}, {('energy_MeV', 'weight')[col]}")


def read_angular_file(path: Path, key: str = "--angular") -> tuple:
    """[polar_angle_deg, intensity] pairs from a text file of two-column rows (as :func:`read_spectrum_file`),
    checked as ``source.angular`` is."""
    from .schema import _angular
    label, rows, _ = _read_pairs(path, key, "angular table", ("polar_angle_deg", "intensity"))
    return _angular(label, rows)


def _read_pairs(path: Path, key: str, what: str, names: tuple) -> tuple:
    """(label, rows of two numbers, their line numbers) of a two-column text file (see read_spectrum_file)."""
    path = existing_file(path, what, key)
    label = f"{key} ({path.name!r})"
    expected = ", ".join(names)
    rows, lines = [], []
    for n, line in enumerate(read_text(path, key).splitlines(), 1):
        fields = [f for f in re.split(r"[,;\s]+", line.strip()) if f]
        if not fields or fields[0].startswith("#"):
            continue
        try:
            numbers = [float(f) for f in fields]
        except ValueError:
            if not rows:
                continue  # a header
            raise InputError(f"{label} line {n}: expected two numbers {expected}") from None
        if len(numbers) != 2:
            raise InputError(f"{label} line {n}: {len(numbers)} columns; expected 2 ({expected})")
        rows.append(numbers)
        lines.append(n)
    if not rows:
        raise InputError(f"{label}: no rows of two numbers {expected}")
    return label, rows, lines


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
    sc = resolved["scoring"]
    if sc.get("estimator") == "tracklength" and src["particle"] != "photon":
        raise InputError("scoring.estimator: 'tracklength' scores photon kerma; it needs source.particle = 'photon'")
    check_mesh_size(sc, run)
    vr = resolved.get("variance_reduction") or {}
    given = [k for k in ("splitting_field_center", "splitting_field_radius") if k in vr]
    if given and (len(given) < 2 or vr.get("brems_splitting", 1) < 2):
        raise InputError(f"variance_reduction.{given[0]}: directional splitting needs splitting_field_center, "
                         "splitting_field_radius and brems_splitting > 1 together")


# ----------------------------------------------------------------------------------------------
# preflight: the scoring mesh against the phantom and the machine

def inform(message: str) -> None:
    """A line for the user, ``mcdose: MESSAGE`` (what was loaded), logged to the ``mcdose`` logger at the
    warning level so that it is printed where logging is not configured, as in the CLI."""
    log.warning("mcdose: %s", message)


def warn(message: str) -> None:
    """A warning to the user: one line ``mcdose: warning: MESSAGE`` logged to the ``mcdose`` logger
    (printed on stderr by Python's last-resort handler where logging is not configured, as in the CLI)."""
    log.warning("mcdose: warning: %s", message)


def check_mesh_size(scoring, run, memory: int | None = None) -> None:
    """Refuse a scoring mesh of more than MAX_BINS bins, or one whose run would need more than
    ``memory`` bytes. A run holds per bin at least 8 bytes for each thread's tally row and for
    about 12 working arrays (batch tally and its exact sum, running sums, masses, dose, ...)."""
    shape = [len(v) - 1 for k, v in scoring.items() if SECTIONS["scoring"].fields[k].kind == "edges"]
    bins = math.prod(shape)
    cpus = os.cpu_count() or 1
    threads = min(run["threads"] or cpus, cpus)
    need = 8 * bins * (threads + 12)
    what = (f"scoring: a mesh of {' x '.join(map(str, shape))} = {bins:,} bins needs about {_bytes(need)} of memory "
            f"(8 bytes per bin for each of {threads} thread(s) and ~12 working arrays)")
    if bins > MAX_BINS:
        raise InputError(f"{what}; at most {MAX_BINS:,} bins (2**28) are allowed")
    if memory is not None and need > memory:
        raise InputError(f"{what}; this machine has {_bytes(memory)}")


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024:
            break
        n /= 1024
    return f"{n:.3g} {unit}"


def _physical_memory() -> int | None:
    """This machine's memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _extent(box) -> str:
    return ", ".join(f"{a} {lo:g}..{hi:g}" for a, (lo, hi) in zip("xyz", box)) + " cm"


def _mesh_extent(scoring) -> str:
    r = scoring.get("r_edges")
    if scoring["mesh"] == "cartesian":
        return _extent([(scoring[f"{a}_edges"][0], scoring[f"{a}_edges"][-1]) for a in "xyz"])
    if scoring["mesh"] == "cylindrical":
        z = scoring["z_edges"]
        return f"r {r[0]:g}..{r[-1]:g} about the z axis, z {z[0]:g}..{z[-1]:g} cm"
    return f"r {r[0]:g}..{r[-1]:g} cm about ({', '.join(f'{c:g}' for c in scoring['center'])})"


def _mesh_overlap(scoring, box) -> tuple:
    """(meets, inside): whether the scoring mesh's region shares a volume with the box
    [[xmin, xmax], [ymin, ymax], [zmin, zmax]] (cm), and whether it lies inside it. Cylindrical
    meshes are about the z axis, spherical ones about scoring.center."""
    slabs = {i: scoring[f"{a}_edges"] for i, a in enumerate("xyz") if f"{a}_edges" in scoring}
    meets = all(e[0] < box[i][1] and e[-1] > box[i][0] for i, e in slabs.items())
    inside = all(box[i][0] <= e[0] and e[-1] <= box[i][1] for i, e in slabs.items())
    if scoring["mesh"] != "cartesian":
        r = scoring["r_edges"]
        c, axes = ((0.0, 0.0), (0, 1)) if scoring["mesh"] == "cylindrical" else (scoring["center"], (0, 1, 2))
        near = math.hypot(*(max(box[i][0] - c[i], 0.0, c[i] - box[i][1]) for i in axes))
        far = math.hypot(*(max(c[i] - box[i][0], box[i][1] - c[i]) for i in axes))
        meets = meets and r[0] < far and r[-1] > near
        inside = inside and all(box[i][0] <= c[i] - r[-1] and c[i] + r[-1] <= box[i][1] for i in axes)
    return meets, inside


def preflight(spec: Spec, geometry=None):
    """What a run needs beyond the schema, checked before any physics (``mcdose check``, the problem
    build): the phantom builds (its files read; skipped when ``geometry`` is given), the source starts
    in the world, the scoring mesh fits in this machine's memory and meets the matter -- the
    phantom's bounding box, or the world box when phantom.world is a material. A mesh entirely
    outside it is refused, one partly outside it warned about (:func:`warn`). Returns the geometry."""
    from . import phantoms
    from .geometry import VACUUM
    if geometry is None:
        geometry = phantoms.from_spec(spec)
    check_mesh_size(spec.scoring, spec.run, _physical_memory())
    w, boxes = geometry.world, geometry.boxes
    if geometry.world_material == VACUUM:
        box = [(max(w[i][0], min(b[i][0] for b in boxes)), min(w[i][1], max(b[i][1] for b in boxes)))
               for i in range(3)]
        matter = f"the phantom ({_extent(box)})"
    else:
        box, matter = w, f"the world of phantom.world = {geometry.world_material!r} ({_extent(w)})"
    check_importance(spec.variance_reduction.get("importance", {}), geometry.regions)
    meets, inside = _mesh_overlap(spec.scoring, box)
    mesh = f"the mesh ({_mesh_extent(spec.scoring)})"
    if not meets:
        raise InputError(f"scoring: {mesh} lies entirely outside {matter}; it would score nothing")
    if not inside:
        warn(f"scoring: {mesh} lies partly outside {matter}; its bins there score no dose")
    return geometry


def check_importance(importance: dict, regions) -> None:
    """variance_reduction.importance names only regions of the scene (the phantom and its parts; not the world,
    where nothing is transported), and its largest importance is at most MAX_IMPORTANCE times its smallest (1 for
    the regions not named): a particle crossing between them goes on as that many copies at once."""
    known = [r for r in regions if r != "world"]
    for name in importance:
        if name not in known:
            raise InputError(f"variance_reduction.importance: region {name!r} is not in the scene; its regions are "
                             + ", ".join(repr(r) for r in dict.fromkeys(known)))
    values = [*importance.values(), 1.0]
    if max(values) / min(values) > MAX_IMPORTANCE:
        raise InputError(f"variance_reduction.importance: the largest importance is {max(values) / min(values):g} "
                         f"times the smallest (1 for the regions not named); at most {MAX_IMPORTANCE:g} (a particle "
                         "crossing between them goes on as that many copies at once)")


# ----------------------------------------------------------------------------------------------
# TOML output (resolved configuration, stored in result files)

def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(float(v))
    if isinstance(v, str):
        return '"' + v.translate(_ESCAPES) + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


# TOML basic-string escapes: quote, backslash, and every control character as \uXXXX
_ESCAPES = {ord('"'): '\\"', ord("\\"): "\\\\", **{c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F)}}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(k) -> str:
    """A TOML key: bare when it may be, else a quoted basic string."""
    k = str(k)
    return k if _BARE_KEY.fullmatch(k) else _toml_value(k)


def _dotted(*keys) -> str:
    """A dotted key path for messages, each part quoted as in TOML where needed (so always one line)."""
    return ".".join(_key(k) for k in keys)


def dumps_toml(data: dict) -> str:
    """Write a two-level dict (sections of scalars, arrays and inline tables; "parts", "scorers",
    "shields": arrays of such tables) as TOML."""
    lines = []
    for section, table in data.items():
        if section in ("parts", "scorers", "shields"):
            for part in table:
                lines.append(f"[[{section}]]")
                lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in part.items()]
                lines.append("")
            continue
        if section == "materials":
            for name, entry in table.items():
                lines.append(f"[materials.{_key(name)}]")
                lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in entry.items()]
                lines.append("")
            continue
        lines.append(f"[{_key(section)}]")
        lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in table.items() if k != "phase_space"]
        lines.append("")
        for entry in table.get("phase_space", ()):        # [[scoring.phase_space]]
            lines.append(f"[[{_key(section)}.phase_space]]")
            lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in entry.items()]
            lines.append("")
    return "\n".join(lines)
