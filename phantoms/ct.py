"""``ct``: a CT scan (one DICOM CT series, the files in ``directory``) as a voxel phantom.

Steps: read the series (:mod:`mcdose.ct_series`: slices sorted by position, HU = stored value x Rescale Slope +
Rescale Intercept, inconsistent series refused); find the body on the whole series (:mod:`mcdose.ct_volume`: the
largest connected region above ``body_threshold`` HU, its holes closed slice by slice); crop to ``crop`` (a box in
cm); resample to ``voxel_size`` (exact volume-weighted means of the HU, those outside the body counted as -1000,
and of the body fraction; a new voxel is body when at least half of it is); give each body voxel the density and
material of the ramp (:mod:`mcdose.hu_ramp`: ``hu_to_density``, ``hu_materials``; defaults: the DOSXYZnrc ctcreate
ramp) and every voxel outside the body air at air's density (couch and noise removed).

Coordinates are the CT's: DICOM patient coordinates in cm (x -> x, y -> y, z -> z), not the library's "surface at
z = 0"; place the source and the scoring mesh in them. An RT Dose of a run on the phantom lies on the CT and
carries its Frame of Reference (the result stores the CT's identifiers). The geometry keeps the CT
(``Geometry.image``: the HU as read, cropped and resampled like the lattice, and the series' identifiers).
"""
import numpy as np

from mcdose.ct_series import CTImage, read_series
from mcdose.ct_volume import body_mask, crop, resample
from mcdose.errors import InputError
from mcdose.geometry import Lattice
from mcdose.hu_ramp import Ramp, check_density_table, check_material_table

from ._common import param
from .voxels import lattice_geometry

NAME = "ct"
AIR = "air"
AIR_HU = -1000.0     # HU of the voxels outside the body in resampled means


def _materials(ramp: Ramp, ctx) -> tuple:
    """(distinct material names, with air; index of each ramp bin's name among them)."""
    for i, name in enumerate(ramp.names):
        try:
            ctx.material(name)
        except InputError as exc:
            raise InputError(f"phantom.hu_materials[{i}][1]: {exc}") from None
    names = tuple(dict.fromkeys(ramp.names + (AIR,)))
    return names, np.array([names.index(n) for n in ramp.names], dtype=np.int32)


def _assign(ramp: Ramp, hu: np.ndarray, body: np.ndarray, image: CTImage, ctx) -> Lattice:
    """The lattice: ramp material and density inside the body, air at air's density outside."""
    over = body & (hu > ramp.max_hu)
    if over.any():
        i, j, k = np.argwhere(over)[0]
        at = ", ".join(f"{0.5 * (e[n] + e[n + 1]):g}" for e, n in zip(image.edges, (i, j, k)))
        raise InputError(f"phantom.hu_materials: {int(over.sum())} voxels inside the body have HU above the last upper "
                         f"bound {ramp.max_hu:g} (highest {hu[over].max():g} HU, e.g. at x, y, z = {at} cm); extend "
                         "phantom.hu_materials and phantom.hu_to_density to cover them (metal needs its own material)")
    names, lut = _materials(ramp, ctx)
    ids = np.where(body, lut[np.minimum(ramp.material_ids(hu), len(lut) - 1)], names.index(AIR)).astype(np.int32)
    rho = np.where(body, ramp.densities(hu), ctx.material(AIR).density)
    return Lattice(*image.edges, ids, rho, names)


def build(p, ctx):
    ramp = Ramp(check_density_table("phantom.hu_to_density", param(p, "hu_to_density")),
                check_material_table("phantom.hu_materials", param(p, "hu_materials")))
    image = read_series(ctx.base_dir / p["directory"])
    body = body_mask(image.hu, float(param(p, "body_threshold")))
    if p.get("crop") is not None:
        image, (body,) = crop(image, p["crop"], (body,))
    hu = np.where(body, image.hu, AIR_HU)
    if p.get("voxel_size") is not None:
        image, (hu, fraction) = resample(image, p["voxel_size"], (hu, body.astype(np.float64)))
        body = fraction >= 0.5
    geo = lattice_geometry(NAME, p, ctx, _assign(ramp, hu, body, image, ctx))
    geo.image = image
    return geo
