"""Phase-space source: the particles of an IAEA phase-space file (:mod:`mcdose.phsp`), history by history.

The file is streamed: at the problem's build one pass checks every record and finds where the batches'
segments start (:meth:`~mcdose.phsp.PhaseSpaceReader.scan`); each batch then reads its own disjoint
segment of whole histories, so no particle is used twice unless ``recycle`` says so. Batch history g of the
run (counted over all batches) uses file history g // (recycle + 1): each file history is used
recycle + 1 times in a row (EGSnrc's NRCYCL: I. Kawrakow, D. W. O. Rogers, B. Walters, "BEAMnrc Users
Manual", NRCC PIRS-0509(A)), each use turned about the file's z axis by its own random angle with
``rotate = "random"``. Where the file has no new-history flags every particle is its own history (said on
load). Weights are the file's times H / N_orig (H histories in the file, N_orig its $ORIG_HISTORIES), so the
dose is per original history of the simulation that wrote the file, whatever part of the file is used.

Placement: a file point p (cm) is mirrored (``mirror``), turned (``rotate``, ``rotate_angle``), then put in the
scene at ``center`` + R p, where R takes the file's +z to ``axis`` (the same frame as a part's:
:func:`mcdose.geometry.scene.frame`).
"""
from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..kernels.codes import MEC2, PHASE_SPACE
from ..schema import Field

ROTATIONS = {"none": 0, "random": 1, "fixed": 2}
MIRRORS = {"none": 0, "x": 1, "y": 2}
MAX_PARTICLES_PER_HISTORY = 400     # they wait together on the particle stack (kernels/tally.py STACK_SIZE 512)

FIELDS = {
    "file": Field("str", doc="NAME.IAEAheader (or NAME.IAEAphsp beside it), relative to the configuration",
                  required=True),
    "recycle": Field("int", 0, ge=0, le=10_000, doc="extra uses of each history (each is used recycle + 1 times)"),
    "rotate": Field("str", "none", choices=tuple(ROTATIONS), doc="turn each use about the file's z axis: by a "
                    "random angle, by rotate_angle, or not"),
    "rotate_angle": Field("float", 0.0, unit="degrees", ge=-360, le=360, doc="the fixed turn",
                          when=(("rotate", ("fixed",)),)),
    "mirror": Field("str", "none", choices=tuple(MIRRORS), doc="reflect x -> -x or y -> -y (with the direction) "
                    "before turning"),
    "center": Field("vec", (0.0, 0.0, 0.0), unit="cm", length=3, doc="where the file's origin is placed"),
    "axis": Field("vec", (0.0, 0.0, 1.0), length=3, doc="direction the file's +z is turned to"),
}


def resolve(source, base: Path) -> None:
    """The file becomes its header's absolute path, relative to the configuration's folder ``base``."""
    from ..phsp import paths
    source["file"] = str(paths((base / source["file"]).resolve())[0])


def check(source) -> None:
    """Charged particles are transported (the file may hold any kind); the axis is a direction; the header
    reads."""
    if source.get("particle", "electron") != "electron":
        raise InputError(f"source.particle: {source['particle']!r} is not used with type = 'phase_space': the "
                         "particles and their kinds come from the file (remove the key)")
    _axis(source)
    _header(source["file"])


def _axis(source) -> np.ndarray:
    """The unit vector of source.axis (InputError if it is not a direction)."""
    from ..geometry.surfaces import _unit
    return np.array(_unit(source["axis"], "source.axis"))


def _stamp(path: str) -> tuple:
    """(path, size, modification time); a file that cannot be stat'ed is left for the reader to report."""
    try:
        st = os.stat(path)
    except OSError:
        return path, -1, -1
    return path, st.st_size, st.st_mtime_ns


def _header(path: str):
    from ..phsp import read_header
    return read_header(path)


@functools.lru_cache(maxsize=8)
def _scan(stamp: tuple, boundaries: tuple):
    from ..phsp import PhaseSpaceReader
    reader = PhaseSpaceReader(stamp[0])
    return reader, reader.scan(boundaries=list(boundaries))


def _summary(source, boundaries=()) -> tuple:
    """(reader, scan) of the source's file, every record checked; the file's data and header are stamped
    (size, modification time) so an edited file is scanned again."""
    from ..phsp import paths
    header, data = paths(source["file"])
    reader, scan = _scan(_stamp(str(header)) + _stamp(str(data))[1:], tuple(boundaries))
    if scan.particles == 0:
        raise InputError(f"source.file {reader.header.header_path}: the phase space holds no particles")
    return reader, scan


def _factor(reader, scan) -> float:
    """Weight factor H / N_orig: histories in the file over the original histories of the run that wrote it.
    A file without new-history flags may hold more particles (each taken as a history) than N_orig."""
    histories, orig = scan.histories, reader.header.orig_histories
    if orig < histories and reader.has_history_flags:
        raise InputError(f"source.file {reader.header.header_path}: $ORIG_HISTORIES = {orig} is less than the "
                         f"{histories} histories the file holds; the header does not belong to these data")
    return histories / orig


def spectrum(source) -> tuple:
    """One line at the largest energy a file particle carries (kinetic, plus 2 mc² for a positron): it
    bounds what one history adds to the fixed-point tallies (with the weight and particles per history
    of :func:`arrays`)."""
    _, scan = _summary(source)
    top = max(scan.energy_max[k] + (2.0 * MEC2 if k == "positron" else 0.0)
              for k in scan.counts if scan.counts[k] > 0)
    return np.array([top]), np.array([1.0])


def arrays(source) -> dict:
    """Kernel kind PHASE_SPACE; weight = the file's largest times the factor and primaries = the most
    particles of one history (bounds only: the kernel takes each particle's own); frame from center and axis.
    The particles come batch by batch from :func:`feed`."""
    from ..geometry.scene import frame
    reader, scan = _summary(source)
    if scan.max_history_particles > MAX_PARTICLES_PER_HISTORY:
        raise InputError(f"source.file {reader.header.header_path}: a history holds {scan.max_history_particles} "
                         f"particles; at most {MAX_PARTICLES_PER_HISTORY} fit the particle stack")
    rotation = frame(_axis(source)).T
    return {"kind": PHASE_SPACE, "geometry": np.zeros(6), "weight": float(scan.weight_max * _factor(reader, scan)),
            "primaries": int(scan.max_history_particles),
            "frame": np.concatenate([rotation.reshape(-1), np.asarray(source["center"], dtype=float)])}


def describe(source) -> str:
    """What was loaded, for the user: per-kind counts, histories, original histories, the history flags."""
    reader, scan = _summary(source)
    kinds = ", ".join(f"{n:,} {k}s" for k, n in scan.counts.items() if n)
    flags = ("new-history flags" if reader.has_history_flags
             else "no new-history flags: every particle is its own history")
    return (f"phase space {reader.header.header_path.name}: {reader.n_particles:,} particles ({kinds}), "
            f"{scan.histories:,} histories of {reader.header.orig_histories:,} original; {flags}")


def feed(source, sizes) -> "Segments":
    """The per-batch particles of a run of ``sizes`` histories per batch (:class:`Segments`)."""
    return Segments(source, tuple(int(n) for n in sizes))


class Segments:
    """Batch b's segment of whole file histories and where each starts, read when the batch runs.

    Refuses a run that needs more histories than the file holds times its uses (naming run.histories and
    source.recycle)."""

    def __init__(self, source, sizes: tuple):
        self.uses = int(source["recycle"]) + 1
        self.first = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)       # run history of each batch
        reader, scan = _summary(source)
        needed, available = int(self.first[-1]), scan.histories * self.uses
        if needed > available:
            raise InputError(f"run.histories: {needed:,} needs more than the {scan.histories:,} histories of "
                             f"{reader.header.header_path.name} used {self.uses} time(s) each ({available:,}); "
                             f"lower run.histories or raise source.recycle to at least "
                             f"{math.ceil(needed / scan.histories) - 1}")
        self.lo = self.first[:-1] // self.uses                       # file histories [lo, hi) of each batch
        self.hi = np.where(np.asarray(sizes) > 0, (self.first[1:] - 1) // self.uses + 1, self.lo)
        boundaries = tuple(sorted(set(self.lo.tolist()) | set(self.hi.tolist())))
        self.reader, scan = _summary(source, boundaries)
        self.offset = dict(zip(boundaries, scan.boundaries.tolist()))
        self.factor = _factor(self.reader, scan)
        self.fixed = ROTATIONS[source["rotate"]], math.radians(source.get("rotate_angle", 0.0)), MIRRORS[source["mirror"]]

    def __call__(self, batch: int) -> dict:
        lo, hi = int(self.lo[batch]), int(self.hi[batch])
        p0, p1 = int(self.offset[lo]), int(self.offset[hi])
        chunk = self.reader.read(p0, p1)
        starts = (self.reader.history_starts(p0, p1) - p0 if self.reader.has_history_flags
                  else np.arange(p1 - p0 + 1))
        if len(starts) != hi - lo + 1:
            raise InputError(f"source.file {self.reader.header.header_path}: particles {p0}..{p1 - 1} hold "
                             f"{len(starts) - 1} histories where the scan found {hi - lo}")
        particles = np.column_stack([chunk.x, chunk.y, chunk.z, chunk.u, chunk.v, chunk.w, chunk.energy,
                                     chunk.weight, chunk.kind.astype(np.float64)]) if p1 > p0 else np.zeros((0, 9))
        mode, angle, mirror = self.fixed
        geometry = np.array([self.uses, int(self.first[batch]) % self.uses, mode, angle, mirror, self.factor],
                            dtype=np.float64)
        return {"particles": np.ascontiguousarray(particles), "history_start": np.asarray(starts, dtype=np.int64),
                "geometry": geometry}


def _placed_box(source, scan) -> np.ndarray:
    """Corners (8, 3) of a box, in the scene (cm), that holds every file particle as placed: the file's
    extents mirrored and turned (by the fixed angle; for random turns the square about the circle they sweep)."""
    from ..geometry.scene import frame
    xs, ys = np.array([scan.x_min, scan.x_max]), np.array([scan.y_min, scan.y_max])
    if source["mirror"] == "x":
        xs = -xs[::-1]
    elif source["mirror"] == "y":
        ys = -ys[::-1]
    corners = np.array([(x, y, z) for x in xs for y in ys for z in (scan.z_min, scan.z_max)])
    if source["rotate"] == "random":
        r = float(np.max(np.hypot(corners[:, 0], corners[:, 1])))
        corners = np.array([(x, y, z) for x in (-r, r) for y in (-r, r) for z in (scan.z_min, scan.z_max)])
    elif source["rotate"] == "fixed":
        c, s = math.cos(math.radians(source["rotate_angle"])), math.sin(math.radians(source["rotate_angle"]))
        corners = corners @ np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]).T
    return corners @ frame(_axis(source)) + np.asarray(source["center"], dtype=float)


def check_world(source, geometry) -> None:
    """The file's particles, as placed, are not all outside the world (a box that holds them all,
    :func:`_placed_box`, meets it). Particles that start outside the world escape at once: their energy is
    counted as escaped."""
    reader, scan = _summary(source)
    corners, w = _placed_box(source, scan), geometry.world
    low, high = corners.min(axis=0), corners.max(axis=0)
    if np.any(high < w[:, 0]) or np.any(low > w[:, 1]):
        box = ", ".join(f"{a} [{low[i]:.4g}, {high[i]:.4g}]" for i, a in enumerate("xyz"))
        span = ", ".join(f"{a} [{w[i, 0]:g}, {w[i, 1]:g}]" for i, a in enumerate("xyz"))
        raise InputError(f"source.file {reader.header.header_path.name}: its particles, as placed by center, axis, "
                         f"mirror and rotate ({box} cm), all lie outside the world of {geometry.name} ({span} cm)")
