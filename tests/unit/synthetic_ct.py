"""A synthetic DICOM CT series written with pydicom (no patient data), for the CT phantom tests: a water cylinder
with a bone and a lung insert and a couch strip, files in shuffled order under names that do not sort by position,
uint16 pixels with Rescale Slope 0.5 or 2 and Rescale Intercept -1024."""
import random

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from mcdose.ct_series import CT_IMAGE_STORAGE

N, NZ, DX = 32, 12, 2.5            # pixels per side, slices, spacing (mm)
X0, Y0, Z0 = -38.75, -38.75, 100.0  # Image Position (Patient) of the first voxel centre (mm)
FRAME = "1.2.826.0.1.3680043.8.498.1"
STUDY = "1.2.826.0.1.3680043.8.498.2"
SERIES = "1.2.826.0.1.3680043.8.498.3"


def centres():
    """Voxel centres (mm) along x, y, z."""
    return X0 + DX * np.arange(N), Y0 + DX * np.arange(N), Z0 + DX * np.arange(NZ)


def phantom_hu(with_inserts=True, couch=True):
    """HU (x, y, z): water cylinder r = 30 mm about the z axis, bone insert r = 6 mm at x = +12 mm, lung insert
    r = 6 mm at x = -12 mm, air -1000 around, a couch strip 35 < y < 38 mm (HU 300) separated from the body by air."""
    x, y, _ = centres()
    X, Y = np.meshgrid(x, y, indexing="ij")
    plane = np.full((N, N), -1000.0)
    plane[X ** 2 + Y ** 2 <= 30 ** 2] = 0.0
    if with_inserts:
        plane[(X - 12) ** 2 + Y ** 2 <= 6 ** 2] = 1200.0
        plane[(X + 12) ** 2 + Y ** 2 <= 6 ** 2] = -750.0
    if couch:
        plane[(Y > 35) & (Y < 38)] = 300.0
    return np.repeat(plane[:, :, None], NZ, axis=2)


def ct_slice(hu_xy, z, k, slope, intercept, **over):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CT_IMAGE_STORAGE, meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.PatientName, ds.PatientID = "Phantom^Water", "PH-001"
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = STUDY, SERIES, FRAME
    ds.InstanceNumber = NZ - k                       # reversed: must not be used for the order
    ds.ImagePositionPatient = [X0, Y0, z]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [DX, DX]
    ds.SliceThickness = DX
    ds.Rows = ds.Columns = N
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = slope, intercept, "HU"
    for key, value in over.items():
        if value is None:
            delattr(ds, key)
        else:
            setattr(ds, key, value)
    stored = np.rint((hu_xy.T - intercept) / slope)           # rows are y, columns x
    assert np.all(stored >= 0) and np.all(stored < 65536)
    ds.PixelData = stored.astype("<u2").tobytes()
    return ds


def write_series(folder, hu=None, skip=(), over=None, seed=0):
    """A CT series of ``hu`` (x, y, z) in ``folder``: slices k not in ``skip``, written in shuffled order under
    names that do not sort by position, slope 0.5 on even slices and 2 on odd ones (intercept -1024);
    ``over``: {k: {keyword: value or None (delete)}}."""
    folder.mkdir(parents=True, exist_ok=True)
    hu = phantom_hu() if hu is None else hu
    _, _, z = centres()
    order = [k for k in range(NZ) if k not in skip]
    random.Random(seed).shuffle(order)
    for n, k in enumerate(order):
        slope = 0.5 if k % 2 == 0 else 2.0
        ds = ct_slice(hu[:, :, k], float(z[k]), k, slope, -1024.0, **(over or {}).get(k, {}))
        ds.save_as(folder / f"img_{(n * 7919) % 1000:03d}.dcm", enforce_file_format=True)
    (folder / "README.txt").write_text("not DICOM: skipped")
    return folder
