"""The configuration schema: every section, key, type, unit, range and default.

This is the single source of the configuration reference (README and
``mcdose check`` derive from it). Units: cm, g/cm³, MeV.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .errors import InputError
from .hu_ramp import (
    DEFAULT_DENSITY,
    DEFAULT_MATERIALS,
    check_density_table,
    check_material_table,
)

MAX_ENERGY_MEV = 50.0   # upper end of the physics tables
MIN_ENERGY_MEV = 0.001  # lower end of the physics tables
MAX_AXIS_BINS = 100_000  # bins of one scoring axis
MAX_IMPORTANCE = 1000.0  # geometric importance of a region ([variance_reduction] importance)


def _show(value) -> str:
    """A user's value as it appears in error messages."""
    return str(value) if isinstance(value, (list, tuple, dict)) else repr(value)


@dataclass(frozen=True)
class ByValue:
    """A default that depends on another key of the same section: ``values[section[key]]``, none for other values."""

    key: str
    values: dict

    def __call__(self, section: dict):
        return self.values.get(section.get(self.key))


@dataclass(frozen=True)
class Field:
    """One configuration key.

    kind: "int" | "float" | "str" | "bool" | "vec" | "edges" | "spectrum" | "angular" | "layers" | "planes" |
    "names" (a non-empty array of distinct strings from ``choices``) | "number_or_name" (a number in range
    or one of ``choices``) | "hu_density" | "hu_materials" (CT calibration tables, :mod:`mcdose.hu_ramp`).
    default: a value, or a :class:`ByValue`. when: conditions ((key, allowed values), ...)
    on keys of the same section under which the key applies; required: it must then
    be given, unless it has a default there.
    """

    kind: str
    default: object = None
    unit: str = ""
    doc: str = ""
    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    choices: tuple = ()
    length: object = None          # int, or (key, {value: length}) for "vec"
    when: tuple = ()
    required: bool = False

    # --- conditions -------------------------------------------------------------------------
    def applies(self, values: dict) -> bool:
        return all(values.get(k) in allowed for k, allowed in self.when)

    def default_for(self, values: dict):
        """The default given the keys already resolved in the section (None: no default)."""
        return self.default(values) if isinstance(self.default, ByValue) else self.default

    def required_when(self, values: dict) -> bool:
        return self.required and self.applies(values) and self.default_for(values) is None

    def condition_text(self) -> str:
        return " and ".join(f"{k} = {' | '.join(repr(a) for a in allowed)}" for k, allowed in self.when)

    def range_text(self) -> str:
        parts = []
        if self.gt is not None:
            parts.append(f"> {self.gt:g}")
        if self.ge is not None:
            parts.append(f">= {self.ge:g}")
        if self.le is not None:
            parts.append(f"<= {self.le:g}")
        return " and ".join(parts)

    def describe(self) -> str:
        """What is allowed, in words (used in error messages and the reference)."""
        if self.kind == "names":
            what = "an array of distinct names from " + ", ".join(repr(c) for c in self.choices)
        elif self.choices and self.kind != "number_or_name":
            what = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind in ("int", "float"):
            what = self.range_text() or ("an integer" if self.kind == "int" else "a number")
        elif self.kind == "number_or_name":
            what = f"a number {self.range_text()} or " + ", ".join(repr(c) for c in self.choices)
        elif self.kind == "vec":
            what = "an array of numbers"
        elif self.kind == "edges":
            what = "strictly increasing edges [e0, e1, ...] or a table { min, max, step }"
        elif self.kind == "spectrum":
            what = "an array of [energy_MeV, weight] pairs"
        elif self.kind == "angular":
            what = "an array of [polar_angle_deg, intensity] pairs"
        elif self.kind == "layers":
            what = "an array of { material, thickness } tables"
        elif self.kind == "hu_density":
            what = "an array of at least 2 [HU, density_g_cm3] pairs, HU strictly increasing, densities > 0 and <= 30"
        elif self.kind == "hu_materials":
            what = "an array of [HU_upper, material] pairs, HU strictly increasing"
        elif self.kind == "importance":
            what = (f"a table {{ REGION = importance, ... }} of region names and numbers {self.range_text()}")
        elif self.kind == "planes":
            what = "an array of { point = [x, y, z], normal = [nx, ny, nz] } tables"
        else:
            what = {"str": "a string", "bool": "true or false"}[self.kind]
        unit = f"{self.unit}, " if self.unit else ""
        return f"{unit}must be {what}"

    # --- checking ---------------------------------------------------------------------------
    def _bad(self, path, value, why=None):
        return InputError(f"{path}: {_show(value)} is not allowed: {why or self.describe()}")

    def _number(self, path, value, integer=False):
        unit = f"{self.unit}, " if self.unit else ""
        kind = f"{unit}must be {'an integer' if integer else 'a number'} {self.range_text()}".rstrip()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._bad(path, value, kind)
        if integer and not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise self._bad(path, value, kind)
        if not math.isfinite(value):
            raise self._bad(path, value, f"{unit}must be a finite number")
        if ((self.gt is not None and not value > self.gt) or (self.ge is not None and not value >= self.ge)
                or (self.le is not None and not value <= self.le)):
            raise self._bad(path, value)
        return int(value) if integer else float(value)

    def check(self, path: str, value, values: dict | None = None):
        """Validate and normalise one value; ``values`` are the keys already resolved in the section."""
        if value is None:
            raise InputError(f"{path}: missing; {self.describe()}")
        kind = self.kind
        if kind == "int":
            return self._number(path, value, integer=True)
        if kind == "float":
            return self._number(path, value)
        if kind == "number_or_name":
            if isinstance(value, str):
                if value not in self.choices:
                    raise self._bad(path, value)
                return value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._bad(path, value)
            return self._number(path, value)
        if kind == "bool":
            if not isinstance(value, bool):
                raise self._bad(path, value)
            return value
        if kind == "str":
            if not isinstance(value, str):
                raise self._bad(path, value)
            if self.choices and value not in self.choices:
                raise self._bad(path, value)
            if not value.strip():
                raise self._bad(path, value, "must not be empty")
            return value
        if kind == "vec":
            n = self.length
            if isinstance(n, tuple):
                n = n[1].get((values or {}).get(n[0]))
            if not isinstance(value, (list, tuple)) or (n is not None and len(value) != n) or not value:
                want = f"an array of {n} numbers" if n else "an array of numbers"
                raise self._bad(path, value, f"{self.unit + ', ' if self.unit else ''}must be {want}")
            scalar = Field("float", unit=self.unit, gt=self.gt, ge=self.ge, le=self.le)
            return tuple(scalar.check(f"{path}[{i}]", v) for i, v in enumerate(value))
        if kind == "edges":
            return _edges(self, path, value)
        if kind == "spectrum":
            return check_spectrum(path, value)
        if kind == "angular":
            return _angular(path, value)
        if kind == "layers":
            return _layers(path, value)
        if kind == "planes":
            return _planes(self, path, value)
        if kind == "hu_density":
            return check_density_table(path, value)
        if kind == "hu_materials":
            return check_material_table(path, value)
        if kind == "importance":
            if not isinstance(value, dict) or not value:
                raise self._bad(path, value)
            scalar = Field("float", ge=self.ge, le=self.le)
            return {str(k): scalar.check(f"{path}.{k}" if re.fullmatch(r"[A-Za-z0-9_-]+", str(k))
                                         else f'{path}."{k}"', v) for k, v in value.items()}
        if kind == "names":
            if (not isinstance(value, (list, tuple)) or not value or len(set(map(str, value))) != len(value)
                    or not all(isinstance(v, str) and v in self.choices for v in value)):
                raise self._bad(path, value)
            return tuple(value)
        raise AssertionError(kind)


def _edges(f: Field, path: str, value) -> tuple:
    """Bin edges (cm) from a list or a { min, max, step } table."""
    if isinstance(value, dict):
        extra = set(value) - {"min", "max", "step"}
        if extra or set(value) != {"min", "max", "step"}:
            raise InputError(f"{path}: {value} is not allowed: a grid table needs exactly min, max and step (cm)")
        num = Field("float", unit=f.unit, ge=f.ge)
        lo = num.check(f"{path}.min", value["min"])
        hi = Field("float", unit=f.unit).check(f"{path}.max", value["max"])
        step = Field("float", unit=f.unit, gt=0).check(f"{path}.step", value["step"])
        if not hi > lo:
            raise InputError(f"{path}: max {hi:g} is not allowed: must be > min {lo:g}")
        bins = (hi - lo) / step          # checked before any edge is made: may be huge or inf
        if not bins <= MAX_AXIS_BINS + 0.5:
            raise InputError(f"{path}: step {step:g} is not allowed: it makes {bins:.3g} bins from {lo:g} to {hi:g}; "
                             f"at most {MAX_AXIS_BINS} per axis")
        n = round(bins)
        if n < 1 or abs(lo + n * step - hi) > 1e-9 * max(1.0, abs(hi)):
            raise InputError(f"{path}: step {step:g} is not allowed: (max - min) must be a whole number of steps")
        return tuple(float(lo + (hi - lo) * i / n) for i in range(n + 1))
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise InputError(f"{path}: {_show(value)} is not allowed: {f.unit}, needs at least 2 edges (one bin)")
    if len(value) - 1 > MAX_AXIS_BINS:
        raise InputError(f"{path}: {len(value) - 1} bins is not allowed: at most {MAX_AXIS_BINS} per axis")
    edges = Field("vec", unit=f.unit, ge=f.ge).check(path, value)
    for i in range(1, len(edges)):
        if not edges[i] > edges[i - 1]:
            raise InputError(f"{path}: edges must increase strictly ({edges[i]:g} after {edges[i - 1]:g} at index {i})")
    return edges


def check_spectrum(path: str, value, where=None) -> tuple:
    """[energy_MeV, weight] pairs, checked; ``where(i, col)`` names element col (0, 1) of pair i in
    messages (default ``path[i][col]``)."""
    if not isinstance(value, (list, tuple)) or not value:
        raise InputError(f"{path}: {_show(value)} is not allowed: must be a non-empty array of [energy_MeV, weight] pairs")
    where = where or (lambda i, col: f"{path}[{i}][{col}]")
    energy = Field("float", unit="MeV", gt=0, le=MAX_ENERGY_MEV)
    weight = Field("float", ge=0)
    out = []
    for i, pair in enumerate(value):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise InputError(f"{path}[{i}]: {_show(pair)} is not allowed: must be [energy_MeV, weight]")
        out.append((energy.check(where(i, 0), pair[0]), weight.check(where(i, 1), pair[1])))
    total = sum(w for _, w in out)
    if not 0 < total < math.inf:
        raise InputError(f"{path}: the weights sum to {total:g}; at least one must be > 0 and their sum finite")
    return tuple(out)


def _angular(path: str, value) -> tuple:
    """[polar angle (degrees), intensity] pairs: at least two, angles strictly increasing within
    [0, 180], intensities >= 0 and not all zero."""
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise InputError(f"{path}: {_show(value)} is not allowed: must be an array of at least two "
                         "[polar_angle_deg, intensity] pairs")
    angle = Field("float", unit="degrees", ge=0, le=180)
    intensity = Field("float", ge=0)
    out = []
    for i, pair in enumerate(value):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise InputError(f"{path}[{i}]: {_show(pair)} is not allowed: must be [polar_angle_deg, intensity]")
        a, w = angle.check(f"{path}[{i}][0]", pair[0]), intensity.check(f"{path}[{i}][1]", pair[1])
        if out and not a > out[-1][0]:
            raise InputError(f"{path}[{i}][0]: {a:g} is not allowed: polar angles must increase strictly "
                             f"({a:g} after {out[-1][0]:g})")
        out.append((a, w))
    if not 0 < sum(w for _, w in out) < math.inf:
        raise InputError(f"{path}: the intensities are all zero or too large; at least one must be > 0 and their "
                         "sum finite")
    return tuple(out)


def _layers(path: str, value) -> tuple:
    if not isinstance(value, (list, tuple)) or not value:
        raise InputError(f"{path}: {_show(value)} is not allowed: must be a non-empty array of {{ material, thickness }}")
    thick = Field("float", unit="cm", gt=0, le=1000)
    out = []
    for i, layer in enumerate(value):
        p = f"{path}[{i}]"
        if not isinstance(layer, dict) or set(layer) != {"material", "thickness"}:
            raise InputError(f"{p}: {_show(layer)} is not allowed: must be {{ material = NAME, thickness = cm }}")
        out.append({"material": Field("str").check(f"{p}.material", layer["material"]),
                    "thickness": thick.check(f"{p}.thickness", layer["thickness"])})
    return tuple(out)


def _planes(f: Field, path: str, value) -> tuple:
    if not isinstance(value, (list, tuple)) or not value:
        raise InputError(f"{path}: {_show(value)} is not allowed: {f.describe()}")
    point = Field("vec", unit=f.unit, length=3)
    out = []
    for i, cut in enumerate(value):
        p = f"{path}[{i}]"
        if not isinstance(cut, dict) or set(cut) != {"point", "normal"}:
            raise InputError(f"{p}: {_show(cut)} is not allowed: must be {{ point = [x, y, z], normal = [nx, ny, nz] }}")
        normal = Field("vec", length=3).check(f"{p}.normal", cut["normal"])
        if not any(normal):
            raise InputError(f"{p}.normal: {_show(cut['normal'])} is not allowed: must not be all 0")
        out.append({"point": point.check(f"{p}.point", cut["point"]), "normal": normal})
    return tuple(out)


@dataclass(frozen=True)
class SectionSchema:
    doc: str
    fields: dict
    required: bool = True
    one_of: tuple = ()          # groups of keys of which exactly one must be given
    aliases: dict = field(default_factory=dict)  # alternative key -> key


E_RANGE = dict(unit="MeV", gt=0, le=MAX_ENERGY_MEV)

from .sources.registry import section as source_section  # noqa: E402  (after Field: the families use it)

SECTIONS = {
    "run": SectionSchema("histories, batches, seed, threads", {
        "histories": Field("int", 1_000_000, doc="primary particles", ge=1, le=1e13),
        "batches": Field("int", 20, doc="independent RNG streams, uncertainty estimate and checkpoints", ge=1, le=100_000),
        "seed": Field("int", 1, doc="master random seed", ge=0, le=2**63 - 1),
        "threads": Field("int", 0, doc="worker threads, 0 = all cores", ge=0, le=4096),
    }, required=False),
    "source": source_section(),
    "phantom": SectionSchema("the irradiated object (a phantom-library name: python -m mcdose.phantoms)", {
        "type": Field("str", "box", choices=("box", "water_box", "cylinder", "slabs", "breast_shield", "spherical_cavity",
                                              "voxels", "ct")),
        "material": Field("str", doc="material id (mcdose materials) or a [materials.NAME] entry",
                          when=(("type", ("box", "cylinder")),), required=True),
        "radius": Field("float", unit="cm", gt=0, le=500, doc="cylinder radius about the z axis",
                        when=(("type", ("cylinder",)),), required=True),
        "length": Field("float", unit="cm", gt=0, le=1000, doc="cylinder length, from z = 0",
                        when=(("type", ("cylinder",)),), required=True),
        "size": Field("vec", ByValue("type", {"water_box": (30.0, 30.0, 30.0), "breast_shield": (20.0, 20.0, 10.0),
                                              "spherical_cavity": (20.0, 20.0, 20.0)}), unit="cm", gt=0, le=1000,
                      length=("type", {"box": 3, "water_box": 3, "slabs": 2, "breast_shield": 3, "spherical_cavity": 3}),
                      doc="[x, y, z] (slabs: [x, y]); x and y centred on the axis, z from 0 downwards",
                      when=(("type", ("box", "water_box", "slabs", "breast_shield", "spherical_cavity")),), required=True),
        "layers": Field("layers", doc="slabs from z = 0 downwards", when=(("type", ("slabs",)),), required=True),
        "tissue_material": Field("str", "breast", doc="tissue over the shielding disk", when=(("type", ("breast_shield",)),)),
        "tissue_thickness": Field("float", 1.5, unit="cm", gt=0, le=100, doc="tissue between the surface and the disk",
                                  when=(("type", ("breast_shield",)),)),
        "shield_layers": Field("layers", ({"material": "pmma", "thickness": 0.7}, {"material": "copper", "thickness": 0.25}),
                               doc="the disk's layers from the tissue side down", when=(("type", ("breast_shield",)),)),
        "shield_diameter": Field("float", 6.0, unit="cm", gt=0, le=1000, doc="disk diameter", when=(("type", ("breast_shield",)),)),
        "backing_material": Field("str", "water", doc="medium around and below the disk", when=(("type", ("breast_shield",)),)),
        "medium": Field("str", "water", doc="water or tissue around the cavity", when=(("type", ("spherical_cavity",)),)),
        "applicator_diameter": Field("float", 3.0, unit="cm", gt=0, le=100, doc="outer diameter of the spherical applicator",
                                     when=(("type", ("spherical_cavity",)),)),
        "wall": Field("float", 0.2, unit="cm", gt=0, le=50, doc="applicator wall thickness", when=(("type", ("spherical_cavity",)),)),
        "applicator_material": Field("str", "polyetherimide", doc="applicator wall material", when=(("type", ("spherical_cavity",)),)),
        "cavity_material": Field("str", "air", doc="inside the applicator shell", when=(("type", ("spherical_cavity",)),)),
        "applicator_center": Field("vec", unit="cm", length=3, doc="applicator centre; absent: the point source's position, "
                                   "else the centre of the box", when=(("type", ("spherical_cavity",)),)),
        "file": Field("str", doc="voxel phantom (.npy material ids or .h5/.hdf5), relative to the config file",
                      when=(("type", ("voxels",)),), required=True),
        "density_file": Field("str", doc=".npy densities (g/cm3) per voxel; absent: each material's density",
                              when=(("type", ("voxels",)),)),
        "voxel_size": Field("vec", unit="cm", gt=0, le=100, length=3, doc="[dx, dy, dz]: voxels: of a .npy (or HDF5 "
                            "without edges); ct: resample to it (absent: the CT's own)", when=(("type", ("voxels", "ct")),)),
        "voxel_materials": Field("str", doc="comma-separated material names indexed by the voxel ids (.npy; HDF5: "
                                 "attribute 'materials')", when=(("type", ("voxels",)),)),
        "directory": Field("str", doc="folder of the DICOM CT image files (one series), relative to the config file",
                           when=(("type", ("ct",)),), required=True),
        "hu_to_density": Field("hu_density", DEFAULT_DENSITY, unit="HU, g/cm3", doc="piecewise-linear calibration; "
                               "default: DOSXYZnrc ctcreate ramp (mcdose.hu_ramp)", when=(("type", ("ct",)),)),
        "hu_materials": Field("hu_materials", DEFAULT_MATERIALS, unit="HU", doc="material of each HU bin "
                              "(upper_{i-1} < HU <= upper_i)", when=(("type", ("ct",)),)),
        "body_threshold": Field("float", -400.0, unit="HU", ge=-1000, le=1000, doc="the body: largest connected "
                                "region above it, holes closed per slice; outside it air", when=(("type", ("ct",)),)),
        "crop": Field("vec", unit="cm", length=6, doc="[xmin, xmax, ymin, ymax, zmin, zmax] in the CT's coordinates: "
                      "the voxels whose centres lie inside", when=(("type", ("ct",)),)),
        "world": Field("str", "vacuum", doc="medium around the phantom: 'vacuum' or a material id"),
        "world_margin": Field("float", 5.0, unit="cm", ge=0, le=1000, doc="the world box: the phantom's box grown by this"),
    }),
    "scoring": SectionSchema("the dose mesh", {
        "mesh": Field("str", "cartesian", choices=("cartesian", "cylindrical", "spherical")),
        "x_edges": Field("edges", unit="cm", when=(("mesh", ("cartesian",)),), required=True),
        "y_edges": Field("edges", unit="cm", when=(("mesh", ("cartesian",)),), required=True),
        "z_edges": Field("edges", unit="cm", when=(("mesh", ("cartesian", "cylindrical")),), required=True),
        "r_edges": Field("edges", unit="cm", ge=0, when=(("mesh", ("cylindrical", "spherical")),), required=True),
        "center": Field("vec", (0.0, 0.0, 0.0), unit="cm", length=3, when=(("mesh", ("spherical",)),)),
        "estimator": Field("str", "analog", choices=("analog", "tracklength")),
    }, aliases={"x": "x_edges", "y": "y_edges", "z": "z_edges", "r": "r_edges"}),
    "physics": SectionSchema("transport cut-offs and thresholds", {
        "electron_cutoff": Field("float", 0.010, unit="MeV", doc="kinetic energy below which electrons deposit locally", ge=0.001, le=1.0),
        "photon_cutoff": Field("float", 0.001, unit="MeV", ge=0.001, le=1.0),
        "delta_threshold": Field("float", 0.010, unit="MeV", doc="Moller/Bhabha production threshold (kinetic)", ge=0.001, le=1.0),
        "brems_threshold": Field("float", 0.010, unit="MeV", doc="bremsstrahlung photon production threshold (above the "
                                 "source energy: all radiative loss continuous and local)", ge=0.001, le=50.0),
        "electrons": Field("str", "transport", choices=("transport", "local"), doc="'local' = kerma approximation"),
        "woodcock": Field("bool", True, doc="Woodcock (delta) tracking of photons in voxel lattices (analog scoring)"),
        "max_step_loss": Field("float", 0.25, doc="largest fractional energy loss of one electron step",
                               gt=0, le=0.5),
        "max_step_scatter": Field("float", 0.2, doc="largest first GS moment of one electron step (step / transport "
                                  "mean free path)", gt=0, le=0.5),
        "range_rejection": Field("bool", True, doc="electrons whose residual range cannot take them out of their "
                                 "region and scoring bin (or into the mesh, or to a plane scorer) deposit on the spot"),
        "multiple_scattering": Field("bool", True, doc="multiple elastic scattering of electrons (off: verification only)"),
        "discrete_events": Field("bool", True, doc="discrete delta rays, bremsstrahlung and annihilation in flight "
                                 "(off: unrestricted stopping powers, verification only)"),
        "spin": Field("bool", True, doc="spin (Mott) correction of elastic scattering (off: screened Rutherford, "
                      "as EGSnrc with spin effects off)"),
    }, required=False),
    "variance_reduction": SectionSchema("weight-correct variance reduction (dose unbiased: the analog run's mean)", {
        "brems_splitting": Field("int", 1, ge=1, le=1000, doc="photons each bremsstrahlung event is split into, "
                                 "each of 1/N the weight (1 = off); for every electron and positron"),
        "splitting_field_center": Field("vec", unit="cm", length=3, doc="directional splitting: the centre of the "
                                        "sphere of interest; split photons not aimed at it survive with probability "
                                        "1/N at N times the weight (needs brems_splitting > 1)"),
        "splitting_field_radius": Field("float", unit="cm", gt=0, le=1000, doc="directional splitting: the sphere's "
                                        "radius (absent: uniform splitting)"),
        "brems_enhancement": Field("float", 1.0, ge=1, le=1e5, doc="bremsstrahlung cross-section enhancement (BCSE): "
                                   "f times the discrete bremsstrahlung events, each photon of 1/f the weight, the "
                                   "electron losing its energy with probability 1/f (1 = off); for every electron and "
                                   "positron"),
        "russian_roulette": Field("bool", True, doc="charged particles lighter than the source's weight (those set "
                                  "in motion by split or enhanced photons) survive with probability weight / source "
                                  "weight and carry the source weight"),
        "photon_roulette": Field("float", 0.0, ge=0, le=1, doc="photons lighter than this fraction of the source's "
                                 "weight survive with probability weight / (fraction x source weight) and carry that "
                                 "weight (0 = off)"),
        "importance": Field("importance", ge=1 / MAX_IMPORTANCE, le=MAX_IMPORTANCE, doc="geometric splitting: { REGION = I, ... } "
                            "for regions (\"phantom\", a part's name, a source family's part such as \"applicator "
                            "inside\") of importance I (others 1); a particle entering a region of k times its "
                            "region's importance goes on as k copies of 1/k the weight, of 1/k the importance "
                            "survives Russian roulette with probability 1/k at k times the weight"),
    }, required=False),
}

AXIAL = ("cylinder", "tube", "cone")
PARTS = SectionSchema("[[parts]]: solids placed over the phantom, each replacing what lies under it, in order", {
    "shape": Field("str", choices=("box", "cylinder", "tube", "sphere", "shell", "cone"), required=True),
    "material": Field("str", doc="material id (mcdose materials), a [materials.NAME] entry or 'vacuum'", required=True),
    "name": Field("str", doc="for messages; default parts[i]"),
    "density": Field("float", unit="g/cm3", gt=0, le=30, doc="overrides the material's"),
    "radius": Field("float", unit="cm", gt=0, le=500, when=(("shape", ("cylinder", "sphere")),), required=True),
    "inner_radius": Field("float", unit="cm", gt=0, le=500, when=(("shape", ("tube", "shell")),), required=True),
    "outer_radius": Field("float", unit="cm", gt=0, le=500, doc="> inner_radius", when=(("shape", ("tube", "shell")),),
                          required=True),
    "size": Field("vec", unit="cm", gt=0, le=1000, length=3, doc="[x, y, z] centred on center",
                  when=(("shape", ("box",)),), required=True),
    "radii": Field("vec", unit="cm", ge=0, le=500, length=2, doc="[r_start, r_end] at z[0], z[1] (one may be 0)",
                   when=(("shape", ("cone",)),), required=True),
    "z": Field("vec", unit="cm", length=2, doc="[z_start, z_end] along the axis from center, increasing",
               when=(("shape", AXIAL),), required=True),
    "center": Field("vec", (0.0, 0.0, 0.0), unit="cm", length=3, doc="where the part's origin is placed"),
    "axis": Field("vec", (0.0, 0.0, 1.0), length=3, doc="direction of the part's local z axis",
                  when=(("shape", ("box",) + AXIAL),)),
    "clip": Field("planes", unit="cm", doc="keeps the points x with (x - point) . normal <= 0"),
    "max_step": Field("float", unit="cm", gt=0, le=1000,
                      doc="longest charged-particle step inside the part; default a tenth of the part's smallest "
                          "bounding-box extent (thin windows and foils need steps shorter than their thickness)"),
}, required=False)

SCORERS = SectionSchema("[[scorers]]: plane scorers recording the particles that cross a plane", {
    "type": Field("str", "plane", choices=("plane",)),
    "name": Field("str", doc="for the result; default scorers[i]"),
    "z": Field("float", unit="cm", doc="the plane z = this (normal +z)"),
    "point": Field("vec", unit="cm", length=3, doc="a point of a general plane (with normal; instead of z)"),
    "normal": Field("vec", length=3, doc="normal of a general plane (with point)"),
    "particles": Field("names", ("photon", "electron", "positron"), choices=("photon", "electron", "positron"),
                       doc="the kinds recorded"),
    "max_records": Field("int", 100_000, ge=1, le=10_000_000, doc="records kept per batch (13 numbers each); "
                         "more are dropped and counted"),
}, required=False, one_of=(("z", "point"),))

PHASE_SPACE_SCORERS = SectionSchema("[[scoring.phase_space]]: IAEA phase-space files of the particles crossing a plane", {
    "name": Field("str", doc="for messages; default scoring.phase_space[i]"),
    "z": Field("float", unit="cm", doc="the plane z = this (normal +z; z is a constant of the file)"),
    "point": Field("vec", unit="cm", length=3, doc="a point of a general plane (with normal; instead of z)"),
    "normal": Field("vec", length=3, doc="normal of a general plane (with point): particles crossing it either way"),
    "file": Field("str", doc="NAME.IAEAheader (NAME.IAEAphsp is written beside it), relative to the output "
                  "file's folder", required=True),
    "particles": Field("names", ("photon", "electron", "positron"), choices=("photon", "electron", "positron"),
                       doc="the kinds recorded"),
    "min_energy": Field("float", 0.0, unit="MeV", ge=0, le=MAX_ENERGY_MEV, doc="least kinetic energy recorded"),
}, required=False, one_of=(("z", "point"),))
