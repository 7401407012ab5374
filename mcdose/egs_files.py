"""EGSnrc interchange files: DOSXYZnrc's ``.3ddose`` dose file (write and read) and the ``.egsphant`` voxel
phantom (read), so mcdose results can be compared with DOSXYZnrc and egs_brachy outputs.

Formats, as described in the DOSXYZnrc user manual (NRCC Report PIRS-794, "the .3ddose file" and "the
.egsphant file"; the 3ddose layout also in PIRS-509(F), STATDOSE, section 3.1). Both are plain ASCII,
read as whitespace-separated tokens wherever numbers are listed, so any line wrapping is accepted
(DOSXYZnrc wraps each block at 5 numbers a line). A file that starts with the gzip magic bytes is
decompressed first (egs_brachy writes ``.3ddose.gz`` and ``.egsphant.gz`` on request).

``.3ddose``::

    nx ny nz                                    voxel counts
    x_0 ... x_nx                                nx+1 voxel boundaries, cm, increasing
    y_0 ... y_ny                                ny+1 boundaries, cm
    z_0 ... z_nz                                nz+1 boundaries, cm
    D(1,1,1) D(2,1,1) ... D(nx,ny,nz)           nx*ny*nz doses, x fastest, then y, then z;
                                                Gy per incident (source) particle
    s(1,1,1) ... s(nx,ny,nz)                    the same count of relative (fractional) 1-sigma uncertainties

``.egsphant``::

    nmed                                        number of media
    name_1 ... name_nmed                        one medium name a line
    estepe_1 ... estepe_nmed                    one ESTEPE per medium (a vestige; EGSnrc ignores it)
    nx ny nz
    x, y, z boundaries                          as in .3ddose, cm
    nz blocks of ny lines of nx characters      medium of each voxel: '1'..'9', 'A'..'Z' (then 'a'..'z', as
                                                egs_brachy extends it) = media 1, 2, ...; blank lines between
                                                z slices
    nz blocks of ny lines of nx numbers         mass density of each voxel, g/cm^3 (x fastest, then y, z)

What mcdose writes (:func:`write_3ddose`): the layout above, 5 numbers a line, every block starting on a new
line; boundaries printed with Python's shortest round-trip repr (up to 17 significant digits: read back
bit-for-bit); doses and uncertainties printed ``%.6e`` (7 significant digits, relative rounding <= 5e-7).
Doses are mcdose's Gy per source particle, which is DOSXYZnrc's normalisation (per incident particle);
uncertainties are mcdose's relative 1-sigma (0 where the dose is 0). A name ending in ``.gz`` is written
gzip-compressed.

A file from disk is input: the readers verify counts, numbers, boundaries strictly increasing, values
finite (and doses, uncertainties >= 0, densities > 0, medium keys within the media), and no text after the
last block; anything else is an :class:`~mcdose.errors.InputError` naming the file and what is wrong.
"""
from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .outputs import atomic_write, check_output
from .results import Grid, Result

__all__ = ["write_3ddose", "read_3ddose", "read_egsphant", "Phantom", "MEDIUM_KEYS", "VALUES_PER_LINE",
           "DOSE_FORMAT"]

#: Medium keys of an egsphant: medium 1 is '1', ..., medium 10 'A' (DOSXYZnrc, ctcreate), medium 36 'a' (egs_brachy)
MEDIUM_KEYS = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: Numbers a line in a written .3ddose (as DOSXYZnrc)
VALUES_PER_LINE = 5
#: printf format of doses and uncertainties in a written .3ddose (7 significant digits)
DOSE_FORMAT = "%.6e"
GZIP_MAGIC = b"\x1f\x8b"
_FORTRAN_EXPONENT = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:[dD]([+-]?\d+)|([+-]\d{3,}))$")


# ---------------------------------------------------------------------------------------------------------- write
def write_3ddose(result: Result, path, force: bool = False, inputs=()) -> Path:
    """Write a Cartesian ``result`` as a DOSXYZnrc ``.3ddose`` file at ``path``, atomically; refuse an existing
    file unless ``force``, a link, and the same file as one of ``inputs`` (pairs ``(what, path)``, e.g.
    ``("the result file", "out.h5")``: :func:`mcdose.outputs.check_output`). Returns ``path`` as a Path.

    Doses in Gy per source particle (DOSXYZnrc: per incident particle), uncertainties relative 1-sigma,
    both ``%.6e``; boundaries in cm, exact (shortest round-trip repr). Cylindrical and spherical results are
    refused with an InputError naming the grid kind: .3ddose holds x/y/z voxel grids only.
    """
    grid = result.grid
    if grid.kind != "cartesian":
        raise InputError(f".3ddose output: the result has a {grid.kind} grid ({grid.describe()}); a .3ddose file "
                         "holds Cartesian x/y/z voxels only: export it with `mcdose export --format rtdose`, "
                         "which resamples onto a Cartesian grid, or run with a Cartesian mesh "
                         "([scoring] mesh = \"cartesian\")")
    path = check_output(path, force, inputs)
    text = format_3ddose(grid.edges["x_edges"], grid.edges["y_edges"], grid.edges["z_edges"],
                         result.dose, result.uncertainty)

    def write(tmp):
        data = text.encode("ascii")
        if path.name.lower().endswith(".gz"):
            with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
                fh.write(data)
        else:
            with open(tmp, "wb") as fh:
                fh.write(data)

    return atomic_write(path, write)


def format_3ddose(x_edges, y_edges, z_edges, dose, uncertainty) -> str:
    """The text of a .3ddose file: counts, boundaries (exact), doses and uncertainties (``%.6e``), x fastest,
    :data:`VALUES_PER_LINE` numbers a line, each block on new lines."""
    edges = [np.asarray(e, dtype=np.float64) for e in (x_edges, y_edges, z_edges)]
    shape = tuple(e.size - 1 for e in edges)
    dose = np.asarray(dose, dtype=np.float64)
    uncertainty = np.asarray(uncertainty, dtype=np.float64)
    if dose.shape != shape or uncertainty.shape != shape:
        raise InputError(f".3ddose output: dose {dose.shape} and uncertainty {uncertainty.shape} must have the "
                         f"grid's shape {shape}")
    parts = ["%d %d %d\n" % shape]
    for e in edges:
        parts.append(_lines([repr(float(v)) for v in e]))
    for values in (dose, uncertainty):
        parts.append(_format_block(values.ravel(order="F")))
    return "".join(parts)


def _lines(tokens) -> str:
    """Tokens joined VALUES_PER_LINE a line, ending with a newline."""
    n = VALUES_PER_LINE
    return "".join(" ".join(tokens[i:i + n]) + "\n" for i in range(0, len(tokens), n))


def _format_block(values: np.ndarray) -> str:
    """``values`` printed DOSE_FORMAT, VALUES_PER_LINE a line, without a Python loop per number."""
    n = VALUES_PER_LINE
    full = values.size // n * n
    chunk_rows = 20000
    line = " ".join([DOSE_FORMAT] * n) + "\n"
    out = []
    for start in range(0, full, chunk_rows * n):
        block = values[start:min(full, start + chunk_rows * n)]
        out.append((line * (block.size // n)) % tuple(block.tolist()))
    if full < values.size:
        rest = values[full:]
        out.append(" ".join([DOSE_FORMAT] * rest.size) % tuple(rest.tolist()) + "\n")
    return "".join(out)


# ----------------------------------------------------------------------------------------------------------- read
def read_3ddose(path) -> Result:
    """Read a DOSXYZnrc ``.3ddose`` file (plain or gzip) into a :class:`~mcdose.results.Result` on a Cartesian
    :class:`~mcdose.results.Grid`: dose (as in the file: Gy per incident particle), relative uncertainty,
    energy_deposited zeros (a .3ddose holds no energy), no materials, metadata ``{"source_format": "3ddose"}``.

    Verified: three positive voxel counts; exactly the numbers they call for (a truncated file, or text after
    the uncertainties, is refused); every token a number; boundaries finite and strictly increasing; doses and
    uncertainties finite and >= 0. Otherwise InputError naming the file and what is wrong.
    """
    path = Path(path)
    bad = _bad(".3ddose", path)
    tokens = _read_text(path, bad).split()
    if len(tokens) < 3:
        raise bad(f"ends after {len(tokens)} values; it must start with the voxel counts nx ny nz")
    nx, ny, nz = (_count(tokens[i], f"voxel count n{a}", bad) for i, a in enumerate("xyz"))
    n = nx * ny * nz
    blocks = [("x boundaries", nx + 1), ("y boundaries", ny + 1), ("z boundaries", nz + 1),
              ("doses", n), ("uncertainties", n)]
    expected = 3 + sum(size for _, size in blocks)
    if len(tokens) != expected:
        raise bad(_count_message(len(tokens), expected, blocks, 3, "voxel counts"))
    values = _floats(tokens, 3, blocks, bad)
    parts = _split(values, blocks)
    edges = {}
    for axis, (name, _) in zip("xyz", blocks[:3]):
        edges[f"{axis}_edges"] = _edges(parts[name], name, bad)
    arrays = {}
    for name in ("doses", "uncertainties"):
        v = parts[name]
        if not np.all(np.isfinite(v)):
            raise bad(f"{name}: value {_first(v, ~np.isfinite(v))} is not finite (NaN or infinite)")
        if np.any(v < 0):
            raise bad(f"{name}: value {_first(v, v < 0)} is negative; they must be >= 0")
        arrays[name] = v.reshape((nx, ny, nz), order="F")
    grid = Grid("cartesian", edges)
    return Result(arrays["doses"], arrays["uncertainties"], np.zeros((nx, ny, nz)), grid, (),
                  {"source_format": "3ddose"})


@dataclass(frozen=True)
class Phantom:
    """A voxel phantom read from an ``.egsphant`` file.

    media: medium names (as in the file, stripped); estepe: the ESTEPE line (one per medium; unused by
    EGSnrc); x_edges, y_edges, z_edges: voxel boundaries, cm; medium: int (nx, ny, nz) 0-based indices into
    ``media`` (file key '1' -> 0); density: float64 (nx, ny, nz) mass densities, g/cm^3.
    """

    media: tuple
    estepe: np.ndarray
    x_edges: np.ndarray
    y_edges: np.ndarray
    z_edges: np.ndarray
    medium: np.ndarray
    density: np.ndarray

    @property
    def shape(self) -> tuple:
        return self.medium.shape

    @property
    def grid(self) -> Grid:
        """The voxels as a Cartesian :class:`~mcdose.results.Grid`."""
        return Grid("cartesian", {"x_edges": self.x_edges, "y_edges": self.y_edges, "z_edges": self.z_edges})


def read_egsphant(path) -> Phantom:
    """Read an ``.egsphant`` voxel phantom (plain or gzip) into a :class:`Phantom`.

    Verified: a positive number of media (at most len(MEDIUM_KEYS) = 61), a non-empty name for each, one
    finite ESTEPE per medium, three positive voxel counts, boundaries finite and strictly increasing, ny*nz
    rows of exactly nx medium keys each naming one of the media, exactly nx*ny*nz densities, all finite and
    > 0, and nothing after them. Otherwise InputError naming the file, the line where it can, and what is
    wrong.
    """
    path = Path(path)
    bad = _bad(".egsphant", path)
    lines = _read_text(path, bad).splitlines()
    cursor = _Lines(lines, bad)

    nmed = _count(cursor.tokens(1, "the number of media")[0], "number of media", bad)
    if nmed > len(MEDIUM_KEYS):
        raise bad(f"number of media {nmed} is more than the {len(MEDIUM_KEYS)} medium keys "
                  f"({MEDIUM_KEYS[0]}..{MEDIUM_KEYS[-1]}) can name")
    media = []
    for m in range(nmed):
        line_no, line = cursor.line(f"the name of medium {m + 1} of {nmed}")
        name = line.strip()
        if not name:
            raise bad(f"line {line_no}: the name of medium {m + 1} of {nmed} is empty")
        media.append(name)
    first = cursor.next_line_no
    estepe = _floats(cursor.tokens(nmed, f"the ESTEPE values (one per medium, {nmed})"), 0,
                     [(f"ESTEPE values (line {first})", nmed)], bad)
    if not np.all(np.isfinite(estepe)):
        raise bad(f"line {first}: ESTEPE value {_first(estepe, ~np.isfinite(estepe))} is not finite")
    first = cursor.next_line_no
    counts = cursor.tokens(3, "the voxel counts nx ny nz")
    nx, ny, nz = (_count(t, f"voxel count n{a} (line {first})", bad) for t, a in zip(counts, "xyz"))
    first = cursor.next_line_no
    blocks = [("x boundaries", nx + 1), ("y boundaries", ny + 1), ("z boundaries", nz + 1)]
    values = _floats(cursor.tokens(sum(s for _, s in blocks), f"the voxel boundaries (from line {first})"), 0,
                     blocks, bad)
    parts = _split(values, blocks)
    edges = [_edges(parts[name], name, bad) for name, _ in blocks]

    medium = _medium_rows(cursor, nx, ny, nz, nmed, media, bad)
    first = cursor.next_line_no
    tokens = "\n".join(lines[first - 1:]).split() if first - 1 < len(lines) else []
    n = nx * ny * nz
    if len(tokens) != n:
        raise bad(_count_message(len(tokens), n, [("densities", n)], 0, "medium rows",
                                 where=f" (from line {first})"))
    density = _floats(tokens, 0, [("densities", n)], bad)
    if not np.all(np.isfinite(density)):
        raise bad(f"densities: value {_first(density, ~np.isfinite(density))} is not finite (NaN or infinite)")
    if np.any(density <= 0):
        raise bad(f"densities: value {_first(density, density <= 0)} is not > 0 g/cm^3")
    density = density.reshape((nx, ny, nz), order="F")
    for a in (estepe, *edges, medium, density):
        a.setflags(write=False)
    return Phantom(tuple(media), estepe, *edges, medium, density)


# --------------------------------------------------------------------------------------------------------- helpers
def _bad(kind: str, path: Path):
    def bad(what: str) -> InputError:
        return InputError(f"{kind} file {str(path)!r}: {what}")
    return bad


def _read_text(path: Path, bad) -> str:
    """The file's text (gzip decompressed); InputError for a missing, unreadable, binary or non-ASCII file."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise bad("not found") from None
    except IsADirectoryError:
        raise bad("is a folder; give a file") from None
    except OSError as exc:
        raise bad(f"cannot be read ({exc.strerror or exc})") from None
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise bad(f"is a damaged or truncated gzip file ({exc})") from None
    if not data.strip():
        raise bad("is empty")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise bad(f"is not an ASCII text file (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    if "\x00" in text:
        raise bad(f"is not a text file (NUL byte at offset {text.index(chr(0))})")
    return text


def _count(token: str, what: str, bad) -> int:
    """A positive integer token."""
    try:
        value = int(token)
    except ValueError:
        raise bad(f"{what} {token!r} is not an integer") from None
    if value < 1:
        raise bad(f"{what} {value} is not allowed: must be >= 1")
    return value


def _count_message(got: int, expected: int, blocks, offset: int, head: str, where: str = "") -> str:
    """Why ``got`` numbers are wrong when ``expected`` are called for: the block the file ends in, or the
    surplus."""
    if got > expected:
        return (f"has {got - expected} more values after the last block{where} (expects exactly {expected}, "
                f"got {got}): trailing text, or voxel counts that do not match the data")
    position = offset
    for name, size in blocks:
        if got < position + size:
            return (f"ends after {got} values{where}, inside the {name} ({got - position} of {size}); expects "
                    f"{expected}: truncated, or voxel counts that do not match the data")
        position += size
    return f"ends after the {head}"  # pragma: no cover - got < expected always ends inside a block


def _floats(tokens, offset: int, blocks, bad) -> np.ndarray:
    """``tokens[offset:]`` as float64 (numpy's C parser; Fortran forms 1.0D-03 and 1.2345-100 accepted); on a
    token that is no number, InputError naming it and its block."""
    body = tokens[offset:]
    try:
        return np.array(body, dtype=np.float64)
    except ValueError:
        pass
    out = np.empty(len(body))
    for i, token in enumerate(body):
        try:
            out[i] = float(token)
            continue
        except ValueError:
            pass
        m = _FORTRAN_EXPONENT.match(token)
        if m is None:
            raise bad(f"{_where(i, blocks)}: {token[:40]!r} is not a number")
        out[i] = float(f"{m.group(1)}e{m.group(2) or m.group(3)}")
    return out


def _where(i: int, blocks) -> str:
    """Which block value ``i`` (counted from the first block) falls in, e.g. 'doses, value 7 of 12'."""
    for name, size in blocks:
        if i < size:
            return f"{name}, value {i + 1} of {size}"
        i -= size
    return "after the last block"  # pragma: no cover


def _split(values: np.ndarray, blocks) -> dict:
    out, start = {}, 0
    for name, size in blocks:
        out[name] = values[start:start + size]
        start += size
    return out


def _edges(values: np.ndarray, name: str, bad) -> np.ndarray:
    if not np.all(np.isfinite(values)):
        raise bad(f"{name}: value {_first(values, ~np.isfinite(values))} is not finite")
    steps = np.diff(values)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise bad(f"{name} must be strictly increasing (cm): value {i + 2} ({float(values[i + 1])!r}) does not exceed "
                  f"value {i + 1} ({float(values[i])!r})")
    return np.array(values, dtype=np.float64)


def _first(values: np.ndarray, mask: np.ndarray) -> str:
    i = int(np.argmax(mask))
    return f"{i + 1} of {values.size} ({float(values[i])!r})"


class _Lines:
    """Line cursor over a text file; tokens that may wrap over lines."""

    def __init__(self, lines, bad):
        self.lines, self.bad, self.i = lines, bad, 0

    @property
    def next_line_no(self) -> int:
        return self.i + 1

    def line(self, what: str):
        if self.i >= len(self.lines):
            raise self.bad(f"ends at line {len(self.lines)}, before {what}: truncated")
        self.i += 1
        return self.i, self.lines[self.i - 1]

    def tokens(self, count: int, what: str) -> list:
        """``count`` whitespace-separated tokens from the next lines (blank lines skipped), which must end at
        the end of a line."""
        out = []
        while len(out) < count:
            line_no, line = self.line(what)
            out.extend(line.split())
            if len(out) > count:
                raise self.bad(f"line {line_no}: {len(out) - count} more value(s) than the {count} of {what}")
        return out


def _medium_rows(cursor: _Lines, nx: int, ny: int, nz: int, nmed: int, media, bad) -> np.ndarray:
    """The ny*nz medium rows (blank lines between them skipped) as an int (nx, ny, nz) 0-based index array."""
    rows, numbers = [], []
    total = ny * nz
    while len(rows) < total:
        line_no, line = cursor.line(f"medium row {len(rows) + 1} of {total} (nz = {nz} slices of ny = {ny} rows)")
        row = line.strip()
        if not row:
            continue
        if len(row) != nx:
            k, j = divmod(len(rows), ny)
            raise bad(f"line {line_no}: medium row {j + 1} of z slice {k + 1} has {len(row)} characters "
                      f"({row[:40]!r}); expects nx = {nx} medium keys")
        rows.append(row)
        numbers.append(line_no)
    lookup = np.full(256, -1, dtype=np.int16)
    lookup[np.frombuffer(MEDIUM_KEYS[:nmed].encode("ascii"), dtype=np.uint8)] = np.arange(nmed)
    codes = np.frombuffer("".join(rows).encode("ascii"), dtype=np.uint8).reshape(total, nx)
    index = lookup[codes]
    if np.any(index < 0):
        r, c = np.argwhere(index < 0)[0]
        key = chr(codes[r, c])
        known = f"'{MEDIUM_KEYS[0]}'" if nmed == 1 else f"'{MEDIUM_KEYS[0]}'..'{MEDIUM_KEYS[nmed - 1]}'"
        raise bad(f"line {numbers[r]}, column {c + 1}: medium key {key!r} does not name one of the {nmed} media "
                  f"({known}: {', '.join(media)})")
    return index.reshape(nz, ny, nx).transpose(2, 1, 0).astype(np.int32)
