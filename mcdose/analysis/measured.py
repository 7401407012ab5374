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
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mcdose.errors import InputError

from .curves import validated_curve

UNITS_CM = {"mm": 0.1, "cm": 1.0}
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
        raise InputError(f"measured file {str(path)!r} not found")
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
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    comments = [ln.lstrip("#").strip() for ln in lines if ln.lstrip().startswith("#")]
    rows = [r for r in csv.reader(ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#"))]
    if len(rows) < 2:
        raise InputError(f"{path.name}: needs a header row and data rows")
    name = rows[0][0].strip().lower()
    m = re.fullmatch(r"(depth|z|x|y|position|off_axis|r|radius)(?:_(mm|cm))?", name)
    if m is None:
        raise InputError(f"{path.name}: first column {rows[0][0]!r} must be depth_mm|depth_cm (depth dose) or "
                         "x_mm|y_mm|position_mm (profile), also in cm")
    scale = _unit_scale(m.group(2) or unit, path.name)
    try:
        data = np.array([[float(v) for v in r[:3]] for r in rows[1:]])
    except ValueError as exc:
        raise InputError(f"{path.name}: non-numeric value in the data rows ({exc})") from None
    axis = "z" if m.group(1) in ("depth", "z") else "y" if m.group(1) == "y" else "x"
    if depth_cm is None:
        for c in comments:
            d = re.fullmatch(r"depth_(mm|cm)\s*[=:]\s*([-+0-9.eE]+)", c)
            if d:
                depth_cm = float(d.group(2)) * UNITS_CM[d.group(1)]
    sigma = data[:, 2] if data.shape[1] > 2 else None
    return _curve(axis, data[:, 0] * scale, data[:, 1], sigma, depth_cm if axis != "z" else None, path.name)


def _unit_scale(unit, where):
    if unit not in UNITS_CM:
        raise InputError(f"{where}: position unit {unit!r} unknown; put _mm or _cm in the header or give "
                         "unit='mm' | 'cm' (--unit)")
    return UNITS_CM[unit]


def read_mcc(path) -> list:
    """Scans of a PTW mephysto .mcc file (PDD, crossplane and inplane profiles; positions mm -> cm)."""
    path = Path(path)
    curves, header, data, in_data = [], {}, [], False
    for raw in path.read_text(encoding="latin-1").splitlines():
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
            try:
                data.append([float(v) for v in line.split()[:2]])
            except ValueError:
                raise InputError(f"{path.name}: bad data line {line!r}") from None
        elif "=" in line:
            key, value = line.split("=", 1)
            header[key.strip().upper()] = value.strip()
    if not curves:
        raise InputError(f"{path.name}: no BEGIN_SCAN ... END_SCAN block found (not a mephysto .mcc file?)")
    return curves


def _mcc_curve(header, data, label):
    kind = header.get("SCAN_CURVETYPE", "").upper()
    if kind not in _MCC_TYPES:
        raise InputError(f"{label}: SCAN_CURVETYPE {kind or '(missing)'!r} not supported "
                         f"({', '.join(_MCC_TYPES)})")
    if not data:
        raise InputError(f"{label}: no BEGIN_DATA ... END_DATA values")
    arr = np.array(data)
    depth = float(header["SCAN_DEPTH"]) * 0.1 if "SCAN_DEPTH" in header else None
    return _curve(_MCC_TYPES[kind], arr[:, 0] * 0.1, arr[:, 1], depth_cm=depth, label=label)


def read_w2cad(path) -> list:
    """Measurements of a w2CAD (.asc/.cdp) file: `<x y z dose>` points in mm -> cm."""
    path = Path(path)
    curves, header, points, inside = [], {}, [], False
    for raw in path.read_text(encoding="latin-1").splitlines():
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
            try:
                points.append([float(v) for v in line.strip("<>").split()[:4]])
            except ValueError:
                raise InputError(f"{path.name}: bad point {line!r}") from None
    if not curves:
        raise InputError(f"{path.name}: no $STOM ... $ENOM block found (not a w2CAD file?)")
    return curves


def _w2cad_curve(header, points, label):
    axis = _W2CAD_AXES.get(header.get("AXIS", "").upper())
    kind = header.get("TYPE", "").upper()
    if axis is None or kind not in ("OPD", "WDD", "OPP", "WDP") or (axis == "z") != (kind in ("OPD", "WDD")):
        raise InputError(f"{label}: %TYPE {kind!r} with %AXIS {header.get('AXIS', '')!r} not supported "
                         "(OPD/WDD along Z, OPP/WDP along X or Y)")
    arr = np.array(points).reshape(-1, 4) * np.array([0.1, 0.1, 0.1, 1.0])
    if arr.shape[0] == 0:
        raise InputError(f"{label}: no <x y z dose> points")
    column = {"x": 0, "y": 1, "z": 2}[axis]
    depth = None if axis == "z" else (float(header["DPTH"]) * 0.1 if "DPTH" in header else float(arr[:, 2].mean()))
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
