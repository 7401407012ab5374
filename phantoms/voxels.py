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
material's nominal density. Every array read is checked (integer ids, finite
real densities and edges, shapes, ranges); pickled arrays are refused.
"""
from pathlib import Path

import numpy as np

from mcdose.config import existing_file
from mcdose.errors import InputError
from mcdose.geometry import Cell, Lattice, box

from ._common import fail, geometry

NAME = "voxels"


EDGES = ("x_edges", "y_edges", "z_edges")


def _npy(path: Path, key: str) -> np.ndarray:
    path = existing_file(path, "voxel file", f"phantom.{key}")
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise fail(key, str(path), f"not a plain .npy array ({exc})") from None
    if not isinstance(arr, np.ndarray):
        arr.close()
        raise fail(key, str(path), "not a plain .npy array (an .npz archive)")
    return arr


def _read_hdf5(path: Path):
    """(ids, densities or None, edges or None, names) of an HDF5 phantom."""
    import h5py

    def read(f, name):
        if not isinstance(f[name], h5py.Dataset):
            raise fail("file", str(path), f"{name!r} is an HDF5 {type(f[name]).__name__}, not a dataset")
        return f[name][()]

    try:
        with h5py.File(path, "r") as f:
            if "material" not in f:
                raise fail("file", str(path), "the HDF5 file needs a dataset 'material' (voxel material ids)")
            present = [k for k in EDGES if k in f]
            if present and len(present) < 3:
                absent = ", ".join(k for k in EDGES if k not in present)
                raise fail("file", str(path), f"it has {', '.join(present)} but not {absent}: give all of x_edges, "
                           "y_edges, z_edges (cm) or none (then phantom.voxel_size)")
            ids = read(f, "material")
            rho = read(f, "density") if "density" in f else None
            edges = [read(f, k) for k in EDGES] if present else None
            names = f.attrs.get("materials")
    except OSError as exc:
        raise fail("file", str(path), f"not a readable HDF5 file ({exc})") from None
    items = [] if names is None else [names] if isinstance(names, (str, bytes)) else list(np.ravel(names))
    if not all(isinstance(n, (str, bytes)) for n in items):
        raise fail("file", str(path), "its attribute 'materials' must hold material names (strings)")
    items = [n.decode("utf-8", "replace") if isinstance(n, bytes) else n for n in items]
    return ids, rho, edges, [part.strip() for n in items for part in n.split(",") if part.strip()]


def _array(arr, where: str, integer: bool, ndim: int) -> np.ndarray:
    """``arr`` as read from a file (``where`` names the file and dataset), refused unless a non-empty
    ndim-d array of integers (material ids) or of finite real numbers (then as float64)."""
    arr = np.asarray(arr)
    if arr.dtype.kind not in ("iu" if integer else "iuf"):
        want = "integers (material ids)" if integer else "real numbers"
        raise InputError(f"{where}: dtype {arr.dtype} is not allowed: must be {want}")
    if arr.ndim != ndim or arr.size == 0:
        raise InputError(f"{where}: shape {arr.shape} is not allowed: must be a non-empty {ndim}-d array")
    if not integer and not np.all(np.isfinite(arr)):
        raise InputError(f"{where}: NaN or infinite values are not allowed")
    return arr if integer else arr.astype(float)


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
    src = f"phantom.file {str(path)!r}"
    density_path = ctx.base_dir / p["density_file"] if p.get("density_file") else None
    if path.suffix.lower() in (".h5", ".hdf5"):
        if density_path:
            raise fail("density_file", p["density_file"], "only with a .npy file (HDF5: the dataset 'density')")
        ids, rho, edges, names = _read_hdf5(existing_file(path, "voxel file", "phantom.file"))
        where = {k: f"{src} dataset {k!r}" for k in ("material", "density", *EDGES)}
        names_at = f"{src} attribute 'materials'"
    elif path.suffix.lower() == ".npy":
        ids, edges, names = _npy(path, "file"), None, []
        rho = _npy(density_path, "density_file") if density_path else None
        where = {"material": src, "density": f"phantom.density_file {str(density_path)!r}"}
    else:
        raise fail("file", p["file"], "must be a .npy or .h5/.hdf5 file")
    if p.get("voxel_materials") or not names:
        names = [n.strip() for n in p.get("voxel_materials", "").split(",") if n.strip()]
        names_at = "phantom.voxel_materials"
    if not names:
        raise InputError("phantom.voxel_materials: missing; the material names of the voxel ids, e.g. 'water, lung'")
    for i, name in enumerate(names):
        try:
            ctx.material(name)
        except InputError as exc:
            raise InputError(f"{names_at}[{i}]: {exc}") from None
    ids = _array(ids, where["material"], True, 3)
    rho = None if rho is None else _array(rho, where["density"], False, 3)
    if edges is None:
        edges = _edges(ids.shape, p.get("voxel_size"))
    else:
        edges = [_array(e, where[k], False, 1) for e, k in zip(edges, EDGES)]
    if rho is None:
        nominal = np.array([ctx.material(n).density for n in names])
        rho = nominal[np.clip(ids, 0, len(names) - 1)]
    try:
        lattice = Lattice(*edges, ids, rho, tuple(names))
    except InputError as exc:
        raise InputError(f"{src}{', ' + where['density'] if density_path else ''}: {exc}") from None
    return lattice_geometry(NAME, p, ctx, lattice)


def lattice_geometry(name: str, p, ctx, lattice: Lattice):
    """The phantom ``name`` made of one box cell filled by ``lattice``, in its world (phantom.world_margin)."""
    b = lattice.box
    cell = Cell("voxels", box(*b.ravel()), lattice=lattice)
    return geometry(name, p, ctx, [cell], b)
