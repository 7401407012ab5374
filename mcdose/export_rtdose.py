"""DICOM RT Dose export of a result (pydicom), and resampling of cylindrical and spherical doses onto a Cartesian
grid.

Units and coordinates
---------------------
mcdose scores dose in Gy per source particle on a mesh in cm, with z the depth (downwards, along the beam). An RT
Dose holds dose in Gy on a grid in mm in the DICOM patient coordinate system. The mapping is the identity times 10:
DICOM (x, y, z) mm = 10 x mcdose (x, y, z) cm (x -> x, y -> y, z -> z; no flip, no offset), so mcdose's depth axis
becomes DICOM's +z (the direction of increasing Grid Frame Offset Vector). A phantom made from a CT keeps the CT's
patient coordinates under the same mapping, so the RT Dose lies on the CT; it takes the CT's Frame of Reference
UID, Study Instance UID and patient's ID and name (stored in the result) unless others are given.

The dose written is ``dose x particles`` (Gy): ``particles`` is the number of source particles the treatment
delivers (from a calibration or a prescription: e.g. prescription Gy / dose per particle at the reference point);
``particles=1`` writes Gy per source particle.

Layout: frames are z planes (increasing z), rows are y (increasing down the rows), columns are x (increasing along a
row); the pixel array is ``dose.transpose(2, 1, 0)``. Image Orientation (Patient) [1, 0, 0, 0, 1, 0]; Image
Position (Patient) the centre of the first voxel (x0, y0, z0 centres), mm; Pixel Spacing [dy, dx] mm (DICOM gives the
row spacing, i.e. the spacing between rows, along y, first); Grid Frame Offset Vector the z of each frame's centre
relative to the first (first value 0), mm; Slice Thickness dz mm.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from pathlib import Path

import numpy as np

from .errors import InputError
from .outputs import atomic_write, check_output
from .results import GRID_AXES, Grid, Result

__all__ = ["RT_DOSE_STORAGE", "default_cartesian_grid", "resample_to_cartesian", "uncertainty_path", "uniform_spacing",
           "write_rtdose"]

#: SOP Class UID of RT Dose Storage
RT_DOSE_STORAGE = "1.2.840.10008.5.1.4.1.1.481.2"
#: SOP Class UID of RT Plan Storage (the Referenced RT Plan Sequence)
RT_PLAN_STORAGE = "1.2.840.10008.5.1.4.1.1.481.5"
#: Dose Summation Type values this writer accepts (DICOM PS3.3 C.8.8.3.1)
SUMMATION_TYPES = ("PLAN", "MULTI_PLAN", "FRACTION", "BEAM", "BRACHY", "FRACTION_SESSION", "BEAM_SESSION",
                   "BRACHY_SESSION", "CONTROL_POINT", "RECORD")
#: Largest number of voxels written or resampled (float64 work arrays of about 0.4 GB)
MAX_VOXELS = 50_000_000
#: Uniform spacing: every edge within this fraction of the step, and within UNIFORM_ABS_CM, of x0 + i * step
UNIFORM_TOL = 1e-6
UNIFORM_ABS_CM = 1e-7
#: Fraction of the integer range used by the largest voxel (slack against rounding of Dose Grid Scaling)
FILL = 1.0 - 1e-6
DS_DIGITS = 10          # significant digits of Dose Grid Scaling as written (a DS of at most 16 characters)


def uncertainty_path(path) -> Path:
    """Where ``write_rtdose(..., uncertainty=True)`` writes the 1-sigma RT Dose: ``NAME_uncertainty.SUFFIX``
    beside ``path``."""
    path = Path(path)
    return path.with_name(f"{path.stem}_uncertainty{path.suffix}")


def uniform_spacing(edges, axis: str) -> float:
    """The step (cm) of uniformly spaced ``edges``, or InputError naming the axis: DICOM grids are uniform (every
    edge within UNIFORM_TOL of the step and UNIFORM_ABS_CM of x0 + i * step)."""
    e = np.asarray(edges, dtype=np.float64)
    n = e.size - 1
    step = (e[-1] - e[0]) / n
    deviation = np.max(np.abs(e - (e[0] + step * np.arange(n + 1))))
    if deviation > min(UNIFORM_TOL * step, UNIFORM_ABS_CM):
        d = np.diff(e)
        raise InputError(f"grid {axis}: bins are not uniform (widths {d.min():g}..{d.max():g} cm); an RT Dose needs "
                         "a uniform spacing on each axis: resample onto a uniform Cartesian grid (grid_cm, --grid)")
    return float(step)


def _radial_step(r_edges) -> float:
    return float(np.min(np.diff(r_edges)))


def _axis_edges(lo: float, hi: float, step: float) -> np.ndarray:
    """Uniform edges of step ``step`` covering [lo, hi], centred on the interval."""
    n = max(1, math.ceil((hi - lo) / step - 1e-9))
    mid = 0.5 * (lo + hi)
    return mid + step * (np.arange(n + 1) - 0.5 * n)


def default_cartesian_grid(grid: Grid) -> tuple:
    """(x_edges, y_edges, z_edges) cm of the Cartesian grid an RT Dose of ``grid`` is written on by default.

    Cartesian: the mesh itself (its edges must be uniform). Cylindrical (r about the z axis, z): x and y with the
    smallest radial bin width as step covering -r_max..r_max, z the mesh's z edges when uniform, else the smallest
    z bin width covering the mesh's z range. Spherical (r about ``grid.center``): a cube of side 2 r_max about the
    centre with the smallest radial bin width as step on all three axes.
    """
    if grid.kind == "cartesian":
        return tuple(grid.edges[n] for n in GRID_AXES["cartesian"])
    r = grid.edges["r_edges"]
    step, rmax = _radial_step(r), float(r[-1])
    if grid.kind == "cylindrical":
        z = grid.edges["z_edges"]
        try:
            uniform_spacing(z, "z_edges")
            ze = np.array(z)
        except InputError:
            ze = _axis_edges(float(z[0]), float(z[-1]), float(np.min(np.diff(z))))
        return _axis_edges(-rmax, rmax, step), _axis_edges(-rmax, rmax, step), ze
    return tuple(_axis_edges(c - rmax, c + rmax, step) for c in grid.center)


def _check_edges(x_edges, y_edges, z_edges) -> tuple:
    out = []
    for name, e in zip(GRID_AXES["cartesian"], (x_edges, y_edges, z_edges)):
        e = np.asarray(e, dtype=np.float64)
        if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or not np.all(np.diff(e) > 0):
            raise InputError(f"Cartesian grid {name}: needs at least 2 finite, strictly increasing edges (cm)")
        out.append(e)
    n = math.prod(e.size - 1 for e in out)
    if n > MAX_VOXELS:
        raise InputError(f"Cartesian grid: {' x '.join(str(e.size - 1) for e in out)} = {n} voxels is more than "
                         f"{MAX_VOXELS}; choose a coarser grid (grid_cm, --grid)")
    return tuple(out)


def _lookup(edges, values):
    """Half-open bin index of each value (as the transport's mesh lookup: a value on an edge belongs to the bin
    above, the top edge is outside) and whether it is inside the mesh."""
    i = np.searchsorted(edges, values, side="right") - 1
    inside = (i >= 0) & (i < edges.size - 1)
    return np.clip(i, 0, edges.size - 2), inside


def resample_to_cartesian(result: Result, x_edges, y_edges, z_edges, what: str = "dose") -> np.ndarray:
    """``result``'s dose (``what="dose"``, Gy per source particle) or relative uncertainty (``what="uncertainty"``)
    on a Cartesian grid (edges in cm), shape (nx, ny, nz).

    Nearest bin: each Cartesian voxel takes the value of the mesh bin that contains its centre (no interpolation,
    so a voxel centre inside a bin gets exactly that bin's dose); 0 where the centre is outside the mesh. Bins are
    half-open as in the transport (a centre on an edge belongs to the bin above; the outer edge is outside).
    Cylindrical meshes are about the z axis (rho^2 = x^2 + y^2), spherical meshes about ``grid.center``; a
    Cartesian result is resampled the same way (e.g. a non-uniform mesh onto a uniform grid).
    """
    if what not in ("dose", "uncertainty"):
        raise InputError(f"resample_to_cartesian what={what!r}: one of 'dose', 'uncertainty'")
    x_edges, y_edges, z_edges = _check_edges(x_edges, y_edges, z_edges)
    values = getattr(result, what)
    grid = result.grid
    xc, yc, zc = (0.5 * (e[1:] + e[:-1]) for e in (x_edges, y_edges, z_edges))
    if grid.kind == "cartesian":
        (ix, okx), (iy, oky), (iz, okz) = (_lookup(grid.edges[n], c) for n, c in
                                           zip(GRID_AXES["cartesian"], (xc, yc, zc)))
        out = values[np.ix_(ix, iy, iz)]
        return np.where(okx[:, None, None] & oky[None, :, None] & okz[None, None, :], out, 0.0)
    r2_edges = grid.edges["r_edges"] ** 2
    if grid.kind == "cylindrical":
        rho2 = xc[:, None] ** 2 + yc[None, :] ** 2
        ir, okr = _lookup(r2_edges, rho2)
        iz, okz = _lookup(grid.edges["z_edges"], zc)
        out = values[ir[:, :, None], iz[None, None, :]]
        return np.where(okr[:, :, None] & okz[None, None, :], out, 0.0)
    cx, cy, cz = grid.center
    rho2 = ((xc - cx)[:, None, None] ** 2 + (yc - cy)[None, :, None] ** 2) + (zc - cz)[None, None, :] ** 2
    ir, okr = _lookup(r2_edges, rho2)
    return np.where(okr, values[ir], 0.0)


def _text(name: str, value, limit: int):
    if value is None:
        return ""
    value = str(value)
    if not value.isprintable() or "\\" in value or len(value) > limit:
        raise InputError(f"{name}: {value[:40]!r} is not allowed: printable text of at most {limit} characters "
                         "without a backslash")
    return value


_UID = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")


def _uid(name: str, value):
    from pydicom.uid import UID, generate_uid
    if value is None:
        return generate_uid()
    uid = str(value)
    if len(uid) > 64 or not _UID.fullmatch(uid):
        raise InputError(f"{name}: {str(value)[:70]!r} is not a valid DICOM UID (digits and dots, at most 64 "
                         "characters, no leading zeros)")
    return UID(uid)


def _ds(value: float):
    from pydicom.valuerep import DSfloat
    return DSfloat(float(value), auto_format=True)


def _scaling(maximum: float, bits: int) -> float:
    """Dose Grid Scaling (Gy per pixel unit) as written: the largest voxel fills FILL of the unsigned range, rounded
    to DS_DIGITS significant digits (so exactly representable in the DS written)."""
    if maximum <= 0:
        return 1.0
    s = float(f"{maximum / (FILL * (2 ** bits - 1)):.{DS_DIGITS - 1}e}")
    while maximum / s > 2 ** bits - 1:           # not reached with FILL's slack; kept as the guarantee
        s = float(f"{s * (1 + 10 ** (1 - DS_DIGITS)):.{DS_DIGITS - 1}e}")
    return s


def _quantise(gy: np.ndarray, bits: int):
    """(pixel values uint16/uint32, Dose Grid Scaling); the rounding error is below half a pixel unit, i.e. below
    2**-bits of the maximum (< 1e-4 of it for 16 bits, < 1e-9 for 32)."""
    maximum = float(gy.max()) if gy.size else 0.0
    s = _scaling(maximum, bits)
    dtype = np.uint16 if bits == 16 else np.uint32
    pixels = np.clip(np.rint(gy / s), 0, 2 ** bits - 1).astype(dtype)
    error = float(np.max(np.abs(pixels * s - gy))) if gy.size else 0.0
    if maximum > 0 and error > 1e-4 * maximum:   # pragma: no cover - guaranteed by _scaling
        raise InputError(f"RT Dose: Dose Grid Scaling {s:g} loses {error / maximum:.2e} of the maximum")
    return pixels, s


def _dataset(pixels, scaling, edges, *, bits, dose_type, summation_type, description, uids, patient_id,
             patient_name, plan_uid, now):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.tag import Tag
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian, generate_uid

    from . import __version__
    steps = [uniform_spacing(e, n) for n, e in zip(GRID_AXES["cartesian"], edges)]
    dx, dy, dz = (10.0 * s for s in steps)                              # mm
    first = [10.0 * (e[0] + 0.5 * s) for e, s in zip(edges, steps)]   # centre of the first voxel, mm
    nx, ny, nz = (e.size - 1 for e in edges)

    sop_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = RT_DOSE_STORAGE
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "MCDOSE"

    ds = Dataset()
    ds.file_meta = meta
    text = (patient_id or "") + (patient_name or "")
    if not text.isascii():
        ds.SpecificCharacterSet = "ISO_IR 192"
    date, time = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    # SOP Common
    ds.SOPClassUID = RT_DOSE_STORAGE
    ds.SOPInstanceUID = sop_uid
    ds.InstanceCreationDate, ds.InstanceCreationTime = date, time
    # Patient (type 2: present, empty when unknown)
    ds.PatientName = patient_name or ""
    ds.PatientID = patient_id or ""
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    # General Study
    ds.StudyInstanceUID = uids["study"]
    ds.StudyDate, ds.StudyTime = date, time
    ds.ReferringPhysicianName = ""
    ds.StudyID = ""
    ds.AccessionNumber = ""
    # RT Series
    ds.Modality = "RTDOSE"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 1
    ds.SeriesDescription = description
    ds.OperatorsName = ""
    # Frame of Reference
    ds.FrameOfReferenceUID = uids["frame"]
    ds.PositionReferenceIndicator = ""
    # General Equipment
    ds.Manufacturer = "mcdose"
    ds.ManufacturerModelName = "mcdose Monte Carlo dose engine"
    ds.SoftwareVersions = str(__version__)[:64]
    # General Image / Content
    ds.InstanceNumber = 1
    ds.ContentDate, ds.ContentTime = date, time
    # Image Plane
    ds.PixelSpacing = [_ds(dy), _ds(dx)]             # row spacing (between rows, along y) first
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.ImagePositionPatient = [_ds(v) for v in first]
    ds.SliceThickness = _ds(dz)
    # Image Pixel
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = ny, nx
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    # Multi-frame
    ds.NumberOfFrames = nz
    ds.FrameIncrementPointer = Tag(0x3004, 0x000C)  # Grid Frame Offset Vector
    # RT Dose
    ds.DoseUnits = "GY"
    ds.DoseType = dose_type
    ds.DoseSummationType = summation_type
    ds.GridFrameOffsetVector = [_ds(dz * k) for k in range(nz)]
    ds.DoseGridScaling = _ds(scaling)
    if plan_uid is not None:
        ref = Dataset()
        ref.ReferencedSOPClassUID = RT_PLAN_STORAGE
        ref.ReferencedSOPInstanceUID = plan_uid
        ds.ReferencedRTPlanSequence = Sequence([ref])
    ds.add_new(Tag(0x7FE0, 0x0010), "OW", np.ascontiguousarray(pixels, dtype=pixels.dtype.newbyteorder("<"))
               .tobytes())
    return ds


def write_rtdose(result: Result, path, *, particles: float, grid_cm=None, uncertainty: bool = False,
                 patient_id=None, patient_name=None, study_uid=None, frame_of_reference_uid=None, plan_uid=None,
                 summation_type: str = "PLAN", bits: int = 32, inputs=(), force: bool = False) -> list:
    """Write ``result``'s dose as a DICOM RT Dose (RT Dose Storage, 1.2.840.10008.5.1.4.1.1.481.2; multi-frame,
    Explicit VR Little Endian); returns the paths written (the dose, then the uncertainty file when asked).

    particles: the number of source particles the treatment delivers, > 0 (required): the RT Dose holds
    ``dose x particles`` in Gy (mcdose's dose is Gy per source particle; ``particles=1`` keeps Gy per particle).
    grid_cm: (x_edges, y_edges, z_edges), cm, uniform on each axis: the Cartesian grid the dose is resampled onto
    (:func:`resample_to_cartesian`, nearest bin, 0 outside the mesh). Default :func:`default_cartesian_grid`: a
    Cartesian result's own mesh (InputError naming the axis if it is not uniform), for cylindrical and spherical
    results a grid with the smallest radial bin width covering the mesh.
    uncertainty: also write the absolute 1-sigma (Gy, ``relative uncertainty x dose x particles``) as a second
    RT Dose with Dose Type ERROR (DICOM's "dose calculation uncertainty") at :func:`uncertainty_path` (same
    study, frame of reference and grid; its own series).
    patient_id, patient_name: Patient ID and Patient's Name; study_uid, frame_of_reference_uid: UIDs of an existing
    study / frame of reference. Not given: those of the CT when the result came from a ``ct`` phantom (its
    attributes ct_patient_id, ct_patient_name, ct_study_instance_uid, ct_frame_of_reference_uid), else empty
    names and new UIDs (pydicom.uid.generate_uid).
    plan_uid: SOP Instance UID of the RT Plan the dose belongs to (Referenced RT Plan Sequence); DICOM requires
    that sequence for Dose Summation Type PLAN, so without a plan the file omits a type 1C attribute (readers
    such as GDCM/SimpleITK and pydicom accept it). summation_type: Dose Summation Type, "PLAN" by default.
    bits: 32 (default; rounding error < 1e-9 of the maximum) or 16 (< 1e-5). Dose Grid Scaling is chosen so the
    largest voxel just fits the unsigned range: nothing overflows and the rounding error is below 1e-4 of the
    maximum (checked).
    inputs: ``(what, path)`` pairs the output must not overwrite (e.g. the result file); force: overwrite an
    existing output file. Files are checked before any work and written atomically
    (:func:`mcdose.outputs.check_output`, :func:`~mcdose.outputs.atomic_write`).

    Geometry (module docstring): DICOM mm = 10 x mcdose cm on each axis (x -> x, y -> y, z -> z); Image Position
    (Patient) is the centre of the first voxel; frames are z planes, rows y, columns x; Image Orientation
    [1, 0, 0, 0, 1, 0]; Pixel Spacing [dy, dx] mm; Grid Frame Offset Vector relative (first frame 0), mm.
    """
    try:
        particles = float(particles)
    except (TypeError, ValueError):
        raise InputError(f"particles: {particles!r} is not a number") from None
    if not (math.isfinite(particles) and particles > 0):
        raise InputError(f"particles: {particles:g} is not allowed: the number of source particles the plan "
                         "delivers, finite and > 0 (1 writes Gy per source particle)")
    if bits not in (16, 32):
        raise InputError(f"bits: {bits!r} is not allowed: 16 or 32")
    if summation_type not in SUMMATION_TYPES:
        raise InputError(f"summation_type: {summation_type!r} is not allowed: one of {', '.join(SUMMATION_TYPES)}")
    ct = {k: result.metadata.get(f"ct_{k}") or None for k in ("patient_id", "patient_name", "study_instance_uid",
                                                              "frame_of_reference_uid")}
    patient_id = _text("patient_id", ct["patient_id"] if patient_id is None else patient_id, 64)
    patient_name = _text("patient_name", ct["patient_name"] if patient_name is None else patient_name, 64)
    uids = {"study": _uid("study_uid", ct["study_instance_uid"] if study_uid is None else study_uid),
            "frame": _uid("frame_of_reference_uid",
                          ct["frame_of_reference_uid"] if frame_of_reference_uid is None else frame_of_reference_uid)}
    plan_uid = None if plan_uid is None else _uid("plan_uid", plan_uid)
    edges = default_cartesian_grid(result.grid) if grid_cm is None else grid_cm
    if len(edges) != 3:
        raise InputError("grid_cm: needs (x_edges, y_edges, z_edges), cm")
    edges = _check_edges(*edges)
    for name, e in zip(GRID_AXES["cartesian"], edges):
        uniform_spacing(e, name)
    nx, ny, nz = (e.size - 1 for e in edges)
    if nx > 65535 or ny > 65535:
        raise InputError(f"Cartesian grid: {nx} x {ny} pixels per frame; DICOM allows at most 65535 rows and columns")
    if nx * ny * nz * bits // 8 > 2 ** 32 - 2:
        raise InputError("Cartesian grid: the pixel data would exceed 4 GB, the most one DICOM file holds; "
                         "choose a coarser grid or bits=16")

    path = check_output(Path(path), force=force, inputs=inputs)
    paths = [path]
    if uncertainty:
        upath = check_output(uncertainty_path(path), force=force, inputs=list(inputs) + [("the dose file", path)])
        paths.append(upath)

    same = grid_cm is None and result.grid.kind == "cartesian"
    dose = result.dose if same else resample_to_cartesian(result, *edges)
    gy = dose * particles
    now = _dt.datetime.now()
    common = {"bits": bits, "summation_type": summation_type, "uids": uids, "patient_id": patient_id,
              "patient_name": patient_name, "plan_uid": plan_uid, "now": now}
    pixels, s = _quantise(gy.transpose(2, 1, 0), bits)
    ds = _dataset(pixels, s, edges, dose_type="PHYSICAL", description="mcdose dose", **common)
    atomic_write(path, lambda tmp: ds.save_as(tmp, enforce_file_format=True))
    if uncertainty:
        rel = result.uncertainty if same else resample_to_cartesian(result, *edges, what="uncertainty")
        pixels, s = _quantise((rel * gy).transpose(2, 1, 0), bits)
        ds = _dataset(pixels, s, edges, dose_type="ERROR", description="mcdose dose 1-sigma uncertainty", **common)
        atomic_write(paths[1], lambda tmp: ds.save_as(tmp, enforce_file_format=True))
    return paths
