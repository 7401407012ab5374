"""INTRABEAM source models: the photons leaving the probe tip per electron, as an energy x polar-angle table.

A model holds ``weights[i, j]``: photon weight per electron on the target emitted into polar-angle interval
i (cos theta about the probe's forward direction between ``mu_edges[i]`` and ``mu_edges[i + 1]``) with
kinetic energy in bin j (``energy_edges``, MeV); azimuthal symmetry about the probe axis is assumed. It is
used as a point source at the tip (``kernels/source.py``: the polar interval, then the energy from that
interval's spectrum), with weight = photons per electron, so the dose is per electron on the target.

* :func:`build` -- from first principles: a pencil of ``voltage`` keV electrons runs down the evacuated
  probe onto its gold target (geometry: :mod:`.intrabeam_probe`), transported by mcdose's own coupled
  electron-photon physics with uniform bremsstrahlung splitting and Russian roulette
  (``[variance_reduction]``); every photon leaving the probe is recorded on the faces of a vacuum box
  around it (plane scorers, outward crossings) and binned by energy and by the polar angle of its
  direction. The tip is small (radius 0.16 cm), so emission is taken from its centre.
* :func:`from_spectrum` -- from a tabulated spectrum (a measurement or the vendor's) and an optional
  polar-angle intensity table, the same spectrum at every angle.

Models are HDF5 files (:func:`save`, :func:`load`, every dataset and attribute checked) with their
provenance. :func:`default_path` is the cached first-principles model of a voltage, built at first use.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from ..errors import InputError

FORMAT = "mcdose-intrabeam-model"
ENERGY_BIN = 0.0005          # MeV (0.5 keV): the spectrum's resolution, finer than the gold L lines' spacing
THETA_BINS = 36              # polar-angle intervals, 5 degrees each
BOX = (12.0, 12.0, 14.0)     # cm: the vacuum box around the probe whose faces record the photons
TIP_Z = 12.0                 # cm: the tip in that box (z from 0); the probe shaft runs towards z = 0
DEFAULT_HISTORIES = 300_000  # electrons of a cached model (a few minutes on 2 cores with splitting)
DEFAULT_SPLITTING = 100


@dataclass
class SourceModel:
    """Photon weight per electron by polar interval (rows, cos edges ``mu_edges``, increasing) and energy bin
    (columns, ``energy_edges`` MeV); ``attrs``: provenance (voltage_kV, method, histories, ...)."""

    mu_edges: np.ndarray
    energy_edges: np.ndarray
    weights: np.ndarray
    attrs: dict = field(default_factory=dict)

    @property
    def photons_per_electron(self) -> float:
        return float(self.weights.sum())

    def spectrum(self) -> tuple:
        """(bin centres MeV, probabilities) of the whole model (all angles)."""
        w = self.weights.sum(axis=0)
        return 0.5 * (self.energy_edges[1:] + self.energy_edges[:-1]), w / w.sum()

    def mean_energy(self) -> float:
        e, p = self.spectrum()
        return float(e @ p)


def check(model: SourceModel, what: str) -> SourceModel:
    """InputError (naming ``what``) unless the tables are consistent: edges strictly increasing (mu in
    [-1, 1], energies > 0), weights finite, >= 0, not all 0, of shape (intervals, bins)."""
    mu, e, w = (np.asarray(a, dtype=np.float64) for a in (model.mu_edges, model.energy_edges, model.weights))
    if mu.ndim != 1 or len(mu) < 2 or not np.all(np.diff(mu) > 0) or mu[0] < -1 - 1e-12 or mu[-1] > 1 + 1e-12:
        raise InputError(f"{what}: mu_edges must increase strictly within [-1, 1]")
    if e.ndim != 1 or len(e) < 2 or not np.all(np.diff(e) > 0) or not e[0] >= 0 or not np.all(np.isfinite(e)):
        raise InputError(f"{what}: energy_edges must be finite, >= 0 and strictly increasing (MeV)")
    if w.shape != (len(mu) - 1, len(e) - 1):
        raise InputError(f"{what}: weights must have shape ({len(mu) - 1}, {len(e) - 1}), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise InputError(f"{what}: weights must be finite, >= 0 and not all 0")
    return SourceModel(np.clip(mu, -1.0, 1.0), e, w, dict(model.attrs))


def save(model: SourceModel, path) -> Path:
    """Write the model to HDF5 atomically (temporary file in the same folder, then rename)."""
    from ..outputs import atomic_write

    def write(tmp):
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            for key, value in model.attrs.items():
                f.attrs[key] = value
            f.create_dataset("mu_edges", data=model.mu_edges)
            f.create_dataset("energy_edges_MeV", data=model.energy_edges)
            f.create_dataset("weights_per_electron", data=model.weights)
    return atomic_write(Path(path), write)


def load(path) -> SourceModel:
    """A model file, checked (InputError naming the file and what is wrong)."""
    what = f"source.model {str(path)!r}"
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                raise InputError(f"{what}: not an mcdose INTRABEAM source model (attribute format != {FORMAT!r})")
            data = {}
            for key in ("mu_edges", "energy_edges_MeV", "weights_per_electron"):
                item = f.get(key, getlink=True)
                if not isinstance(item, h5py.HardLink) or not isinstance(f[key], h5py.Dataset):
                    raise InputError(f"{what}: dataset {key!r} is missing")
                data[key] = f[key][()]
            attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items() if k != "format"}
    except (OSError, KeyError) as exc:
        raise InputError(f"{what}: cannot be read as HDF5 ({exc})") from None
    return check(SourceModel(data["mu_edges"], data["energy_edges_MeV"], data["weights_per_electron"], attrs), what)


def from_spectrum(spectrum, angular=None, photons_per_electron: float = 1.0, description: str = "") -> SourceModel:
    """A model from [energy MeV, weight] lines (each line its own 0.5 keV-wide bin) and an optional
    [[polar angle deg, intensity per solid angle], ...] table (isotropic without), the same spectrum at
    every angle; ``photons_per_electron`` scales it (1: the dose is then per emitted photon)."""
    from .point import polar_table
    pairs = np.asarray(spectrum, dtype=np.float64)
    order = np.argsort(pairs[:, 0])
    energies, w = pairs[order, 0], pairs[order, 1]
    edges = np.concatenate([[max(0.0, energies[0] - ENERGY_BIN / 2)],
                            0.5 * (energies[1:] + energies[:-1]), [energies[-1] + ENERGY_BIN / 2]])
    if angular is None:
        mu_edges, cdf = np.linspace(-1.0, 1.0, THETA_BINS + 1), np.linspace(0.0, 1.0, THETA_BINS + 1)
    else:
        mu_edges, cdf = polar_table({"angular": angular})
    weights = np.outer(np.diff(cdf), w / w.sum()) * photons_per_electron     # empty intervals: rows of 0
    attrs = {"method": "tabulated spectrum", "description": description, "created": _now(),
             "mcdose_version": _version()}
    return check(SourceModel(mu_edges, edges, weights, attrs), "source model")


def build(voltage_kV: float, histories: int = DEFAULT_HISTORIES, splitting: int = DEFAULT_SPLITTING, seed: int = 1,
          threads: int = 0, progress: bool = False) -> SourceModel:
    """The first-principles model of a ``voltage_kV`` electron beam on the probe's target (module docstring)."""
    import mcdose
    from .intrabeam_probe import PROBE, electron_start, probe_parts
    if not 20.0 <= voltage_kV <= 50.0:
        raise InputError(f"source.voltage: {voltage_kV:g} kV is not allowed: must be 20-50 kV")
    tip = (0.0, 0.0, TIP_Z)
    start = electron_start(tip=tip, back=(0.0, 0.0, -1.0))
    sx, sy, sz = BOX
    room = int(min(10_000_000, max(100_000, histories / 10 * splitting * 0.05)))   # records per face and batch
    config = {
        "run": {"histories": int(histories), "batches": 10, "seed": int(seed)},
        "source": {"type": "beam", "particle": "electron", "energy": voltage_kV / 1000.0,
                   "radius": float(start["radius"]), "z": float(start["z0"])},
        "phantom": {"type": "box", "material": "air", "size": list(BOX)},
        "scoring": {"x": [-0.5, 0.5], "y": [-0.5, 0.5], "z": [TIP_Z - 0.5, TIP_Z + 0.5]},
        "physics": {"electron_cutoff": 0.005, "brems_threshold": 0.005, "delta_threshold": 0.005,
                    "photon_cutoff": 0.001},
        "variance_reduction": {"brems_splitting": int(splitting)},
        "parts": [{"name": "vacuum", "shape": "box", "size": [sx, sy, sz], "center": [0.0, 0.0, sz / 2],
                   "material": "vacuum"}] + probe_parts(tip=tip, back=(0.0, 0.0, -1.0)),
        "scorers": [{"name": name, "point": point, "normal": normal, "particles": ["photon"], "max_records": room}
                    for name, point, normal in (("x-", [-sx / 2, 0, 0], [-1, 0, 0]), ("x+", [sx / 2, 0, 0], [1, 0, 0]),
                                                ("y-", [0, -sy / 2, 0], [0, -1, 0]), ("y+", [0, sy / 2, 0], [0, 1, 0]),
                                                ("z-", [0, 0, 0.0], [0, 0, -1]), ("z+", [0, 0, sz], [0, 0, 1]))],
    }
    result = mcdose.run(config, threads=threads, progress=progress)
    ps = result.phase_space
    if ps.dropped:
        raise InputError(f"source model: {ps.dropped} photon records were dropped for want of room; build with "
                         "less splitting")
    normals = np.array([[-1, 0, 0], [1, 0, 0], [0, -1, 0], [0, 1, 0], [0, 0, -1], [0, 0, 1]], dtype=float)
    d = np.column_stack([ps.column("u"), ps.column("v"), ps.column("w")])
    outward = np.einsum("ij,ij->i", d, normals[ps.column("scorer").astype(int)]) > 0
    mu_edges = np.cos(np.radians(np.linspace(180.0, 0.0, THETA_BINS + 1)))
    mu_edges[0], mu_edges[-1] = -1.0, 1.0
    energy_edges = np.arange(0.0, voltage_kV / 1000.0 + ENERGY_BIN / 2, ENERGY_BIN)
    weights, _, _ = np.histogram2d(d[outward, 2], ps.column("energy")[outward], bins=(mu_edges, energy_edges),
                                   weights=ps.column("weight")[outward])
    attrs = {"method": "first principles", "voltage_kV": float(voltage_kV), "histories": int(histories),
             "brems_splitting": int(splitting), "seed": int(seed), "photon_records": int(outward.sum()),
             "probe": repr(PROBE), "created": _now(), "mcdose_version": _version(),
             "description": f"{voltage_kV:g} kV electrons on the INTRABEAM-type probe target (mcdose "
                            "intrabeam_probe geometry), photons leaving the probe per electron"}
    return check(SourceModel(mu_edges, energy_edges, weights / histories, attrs), "source model")


def default_path(voltage_kV: float) -> Path:
    """The cached first-principles model of a voltage (built and saved at first use)."""
    from .. import __version__
    from ..physics.cache import cache_dir
    path = cache_dir() / "intrabeam" / f"model_{voltage_kV:g}kV_{__version__}.h5"
    if not path.exists():
        from ..config import inform
        inform(f"building the INTRABEAM source model of {voltage_kV:g} kV from first principles "
               f"({DEFAULT_HISTORIES:,} electrons; once, a few minutes), cached in {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        save(build(voltage_kV), path)
    return path


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _version() -> str:
    from .. import __version__
    return __version__

