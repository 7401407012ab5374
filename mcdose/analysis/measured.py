"""Measured depth doses and profiles: CSV, PTW mephysto (.mcc) and w2CAD (.asc/.cdp) files, normalisation.

Formats (as publicly described by their vendors' export documentation):
- CSV: a header row naming the columns, the first the position with its unit, e.g. ``depth_mm,dose``
  (a depth dose) or ``x_cm,dose`` / ``y_mm,dose`` / ``position_mm,dose`` (a profile along x, y, x);
  an optional third column is the 1-sigma of the dose. Lines starting with ``#`` are comments; a comment
  ``# depth_mm = 15`` (or ``depth_cm``) gives a profile's depth. Without a unit in the header, pass `unit`.
- mephysto .mcc: ``BEGIN_SCAN n`` ... ``END_SCAN n`` blocks with ``KEY=VALUE`` lines (SCAN_CURVETYPE =
  PDD | CROSSPLANE_PROFILE | INPLANE_PROFILE, SCAN_DEPTH in mm) and a ``BEGIN_DATA`` ... ``END_DATA``
  table whose first two columns are the position (mm) and the dose.
- w2CAD: ``$STOM`` ... ``$ENOM`` blocks with ``%KEY value`` headers (%TYPE OPD/WDD depth dose,
  OPP/WDP profile; %AXIS X | Y | Z; %DPTH mm) and points ``<x y z dose>`` in mm.
Positions are returned in cm (project units); the depth-dose axis is "z", profiles "x" (crossplane) or "y".
"""
import csv
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mcdose.errors import InputError

from .curves import validated_curve

UNITS_CM = {"mm": 0.1, "cm": 1.0}
MAX_FILE_BYTES = 64 * 2**20  # measured scans are kB; anything this large is not one
_MCC_TYPES = {"PDD": "z", "CROSSPLANE_PROFILE": "x", "INPLANE_PROFILE": "y"}
_W2CAD_AXES = {"X": "x", "Y": "y", "Z": "z"}


@dataclass(frozen=True)
class MeasuredCurve:
    """A measured curve: positions (cm, depth for axis "z", off-axis for "x"/"y"), dose (relative or absolute,
    the file's unit), optional 1-sigma (same unit, or None), the profile depth (cm) and a label."""

    axis: str
    position_cm: np.ndarray
    dose: np.ndarray
    sigma: np.ndarray | None = None
    depth_cm: float | None = None
    label: str = ""

    @property
    def is_depth_dose(self) -> bool:
        return self.axis == "z"


def _curve(axis, position_cm, dose, sigma=None, depth_cm=None, label=""):
    order = np.argsort(position_cm, kind="stable")
    x, d = validated_curve(np.asarray(position_cm, float)[order], np.asarray(dose, float)[order],
                           f"{label}: position", f"{label}: measured curve")
    s = None if sigma is None else np.asarray(sigma, float)[order]
    if axis != "z" and depth_cm is None:
        raise InputError(f"{label}: a profile needs its depth (file header or depth argument)")
    return MeasuredCurve(axis, x, d, s, None if depth_cm is None else float(depth_cm), label)


def read_measured(path, unit: str | None = None, depth_cm: float | None = None) -> list:
    """Curves of a measured-data file, by suffix: .csv/.txt, .mcc, .asc/.cdp (w2CAD)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"measured file {str(path)!r} " + ("is not a regular file (a folder?)" if path.exists()
                                                              else "not found"))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return [read_csv(path, unit, depth_cm)]
    if suffix == ".mcc":
        return read_mcc(path)
    if suffix in (".asc", ".cdp"):
        return read_w2cad(path)
    raise InputError(f"measured file {path.name}: unknown format {suffix!r} (.csv, .txt, .mcc, .asc, .cdp)")


def read_csv(path, unit: str | None = None, depth_cm: float | None = None) -> MeasuredCurve:
    """One curve from a CSV file (see the module docstring); `unit` ('mm' | 'cm') if the header has none."""
    path = Path(path)
    comments, rows = [], []
    for number, line in enumerate(_text_lines(path, "utf-8-sig"), 1):
        if line.lstrip().startswith("#"):
            comments.append((number, line.lstrip().lstrip("#").strip()))
        elif line.strip():
            rows.append((f"{path.name} line {number}", line))
    if len(rows) < 2:
        raise InputError(f"{path.name}: needs a header row and data rows")
    header = _csv_fields(*rows[0])
    m = re.fullmatch(r"(depth|z|x|y|position|off_axis|r|radius)(?:_(mm|cm))?", header[0].strip().lower())
    if m is None:
        raise InputError(f"{rows[0][0]}: the first column's name must be depth_mm|depth_cm (depth dose) or "
                         "x_mm|y_mm|position_mm (profile), also in cm")
    scale = _unit_scale(m.group(2) or unit, path.name)
    columns = 3 if len(header) > 2 and header[2].strip() else 2
    data = np.array([_numbers(_csv_fields(where, line), columns, where) for where, line in rows[1:]])
    axis = "z" if m.group(1) in ("depth", "z") else "y" if m.group(1) == "y" else "x"
    if depth_cm is None:
        for number, c in comments:
            d = re.fullmatch(r"depth_(mm|cm)\s*[=:]\s*(\S+)", c)
            if d:
                depth_cm = _numbers([d.group(2)], 1, f"{path.name} line {number}")[0] * UNITS_CM[d.group(1)]
    sigma = data[:, 2] if data.shape[1] > 2 else None
    return _curve(axis, data[:, 0] * scale, data[:, 1], sigma, depth_cm if axis != "z" else None, path.name)


def _text_lines(path: Path, encoding: str) -> list:
    """The lines of a measured-data file; InputError for one that cannot be read, is larger than
    MAX_FILE_BYTES, binary (NUL bytes) or not in `encoding` (the message gives the line, never the content)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path.name}: {size / 2**20:.0f} MiB, larger than a measured-data file can be "
                             f"({MAX_FILE_BYTES // 2**20} MiB)")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name}: cannot be read ({exc.strerror})") from None
    if b"\0" in data:
        raise InputError(f"{path.name}: a binary file, not text")
    try:
        return data.decode(encoding).splitlines()
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{path.name} line {line}: not UTF-8 text; save the file as UTF-8") from None


def _csv_fields(where: str, line: str) -> list:
    """The fields of one CSV line; InputError naming `where` if it cannot be parsed."""
    try:
        return next(csv.reader([line]))
    except csv.Error:
        raise InputError(f"{where}: not a CSV row") from None


def _numbers(fields, count: int, where: str) -> list:
    """The first `count` fields as finite floats; InputError naming `where` (file and line) otherwise."""
    expected = f"{count} number{'s' * (count > 1)}"
    if len(fields) < count:
        raise InputError(f"{where}: expected {expected}, found {len(fields)} value(s)")
    try:
        values = [float(v) for v in fields[:count]]
    except ValueError:
        raise InputError(f"{where}: non-numeric value where {expected} expected") from None
    if not all(map(math.isfinite, values)):
        raise InputError(f"{where}: NaN or infinite value where {expected} expected")
    return values


def _unit_scale(unit, where):
    if unit not in UNITS_CM:
        raise InputError(f"{where}: position unit {unit!r} unknown; put _mm or _cm in the header or give "
                         "unit='mm' | 'cm' (--unit)")
    return UNITS_CM[unit]


def read_mcc(path) -> list:
    """Scans of a PTW mephysto .mcc file (PDD, crossplane and inplane profiles; positions mm -> cm)."""
    path = Path(path)
    curves, header, data, in_data = [], {}, [], False
    for number, raw in enumerate(_text_lines(path, "latin-1"), 1):
        line = raw.strip()
        if line.startswith("BEGIN_SCAN") and not line.startswith("BEGIN_SCAN_DATA"):
            header, data = {}, []
        elif line == "BEGIN_DATA":
            in_data = True
        elif line == "END_DATA":
            in_data = False
        elif line.startswith("END_SCAN") and not line.startswith("END_SCAN_DATA"):
            curves.append(_mcc_curve(header, data, f"{path.name} scan {len(curves) + 1}"))
        elif in_data and line:
            data.append(_numbers(line.split(), 2, f"{path.name} line {number}"))
        elif "=" in line:
            key, value = line.split("=", 1)
            header[key.strip().upper()] = value.strip()
    if not curves:
        raise InputError(f"{path.name}: no BEGIN_SCAN ... END_SCAN block found (not a mephysto .mcc file?)")
    return curves


def _mcc_curve(header, data, label):
    kind = header.get("SCAN_CURVETYPE", "").upper()
    if kind not in _MCC_TYPES:
        raise InputError(f"{label}: SCAN_CURVETYPE {'not supported' if kind else 'missing'}: one of "
                         f"{', '.join(_MCC_TYPES)}")
    if not data:
        raise InputError(f"{label}: no BEGIN_DATA ... END_DATA values")
    arr = np.array(data)
    depth = _numbers([header["SCAN_DEPTH"]], 1, f"{label}: SCAN_DEPTH")[0] * 0.1 if "SCAN_DEPTH" in header else None
    return _curve(_MCC_TYPES[kind], arr[:, 0] * 0.1, arr[:, 1], depth_cm=depth, label=label)


def read_w2cad(path) -> list:
    """Measurements of a w2CAD (.asc/.cdp) file: `<x y z dose>` points in mm -> cm."""
    path = Path(path)
    curves, header, points, inside = [], {}, [], False
    for number, raw in enumerate(_text_lines(path, "latin-1"), 1):
        line = raw.strip()
        if line.startswith("$STOM"):
            header, points, inside = {}, [], True
        elif line.startswith("$ENOM"):
            curves.append(_w2cad_curve(header, points, f"{path.name} measurement {len(curves) + 1}"))
            inside = False
        elif inside and line.startswith("%"):
            key, _, value = line[1:].partition(" ")
            header[key.upper()] = value.strip()
        elif inside and line.startswith("<"):
            points.append(_numbers(line.strip("<>").split(), 4, f"{path.name} line {number}"))
    if not curves:
        raise InputError(f"{path.name}: no $STOM ... $ENOM block found (not a w2CAD file?)")
    return curves


def _w2cad_curve(header, points, label):
    axis = _W2CAD_AXES.get(header.get("AXIS", "").upper())
    kind = header.get("TYPE", "").upper()
    if axis is None or kind not in ("OPD", "WDD", "OPP", "WDP") or (axis == "z") != (kind in ("OPD", "WDD")):
        raise InputError(f"{label}: this %TYPE and %AXIS are not supported (OPD/WDD along Z, OPP/WDP along X or Y)")
    arr = np.array(points).reshape(-1, 4) * np.array([0.1, 0.1, 0.1, 1.0])
    if arr.shape[0] == 0:
        raise InputError(f"{label}: no <x y z dose> points")
    column = {"x": 0, "y": 1, "z": 2}[axis]
    depth = None if axis == "z" else (_numbers([header["DPTH"]], 1, f"{label}: %DPTH")[0] * 0.1 if "DPTH" in header
                                      else float(arr[:, 2].mean()))
    return _curve(axis, arr[:, column], arr[:, 3], depth_cm=depth, label=label)


def normalised(curve: MeasuredCurve, mode="dmax") -> MeasuredCurve:
    """The curve scaled to 1 at its maximum ("dmax"), at a given position in cm (float: a depth for depth
    doses, an off-axis position for profiles, linearly interpolated), or unchanged ("none")."""
    if mode == "none":
        return curve
    if mode == "dmax":
        ref = float(curve.dose.max())
    else:
        at = float(mode)
        if not curve.position_cm[0] <= at <= curve.position_cm[-1]:
            raise InputError(f"{curve.label}: normalisation position {at:g} cm outside the curve "
                             f"({curve.position_cm[0]:g}..{curve.position_cm[-1]:g} cm)")
        ref = float(np.interp(at, curve.position_cm, curve.dose))
    if ref <= 0:
        raise InputError(f"{curve.label}: normalisation dose must be > 0 (got {ref:g})")
    return replace(curve, dose=curve.dose / ref, sigma=None if curve.sigma is None else curve.sigma / ref)
