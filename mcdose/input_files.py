"""The data files a configuration reads, and a digest of their content.

A run's batches must all be made from the same inputs: the partials of a resumed run, the part files of
``mcdose merge`` and the batches of Dask workers are matched by the run digest (:func:`mcdose.runner.run_digest`).
The resolved configuration names its files but not what is in them, so the digest also covers, byte for byte:
the voxel phantom's ``file`` and ``density_file``, every regular file directly in a CT phantom's ``directory``
(the ones :mod:`mcdose.ct_series` reads), the ioert family's ``machine`` when it is a file (a library machine is
part of mcdose's version), the INTRABEAM source ``model`` and the phase-space source's header and data.
Editing any of them between ``--resume`` s, or giving a worker another copy, is then refused as "another
configuration" instead of silently mixing batches of two problems.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["content_digest", "input_paths"]

BLOCK = 1 << 20          # bytes read at a time


def input_paths(spec) -> list:
    """``[(key, Path)]`` of the files and folders ``spec`` reads (module docstring), in a fixed order; relative
    phantom paths are taken from the configuration file's folder (the working directory without one)."""
    base = Path(spec.source_path).parent if spec.source_path else Path(".")
    phantom, source = spec.phantom, spec.source
    out = [(f"phantom.{k}", base / phantom[k]) for k in ("file", "density_file", "directory") if phantom.get(k)]
    machine = source.get("machine")
    if machine and Path(machine).is_absolute():   # ioert.resolve makes a machine given by path absolute
        out.append(("source.machine", Path(machine)))
    if source.get("model"):
        out.append(("source.model", Path(source["model"])))
    if source.get("type") == "phase_space":
        from .phsp.iaea import paths
        out += [("source.file", p) for p in paths(source["file"])]
    return out


def _file_digest(path: Path, h) -> None:
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            h.update(block)


def content_digest(spec) -> str:
    """SHA-256 over the names and bytes of :func:`input_paths` (a folder: its regular files by name; a path
    that does not exist counts as missing, the problem build then says why)."""
    h = hashlib.sha256()
    for key, path in input_paths(spec):
        h.update(f"\0{key}\0".encode())
        if path.is_dir():
            for entry in sorted(p for p in path.iterdir() if p.is_file()):
                h.update(f"\0{entry.name}\0".encode())
                _file_digest(entry, h)
        elif path.is_file():
            _file_digest(path, h)
        else:
            h.update(b"\0missing\0")
    return h.hexdigest()
