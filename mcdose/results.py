"""Run results and their HDF5 file (DESIGN.md section 6).

File layout (schema version 1; readers need nothing from mcdose)::

    /dose               float64, mesh shape: Gy per source particle
    /uncertainty        float64, mesh shape: relative 1-sigma (0 where dose is 0)
    /energy_deposited   float64, mesh shape: MeV per source particle
    /grid               group, attribute kind = "cartesian" | "cylindrical" | "spherical"
        x_edges, y_edges, z_edges | r_edges, z_edges | r_edges   (cm); center (spherical, cm)
    /materials          array of material names (UTF-8)
    root attributes     format = "mcdose-result", schema_version, mcdose_version, config (TOML text),
                        seed, histories, batches, elapsed_seconds, lost_particles, physics_* settings

Files are written atomically: a temporary file in the target folder, flushed
and renamed over the target, so a crash never leaves a half-written file
that looks complete.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from .errors import InputError, ResultFileError

FORMAT = "mcdose-result"
SCHEMA_VERSION = 1
GRID_AXES = {"cartesian": ("x_edges", "y_edges", "z_edges"),
             "cylindrical": ("r_edges", "z_edges"),
             "spherical": ("r_edges",)}


def check_output(path: Path, force: bool) -> None:
    """InputError if an output file exists and may not be overwritten."""
    if path.exists() and not force:
        raise InputError(f"output {str(path)!r} exists; use --force (force=True) to overwrite")


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
            e.setflags(write=False)
            clean[name] = e
        object.__setattr__(self, "edges", clean)
        object.__setattr__(self, "center", tuple(float(c) for c in self.center))

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
    1-sigma uncertainty (Gy per source particle)."""

    position_cm: np.ndarray
    dose: np.ndarray
    sigma: np.ndarray
    axis: str

    def metrics(self):
        """Electron-beam metrics (dmax, R90, R80, R50, Rp, Ds, Dx) of a depth dose: mcdose.analysis.pdd_metrics."""
        from .analysis import pdd_metrics
        if self.axis != "z":
            raise InputError("beam-quality metrics need a depth dose (Cartesian or cylindrical mesh)")
        return pdd_metrics(self.position_cm, self.dose, self.sigma)


@dataclass(frozen=True)
class Profile:
    """A lateral dose profile at a depth: positions (cm, off-axis along `axis`), dose and its absolute 1-sigma
    (Gy per source particle); `depth_cm` the depth it was taken at."""

    position_cm: np.ndarray
    dose: np.ndarray
    sigma: np.ndarray
    axis: str
    depth_cm: float

    def metrics(self, normalise_at: float = 0.0):
        """Field size, penumbrae, flatness, symmetry (mcdose.analysis.profile_metrics)."""
        from .analysis import profile_metrics
        return profile_metrics(self.position_cm, self.dose, normalise_at)


def _interpolate_depth(dose, sigma, z_centres, depth):
    """Dose and 1-sigma on the last axis linearly interpolated between bin centres at `depth` (cm), held
    constant from the first/last centre to the mesh edge; sigma combines the two bins' as independent."""
    j = int(np.clip(np.searchsorted(z_centres, depth) - 1, 0, max(z_centres.size - 2, 0)))
    if z_centres.size == 1:
        return dose[..., 0], sigma[..., 0]
    w = float(np.clip((depth - z_centres[j]) / (z_centres[j + 1] - z_centres[j]), 0.0, 1.0))
    return ((1 - w) * dose[..., j] + w * dose[..., j + 1],
            np.hypot((1 - w) * sigma[..., j], w * sigma[..., j + 1]))


@dataclass
class Result:
    """Dose on a scoring mesh, per source particle.

    dose: Gy per source particle; uncertainty: relative 1-sigma (same shape);
    energy_deposited: MeV per source particle; grid: :class:`Grid`;
    metadata: provenance (mcdose_version, config, seed, histories, batches,
    elapsed_seconds, lost_particles, physics settings).
    """

    dose: np.ndarray
    uncertainty: np.ndarray
    energy_deposited: np.ndarray
    grid: Grid
    materials: tuple = ()
    metadata: dict = field(default_factory=dict)

    def __post_init__(self):
        shape = self.grid.shape
        for name in ("dose", "uncertainty", "energy_deposited"):
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if arr.shape != shape:
                raise InputError(f"result {name}: shape {arr.shape} does not match the grid {shape}")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise InputError(f"result {name}: contains NaN, infinite or negative values")
            setattr(self, name, arr)

    def save(self, path, force: bool = False) -> Path:
        """Write the HDF5 file atomically; refuse to overwrite an existing file unless ``force``."""
        path = Path(path)
        check_output(path, force)
        folder = path.resolve().parent
        if not folder.is_dir():
            raise InputError(f"output folder {str(folder)!r} does not exist")
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
        try:
            with h5py.File(tmp, "w") as f:
                self._write(f)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

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

    def pdd(self, radius: float = 1.0) -> "DepthDose":
        """Central-axis depth dose: the volume-weighted mean over the bins within ``radius`` cm of the
        z axis (Cartesian: bin centres; cylindrical: bins whose outer radius is <= radius, at least the
        first), or the radial dose of a spherical mesh. Gy per source particle, absolute 1-sigma."""
        g = self.grid
        if g.kind == "spherical":
            return DepthDose(g.centers("r_edges"), self.dose.copy(), self.dose * self.uncertainty, "r")
        volumes = g.volumes()
        if g.kind == "cartesian":
            xc, yc = g.centers("x_edges"), g.centers("y_edges")
            inside = (xc[:, None] ** 2 + yc[None, :] ** 2) <= radius ** 2
            if not inside.any():
                raise InputError(f"pdd radius {radius:g} cm: no bin centre of the mesh lies within it")
            w = volumes * inside[:, :, None]
            axes = (0, 1)
        else:
            r_hi = g.edges["r_edges"][1:]
            inside = r_hi <= radius + 1e-12
            inside[0] = True
            w = volumes * inside[:, None]
            axes = (0,)
        total = w.sum(axis=axes)
        dose = (w * self.dose).sum(axis=axes) / total
        sigma = np.sqrt(((w * self.dose * self.uncertainty) ** 2).sum(axis=axes)) / total
        return DepthDose(g.centers("z_edges"), dose, sigma, "z")

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
        if g.kind == "cylindrical":
            if axis not in ("x", "y", "r"):
                raise InputError(f"profile axis {axis!r}: one of x, y, r for a cylindrical mesh")
            d, s = _interpolate_depth(self.dose, sigma, g.centers("z_edges"), depth)
            rc = g.centers("r_edges")
            return Profile(np.concatenate([-rc[::-1], rc]), np.concatenate([d[::-1], d]),
                           np.concatenate([s[::-1], s]), axis, float(depth))
        if axis not in ("x", "y"):
            raise InputError(f"profile axis {axis!r}: one of x, y for a Cartesian mesh")
        other = "y_edges" if axis == "x" else "x_edges"
        e = g.edges[other]
        if not e[0] <= offset <= e[-1]:
            raise InputError(f"profile offset {offset:g} cm outside the mesh ({other[0]} {e[0]:g}..{e[-1]:g} cm)")
        k = int(np.clip(np.searchsorted(e, offset, side="right") - 1, 0, e.size - 2))
        take = (slice(None), k) if axis == "x" else (k, slice(None))
        d, s = _interpolate_depth(self.dose[take], sigma[take], g.centers("z_edges"), depth)
        return Profile(g.centers(f"{axis}_edges"), d, s, axis, float(depth))

    def max_dose(self) -> tuple:
        """(dose maximum in Gy/particle, its relative uncertainty, its index)."""
        idx = np.unravel_index(int(np.argmax(self.dose)), self.dose.shape)
        return float(self.dose[idx]), float(self.uncertainty[idx]), tuple(int(i) for i in idx)


def load(path) -> Result:
    """Read a result file, checking format, schema version and dataset shapes."""
    path = Path(path)
    if not path.is_file():
        raise ResultFileError(f"result file {str(path)!r} not found")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise ResultFileError(f"{path}: not a readable HDF5 file (truncated or not HDF5)") from None
    with f:
        if f.attrs.get("format") != FORMAT:
            raise ResultFileError(f"{path}: not an mcdose result file (no format = {FORMAT!r} attribute)")
        version = int(f.attrs.get("schema_version", -1))
        if version > SCHEMA_VERSION:
            raise ResultFileError(f"{path}: schema version {version} is newer than this mcdose reads "
                                  f"({SCHEMA_VERSION}); upgrade mcdose")
        if version < 1:
            raise ResultFileError(f"{path}: invalid schema version {version}")
        try:
            g = f["grid"]
            kind = str(g.attrs["kind"])
            edges = {n: g[n][()] for n in GRID_AXES.get(kind, ())}
            center = tuple(g["center"][()]) if "center" in g else (0.0, 0.0, 0.0)
            grid = Grid(kind, edges, center)
            arrays = {n: f[n][()] for n in ("dose", "uncertainty", "energy_deposited")}
            names = tuple(s.decode() if isinstance(s, bytes) else str(s) for s in f["materials"][()])
        except (KeyError, OSError) as exc:
            raise ResultFileError(f"{path}: incomplete mcdose result file ({exc})") from None
        metadata = {k: _attr(v) for k, v in f.attrs.items() if k not in ("format", "schema_version")}
    return Result(grid=grid, materials=names, metadata=metadata, **arrays)


def _attr(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value
