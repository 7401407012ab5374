"""Compile the transport kernel in two more processes while this one builds the problem (issue 21: cold start).

With an empty Numba cache the transport kernel (:func:`mcdose.kernels.transport.run_chunks`) takes about 32 s to
compile, half of it the electron transport (``track_electron``), and building a problem compiles its own kernels
(voxel masses, point classification: about 13 s). A compiled kernel depends only on the *types* of its arguments,
so :func:`start` hands a child process their description (every array by its dtype, rank, layout and
writeability) and the child compiles the kernel for stand-ins of those types into the shared cache
(``NUMBA_CACHE_DIR``, inherited) while this process goes on building. The child starts a grandchild that compiles
``track_electron`` for the types of its call in the kernel (:func:`mcdose.kernels.transport.track_electron_types`)
meanwhile, and loads it from the cache when its own compilation reaches that call (:func:`compile_transport`).
:meth:`Ahead.wait` (called before the first batch) waits for the child, and the first batch then loads the kernel
from the cache. On a warm cache nothing is started. If the child fails, this process simply compiles the kernel
itself (and the child the electron transport if the grandchild fails); a child whose parent was interrupted ends
when its compilation does (and leaves the kernel cached).
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile

import numba
import numpy as np

from .kernels.electron_transport import track_electron
from .kernels.transport import run_chunks, track_electron_types

_STARTED: dict = {}       # signature -> the child that compiles (or compiled) it, one at a time


def describe(value):
    """A picklable description of ``value``'s Numba type: arrays (also inside named tuples) as (dtype, rank,
    layout, writeable) -- pickling an array would lose its read-only flag, which is part of its type."""
    if isinstance(value, np.ndarray):
        layout = "C" if value.flags.c_contiguous else "F" if value.flags.f_contiguous else "A"
        return ("array", value.dtype.str, value.ndim, layout, bool(value.flags.writeable))
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return ("tuple", type(value), tuple(describe(v) for v in value))
    return ("value", value)


def stand_in(description):
    """A value of the described type: tiny arrays of the dtype, rank, layout and writeability."""
    kind = description[0]
    if kind == "tuple":
        return description[1](*(stand_in(d) for d in description[2]))
    if kind == "value":
        return description[1]
    _, dtype, ndim, layout, writeable = description
    if layout == "C":
        out = np.empty((0,) * ndim, dtype=dtype)
    elif layout == "F":
        out = np.empty((2,) * ndim, dtype=dtype, order="F")
    else:                                                     # strided: reversed axes are not contiguous
        out = np.empty((2,) * ndim, dtype=dtype)[(slice(None, None, -1),) * ndim]
    out.flags.writeable = writeable
    return out


_CHILD = "import sys\nfrom mcdose.compile_ahead import {}\n{}(sys.argv[1])\n"


def _described(path: str) -> tuple:
    with open(path, "rb") as fh:
        return pickle.load(fh)


def _spawn(function: str, path: str) -> subprocess.Popen:
    """A child process running ``function(path)`` of this module, quiet."""
    return subprocess.Popen([sys.executable, "-c", _CHILD.format(function, function), path], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def compile_transport(path: str) -> None:
    """The child's work: compile (and cache) ``run_chunks`` for the argument types described in the pickle at
    ``path`` (removed when done), running no history. The electron transport, half of the work, compiles at the
    same time in a grandchild (:func:`compile_electrons`); when this process's type inference reaches the call of
    ``track_electron`` (after the photon transport's), it waits for the grandchild and loads its result from the
    cache. If the grandchild cannot start or fails, this process compiles that part itself."""
    arguments = tuple(stand_in(d) for d in _described(path))
    try:
        sibling = _spawn("compile_electrons", path)
    except OSError:
        sibling = None
    try:
        if sibling is not None:
            _load_after(track_electron, sibling)
        run_chunks(*arguments)
    finally:
        if sibling is not None:
            sibling.wait()
        os.remove(path)


def compile_electrons(path: str) -> None:
    """The grandchild's work: compile (and cache) ``track_electron`` for the types of its call in ``run_chunks``
    (:func:`mcdose.kernels.transport.track_electron_types`) of the arguments described at ``path``."""
    chunk_types = tuple(numba.typeof(stand_in(d)) for d in _described(path))
    track_electron.compile(track_electron_types(chunk_types))


def _load_after(dispatcher, process) -> None:
    """Make ``dispatcher`` look in Numba's cache only once ``process`` has ended (it compiles the dispatcher's
    kernel into that cache). Uses Numba's private cache interface; without it, nothing changes."""
    cache = getattr(dispatcher, "_cache", None)
    load = getattr(cache, "load_overload", None)
    if load is None:
        return

    def load_when_compiled(signature, target_context):
        process.wait()
        return load(signature, target_context)

    cache.load_overload = load_when_compiled


def _cached(signature) -> bool:
    """True if the kernel of ``signature`` is compiled in this process or can be loaded from Numba's cache."""
    if signature in run_chunks.overloads:
        return True
    try:
        return run_chunks._cache.load_overload(signature, run_chunks.targetctx) is not None
    except Exception:        # a Numba without this (private) cache interface: behave as if cached
        return True


class Ahead:
    """A child process compiling the kernel, or nothing to wait for."""

    def __init__(self, process=None):
        self.process = process

    def wait(self) -> None:
        """Wait for the child (if any) to finish; its failure only means this process compiles the kernel."""
        if self.process is not None:
            self.process.wait()
            self.process = None


def start(arguments: tuple) -> Ahead:
    """Start compiling ``run_chunks`` for the types of ``arguments`` (a call's arguments, no history to run) in a
    child process, unless it is cached or already being compiled."""
    described = tuple(describe(a) for a in arguments)
    signature = tuple(numba.typeof(a) for a in arguments)
    if tuple(numba.typeof(stand_in(d)) for d in described) != signature:   # a type the stand-ins miss: compile here
        return Ahead()
    running = _STARTED.get(signature)
    if running is not None and running.poll() is None:
        return Ahead(running)
    if _cached(signature):
        return Ahead()
    try:
        fd, path = tempfile.mkstemp(prefix="mcdose-kernel-", suffix=".pickle")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(described, fh)
        process = _spawn("compile_transport", path)
    except OSError:          # no temporary file or no interpreter to start: compile here, as without it
        return Ahead()
    _STARTED[signature] = process
    return Ahead(process)
