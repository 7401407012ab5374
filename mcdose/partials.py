"""Partials: the result of one finished batch, its file, and its verification on read.

A :class:`Partial` holds what :func:`mcdose.runner.merge` needs (energy per mesh bin in MeV,
the energy-balance counters, energy per scoring region) and what proves where it came from (batch index, histories, seed,
the digest of the resolved configuration, the mcdose version, a SHA-256 checksum of all of it).
A partial file is data from disk and is checked like any input: :func:`read_partial` refuses a
file that is not a regular file, has attributes of the wrong type, a batch index or history
count that does not belong to the run, non-finite or negative sums, an energy balance that does
not close, or a checksum that does not match -- naming the file. The same layout is one group of a
part file (:mod:`mcdose.batch_files`: :func:`write_partial` and :func:`read_partial_group` work on a
group as on a file).

File (or group) layout (HDF5)::

    attributes  format = "mcdose-partial", batch, histories, seed (int64), config_sha256,
                mcdose_version, checksum (str), counter_<name> (float64)
    /edep       float64 (n_bins,): MeV deposited per mesh bin in this batch
    /regions    float64 (n_regions,): MeV scored per region (the phantom, each part, the world)
    /phase_space  float64 (n_records, 12): plane-scorer records (PHASE_SPACE_COLUMNS less the batch),
                attribute dropped (int64): records the buffer had no room for
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from .errors import InputError
from .results import PHASE_SPACE_COLUMNS, describe_attr, plain_attr, read_attr

FORMAT = "mcdose-partial"
COUNTERS = ("emitted", "deposited", "escaped", "lost", "lost_particles", "radiated")
BALANCE_RTOL = 1e-9      # emitted = deposited + escaped + lost, to the fixed-point rounding


@dataclass(frozen=True)
class Partial:
    """One finished batch.

    edep: MeV per mesh bin (flat, float64); counters: emitted, deposited, escaped, lost (MeV) and
    lost_particles (count) of the batch; digest: SHA-256 of the resolved configuration
    (:func:`mcdose.runner.run_digest`); version: the mcdose version that ran it; regions: MeV per
    scoring region (float64); phase_space: plane-scorer records (float64 rows of
    :data:`~mcdose.results.PHASE_SPACE_COLUMNS` less the batch) and phase_space_dropped, the
    records the buffer had no room for.
    """

    batch: int
    histories: int
    seed: int
    edep: np.ndarray
    counters: dict
    digest: str
    version: str
    regions: np.ndarray = field(default_factory=lambda: np.zeros(0))
    phase_space: np.ndarray = field(default_factory=lambda: np.zeros((0, len(PHASE_SPACE_COLUMNS) - 1)))
    phase_space_dropped: int = 0

    def checksum(self) -> str:
        """SHA-256 over every field, in a fixed byte layout."""
        h = hashlib.sha256()
        h.update(f"{FORMAT}|{self.batch}|{self.histories}|{self.seed}|{self.digest}|{self.version}".encode())
        h.update(np.ascontiguousarray(self.edep, dtype="<f8").tobytes())
        h.update(np.array([self.counters[k] for k in COUNTERS], dtype="<f8").tobytes())
        h.update(np.ascontiguousarray(self.regions, dtype="<f8").tobytes())
        h.update(np.ascontiguousarray(self.phase_space, dtype="<f8").tobytes())
        h.update(f"|{self.phase_space_dropped}".encode())
        return h.hexdigest()


def partial_name(batch: int) -> str:
    """File name of batch ``batch`` inside a checkpoint folder."""
    return f"batch-{batch:06d}.h5"


def write_partial(f: h5py.Group, partial: Partial) -> None:
    """Write ``partial`` into an open, empty HDF5 file or group (a part file holds one group per batch)."""
    f.attrs["format"] = FORMAT
    for key in ("batch", "histories", "seed"):
        f.attrs[key] = np.int64(getattr(partial, key))
    f.attrs["config_sha256"] = partial.digest
    f.attrs["mcdose_version"] = partial.version
    for k in COUNTERS:
        f.attrs[f"counter_{k}"] = np.float64(partial.counters[k])
    f.attrs["checksum"] = partial.checksum()
    f.create_dataset("edep", data=np.asarray(partial.edep, dtype=np.float64))
    f.create_dataset("regions", data=np.asarray(partial.regions, dtype=np.float64))
    ps = f.create_dataset("phase_space", data=np.asarray(partial.phase_space, dtype=np.float64))
    ps.attrs["dropped"] = np.int64(partial.phase_space_dropped)


def regular_file(path: Path, bad) -> None:
    """Refuse (``bad(message)``) a path that is not a regular file: missing, a link, a folder, a device."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise bad(f"cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise bad("is not a regular file (a link, folder or device); mcdose wrote none such")


def read_partial(path: Path, expect) -> Partial:
    """Read and verify one partial file against ``expect`` (a :class:`mcdose.runner.RunPlan`).

    Raises InputError naming the file and what is wrong.
    """
    path = Path(path)

    def bad(what):
        return InputError(f"checkpoint file {str(path)!r}: {what}")

    regular_file(path, bad)
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise bad("not a readable HDF5 file (truncated or not HDF5)") from None
    with f:
        return read_partial_group(f, expect, bad)


def read_partial_group(f: h5py.Group, expect, bad) -> Partial:
    """Read and verify the partial held by an open HDF5 file or group ``f`` against ``expect`` (a
    :class:`mcdose.runner.RunPlan`): format, attribute types, datasets (no links), the run it belongs
    to, checksum, finite non-negative energies, energy balance. ``bad(message)`` makes the exception
    raised (it names the file, and the group where there is one); an unreadable (damaged) dataset is
    refused the same way."""
    try:
        partial, checksum = _read_fields(f, expect, bad)
    except InputError:
        raise
    except (OSError, KeyError, RuntimeError, ValueError) as exc:   # HDF5 could not read a damaged object
        raise bad(f"cannot be read, the file is damaged ({type(exc).__name__}: {exc})") from None
    expect.verify(partial, bad)
    if partial.checksum() != checksum:
        raise bad("checksum does not match its contents (the file was changed or damaged)")
    for name, values in (("edep", partial.edep), ("regions", partial.regions)):
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise bad(f"dataset {name!r} holds NaN, infinite or negative energies")
    if not np.all(np.isfinite(partial.phase_space)):
        raise bad("dataset 'phase_space' holds NaN or infinite values")
    if expect.balanced:
        check_balance(partial, bad)
    return partial


def _dataset(f: h5py.Group, name: str, bad):
    """``f[name]`` if it is a dataset stored there (not a soft or external link); else None."""
    if name not in f:
        return None
    if not isinstance(f.get(name, getlink=True), h5py.HardLink):
        raise bad(f"{name!r} is a link; mcdose writes none")
    obj = f.get(name)
    return obj if isinstance(obj, h5py.Dataset) else None


def _read_fields(f: h5py.Group, expect, bad) -> tuple:
    """(the Partial as stored, its stored checksum), with the types and shapes checked."""
    attrs = {key: read_attr(f.attrs, key) for key in f.attrs}
    if plain_attr(attrs.get("format")) != FORMAT:
        raise bad(f"not an mcdose partial (no format = {FORMAT!r} attribute)")
    expected = {**dict.fromkeys(("batch", "histories", "seed"), (int, "an integer")),
                **dict.fromkeys(("config_sha256", "mcdose_version", "checksum"), (str, "a string")),
                **dict.fromkeys((f"counter_{k}" for k in COUNTERS), (float, "a finite number >= 0"))}
    values = {}
    for key, (kind, what) in expected.items():
        value = plain_attr(attrs.get(key))
        if type(value) is not kind or (kind is float and not (np.isfinite(value) and value >= 0)):
            raise bad(f"attribute {key!r} must be {what}, got {describe_attr(attrs.get(key))}")
        values[key] = value
    counters = {k: values[f"counter_{k}"] for k in COUNTERS}
    edep = _dataset(f, "edep", bad)
    if edep is None or edep.dtype != np.float64 or edep.shape != (expect.n_bins,):
        raise bad(f"dataset 'edep' must be float64 of shape ({expect.n_bins},)")
    edep = edep[()]
    regions = _dataset(f, "regions", bad)
    if regions is None or regions.dtype != np.float64 or regions.shape != (expect.n_regions,):
        raise bad(f"dataset 'regions' must be float64 of shape ({expect.n_regions},)")
    regions = regions[()]
    ps = _dataset(f, "phase_space", bad)
    width = len(PHASE_SPACE_COLUMNS) - 1
    if ps is None or ps.dtype != np.float64 or ps.ndim != 2 or ps.shape[1] != width:
        raise bad(f"dataset 'phase_space' must be float64 of shape (n, {width})")
    dropped = plain_attr(read_attr(ps.attrs, "dropped"))
    if type(dropped) is not int or dropped < 0:
        raise bad("dataset 'phase_space' needs an attribute 'dropped', an integer >= 0")
    ps = ps[()]
    partial = Partial(values["batch"], values["histories"], values["seed"], edep, counters,
                      values["config_sha256"], values["mcdose_version"], regions, ps, dropped)
    return partial, values["checksum"]


def check_balance(partial: Partial, bad) -> None:
    """The batch's energy balance closes (emitted = deposited + escaped + lost)."""
    c = partial.counters
    scale = max(c["emitted"], 1e-300)
    if abs(c["emitted"] - c["deposited"] - c["escaped"] - c["lost"]) > BALANCE_RTOL * scale:
        raise bad(f"energy balance does not close (emitted {c['emitted']:.9g} MeV, deposited {c['deposited']:.9g}, "
                  f"escaped {c['escaped']:.9g}, lost {c['lost']:.9g})")
