"""Read one DICOM CT series (a folder of CT Image Storage files) into a Hounsfield-unit volume.

Which files: every regular file directly in the folder (not its subfolders) is offered to pydicom. A file without
the DICOM preamble and "DICM" prefix (PS3.10) is not DICOM and is skipped (a README, a thumbnail); a DICOM object
that is not CT Image Storage (1.2.840.10008.5.1.4.1.1.2: e.g. RT Structure Set, RT Plan, DICOMDIR, Enhanced CT)
is skipped too. A DICOM file pydicom cannot parse or decode, and a link that leads out of the folder, are refused.

What is refused (InputError naming ``phantom.directory``, the file and what is allowed): no CT image; more than
one Series Instance UID or Frame of Reference UID; a missing type-1 attribute (Image Position and Orientation
(Patient), Pixel Spacing, Rows, Columns, Rescale Slope and Intercept, Frame of Reference UID); Rescale Type other
than HU; Rows, Columns, Pixel Spacing or Image Orientation that differ between slices; an orientation other than
axial (row direction (1, 0, 0) and column direction (0, 1, 0) within AXIAL_TOL: no gantry tilt, no prone or
feet-first flips, no sagittal or coronal series); slices whose x or y position differs (a sheared stack); a single
slice; two slices at one position; slice spacing that is not uniform within SPACING_TOL of the spacing (a gap of
a whole number of spacings is named as missing slices).

Slices are ordered by their position along the slice normal (Image Position (Patient) z for an axial series), never
by file name or Instance Number. Each slice's stored values become HU = value x Rescale Slope + Rescale Intercept
(float64, that slice's own slope and intercept). Slice Thickness is not used: the spacing comes from the positions.

Coordinates: mcdose's coordinates are the DICOM patient coordinates in cm (mm / 10; x -> x, y -> y, z -> z), so an
RT Dose exported from a run on the CT (mcdose.export_rtdose) lies on it. Voxel (i, j, k) is column i, row j of the
k-th slice; its centre is Image Position (Patient) + (i dx, j dy, k dz), and the voxel edges lie half a spacing
either side of the centres.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError

__all__ = ["CT_IMAGE_STORAGE", "CTImage", "read_series"]

#: SOP Class UID of CT Image Storage
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
#: Largest deviation of a direction cosine from the axial (1, 0, 0, 0, 1, 0) accepted
AXIAL_TOL = 1e-4
#: Slice positions and the slices' in-plane positions must agree within this fraction of the spacing
SPACING_TOL = 1e-2
#: Pixel Spacing must agree between slices within this fraction (a drift would add up over a row)
PIXEL_SPACING_TOL = 1e-4
#: Identifiers kept from the series: key -> DICOM keyword
IDENTIFIERS = {"frame_of_reference_uid": "FrameOfReferenceUID", "study_instance_uid": "StudyInstanceUID",
               "series_instance_uid": "SeriesInstanceUID", "patient_id": "PatientID", "patient_name": "PatientName"}
REQUIRED = ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "Rows", "Columns", "RescaleSlope",
            "RescaleIntercept", "SeriesInstanceUID", "FrameOfReferenceUID")
KEY = "phantom.directory"


@dataclass(frozen=True, eq=False)
class CTImage:
    """A CT volume: ``hu`` (nx, ny, nz) float64 Hounsfield units indexed (x, y, z); voxel edges in cm (DICOM
    patient coordinates / 10); ``identifiers``: frame_of_reference_uid, study_instance_uid, series_instance_uid,
    patient_id, patient_name (strings, empty when the files have none)."""

    hu: np.ndarray
    x_edges: np.ndarray
    y_edges: np.ndarray
    z_edges: np.ndarray
    identifiers: dict = field(default_factory=dict)

    @property
    def edges(self) -> tuple:
        return self.x_edges, self.y_edges, self.z_edges


@dataclass(frozen=True)
class _Slice:
    path: Path
    position: tuple        # Image Position (Patient), mm
    slope: float
    intercept: float


def _refuse(path, why: str) -> InputError:
    return InputError(f"{KEY}: {path.name!r} {why}")


def _files(directory: Path) -> list:
    """The regular files directly in ``directory``; a link leading out of it is refused."""
    if not directory.is_dir():
        what = "not found" if not directory.exists() else "not a directory"
        raise InputError(f"{KEY}: {str(directory)!r}: {what}; must be a folder of DICOM CT image files (one series)")
    root = directory.resolve()
    out = []
    for entry in sorted(directory.iterdir()):
        real = entry.resolve()
        if entry.is_symlink() and (not real.exists() or not real.is_relative_to(root)):
            raise _refuse(entry, f"is a link to {str(real)!r}, outside {str(root)!r} or missing; the CT files must "
                          "lie in the folder itself")
        if real.is_file():
            out.append(entry)
    return out


def _header(path: Path):
    """The dataset without pixel data; None for a file that is not DICOM."""
    import pydicom
    from pydicom.errors import InvalidDicomError
    try:
        return pydicom.dcmread(path, stop_before_pixels=True)
    except InvalidDicomError:
        return None
    except Exception as exc:  # noqa: BLE001 - truncated or malformed: pydicom raises many kinds
        raise _refuse(path, f"is a DICOM file pydicom cannot read ({type(exc).__name__}: {exc}); "
                      "remove it or replace it by an intact copy") from None


def _numbers(ds, path, keyword: str, count: int) -> np.ndarray:
    try:
        value = ds.get(keyword)
        values = np.array([float(v) for v in (value if count > 1 else [value])], dtype=np.float64)
    except (TypeError, ValueError):
        raise _refuse(path, f"has {keyword} {str(ds.get(keyword))[:60]!r}; must be {count} number(s)") from None
    if values.size != count or not np.all(np.isfinite(values)):
        raise _refuse(path, f"has {keyword} {values.tolist()}; must be {count} finite number(s)")
    return values


def _check_header(ds, path: Path) -> dict:
    missing = [k for k in REQUIRED if ds.get(k) in (None, "")]
    if missing:
        raise _refuse(path, f"is a CT image without {', '.join(missing)}; the CT Image module requires them "
                      "(type 1)")
    rescale_type = str(ds.get("RescaleType", "HU") or "HU").strip().upper()
    if rescale_type != "HU":
        raise _refuse(path, f"has Rescale Type {rescale_type!r}; must be 'HU' (or absent)")
    spacing = _numbers(ds, path, "PixelSpacing", 2)
    if not np.all(spacing > 0):
        raise _refuse(path, f"has Pixel Spacing {spacing.tolist()} mm; must be > 0")
    orientation = _numbers(ds, path, "ImageOrientationPatient", 6)
    if np.max(np.abs(orientation - (1, 0, 0, 0, 1, 0))) > AXIAL_TOL:
        raise _refuse(path, f"has Image Orientation (Patient) {orientation.tolist()}; only axial series are read: "
                      f"row direction (1, 0, 0) and column direction (0, 1, 0) within {AXIAL_TOL:g} (no gantry tilt, "
                      "no prone or feet-first flip, no sagittal or coronal slices)")
    slope = float(_numbers(ds, path, "RescaleSlope", 1)[0])
    if slope == 0:
        raise _refuse(path, "has Rescale Slope 0; must be a non-zero number")
    return {"rows": int(ds.Rows), "columns": int(ds.Columns), "spacing": spacing, "orientation": orientation,
            "series": str(ds.SeriesInstanceUID), "frame": str(ds.FrameOfReferenceUID),
            "slice": _Slice(path, tuple(_numbers(ds, path, "ImagePositionPatient", 3)), slope,
                            float(_numbers(ds, path, "RescaleIntercept", 1)[0]))}


def _same(first: dict, other: dict, path: Path, first_path: Path) -> None:
    """Refuse a slice whose series, frame of reference or image geometry differs from the first one's."""
    for key, what in (("series", "Series Instance UID"), ("frame", "Frame of Reference UID")):
        if other[key] != first[key]:
            raise InputError(f"{KEY}: {path.name!r} and {first_path.name!r} have different {what}s ({other[key]!r}, "
                             f"{first[key]!r}); the folder must hold one CT series: put each series in its own "
                             "folder")
    for key, what in (("rows", "Rows"), ("columns", "Columns")):
        if other[key] != first[key]:
            raise InputError(f"{KEY}: {path.name!r} has {other[key]} {what}, {first_path.name!r} {first[key]}; every "
                             "slice of the series must have the same size")
    if np.max(np.abs(other["spacing"] - first["spacing"])) > PIXEL_SPACING_TOL * first["spacing"].min():
        raise InputError(f"{KEY}: {path.name!r} has Pixel Spacing {other['spacing'].tolist()} mm, "
                         f"{first_path.name!r} {first['spacing'].tolist()} mm; every slice must have the same")
    if np.max(np.abs(other["orientation"] - first["orientation"])) > AXIAL_TOL:
        raise InputError(f"{KEY}: {path.name!r} and {first_path.name!r} have different Image Orientation (Patient) "
                         f"({other['orientation'].tolist()}, {first['orientation'].tolist()}); every slice must "
                         "have the same")


def _slice_spacing(slices: list, spacing_xy) -> float:
    """The uniform spacing (mm) of slices sorted by z; refuses shears, duplicates, gaps and uneven spacing."""
    pos = np.array([s.position for s in slices])
    first = slices[0]
    for s, p in zip(slices, pos):
        if np.any(np.abs(p[:2] - pos[0, :2]) > SPACING_TOL * np.asarray(spacing_xy)[::-1]):
            raise InputError(f"{KEY}: {s.path.name!r} starts at x, y = {p[0]:g}, {p[1]:g} mm, {first.path.name!r} "
                             f"at {pos[0, 0]:g}, {pos[0, 1]:g} mm; the slices of an axial series must be stacked "
                             "straight along z (no shear, no gantry tilt)")
    z = pos[:, 2]
    gaps = np.diff(z)
    step = float(np.min(gaps))
    if step <= SPACING_TOL * float(np.max(gaps)):
        k = int(np.argmin(gaps))
        raise InputError(f"{KEY}: {slices[k].path.name!r} and {slices[k + 1].path.name!r} are both at z = "
                         f"{z[k]:g} mm; a series has one slice per position")
    for k, gap in enumerate(gaps):
        if abs(gap - step) > SPACING_TOL * step:
            n = gap / step
            what = (f"{round(n) - 1} slice(s) missing" if abs(n - round(n)) <= SPACING_TOL * n
                    else "the slice spacing is not uniform")
            raise InputError(f"{KEY}: {what} between {slices[k].path.name!r} (z = {z[k]:g} mm) and "
                             f"{slices[k + 1].path.name!r} (z = {z[k + 1]:g} mm): gap {gap:g} mm, spacing "
                             f"{step:g} mm elsewhere; slices must be evenly spaced with none missing")
    return float((z[-1] - z[0]) / (len(z) - 1))


def _pixels(sl: _Slice, rows: int, columns: int) -> np.ndarray:
    """One slice in HU, indexed (x, y)."""
    import pydicom
    try:
        arr = pydicom.dcmread(sl.path).pixel_array
    except Exception as exc:  # noqa: BLE001 - the decoders raise many kinds
        raise _refuse(sl.path, f"has pixel data that cannot be decoded ({type(exc).__name__}: {exc}); compressed "
                      "transfer syntaxes need their pydicom decoder installed") from None
    if arr.shape != (rows, columns):
        raise _refuse(sl.path, f"has pixel data of shape {arr.shape}; must be one frame of Rows x Columns = "
                      f"({rows}, {columns})")
    return (arr.astype(np.float64) * sl.slope + sl.intercept).T


def read_series(directory) -> CTImage:
    """The :class:`CTImage` of the one CT series in ``directory`` (rules in the module docstring)."""
    directory = Path(directory)
    found, skipped, others = [], 0, {}
    for path in _files(directory):
        ds = _header(path)
        if ds is None:
            skipped += 1
            continue
        sop = str(ds.get("SOPClassUID") or ds.file_meta.get("MediaStorageSOPClassUID", ""))
        if sop != CT_IMAGE_STORAGE:
            others[sop] = others.get(sop, 0) + 1
            continue
        header = _check_header(ds, path)
        if found:
            _same(found[0], header, path, found[0]["slice"].path)
        else:
            ids = {k: str(ds.get(kw, "") or "") for k, kw in IDENTIFIERS.items()}
        found.append(header)
    if not found:
        seen = ", ".join(f"{n} of SOP class {uid}" for uid, n in others.items()) or "none"
        raise InputError(f"{KEY}: {str(directory)!r} holds no CT image (CT Image Storage, {CT_IMAGE_STORAGE}); "
                         f"DICOM objects found: {seen}; files that are not DICOM: {skipped}")
    if len(found) < 2:
        raise _refuse(found[0]["slice"].path, "is the only CT slice; a series needs at least 2 (the slice spacing "
                      "comes from their positions)")
    first = found[0]
    slices = sorted((h["slice"] for h in found), key=lambda s: s.position[2])
    dz = _slice_spacing(slices, first["spacing"])
    rows, columns = first["rows"], first["columns"]
    hu = np.empty((columns, rows, len(slices)), dtype=np.float64)
    for k, sl in enumerate(slices):
        hu[:, :, k] = _pixels(sl, rows, columns)
    if not np.all(np.isfinite(hu)):
        raise InputError(f"{KEY}: the rescaled values are not all finite numbers")
    dy, dx = first["spacing"]
    x0, y0, z0 = slices[0].position
    edges = [(c0 + (np.arange(n + 1) - 0.5) * d) / 10.0 for c0, n, d in
             ((x0, columns, dx), (y0, rows, dy), (z0, len(slices), dz))]
    return CTImage(hu, *edges, identifiers=ids)
