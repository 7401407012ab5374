"""IAEA phase-space files: read and write, pure numpy (IAEA(NDS)-0484, Capote et al. 2006).

A phase space is two files side by side: a text header ``NAME.IAEAheader`` of ``$KEY:`` sections
and a binary ``NAME.IAEAphsp`` of fixed-length records. One record (in the byte order of
$BYTE_ORDER, 1234 little or 4321 big endian) is

* particle type, signed int8: 1 photon, 2 electron, 3 positron, 4 neutron, 5 proton; the sign of
  the code is the sign of the direction cosine w, which is not stored but computed as
  ``sqrt(1 - u^2 - v^2)``;
* kinetic energy, float32, MeV; a negative sign marks the first particle of a new history;
* x, y, z (cm), u, v, weight, float32 each, only where $RECORD_CONTENTS says it is stored;
  otherwise its value is in $RECORD_CONSTANT (in that order);
* extra floats (float32) then extra longs (int32), one type code each in $RECORD_CONTENTS
  (extra long 1: incremental history number, i.e. histories since the previous particle;
  2: EGS LATCH; extra float 1, 2, 3: XLAST, YLAST, ZLAST; 0: user defined).

$RECORD_CONTENTS holds, one per line: X, Y, Z, U, V, W, Weight "is stored" flags (0/1), the number
of extra floats, the number of extra longs, then one type code per extra float and per extra long.
W is never in the record: its flag is 1 by convention, and a 0 only means that $RECORD_CONSTANT
may hold a (then ignored) constant W, as the IAEA library reads it; particlezoo writes the flag 1.
The reader refuses, with an :class:`~mcdose.errors.InputError` naming the file and the key or the
record, anything it cannot read exactly; nothing is guessed. The data are streamed through
``np.memmap`` windows, so a file is never read into memory as a whole.
"""
from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..outputs import _umask, check_output

__all__ = ["KINDS", "IAEA_CODE", "paths", "Header", "read_header", "Particles", "PhaseSpaceReader",
           "ScanResult", "PhaseSpaceWriter"]

KINDS = ("photon", "electron", "positron")           # index = kernel kind code 0, 1, 2
IAEA_CODE = {"photon": 1, "electron": 2, "positron": 3, "neutron": 4, "proton": 5}
_IAEA_NAME = {code: name for name, code in IAEA_CODE.items()}
_COUNT_KEYS = {"photon": "PHOTONS", "electron": "ELECTRONS", "positron": "POSITRONS", "neutron": "NEUTRONS",
               "proton": "PROTONS"}
_STORED_KEYS = ("x", "y", "z", "u", "v", "w", "weight")      # order of the $RECORD_CONTENTS flags
_EXTRA_FLOAT_TYPES = {0: "user defined", 1: "XLAST", 2: "YLAST", 3: "ZLAST"}
_EXTRA_LONG_TYPES = {0: "user defined", 1: "incremental history number", 2: "EGS LATCH", 3: "PENELOPE ILB5",
                     4: "PENELOPE ILB4", 5: "PENELOPE ILB3", 6: "PENELOPE ILB2", 7: "PENELOPE ILB1"}
_MANDATORY = ("FILE_TYPE", "CHECKSUM", "RECORD_CONTENTS", "RECORD_LENGTH", "BYTE_ORDER", "ORIG_HISTORIES",
              "PARTICLES")
UNIT_EXCESS = 1e-5      # u^2 + v^2 up to 1 + this is float32 rounding: clamped to w = 0
INCREMENTAL = 1         # extra-long type code of the incremental history number
CHUNK = 1 << 20         # records per chunk of chunks()
SCAN_CHUNK = 1 << 16    # records per window of the internal passes (scan, history flags): cache-sized, faster


def paths(path) -> tuple:
    """``(header path, data path)`` from ``NAME.IAEAheader``, ``NAME.IAEAphsp`` or ``NAME`` (no suffix)."""
    path = Path(path)
    if path.suffix in (".IAEAheader", ".IAEAphsp"):
        path = path.with_suffix("")
    return path.parent / (path.name + ".IAEAheader"), path.parent / (path.name + ".IAEAphsp")


# ---------------------------------------------------------------------------------------------- header

@dataclass(frozen=True)
class Header:
    """The parsed ``.IAEAheader`` (IAEA(NDS)-0484). Lengths in cm, energies in MeV.

    ``stored``: 'x', 'y', 'z', 'u', 'v', 'weight' -> bool (w is never stored); ``constants``: the
    values of those not stored (and 'w' where $RECORD_CONSTANT gives one, which is ignored: w is
    computed from u, v); ``extra_floats``/``extra_longs``: one type code each; ``byte_order``: '<'
    or '>'; ``counts``: 'photon' ... 'proton' -> int (0 where absent); ``counts_given``: whether
    the header gives any per-type count; ``sections``: every section name (without '$' and ':')
    -> its raw text lines.
    """
    header_path: Path
    data_path: Path
    title: str
    index: str
    file_type: int
    stored: dict
    constants: dict
    extra_floats: tuple
    extra_longs: tuple
    record_length: int
    byte_order: str
    checksum: int
    orig_histories: int
    particles: int
    counts: dict
    sections: dict
    counts_given: bool = True

    def dtype(self) -> np.dtype:
        """Structured dtype of one record, in the file's byte order; its itemsize is ``record_length``.
        Fields: 'type' (i1), 'energy', the stored ones of 'x', 'y', 'z', 'u', 'v', 'weight' (f4),
        'xf0', 'xf1', ... (f4, extra floats), 'xl0', 'xl1', ... (i4, extra longs)."""
        o = self.byte_order
        fields = [("type", "i1"), ("energy", o + "f4")]
        fields += [(k, o + "f4") for k in ("x", "y", "z", "u", "v", "weight") if self.stored[k]]
        fields += [(f"xf{i}", o + "f4") for i in range(len(self.extra_floats))]
        fields += [(f"xl{i}", o + "i4") for i in range(len(self.extra_longs))]
        return np.dtype(fields)

    @property
    def incremental_field(self):
        """Name of the extra long holding the incremental history number, or None."""
        return f"xl{self.extra_longs.index(INCREMENTAL)}" if INCREMENTAL in self.extra_longs else None


def _clean(line: str) -> str:
    """A header line without its comment ('//' at the start or after white space) and outer white space."""
    for m in re.finditer("//", line):
        if m.start() == 0 or line[m.start() - 1].isspace():
            return line[:m.start()].strip()
    return line.strip()


def _sections(path: Path) -> dict:
    """Section name -> list of raw content lines."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError(f"{path}: IAEA header file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    sections, current = {}, None
    for raw in text.splitlines():
        line = _clean(raw)
        if line.startswith("$") and ":" in line:
            name = line[1:line.index(":")].strip()
            if name in sections:
                raise InputError(f"{path}: ${name} appears twice")
            current = sections[name] = []
            rest = line[line.index(":") + 1:].strip()
            if rest:
                current.append(rest)
        elif current is not None:
            current.append(raw.rstrip())
    for lines in sections.values():
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
    return sections


def _tokens(sections: dict, key: str) -> list:
    return [t for line in sections.get(key, ()) for t in _clean(line).split()]


def _integer(path: Path, key: str, token: str) -> int:
    """A non-negative integer token; an integral float such as 1.0E+09 is accepted."""
    try:
        if re.fullmatch(r"\+?\d+", token):
            return int(token)
        value = Decimal(token)
        if value.is_finite() and value == value.to_integral_value() and value >= 0:
            return int(value)
    except InvalidOperation:
        pass
    raise InputError(f"{path}: ${key}: {token!r} is not a non-negative integer")


def _int_key(path: Path, sections: dict, key: str, default=None) -> int:
    tokens = _tokens(sections, key)
    if key not in sections or not tokens:
        if default is not None:
            return default
        what = "missing" if key not in sections else "empty"
        raise InputError(f"{path}: mandatory key ${key} is {what}")
    return _integer(path, key, tokens[0])


def read_header(path) -> Header:
    """Parse and check ``NAME.IAEAheader`` (``path`` may name either file or the stem).

    InputError naming the file and the key for: a missing mandatory key ($FILE_TYPE, $CHECKSUM,
    $RECORD_CONTENTS, $RECORD_LENGTH, $BYTE_ORDER, $ORIG_HISTORIES, $PARTICLES; $RECORD_CONSTANT
    where a value is constant), a non-numeric value, record contents that are not 0/1 flags with
    known extra type codes, a $RECORD_LENGTH other than the contents' length, a byte order other
    than 1234/4321, a $FILE_TYPE other than 0 (event generators are not supported), and per-type
    counts whose sum is not $PARTICLES. Counts are Python ints (64-bit and beyond).
    """
    hpath, dpath = paths(path)
    sections = _sections(hpath)
    for key in _MANDATORY:
        if key not in sections:
            raise InputError(f"{hpath}: mandatory key ${key} is missing")
    file_type = _int_key(hpath, sections, "FILE_TYPE")
    if file_type != 0:
        raise InputError(f"{hpath}: $FILE_TYPE {file_type}: only phase-space files (0) are supported, "
                         "not event generators (1)")

    tokens = _tokens(sections, "RECORD_CONTENTS")
    contents = []
    for t in tokens:
        if not re.fullmatch(r"\+?\d+", t):
            raise InputError(f"{hpath}: $RECORD_CONTENTS: {t!r} is not a non-negative integer")
        contents.append(int(t))
    if len(contents) < 9:
        raise InputError(f"{hpath}: $RECORD_CONTENTS has {len(contents)} values; it needs 9 (X, Y, Z, U, V, W, "
                         "Weight stored flags, the numbers of extra floats and extra longs) and a type code "
                         "per extra")
    flags = dict(zip(_STORED_KEYS, contents[:7]))
    for key, flag in flags.items():
        if flag not in (0, 1):
            raise InputError(f"{hpath}: $RECORD_CONTENTS: '{key} is stored' flag is {flag}; it must be 0 or 1")
    n_float, n_long = contents[7], contents[8]
    codes = contents[9:]
    if codes and len(codes) != n_float + n_long:
        raise InputError(f"{hpath}: $RECORD_CONTENTS: {len(codes)} extra type codes for {n_float} extra floats "
                         f"and {n_long} extra longs")
    if not codes:                       # headers of the first IAEA library: no type lines, all user defined
        codes = [0] * (n_float + n_long)
    extra_floats, extra_longs = tuple(codes[:n_float]), tuple(codes[n_float:])
    for code in extra_floats:
        if code not in _EXTRA_FLOAT_TYPES:
            raise InputError(f"{hpath}: $RECORD_CONTENTS: unknown extra-float type code {code} (known: "
                             + ", ".join(f"{k} {v}" for k, v in _EXTRA_FLOAT_TYPES.items()) + ")")
    for code in extra_longs:
        if code not in _EXTRA_LONG_TYPES:
            raise InputError(f"{hpath}: $RECORD_CONTENTS: unknown extra-long type code {code} (known: "
                             + ", ".join(f"{k} {v}" for k, v in _EXTRA_LONG_TYPES.items()) + ")")
    stored = {k: bool(flags[k]) for k in ("x", "y", "z", "u", "v", "weight")}

    # $RECORD_CONSTANT: one value per flag 0, in the order x, y, z, u, v, w, weight. A W constant is
    # present where the W flag is 0 (IAEA library), except where u and v are stored and it is left out
    # (particlezoo's reading of W flag 0); further values are ignored, as the IAEA library does.
    order = [k for k in ("x", "y", "z", "u", "v") if not stored[k]]
    values = []
    for t in _tokens(sections, "RECORD_CONSTANT"):
        try:
            values.append(float(t))
        except ValueError:
            raise InputError(f"{hpath}: $RECORD_CONSTANT: {t!r} is not a number") from None
    needed = len(order) + (0 if stored["weight"] else 1)
    if flags["w"] == 0 and (not (stored["u"] and stored["v"]) or len(values) > needed):
        order.append("w")
    if not stored["weight"]:
        order.append("weight")
    if len(values) < len(order):
        if "RECORD_CONSTANT" not in sections:
            raise InputError(f"{hpath}: mandatory key $RECORD_CONSTANT is missing (constant: {', '.join(order)})")
        raise InputError(f"{hpath}: $RECORD_CONSTANT has {len(values)} values for the {len(order)} constants "
                         f"{', '.join(order)}")
    constants = {}
    for key, value in zip(order, values):
        if not math.isfinite(value):
            raise InputError(f"{hpath}: $RECORD_CONSTANT: constant {key} is {value}")
        constants[key] = float(np.float32(value))
    if "weight" in constants and constants["weight"] <= 0:
        raise InputError(f"{hpath}: $RECORD_CONSTANT: constant weight {constants['weight']} must be > 0")

    record_length = _int_key(hpath, sections, "RECORD_LENGTH")
    expected = 1 + 4 * (1 + sum(stored.values()) + n_float + n_long)
    if record_length != expected:
        raise InputError(f"{hpath}: $RECORD_LENGTH {record_length} disagrees with $RECORD_CONTENTS, which make "
                         f"records of {expected} bytes")
    order_code = _int_key(hpath, sections, "BYTE_ORDER")
    if order_code not in (1234, 4321):
        raise InputError(f"{hpath}: $BYTE_ORDER {order_code} is not supported (1234 little endian, "
                         "4321 big endian)")
    particles = _int_key(hpath, sections, "PARTICLES")
    counts, given = {}, False
    for kind, key in _COUNT_KEYS.items():
        given |= key in sections
        counts[kind] = _int_key(hpath, sections, key, default=0)
    if given and sum(counts.values()) != particles:
        raise InputError(f"{hpath}: $PARTICLES {particles} is not the sum of the per-type counts ("
                         + ", ".join(f"{_COUNT_KEYS[k]} {n}" for k, n in counts.items() if n) + ")")
    title = " ".join(_clean(line) for line in sections.get("TITLE", ()) if _clean(line))
    index = " ".join(_tokens(sections, "IAEA_INDEX"))
    return Header(header_path=hpath, data_path=dpath, title=title, index=index, file_type=file_type,
                  stored=stored, constants=constants, extra_floats=extra_floats, extra_longs=extra_longs,
                  record_length=record_length, byte_order="<" if order_code == 1234 else ">",
                  checksum=_int_key(hpath, sections, "CHECKSUM"),
                  orig_histories=_int_key(hpath, sections, "ORIG_HISTORIES"), particles=particles,
                  counts=counts, sections={k: tuple(v) for k, v in sections.items()}, counts_given=given)


# ---------------------------------------------------------------------------------------------- reader

@dataclass
class Particles:
    """One chunk of records as numpy arrays: ``kind`` int8 kernel codes (0 photon, 1 electron,
    2 positron); x, y, z (cm), u, v, w (unit direction), energy (kinetic MeV, > 0), weight (> 0),
    all float64; ``new_history`` bool; ``incremental`` int64 incremental history numbers (extra long
    type 1) where the file has them, else None."""
    kind: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    energy: np.ndarray
    weight: np.ndarray
    new_history: np.ndarray
    incremental: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.energy)


@dataclass
class ScanResult:
    """One validating pass over a phase space (:meth:`PhaseSpaceReader.scan`). Energies in MeV, lengths in cm.

    particles: records; counts: kind ('photon', 'electron', 'positron') -> records;
    histories: history starts (records flagged as new history, the first record always counting
    as one), or ``particles`` where the file has no flags; has_history_flags: whether any record
    has one; incremental_histories: the sum of the incremental history numbers (histories with
    and without particles) where the file stores them, else None; max_history_particles: the most
    records in one history; energy_min / energy_max / energy_mean: kind -> value (unweighted; NaN
    for an absent kind); weight_sum: kind -> sum of weights; weight_min, weight_max: over all
    records; x_min ... z_max: position extents; boundaries: int64 record offset of the start of
    each requested history (``particles`` for the history number ``histories``).
    """
    particles: int
    counts: dict
    histories: int
    has_history_flags: bool
    incremental_histories: int | None
    max_history_particles: int
    energy_min: dict
    energy_max: dict
    energy_mean: dict
    weight_sum: dict
    weight_min: float
    weight_max: float
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    z_min: float
    z_max: float
    boundaries: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


class PhaseSpaceReader:
    """Streams an IAEA phase space (IAEA(NDS)-0484) through ``np.memmap`` windows of the data file,
    never reading it into memory as a whole.

    Refused on opening (InputError naming the file): a bad header (:func:`read_header`), a
    $CHECKSUM other than $PARTICLES x $RECORD_LENGTH, a data file whose size is not the $CHECKSUM
    (truncated or too long: the message says how many records it really holds).
    """

    def __init__(self, path):
        self.header = read_header(path)
        h = self.header
        self.path = h.data_path
        self.n_particles = h.particles
        self._dtype = h.dtype()
        expected = h.particles * h.record_length
        if h.checksum != expected:
            raise InputError(f"{h.header_path}: $CHECKSUM {h.checksum} is not $PARTICLES x $RECORD_LENGTH "
                             f"= {h.particles} x {h.record_length} = {expected} bytes")
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            raise InputError(f"{self.path}: IAEA phase-space data file not found (header "
                             f"{h.header_path.name} declares {h.particles} particles)") from None
        except OSError as exc:
            raise InputError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        if size != expected:
            whole, rest = divmod(size, h.record_length)
            how = "truncated" if size < expected else "longer than its header says"
            extra = f" and {rest} bytes of a partial record" if rest else ""
            raise InputError(f"{self.path}: data file {how}: the header declares {h.particles} records of "
                             f"{h.record_length} bytes ({expected} bytes) but the file holds {whole} records"
                             f"{extra} ({size} bytes)")
        self._incr = h.incremental_field
        self._flags = None

    # -- raw access
    def _window(self, start: int, stop: int):
        """Records [start, stop) as a read-only array view of a memmap of just that window (unmapped
        when the view is dropped)."""
        if not 0 <= start <= stop <= self.n_particles:
            raise IndexError(f"records [{start}, {stop}) outside [0, {self.n_particles})")
        if stop == start:
            return np.zeros(0, self._dtype)
        return np.asarray(np.memmap(self.path, dtype=self._dtype, mode="r",
                                    offset=start * self.header.record_length, shape=(stop - start,)))

    def _history_flags(self, rec) -> np.ndarray:
        """New-history flags of raw records: negative energy (sign bit) or incremental history number > 0."""
        flags = np.signbit(rec["energy"])
        if self._incr is not None:
            flags |= rec[self._incr] > 0
        return flags

    @property
    def has_history_flags(self) -> bool:
        """Whether any record starts a new history (negative energy, or incremental history number > 0);
        False means that every particle is its own history. Found by one pass over the energies
        (or by :meth:`scan`), then cached."""
        if self._flags is None:
            found = False
            for start in range(0, self.n_particles, SCAN_CHUNK):
                if self._history_flags(self._window(start, min(start + SCAN_CHUNK, self.n_particles))).any():
                    found = True
                    break
            self._flags = found
        return self._flags

    def read(self, start: int, stop: int) -> Particles:
        """Records [start, stop), checked. InputError ``"FILE: record N: ..."`` (N counted from 0) at the
        first record with an unknown type code (0 or |code| > 5), a neutron or proton (not transported
        by mcdose), a kinetic energy that is not finite or is zero, a position or weight that is not
        finite, a weight <= 0, u, v not finite or u^2 + v^2 > 1 + 1e-5, or a negative incremental
        history number. u^2 + v^2 in (1, 1 + 1e-5] (float32 rounding) gives w = 0 with u, v renormalised.
        """
        rec = self._window(start, stop)
        h = self.header
        n = len(rec)
        code = rec["type"].astype(np.int16)
        e32 = rec["energy"]

        def column(key):
            if h.stored[key]:
                return rec[key].astype(np.float64)
            return np.full(n, h.constants[key], np.float64)

        x, y, z, u, v, weight = (column(k) for k in ("x", "y", "z", "u", "v", "weight"))
        incremental = rec[self._incr].astype(np.int64) if self._incr is not None else None
        energy = np.abs(e32.astype(np.float64))
        a = np.abs(code)
        s = u * u + v * v
        with np.errstate(invalid="ignore"):
            checks = [
                ((a == 0) | (a > 5), lambda i: f"unknown particle type code {code[i]} (IAEA codes: 1 photon, "
                                               "2 electron, 3 positron, 4 neutron, 5 proton)"),
                (a > 3, lambda i: f"{_IAEA_NAME[int(a[i])]} (IAEA code {code[i]}): mcdose transports photons, "
                                  "electrons and positrons only"),
                (~np.isfinite(energy), lambda i: f"kinetic energy {e32[i]} MeV is not finite"),
                (energy == 0, lambda i: "kinetic energy is zero"),
                (~(np.isfinite(x) & np.isfinite(y) & np.isfinite(z)),
                 lambda i: f"position ({x[i]}, {y[i]}, {z[i]}) cm is not finite"),
                (~np.isfinite(weight), lambda i: f"weight {weight[i]} is not finite"),
                (weight <= 0, lambda i: f"weight {weight[i]} must be > 0"),
                (~np.isfinite(s), lambda i: f"direction cosines u = {u[i]}, v = {v[i]} are not finite"),
                (s > 1 + UNIT_EXCESS, lambda i: f"direction cosines u = {u[i]:.7g}, v = {v[i]:.7g} have "
                                                f"u^2 + v^2 = {s[i]:.7g} > 1"),
            ]
            if incremental is not None:
                checks.append((incremental < 0, lambda i: f"incremental history number {incremental[i]} < 0"))
            bad = np.zeros(n, bool)
            for mask, _ in checks:
                bad |= mask
        if bad.any():
            i = int(np.argmax(bad))
            for mask, message in checks:
                if mask[i]:
                    raise InputError(f"{self.path}: record {start + i}: {message(i)}")
        over = s > 1.0
        if over.any():
            scale = 1.0 / np.sqrt(s[over])
            u[over] *= scale
            v[over] *= scale
            s[over] = 1.0
        w = np.sqrt(np.maximum(0.0, 1.0 - s))
        w[code < 0] *= -1.0
        flags = self._history_flags(rec)
        return Particles(kind=(a - 1).astype(np.int8), x=x, y=y, z=z, u=u, v=v, w=w, energy=energy,
                         weight=weight, new_history=flags, incremental=incremental)

    def chunks(self, size: int = CHUNK):
        """Yield ``(start, Particles)`` over the whole file, ``size`` records at a time."""
        if size < 1:
            raise ValueError("chunk size must be >= 1")
        for start in range(0, self.n_particles, size):
            yield start, self.read(start, min(start + size, self.n_particles))

    def history_starts(self, start: int, stop: int) -> np.ndarray:
        """Record offsets (int64) of the history starts in records [start, stop) followed by ``stop``,
        for a segment that begins on a history start (``start`` is always the first entry). Without
        history flags every record is its own history."""
        if not 0 <= start <= stop <= self.n_particles:
            raise IndexError(f"records [{start}, {stop}) outside [0, {self.n_particles})")
        if stop == start:
            return np.array([stop], np.int64)
        if not self.has_history_flags:
            return np.arange(start, stop + 1, dtype=np.int64)
        parts = [np.array([start], np.int64)]
        for lo in range(start, stop, SCAN_CHUNK):
            hi = min(lo + SCAN_CHUNK, stop)
            found = np.flatnonzero(self._history_flags(self._window(lo, hi))).astype(np.int64) + lo
            parts.append(found[found > start])
        parts.append(np.array([stop], np.int64))
        return np.concatenate(parts)

    def scan(self, boundaries=None, chunk: int = SCAN_CHUNK) -> ScanResult:
        """One streaming pass validating every record (as :meth:`read`): per-kind counts (checked
        against the header's: InputError naming the file and the kind where they differ), histories,
        energy and weight ranges, the longest history and, for the sorted 0-based history numbers
        ``boundaries`` (up to the number of histories), the record offset where each starts.
        Memory O(chunk + len(boundaries)), not O(histories)."""
        want = np.asarray([] if boundaries is None else boundaries, dtype=np.int64).ravel()
        if want.size and (np.any(np.diff(want) < 0) or want[0] < 0):
            raise ValueError("boundaries must be sorted history numbers >= 0")
        found = np.full(want.size, -1, np.int64)
        counts = np.zeros(3, np.int64)
        e_min, e_max = np.full(3, np.inf), np.full(3, -np.inf)
        e_sum, w_sum = np.zeros(3), np.zeros(3)
        ext = np.array([np.inf, -np.inf] * 3)
        w_min, w_max = math.inf, -math.inf
        histories = 0               # history starts seen so far
        run = 0                     # records in the open history
        longest = 0
        any_flag = False
        incr_total = 0 if self._incr is not None else None
        for start, p in self.chunks(chunk):
            n = len(p)
            k = p.kind
            counts += np.bincount(k, minlength=3)[:3]
            for c in range(3):
                sel = k == c
                if sel.any():
                    e = p.energy[sel]
                    e_min[c] = min(e_min[c], e.min())
                    e_max[c] = max(e_max[c], e.max())
                    e_sum[c] += e.sum()
                    w_sum[c] += p.weight[sel].sum()
            w_min, w_max = min(w_min, p.weight.min()), max(w_max, p.weight.max())
            for j, a in enumerate((p.x, p.y, p.z)):
                ext[2 * j] = min(ext[2 * j], a.min())
                ext[2 * j + 1] = max(ext[2 * j + 1], a.max())
            if incr_total is not None:
                incr_total += int(p.incremental.sum())
            flags = p.new_history.copy()
            any_flag |= bool(flags.any())
            if start == 0:
                flags[0] = True
            starts = np.flatnonzero(flags)
            # history numbers histories .. histories + len(starts) - 1 begin in this chunk
            if want.size and starts.size:
                lo, hi = np.searchsorted(want, [histories, histories + starts.size])
                found[lo:hi] = starts[want[lo:hi] - histories] + start
            if starts.size:
                longest = max(longest, run + int(starts[0]))
                if starts.size > 1:
                    longest = max(longest, int(np.diff(starts).max()))
                run = n - int(starts[-1])
            else:
                run += n
            histories += starts.size
        longest = max(longest, run)
        total = self.n_particles
        if not any_flag:            # every particle its own history
            histories, longest = total, min(total, 1)
            found = np.where(want <= total, want, -1)
        else:
            found[want == histories] = total
        if want.size and (found < 0).any():
            raise ValueError(f"boundaries: history {int(want[found < 0][0])} beyond the {histories} histories "
                             f"of {self.path}")
        self._flags = any_flag
        h = self.header
        names = dict(zip(KINDS, counts.tolist()))
        if h.counts_given:
            for kind in KINDS:
                if names[kind] != h.counts[kind]:
                    raise InputError(f"{h.header_path}: ${_COUNT_KEYS[kind]} says {h.counts[kind]} {kind}s but "
                                     f"the data file holds {names[kind]}")
        nan = float("nan")
        present = [c for c in range(3) if counts[c]]
        return ScanResult(
            particles=total, counts=names, histories=int(histories), has_history_flags=any_flag,
            incremental_histories=incr_total, max_history_particles=int(longest),
            energy_min={KINDS[c]: float(e_min[c]) if c in present else nan for c in range(3)},
            energy_max={KINDS[c]: float(e_max[c]) if c in present else nan for c in range(3)},
            energy_mean={KINDS[c]: float(e_sum[c] / counts[c]) if c in present else nan for c in range(3)},
            weight_sum={KINDS[c]: float(w_sum[c]) for c in range(3)},
            weight_min=float(w_min) if total else nan, weight_max=float(w_max) if total else nan,
            **{f"{a}_{m}": (float(ext[2 * j + i]) if total else nan)
               for j, a in enumerate("xyz") for i, m in enumerate(("min", "max"))},
            boundaries=found)


# ---------------------------------------------------------------------------------------------- writer

_HEADER_KIND = ("PHOTONS", "ELECTRONS", "POSITRONS")


def _line(text) -> str:
    """One header line: white space collapsed, no leading '$' (which would open a section)."""
    return " ".join(str(text).split()).lstrip("$").strip()


def _num(value: float) -> str:
    """A float32 value written so that reading it back as float32 gives it exactly."""
    return f"{float(np.float32(value)):.9g}"


class PhaseSpaceWriter:
    """Writes ``NAME.IAEAheader`` + ``NAME.IAEAphsp`` (IAEA(NDS)-0484, little endian) atomically:
    temporary files in the same folder, fsync, then at :meth:`close` the header and then the data
    renamed into place (so there is never a data file without its header). Refuses (InputError) a
    symbolic link, directory or existing file at either path unless ``overwrite``;
    :meth:`abort` removes the temporaries. Records: x, y, z (cm; z as $RECORD_CONSTANT where
    ``constant_z`` is given: a plane z = const), u, v, weight, kinetic energy (MeV) and, where
    ``incremental``, one extra long of type 1 (histories since the previous particle, EGS/PENELOPE
    convention). Counts are Python ints (64-bit safe).
    """

    def __init__(self, path, *, title: str, constant_z: float | None = None, incremental: bool = True,
                 overwrite: bool = False,
                 coordinate_description: str = "x, y, z in cm in the mcdose world frame; u, v, w direction "
                                               "cosines along x, y, z",
                 code_version: str = "mcdose", machine_type: str = "unspecified",
                 photon_cutoff: float | None = None, particle_cutoff: float | None = None):
        self.header_path, self.data_path = paths(path)
        for p in (self.header_path, self.data_path):
            check_output(p, overwrite)
        self.overwrite = overwrite
        self.title = _line(title) or "mcdose phase space"
        self.constant_z = None if constant_z is None else float(np.float32(constant_z))
        if self.constant_z is not None and not math.isfinite(self.constant_z):
            raise InputError(f"{self.data_path}: constant z {constant_z} is not finite")
        self.incremental = bool(incremental)
        self.coordinate_description = coordinate_description
        self.code_version, self.machine_type = code_version, machine_type
        self.photon_cutoff, self.particle_cutoff = photon_cutoff, particle_cutoff
        fields = [("type", "<i1"), ("energy", "<f4"), ("x", "<f4"), ("y", "<f4")]
        fields += [] if self.constant_z is not None else [("z", "<f4")]
        fields += [("u", "<f4"), ("v", "<f4"), ("weight", "<f4")]
        fields += [("xl0", "<i4")] if self.incremental else []
        self.dtype = np.dtype(fields)
        self.particles = 0
        self.histories = 0          # histories the records start (sum of incremental numbers, or flags)
        self.counts = [0, 0, 0]
        self.w_sum, self.e_wsum = [0.0] * 3, [0.0] * 3
        self.w_min, self.w_max = [math.inf] * 3, [-math.inf] * 3
        self.e_min, self.e_max = [math.inf] * 3, [-math.inf] * 3
        self.extent = [math.inf, -math.inf] * 3
        self._tmp_header = self._tmp_data = None
        self._data = None
        self._state = "open"
        try:
            fd, self._tmp_data = tempfile.mkstemp(prefix=f".{self.data_path.name[:40]}.", suffix=".tmp",
                                                  dir=self.data_path.parent)
        except OSError as exc:
            raise InputError(f"{self.data_path}: cannot be written ({exc.strerror or exc})") from None
        self._data = os.fdopen(fd, "wb")

    def _fail(self, message: str):
        raise InputError(f"{self.data_path}: {message}")

    def write(self, kind, x, y, z, u, v, w, energy, weight, new_history, incremental=None) -> None:
        """Append one chunk: numpy arrays (or scalars) of equal length. ``kind``: kernel codes 0 photon,
        1 electron, 2 positron; x, y, z cm (z may be None with ``constant_z``, else it must lie on the
        plane within 1e-4 cm); (u, v, w) unit; energy kinetic MeV > 0; weight > 0; ``new_history``
        bool; ``incremental`` (with ``incremental=True``): histories since the previous particle,
        > 0 exactly where ``new_history`` (default: 1 there, 0 elsewhere). InputError otherwise."""
        if self._state != "open":
            raise ValueError(f"{self.data_path}: writer is {self._state}")
        kind = np.asarray(kind)
        n = kind.size
        kind = kind.reshape(n)

        def arr(a, name, dtype=np.float64):
            a = np.asarray(a, dtype=dtype)
            if a.ndim == 0:
                a = np.full(n, a, dtype)
            if a.shape != (n,):
                raise ValueError(f"write: {name} has shape {a.shape}, kind has {n} values")
            return a

        if not np.issubdtype(kind.dtype, np.integer) or ((kind < 0) | (kind > 2)).any():
            self._fail("write: particle kind must be 0 photon, 1 electron or 2 positron")
        kind = kind.astype(np.int64)
        x, y, u, v, w = (arr(a, nm) for a, nm in ((x, "x"), (y, "y"), (u, "u"), (v, "v"), (w, "w")))
        energy, weight = arr(energy, "energy"), arr(weight, "weight")
        new_history = arr(new_history, "new_history", bool)
        if z is None:
            if self.constant_z is None:
                raise ValueError("write: z is None but the writer has no constant_z")
            z = np.full(n, self.constant_z)
        z = arr(z, "z")
        with np.errstate(invalid="ignore"):
            checks = [(~np.isfinite(energy) | (energy <= 0), "kinetic energy {} MeV must be finite and > 0",
                       energy),
                      (~np.isfinite(weight) | (weight <= 0), "weight {} must be finite and > 0", weight),
                      (~(np.isfinite(x) & np.isfinite(y) & np.isfinite(z)), "position not finite (x = {})", x),
                      (~(np.abs(u * u + v * v + w * w - 1.0) <= 1e-4), "direction not a unit vector (u = {})", u)]
            if self.constant_z is not None:
                checks.append((~(np.abs(z - self.constant_z) <= 1e-4),
                               "z = {} cm is off the plane z = " + f"{self.constant_z} cm of this phase space", z))
        for mask, message, values in checks:
            if mask.any():
                i = int(np.argmax(mask))
                self._fail(f"particle {self.particles + i}: " + message.format(values[i]))
        rec = np.empty(n, self.dtype)
        rec["type"] = np.where(w < 0, -(kind + 1), kind + 1)
        rec["energy"] = np.where(new_history, -energy, energy)
        rec["x"], rec["y"], rec["u"], rec["v"], rec["weight"] = x, y, u, v, weight
        if self.constant_z is None:
            rec["z"] = z
        if self.incremental:
            if incremental is None:
                incr = new_history.astype(np.int64)
            else:
                incr = arr(incremental, "incremental", np.int64)
                wrong = ((incr > 0) != new_history) | (incr < 0) | (incr > np.iinfo(np.int32).max)
                if wrong.any():
                    i = int(np.argmax(wrong))
                    self._fail(f"particle {self.particles + i}: incremental history number {incr[i]} must be "
                               "> 0 (and fit in 32 bits) exactly where a new history starts")
            rec["xl0"] = incr
            self.histories += int(incr.sum())
        elif incremental is not None:
            raise ValueError("write: incremental numbers given but the writer stores none (incremental=False)")
        else:
            self.histories += int(new_history.sum())
        # statistics from the float32 values as stored
        e32, w32 = rec["energy"].astype(np.float64), rec["weight"].astype(np.float64)
        e32 = np.abs(e32)
        for c in range(3):
            sel = kind == c
            if sel.any():
                self.counts[c] += int(sel.sum())
                ws, es = w32[sel], e32[sel]
                self.w_sum[c] += float(ws.sum())
                self.e_wsum[c] += float((ws * es).sum())
                self.w_min[c], self.w_max[c] = min(self.w_min[c], ws.min()), max(self.w_max[c], ws.max())
                self.e_min[c], self.e_max[c] = min(self.e_min[c], es.min()), max(self.e_max[c], es.max())
        for j, key in enumerate("xyz"):
            if n and (key != "z" or self.constant_z is None):
                a = rec[key]
                self.extent[2 * j] = min(self.extent[2 * j], float(a.min()))
                self.extent[2 * j + 1] = max(self.extent[2 * j + 1], float(a.max()))
        self.particles += n
        rec.tofile(self._data)

    def header_text(self, orig_histories: int) -> str:
        """The header for the records written so far."""
        z_stored = self.constant_z is None
        rl = self.dtype.itemsize
        sec = []

        def put(name, *lines):
            sec.append(f"${name}:\n" + "".join(f"{line}\n" for line in lines))

        put("IAEA_INDEX", "0     // not registered with the IAEA")
        put("TITLE", self.title)
        put("FILE_TYPE", "0")
        put("CHECKSUM", str(self.particles * rl))
        contents = ["    1     // X is stored ?", "    1     // Y is stored ?",
                    f"    {int(z_stored)}     // Z is stored ?", "    1     // U is stored ?",
                    "    1     // V is stored ?", "    1     // W is stored ?", "    1     // Weight is stored ?",
                    "    0     // Extra floats stored ?", f"    {int(self.incremental)}     // Extra longs stored ?"]
        if self.incremental:
            contents.append("    1     // Incremental history number stored in the extralong array [ 0]")
        put("RECORD_CONTENTS", *contents)
        put("RECORD_CONSTANT", *([] if z_stored else [f"   {_num(self.constant_z)}     // Constant Z"]))
        put("RECORD_LENGTH", str(rl))
        put("BYTE_ORDER", "1234")
        put("ORIG_HISTORIES", str(int(orig_histories)))
        put("PARTICLES", str(self.particles))
        for c, name in enumerate(_HEADER_KIND):
            if self.counts[c]:
                put(name, str(self.counts[c]))
        put("TRANSPORT_PARAMETERS", _line(f"{self.code_version} condensed-history transport"))
        put("MACHINE_TYPE", _line(self.machine_type) or "unspecified")
        put("MONTE_CARLO_CODE_VERSION", _line(self.code_version) or "mcdose")
        put("GLOBAL_PHOTON_ENERGY_CUTOFF", "0.0     // MeV, not recorded" if self.photon_cutoff is None
            else f"{self.photon_cutoff:g}     // MeV")
        put("GLOBAL_PARTICLE_ENERGY_CUTOFF", "0.0     // MeV, not recorded" if self.particle_cutoff is None
            else f"{self.particle_cutoff:g}     // MeV")
        put("COORDINATE_SYSTEM_DESCRIPTION", *([_line(t) for t in str(self.coordinate_description).splitlines()
                                                if _line(t)] or ["cm"]))
        sec.append("//  OPTIONAL INFORMATION\n")
        put("ADDITIONAL_NOTES", "This is IAEA header as defined in the technical",
            "report IAEA(NDS)-0484, Vienna, 2006")
        stats = ["//" + "".join(f"{t:>16}" for t in ("Weight", "Wmin", "Wmax", "<E>", "Emin", "Emax"))
                 + "    Particle"]
        for c, name in enumerate(_HEADER_KIND):
            if self.counts[c]:
                mean = self.e_wsum[c] / self.w_sum[c]
                values = (f"{self.w_sum[c]:.9g}", _num(self.w_min[c]), _num(self.w_max[c]), f"{mean:.9g}",
                          _num(self.e_min[c]), _num(self.e_max[c]))
                stats.append("  " + " ".join(f"{t:>15}" for t in values) + f"    {name}")
        put("STATISTICAL_INFORMATION_PARTICLES", *stats)
        geometry = []
        if self.particles:
            geometry = [f"{_num(self.extent[2 * j])}  {_num(self.extent[2 * j + 1])}"
                        for j in range(3) if j < 2 or z_stored]
        put("STATISTICAL_INFORMATION_GEOMETRY", *geometry)
        return "\n".join(sec)

    def close(self, orig_histories: int) -> None:
        """Finish: write the header (every mandatory key, per-type counts, statistics), fsync, rename
        the header then the data file into place. ``orig_histories``: histories simulated (>= the
        histories the records start)."""
        if self._state != "open":
            raise ValueError(f"{self.data_path}: writer is {self._state}")
        orig_histories = int(orig_histories)
        if orig_histories < self.histories:
            self.abort()
            raise InputError(f"{self.data_path}: orig_histories {orig_histories} is less than the "
                             f"{self.histories} histories the records start")
        try:
            self._data.flush()
            os.fsync(self._data.fileno())
            self._data.close()
            fd, self._tmp_header = tempfile.mkstemp(prefix=f".{self.header_path.name[:40]}.", suffix=".tmp",
                                                    dir=self.header_path.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(self.header_text(orig_histories))
                fh.flush()
                os.fsync(fh.fileno())
            mode = 0o666 & ~_umask()
            for tmp in (self._tmp_header, self._tmp_data):
                os.chmod(tmp, mode)
            for p in (self.header_path, self.data_path):
                check_output(p, self.overwrite)
            os.replace(self._tmp_header, self.header_path)
            self._tmp_header = None
            os.replace(self._tmp_data, self.data_path)
            self._tmp_data = None
            try:
                dfd = os.open(self.data_path.parent, os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
            except OSError:
                pass
        except BaseException as exc:
            self.abort()
            if isinstance(exc, OSError):
                raise InputError(f"{self.data_path}: cannot be written ({exc.strerror or exc})") from exc
            raise
        self._state = "closed"

    def abort(self) -> None:
        """Drop what was written: close and remove the temporaries (the targets are left as they were)."""
        if self._data is not None and not self._data.closed:
            self._data.close()
        for tmp in (self._tmp_header, self._tmp_data):
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
        self._tmp_header = self._tmp_data = None
        if self._state == "open":
            self._state = "aborted"

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._state == "open":
            self.abort()
            if exc_type is None:
                raise ValueError(f"{self.data_path}: phase-space writer left without close(orig_histories); "
                                 "nothing was written")
        return False

    def __del__(self):
        try:
            if getattr(self, "_state", None) == "open":
                self.abort()
        except Exception:
            pass
