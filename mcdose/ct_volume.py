"""Operations on a CT volume (:class:`mcdose.ct_series.CTImage`): the body mask, cropping to a box, resampling.

Body: the voxels above a threshold HU, of them the largest region connected through voxel faces (3-D), then every
hole of that region closed slice by slice (each axial slice's 2-D holes: lungs, bowel gas, airways enclosed in the
slice stay body; a region open to the edge of the slice is not a hole). Parts not connected to the largest region
(a couch, a head rest, noise, but also an arm that touches the trunk nowhere in the scan) are outside the body.

Crop: the voxels whose centres lie inside a box (cm, the CT's coordinates), bounds included.

Resample: onto voxels of a given size (cm), the new grid centred on the old one's box with as many whole voxels as
fit on each axis (the remainder, less than one new voxel, is left out equally at both ends). Each new value is the
exact volume-weighted mean of the old voxels it overlaps: separable, one axis after the other, with weights
overlap length / new voxel width (sparse matrices).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage, sparse

from .ct_series import CTImage
from .errors import InputError

__all__ = ["body_mask", "crop", "resample", "resampled_edges"]


def body_mask(hu: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean (nx, ny, nz): the body of a CT (module docstring); InputError when no voxel is above ``threshold``."""
    labels, n = ndimage.label(hu > threshold)
    if n == 0:
        raise InputError(f"phantom.body_threshold: {threshold:g} HU is not allowed here: no voxel of the CT is above "
                         f"it (highest {hu.max():g} HU), so there is no body; lower it")
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    body = labels == int(np.argmax(sizes))
    for k in range(body.shape[2]):
        body[:, :, k] = ndimage.binary_fill_holes(body[:, :, k])
    return body


def crop(image: CTImage, box, extra=()) -> tuple:
    """(the image cropped to ``box`` = [xmin, xmax, ymin, ymax, zmin, zmax] cm, each array of ``extra`` cropped
    alike): the voxels whose centres lie in the box."""
    keep = []
    for axis, edges in enumerate(image.edges):
        lo, hi = box[2 * axis], box[2 * axis + 1]
        name = "xyz"[axis]
        if not hi > lo:
            raise InputError(f"phantom.crop: {name} from {lo:g} to {hi:g} cm is not allowed: must be [xmin, xmax, "
                             "ymin, ymax, zmin, zmax] with each min < max")
        centres = 0.5 * (edges[1:] + edges[:-1])
        idx = np.flatnonzero((centres >= lo) & (centres <= hi))
        if idx.size == 0:
            raise InputError(f"phantom.crop: {name} from {lo:g} to {hi:g} cm holds no voxel centre of the CT (its "
                             f"{name} centres run from {centres[0]:g} to {centres[-1]:g} cm)")
        keep.append(slice(int(idx[0]), int(idx[-1]) + 1))
    edges = [e[s.start:s.stop + 1] for e, s in zip(image.edges, keep)]
    cut = tuple(keep)
    return CTImage(image.hu[cut], *edges, identifiers=image.identifiers), tuple(a[cut] for a in extra)


def resampled_edges(edges: np.ndarray, size: float, axis: int) -> np.ndarray:
    """Edges (cm) of voxels of width ``size`` centred on ``edges``' span, as many whole ones as fit."""
    span = float(edges[-1] - edges[0])
    n = int(np.floor(span / size + 1e-9))
    if n < 1:
        raise InputError(f"phantom.voxel_size[{axis}]: {size:g} cm is not allowed: larger than the CT's extent "
                         f"along {'xyz'[axis]} ({span:g} cm)")
    start = float(edges[0]) + 0.5 * (span - n * size)
    return start + size * np.arange(n + 1)


def _weights(old: np.ndarray, new: np.ndarray) -> sparse.csr_matrix:
    """(len(new) - 1, len(old) - 1): overlap of new voxel j with old voxel i over new voxel j's width."""
    lo = np.maximum(new[:-1, None], old[None, :-1])
    hi = np.minimum(new[1:, None], old[None, 1:])
    return sparse.csr_matrix(np.maximum(hi - lo, 0.0) / np.diff(new)[:, None])


def _along(weights, values: np.ndarray, axis: int) -> np.ndarray:
    moved = np.moveaxis(values, axis, 0)
    out = weights @ moved.reshape(moved.shape[0], -1)
    return np.moveaxis(np.asarray(out).reshape((weights.shape[0],) + moved.shape[1:]), 0, axis)


def resample(image: CTImage, size, extra=()) -> tuple:
    """(the image's HU on voxels of ``size`` = [dx, dy, dz] cm, each float array of ``extra`` resampled alike):
    volume-weighted means (module docstring)."""
    edges = [resampled_edges(e, float(d), axis) for axis, (e, d) in enumerate(zip(image.edges, size))]
    weights = [_weights(old, new) for old, new in zip(image.edges, edges)]
    out = []
    for values in (image.hu, *extra):
        values = np.asarray(values, dtype=np.float64)
        for axis, w in enumerate(weights):
            values = _along(w, values, axis)
        out.append(values)
    return CTImage(out[0], *edges, identifiers=image.identifiers), tuple(out[1:])
