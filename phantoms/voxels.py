"""``voxels``: a voxel (e.g. CT-derived) phantom: per-voxel material ids and densities.

Files (relative to the configuration file):

* ``.npy``: ``file`` holds the integer material ids, shape (nx, ny, nz), index
  order x, y, z; ``voxel_materials`` names the ids ("water, lung, cortical_bone":
  id 0 is water); ``voxel_size`` = [dx, dy, dz] cm; ``density_file`` (.npy,
  g/cm3, same shape) is optional.
* ``.h5`` / ``.hdf5``: dataset ``material`` (ids), optional ``density`` (g/cm3),
  ``x_edges``/``y_edges``/``z_edges`` (cm, non-uniform allowed) or the
  ``voxel_size`` key; attribute ``materials`` (names) or the
  ``voxel_materials`` key.

With ``voxel_size`` the lattice is centred on the axis in x and y and runs from
z = 0 downwards; explicit edges are used as given. Absent densities are each
material's nominal density. Pickled arrays are refused.
"""
from pathlib import Path

import numpy as np

from mcdose.errors import InputError
from mcdose.geometry import Cell, Lattice, box

from ._common import fail, geometry

NAME = "voxels"


def _npy(path: Path, key: str) -> np.ndarray:
    if not path.is_file():
        raise fail(key, str(path), "file not found")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise fail(key, str(path), f"not a plain .npy array ({exc})") from None


def _read_hdf5(path: Path):
    import h5py
    try:
        with h5py.File(path, "r") as f:
            if "material" not in f:
                raise fail("file", str(path), "the HDF5 file needs a dataset 'material' (voxel material ids)")
            ids = f["material"][()]
            rho = f["density"][()] if "density" in f else None
            edges = [f[k][()] for k in ("x_edges", "y_edges", "z_edges")] if "x_edges" in f else None
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in f.attrs.get("materials", [])]
    except OSError as exc:
        raise fail("file", str(path), f"not a readable HDF5 file ({exc})") from None
    return ids, rho, edges, names


def _edges(shape, size) -> list:
    if size is None:
        raise InputError("phantom.voxel_size: missing; cm, must be [dx, dy, dz] (the file has no edges)")
    out = []
    for axis, (n, d) in enumerate(zip(shape, size)):
        e = np.arange(n + 1) * float(d)
        out.append(e - e[-1] / 2 if axis < 2 else e)
    return out


def build(p, ctx):
    path = ctx.base_dir / p["file"]
    if path.suffix.lower() in (".h5", ".hdf5"):
        if not path.is_file():
            raise fail("file", str(path), "file not found")
        ids, rho, edges, names = _read_hdf5(path)
    elif path.suffix.lower() == ".npy":
        ids, edges, names = _npy(path, "file"), None, []
        rho = _npy(ctx.base_dir / p["density_file"], "density_file") if p.get("density_file") else None
    else:
        raise fail("file", p["file"], "must be a .npy or .h5/.hdf5 file")
    if p.get("voxel_materials"):
        names = [n.strip() for n in p["voxel_materials"].split(",") if n.strip()]
    if not names:
        raise InputError("phantom.voxel_materials: missing; the material names of the voxel ids, e.g. 'water, lung'")
    ids = np.asarray(ids)
    if ids.ndim != 3 or not np.issubdtype(ids.dtype, np.integer):
        raise fail("file", str(path), f"material ids must be a 3-d integer array, got {ids.dtype} {ids.shape}")
    if edges is None:
        edges = _edges(ids.shape, p.get("voxel_size"))
    if rho is None:
        nominal = np.array([ctx.material(n).density for n in names])
        rho = nominal[np.clip(ids, 0, len(names) - 1)]
    lattice = Lattice(*(np.asarray(e, dtype=float) for e in edges), ids, np.asarray(rho, dtype=float), tuple(names))
    b = lattice.box
    cell = Cell("voxels", box(*b.ravel()), lattice=lattice)
    return geometry(NAME, p, ctx, [cell], b)
