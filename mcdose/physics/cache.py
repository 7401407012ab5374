"""On-disk cache of per-material physics tables (HDF5, one file per key).

Files live in ``$MCDOSE_CACHE_DIR`` or the user cache directory
(platformdirs), keyed by material composition, density, I, thresholds and
the physics version. Each file carries a SHA-256 checksum of its arrays; a
file that is unreadable, incomplete, of another version or whose checksum does
not match is deleted and rebuilt, never used. Writes are atomic (temporary
file + rename), so concurrent builders cannot leave a half-written file.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import h5py
import numpy as np


def cache_dir() -> Path:
    """Folder of the physics-table cache (created on demand)."""
    env = os.environ.get("MCDOSE_CACHE_DIR")
    if env:
        base = Path(env)
    else:
        import platformdirs
        base = Path(platformdirs.user_cache_dir("mcdose"))
    path = base / "physics"
    path.mkdir(parents=True, exist_ok=True)
    return path


def checksum(arrays: dict) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of the arrays, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def read(path: Path, version: str) -> dict | None:
    """Arrays of a valid cache file, or None (and the bad file removed) if it is missing or invalid."""
    if not path.is_file():
        return None
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("physics_version") != version:
                raise ValueError("stale")
            arrays = {name: f[name][()] for name in f}
            if f.attrs.get("checksum") != checksum(arrays):
                raise ValueError("checksum")
    except (OSError, ValueError, KeyError):
        path.unlink(missing_ok=True)
        return None
    return arrays


def write(path: Path, arrays: dict, version: str, attrs: dict) -> None:
    """Write arrays and their checksum atomically."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            for name, a in arrays.items():
                f.create_dataset(name, data=a)
            f.attrs["physics_version"] = version
            f.attrs["checksum"] = checksum(arrays)
            for k, v in attrs.items():
                f.attrs[k] = v
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
