"""Run results and their HDF5 file (docs/architecture.md).

File layout (schema version 1; readers need nothing from mcdose)::

    /dose               float64, mesh shape: Gy per source particle
    /uncertainty        float64, mesh shape: relative 1-sigma (0 where dose is 0)
    /energy_deposited   float64, mesh shape: MeV per source particle
    /grid               group, attribute kind = "cartesian" | "cylindrical" | "spherical"
        x_edges, y_edges, z_edges | r_edges, z_edges | r_edges   (cm); center (spherical, cm)
    /batch_dose         float32, (G, *mesh shape), optional: dose of each of G >= 2 equal groups of consecutive
                        batches, Gy per source particle (metric uncertainties by the jackknife; mcdose.runner)
    /materials          array of material names (UTF-8)
    /regions            group (absent in older files): the per-region tally, one entry per region
        name (UTF-8: "phantom", each part, "world"), energy_MeV_per_particle, dose_Gy_per_particle,
        uncertainty (relative 1-sigma), mass_g, mass_uncertainty (relative 1-sigma)
    root attributes     format = "mcdose-result", schema_version, mcdose_version, config (TOML text),
                        seed, histories, batches, batches_requested, elapsed_seconds, lost_particles,
                        uncertainty_method, electron_transport, stopped_by (interrupted runs),
                        energy_*_MeV_per_particle, physics_* settings, phase_space_records and
                        phase_space_dropped (runs with plane scorers; the records stay in memory,
                        Result.phase_space), uncertainty_goal, uncertainty_goal_at, uncertainty_reached,
                        uncertainty_goal_met (runs to an uncertainty goal), ct_frame_of_reference_uid,
                        ct_study_instance_uid, ct_series_instance_uid, ct_patient_id, ct_patient_name (a ct
                        phantom: the DICOM identifiers of its CT series) (types and ranges: ROOT_ATTRS)

Files are written atomically (:func:`mcdose.outputs.atomic_write`), so a crash
never leaves a half-written file that looks complete.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from .ct_series import IDENTIFIERS
from .errors import InputError, ResultFileError
from .outputs import atomic_write, check_output
from .schema import SECTIONS

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FORMAT = "mcdose-result"
SCHEMA_VERSION = 1
GRID_AXES = {"cartesian": ("x_edges", "y_edges", "z_edges"),
             "cylindrical": ("r_edges", "z_edges"),
             "spherical": ("r_edges",)}


@dataclass(frozen=True)
class Grid:
    """A scoring mesh: kind and bin edges (cm); ``center`` (cm) for spherical meshes."""

    kind: str
    edges: dict
    center: tuple = (0.0, 0.0, 0.0)

    def __post_init__(self):
        if self.kind not in GRID_AXES:
            raise InputError(f"grid kind {self.kind!r} is not allowed: one of {', '.join(GRID_AXES)}")
        names = GRID_AXES[self.kind]
        if set(self.edges) != set(names):
            raise InputError(f"{self.kind} grid needs edges {', '.join(names)}, got {', '.join(self.edges)}")
        clean = {}
        for name in names:
            e = np.asarray(self.edges[name], dtype=np.float64)
            if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or not np.all(np.diff(e) > 0):
                raise InputError(f"grid {name}: needs at least 2 finite, strictly increasing edges (cm)")
            if name == "r_edges" and e[0] < 0:
                raise InputError(f"grid r_edges: radii must be >= 0 (got {e[0]:g} cm)")
            e.setflags(write=False)
            clean[name] = e
        center = tuple(float(c) for c in self.center)
        if len(center) != 3 or not all(map(math.isfinite, center)):
            raise InputError("grid center: needs 3 finite coordinates (cm)")
        object.__setattr__(self, "edges", clean)
        object.__setattr__(self, "center", center)

    @classmethod
    def from_scoring(cls, scoring) -> "Grid":
        """The grid of a validated ``[scoring]`` section."""
        names = GRID_AXES[scoring["mesh"]]
        return cls(scoring["mesh"], {n: scoring[n] for n in names}, scoring.get("center", (0.0, 0.0, 0.0)))

    @property
    def shape(self) -> tuple:
        return tuple(self.edges[n].size - 1 for n in GRID_AXES[self.kind])

    def centers(self, name: str) -> np.ndarray:
        """Bin centres along one axis, cm."""
        e = self.edges[name]
        return 0.5 * (e[1:] + e[:-1])

    def volumes(self) -> np.ndarray:
        """Geometric bin volumes, cm³ (mesh shape)."""
        if self.kind == "cartesian":
            dx, dy, dz = (np.diff(self.edges[n]) for n in GRID_AXES["cartesian"])
            return dx[:, None, None] * dy[None, :, None] * dz[None, None, :]
        r = self.edges["r_edges"]
        if self.kind == "cylindrical":
            return np.pi * np.diff(r ** 2)[:, None] * np.diff(self.edges["z_edges"])[None, :]
        return 4.0 / 3.0 * np.pi * np.diff(r ** 3)

    def describe(self) -> str:
        parts = [f"{n[0]}: {self.edges[n].size - 1} bins {self.edges[n][0]:g}..{self.edges[n][-1]:g} cm"
                 for n in GRID_AXES[self.kind]]
        extra = f", centre {self.center} cm" if self.kind == "spherical" else ""
        return f"{self.kind} " + "; ".join(parts) + extra


@dataclass(frozen=True)
class DepthDose:
    """A depth-dose (axis "z") or radial-dose (axis "r") curve: positions (cm), dose and its absolute
    1-sigma uncertainty (Gy per source particle).

    batches: (G, n) the same curve from each of G independent batch groups (None without batch groups);
    particle: the source's primary particle, None when unknown or mixed; interfaces: the material boundaries
    (mcdose.analysis.curves.Interface) on the z axis within the mesh, None when the geometry was not rebuilt;
    radius_cm: averaging radius about the axis (None for a radial dose).
    """

    position_cm: np.ndarray
    dose: np.ndarray
    sigma: np.ndarray
    axis: str
    batches: np.ndarray | None = None
    particle: str | None = None
    interfaces: tuple | None = None
    radius_cm: float | None = None

    def metrics(self):
        """Electron-beam metrics (dmax, R90, R80, R50, Rp, Ds, Dx), or InputError saying why they are withheld:
        mcdose.analysis.depth_dose.depth_dose_metrics."""
        from .analysis.depth_dose import depth_dose_metrics
        return depth_dose_metrics(self)


@dataclass(frozen=True)
class Profile:
    """A lateral dose profile at a depth: positions (cm, off-axis along `axis`), dose and its absolute 1-sigma
    (Gy per source particle); `depth_cm` the depth it was taken at; batches (G, n) per batch group or None;
    mirrored: a cylindrical mesh's radial profile mirrored onto -r..r (symmetric by construction)."""

    position_cm: np.ndarray
    dose: np.ndarray
    sigma: np.ndarray
    axis: str
    depth_cm: float
    batches: np.ndarray | None = None
    mirrored: bool = False

    def metrics(self, normalise_at: float = 0.0):
        """Field size, penumbrae, flatness, symmetry (mcdose.analysis.profile_metrics)."""
        from .analysis import profile_metrics
        return profile_metrics(self.position_cm, self.dose, normalise_at, uncertainty=self.sigma,
                               batches=self.batches, mirrored=self.mirrored)


def _interpolate_depth(z_centres, depth, dose, sigma=None):
    """Values on the last axis linearly interpolated between bin centres at `depth` (cm), held constant from the
    first/last centre to the mesh edge: dose, or (dose, sigma) with sigma combining the two bins' as
    independent."""
    if z_centres.size == 1:
        j, w = 0, 0.0
    else:
        j = int(np.clip(np.searchsorted(z_centres, depth) - 1, 0, z_centres.size - 2))
        w = float(np.clip((depth - z_centres[j]) / (z_centres[j + 1] - z_centres[j]), 0.0, 1.0))
    k = min(j + 1, z_centres.size - 1)
    d = (1 - w) * dose[..., j] + w * dose[..., k]
    return d if sigma is None else (d, np.hypot((1 - w) * sigma[..., j], w * sigma[..., k]))


#: /regions datasets: Regions attribute -> dataset name
REGION_DATASETS = {"energy": "energy_MeV_per_particle", "dose": "dose_Gy_per_particle", "uncertainty": "uncertainty",
                   "mass": "mass_g", "mass_uncertainty": "mass_uncertainty"}


@dataclass
class Regions:
    """The per-region tally: region names (the phantom, each part, the world), energy scored in each (MeV
    per source particle, with the mesh's estimator), dose (Gy per source particle, energy / mass; 0 where
    there is no mass, e.g. a vacuum part), uncertainty of both (relative 1-sigma, batch method), mass (g)
    and its relative 1-sigma uncertainty (Monte Carlo integration, :func:`mcdose.mesh.region_masses`)."""

    name: tuple
    energy: np.ndarray
    dose: np.ndarray
    uncertainty: np.ndarray
    mass: np.ndarray
    mass_uncertainty: np.ndarray

    def __post_init__(self):
        self.name = tuple(self.name)
        if not all(isinstance(n, str) and n.isprintable() for n in self.name):
            raise InputError("result regions name: must be printable one-line names")
        for key in REGION_DATASETS:
            arr = np.asarray(getattr(self, key), dtype=np.float64)
            if arr.shape != (len(self.name),):
                raise InputError(f"result regions {key}: shape {arr.shape} does not match the {len(self.name)} names")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise InputError(f"result regions {key}: contains NaN, infinite or negative values")
            setattr(self, key, arr)


#: Columns of the plane scorers' records: batch, history (in the batch), sequence (crossing number in the
#: history), scorer (index into PhaseSpace.name), position (cm), direction, kinetic energy (MeV), weight,
#: kind (0 photon, 1 electron, 2 positron: mcdose.kernels.codes)
PHASE_SPACE_COLUMNS = ("batch", "history", "sequence", "scorer", "x", "y", "z", "u", "v", "w", "energy", "weight",
                       "kind")


@dataclass
class PhaseSpace:
    """The plane scorers' records of a run: scorer names, records (float64 rows of
    :data:`PHASE_SPACE_COLUMNS`, sorted by batch, history and sequence: the same bits for any thread count
    while none is dropped) and the number dropped for want of buffer (scorers.max_records). Kept in memory;
    the result file holds only the counts (attributes phase_space_records, phase_space_dropped)."""

    name: tuple
    records: np.ndarray
    dropped: int = 0

    def column(self, key: str) -> np.ndarray:
        """One column of the records by name (:data:`PHASE_SPACE_COLUMNS`)."""
        return self.records[:, PHASE_SPACE_COLUMNS.index(key)]


@dataclass
class Result:
    """Dose on a scoring mesh, per source particle.

    dose: Gy per source particle; uncertainty: relative 1-sigma (same shape);
    energy_deposited: MeV per source particle; grid: :class:`Grid`;
    metadata: provenance (mcdose_version, config, seed, histories, batches,
    elapsed_seconds, lost_particles, physics settings); regions: the per-region
    tally (:class:`Regions`; None in files written before it existed); phase_space: the
    plane scorers' records (:class:`PhaseSpace`; in memory only, None after :func:`load`);
    batch_dose: (G, *mesh) float32 dose of G equal batch groups, Gy per source particle, or None.
    """

    dose: np.ndarray
    uncertainty: np.ndarray
    energy_deposited: np.ndarray
    grid: Grid
    materials: tuple = ()
    metadata: dict = field(default_factory=dict)
    regions: Regions | None = None
    phase_space: PhaseSpace | None = None
    batch_dose: np.ndarray | None = None
    _interfaces: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        shape = self.grid.shape
        for name in ("dose", "uncertainty", "energy_deposited"):
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if arr.shape != shape:
                raise InputError(f"result {name}: shape {arr.shape} does not match the grid {shape}")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise InputError(f"result {name}: contains NaN, infinite or negative values")
            setattr(self, name, arr)
        if self.batch_dose is not None:
            arr = np.asarray(self.batch_dose, dtype=np.float32)
            if arr.ndim != len(shape) + 1 or arr.shape[1:] != shape or arr.shape[0] < 2:
                raise InputError(f"result batch_dose: shape {arr.shape} must be (groups >= 2, {', '.join(map(str, shape))})")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise InputError("result batch_dose: contains NaN, infinite or negative values")
            self.batch_dose = arr

    def save(self, path, force: bool = False) -> Path:
        """Write the HDF5 file atomically; refuse to overwrite an existing file unless ``force``."""
        def write(tmp):
            with h5py.File(tmp, "w") as f:
                self._write(f)
        return atomic_write(check_output(path, force), write)

    def _write(self, f: h5py.File) -> None:
        f.attrs["format"] = FORMAT
        f.attrs["schema_version"] = SCHEMA_VERSION
        for key, value in self.metadata.items():
            f.attrs[key] = value
        f.create_dataset("dose", data=self.dose)
        f.create_dataset("uncertainty", data=self.uncertainty)
        f.create_dataset("energy_deposited", data=self.energy_deposited)
        g = f.create_group("grid")
        g.attrs["kind"] = self.grid.kind
        for name, edges in self.grid.edges.items():
            g.create_dataset(name, data=edges)
        if self.grid.kind == "spherical":
            g.create_dataset("center", data=np.asarray(self.grid.center))
        f.create_dataset("materials", data=np.array(self.materials, dtype=h5py.string_dtype()))
        if self.batch_dose is not None:
            f.create_dataset("batch_dose", data=self.batch_dose, compression="gzip", compression_opts=1, shuffle=True,
                             chunks=(1,) + self.batch_dose.shape[1:])
        if self.regions is not None:
            g = f.create_group("regions")
            g.create_dataset("name", data=np.array(self.regions.name, dtype=h5py.string_dtype()))
            for key, name in REGION_DATASETS.items():
                g.create_dataset(name, data=getattr(self.regions, key))

    def pdd(self, radius: float = 1.0) -> "DepthDose":
        """Central-axis depth dose: the volume-weighted mean over the bins within ``radius`` cm of the
        z axis (Cartesian: bin centres; cylindrical: bins whose outer radius is <= radius, at least the
        first), or the radial dose of a spherical mesh. Gy per source particle, absolute 1-sigma; with the
        batch groups' curves, the source particle and the material interfaces on the axis (DepthDose)."""
        g = self.grid
        particle = self._source_particle()
        if g.kind == "spherical":
            r = g.edges["r_edges"]
            return DepthDose(g.centers("r_edges"), self.dose.copy(), self.dose * self.uncertainty, "r",
                             batches=self.batch_dose, particle=particle,
                             interfaces=self.interfaces(g.center, (1.0, 0.0, 0.0), r[0], r[-1]))
        volumes = g.volumes()
        if g.kind == "cartesian":
            xc, yc = g.centers("x_edges"), g.centers("y_edges")
            inside = (xc[:, None] ** 2 + yc[None, :] ** 2) <= radius ** 2
            if not inside.any():
                raise InputError(f"pdd radius {radius:g} cm: no bin centre of the mesh lies within it")
            w = volumes * inside[:, :, None]
        else:
            r_hi = g.edges["r_edges"][1:]
            inside = r_hi <= radius + 1e-12
            inside[0] = True
            w = volumes * inside[:, None]
        axes = tuple(range(w.ndim - 1))
        total = w.sum(axis=axes)
        dose = (w * self.dose).sum(axis=axes) / total
        sigma = np.sqrt(((w * self.dose * self.uncertainty) ** 2).sum(axis=axes)) / total
        batches = None
        if self.batch_dose is not None:
            batches = (w[None] * self.batch_dose).sum(axis=tuple(a + 1 for a in axes)) / total
        z = g.edges["z_edges"]
        return DepthDose(g.centers("z_edges"), dose, sigma, "z", batches=batches, particle=particle,
                         interfaces=self.interfaces((0.0, 0.0, 0.0), (0.0, 0.0, 1.0), z[0], z[-1]),
                         radius_cm=float(radius))

    def _source_particle(self) -> str | None:
        """The primary particle of the stored configuration's source; None when unknown or a phase space
        (which may hold any mixture)."""
        from .analysis.run_info import result_config
        source = (result_config(self) or {}).get("source", {})
        return None if source.get("type") == "phase_space" else source.get("particle")

    def interfaces(self, origin, direction, t_min: float, t_max: float) -> tuple | None:
        """Material interfaces on the ray origin + t direction, t_min <= t <= t_max (cm), of the geometry rebuilt
        from the stored configuration (mcdose.axis_media); None when it cannot be rebuilt. Cached."""
        key = (tuple(map(float, origin)), tuple(map(float, direction)), float(t_min), float(t_max))
        if key not in self._interfaces:
            from .axis_media import ray_interfaces, result_geometry
            try:
                geometry = result_geometry(self)
            except (InputError, OSError, ValueError):
                geometry = None
            self._interfaces[key] = None if geometry is None else ray_interfaces(geometry, *key)
        return self._interfaces[key]

    def profile(self, axis: str = "x", depth: float = 1.0, offset: float = 0.0) -> Profile:
        """Lateral profile at ``depth`` cm (interpolated between bin centres in z).

        Cartesian: along ``axis`` "x" or "y", through the row of bins containing ``offset`` cm on the other
        lateral axis. Cylindrical: the radial dose mirrored onto -r..r (any ``axis`` of "x", "y", "r").
        Gy per source particle, absolute 1-sigma.
        """
        g = self.grid
        if g.kind == "spherical":
            raise InputError("profile needs a Cartesian or cylindrical mesh (a spherical one has only r: use pdd())")
        z = g.edges["z_edges"]
        if not z[0] <= depth <= z[-1]:
            raise InputError(f"profile depth {depth:g} cm outside the mesh (z {z[0]:g}..{z[-1]:g} cm)")
        sigma = self.dose * self.uncertainty
        zc = g.centers("z_edges")
        groups = self.batch_dose
        if g.kind == "cylindrical":
            if axis not in ("x", "y", "r"):
                raise InputError(f"profile axis {axis!r}: one of x, y, r for a cylindrical mesh")
            d, s = _interpolate_depth(zc, depth, self.dose, sigma)
            b = None if groups is None else _interpolate_depth(zc, depth, groups)
            mirror = (lambda a: np.concatenate([a[..., ::-1], a], axis=-1))
            rc = g.centers("r_edges")
            return Profile(np.concatenate([-rc[::-1], rc]), mirror(d), mirror(s), axis, float(depth),
                           batches=None if b is None else mirror(b), mirrored=True)
        if axis not in ("x", "y"):
            raise InputError(f"profile axis {axis!r}: one of x, y for a Cartesian mesh")
        other = "y_edges" if axis == "x" else "x_edges"
        e = g.edges[other]
        if not e[0] <= offset <= e[-1]:
            raise InputError(f"profile offset {offset:g} cm outside the mesh ({other[0]} {e[0]:g}..{e[-1]:g} cm)")
        k = int(np.clip(np.searchsorted(e, offset, side="right") - 1, 0, e.size - 2))
        take = (slice(None), k) if axis == "x" else (k, slice(None))
        d, s = _interpolate_depth(zc, depth, self.dose[take], sigma[take])
        b = None if groups is None else _interpolate_depth(zc, depth, groups[(slice(None),) + take])
        return Profile(g.centers(f"{axis}_edges"), d, s, axis, float(depth), batches=b)

    def max_dose(self) -> tuple:
        """(dose maximum in Gy/particle, its relative uncertainty, its index)."""
        idx = np.unravel_index(int(np.argmax(self.dose)), self.dose.shape)
        return float(self.dose[idx]), float(self.uncertainty[idx]), tuple(int(i) for i in idx)


def load(path) -> Result:
    """Read a result file and validate all of it: format and schema version, every root attribute's type and
    range (:data:`ROOT_ATTRS`), every dataset's kind, dtype, shape and values. ResultFileError names the file
    and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ResultFileError(f"result file {str(path)!r} not found")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise ResultFileError(f"{path}: not a readable HDF5 file (truncated or not HDF5)") from None
    with f:
        raw = {key: read_attr(f.attrs, key) for key in f.attrs}
        if plain_attr(raw.get("format")) != FORMAT:
            raise ResultFileError(f"{path}: not an mcdose result file (no format = {FORMAT!r} attribute)")
        version = plain_attr(raw.get("schema_version"))
        if type(version) is int and version > SCHEMA_VERSION:
            raise ResultFileError(f"{path}: schema version {version} is newer than this mcdose reads "
                                  f"({SCHEMA_VERSION}); upgrade mcdose")
        if "schema_version" not in raw:
            raise ResultFileError(f"{path}: no schema_version attribute")
        metadata = {key: _checked_attr(path, key, value) for key, value in raw.items()}
        if metadata.get("batches_requested", np.inf) < metadata.get("batches", 0):
            raise ResultFileError(f"{path}: attribute 'batches_requested' ({metadata['batches_requested']}) "
                                  f"must be >= batches ({metadata['batches']})")
        for key in ("format", "schema_version"):
            del metadata[key]
        g = _member(path, f, "grid", h5py.Group)
        kind = plain_attr(read_attr(g.attrs, "kind"))
        if kind not in GRID_AXES:
            raise ResultFileError(f"{path}: /grid attribute 'kind' must be one of {', '.join(GRID_AXES)}")
        edges = {n: _dataset(path, g, n) for n in GRID_AXES[kind]}
        center = tuple(_dataset(path, g, "center", shape=(3,))) if "center" in g else (0.0, 0.0, 0.0)
        try:
            grid = Grid(kind, edges, center)
        except InputError as exc:
            raise ResultFileError(f"{path}: {exc}") from None
        arrays = {n: _dataset(path, f, n, shape=grid.shape) for n in ("dose", "uncertainty", "energy_deposited")}
        names = tuple(str(s) for s in _dataset(path, f, "materials", text=True))
        if not all(s.isprintable() for s in names):
            raise ResultFileError(f"{path}: /materials must be printable one-line names")
        batch_dose = None
        if "batch_dose" in f:
            ds = _member(path, f, "batch_dose", h5py.Dataset)
            batch_dose = _dataset(path, f, "batch_dose", shape=(ds.shape[0] if ds.ndim else 0,) + grid.shape)
        regions = None
        if "regions" in f:
            g = _member(path, f, "regions", h5py.Group)
            region_names = tuple(str(s) for s in _dataset(path, g, "name", text=True))
            values = {key: _dataset(path, g, name, shape=(len(region_names),)) for key, name in REGION_DATASETS.items()}
            try:
                regions = Regions(region_names, **values)
            except InputError as exc:
                raise ResultFileError(f"{path}: {exc}") from None
    try:
        return Result(grid=grid, materials=names, metadata=metadata, regions=regions, batch_dose=batch_dose, **arrays)
    except InputError as exc:
        raise ResultFileError(f"{path}: {exc}") from None


_RUN = SECTIONS["run"].fields
#: Known root attributes: name -> (kind, lowest, highest allowed). Kinds: see _KINDS; ``config`` (text) must
#: also parse as TOML. Others: ``energy_*_MeV_per_particle`` finite numbers, anything else (``physics_*``
#: settings, unknown extras) a plain scalar.
ROOT_ATTRS = {
    "format": ("str", None, None),
    "schema_version": ("int", 1, None),
    "mcdose_version": ("str", None, None),
    "config": ("text", None, None),
    "run_digest": ("str", None, None),
    "seed": ("int", _RUN["seed"].ge, _RUN["seed"].le),
    "histories": ("int", 1, int(_RUN["histories"].le)),
    "batches": ("int", 1, int(_RUN["batches"].le)),
    "batches_requested": ("int", 1, int(_RUN["batches"].le)),
    "elapsed_seconds": ("float", 0.0, None),
    "lost_particles": ("int", 0, None),
    "uncertainty_method": ("str", None, None),
    "electron_transport": ("str", None, None),
    "stopped_by": ("str", None, None),
    "phase_space_records": ("int", 0, None),
    "phase_space_dropped": ("int", 0, None),
    "uncertainty_goal": ("float", 0.0, 1.0),
    "uncertainty_goal_at": ("str", None, None),
    "uncertainty_reached": ("float", 0.0, None),
    "uncertainty_goal_met": ("scalar", None, None),
    **{f"ct_{k}": ("str", None, None) for k in IDENTIFIERS},
}
_KINDS = {  # kind: (what is allowed, test of the plain value)
    "text": ("a UTF-8 string", lambda v: isinstance(v, str)),
    "str": ("a one-line printable UTF-8 string", lambda v: isinstance(v, str) and v.isprintable()),
    "int": ("an integer", lambda v: type(v) is int),
    "float": ("a finite number", lambda v: type(v) in (int, float) and math.isfinite(v)),
    "scalar": ("a finite number, a boolean or a one-line printable string",
               lambda v: v.isprintable() if isinstance(v, str) else type(v) is not float or math.isfinite(v)),
}


def read_attr(attrs, key):
    """The raw value of an attribute; None when absent or unreadable (a type numpy has no equivalent for)."""
    try:
        return attrs[key] if key in attrs else None
    except (OSError, TypeError, ValueError):
        return None


def plain_attr(value):
    """An attribute as a Python bool, int, float or str; None for anything else (arrays, references, complex
    numbers, text that is not UTF-8)."""
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return None
    if isinstance(value, str):  # h5py keeps undecodable bytes as surrogates
        return None if any("\ud800" <= c <= "\udfff" for c in value) else str(value)
    for types, cast in (((bool, np.bool_), bool), ((int, np.integer), int), ((float, np.floating), float)):
        if isinstance(value, types):
            return cast(value)
    return None


def describe_attr(value) -> str:
    """What an attribute holds, for a message, without echoing text or arrays."""
    plain = plain_attr(value)
    if isinstance(plain, str):
        return "a string"
    if plain is not None:
        return repr(plain)
    if isinstance(value, (str, bytes)):
        return "text that is not UTF-8"
    if isinstance(value, np.ndarray):
        return f"an array ({value.dtype}, shape {value.shape})"
    return "an unreadable value" if value is None else f"a {type(value).__name__}"


def _checked_attr(path, key, raw):
    """A root attribute's plain value, checked against its declaration (ROOT_ATTRS)."""
    energy = key.startswith("energy_") and key.endswith("_MeV_per_particle")
    kind, lo, hi = ROOT_ATTRS.get(key, ("float" if energy else "scalar", None, None))
    what, test = _KINDS[kind]
    value = plain_attr(raw)
    if value is None or not test(value):
        raise ResultFileError(f"{path}: attribute {key!r} must be {what}, got {describe_attr(raw)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        allowed = " and ".join(s for s in (lo is not None and f">= {lo}", hi is not None and f"<= {hi}") if s)
        raise ResultFileError(f"{path}: attribute {key!r} = {value} is not allowed: must be {allowed}")
    if key == "config":
        try:
            tomllib.loads(value)
        except tomllib.TOMLDecodeError as exc:
            raise ResultFileError(f"{path}: attribute 'config' is not TOML text ({exc})") from None
    return float(value) if kind == "float" else value


def _member(path, group, name, cls):
    """``group[name]``, which must be a ``cls`` (h5py.Group or h5py.Dataset)."""
    where = f"{group.name.rstrip('/')}/{name}"
    try:
        obj = group.get(name)
    except (OSError, KeyError, TypeError):  # a dangling link, an unreadable object
        obj = None
    if obj is None:
        raise ResultFileError(f"{path}: incomplete mcdose result file (no {where})")
    if not isinstance(obj, cls):
        raise ResultFileError(f"{path}: {where} must be {'a group' if cls is h5py.Group else 'a dataset'}, "
                              f"found a {type(obj).__name__.lower()}")
    return obj


def _dataset(path, group, name, shape=None, text=False):
    """The values of dataset ``group/name``: real floating point (``text``: UTF-8 strings, as str) of ``shape``
    (default: 1-D), checked before it is read."""
    ds = _member(path, group, name, h5py.Dataset)
    where = ds.name
    is_text = h5py.check_string_dtype(ds.dtype) is not None
    if is_text != text or (not text and ds.dtype.kind != "f"):
        raise ResultFileError(f"{path}: {where} must hold {'strings' if text else 'real floating-point numbers'}, "
                              f"not {ds.dtype}")
    if (ds.shape != shape) if shape is not None else (ds.ndim != 1):
        raise ResultFileError(f"{path}: {where} has shape {ds.shape}, must be {shape or '1-D'}")
    try:
        return ds.asstr()[()] if text else ds[()]
    except UnicodeDecodeError:
        raise ResultFileError(f"{path}: {where} holds text that is not UTF-8") from None
    except OSError:
        raise ResultFileError(f"{path}: {where} cannot be read (damaged, or a compression filter that is "
                              "not installed)") from None
