"""The one place for mcdose's Numba jit options and Numba's cache location.

Every kernel is compiled with ``cache=True, nogil=True, error_model="numpy",
fastmath=False`` (DESIGN.md section 8): cached machine code, threads free of
the GIL, IEEE float semantics (division by zero gives inf/nan instead of
raising), and no fast-math reassociation unless a test shows it changes
nothing (pass ``fastmath=True`` explicitly in that case).

Numba's cache lives under ``platformdirs.user_cache_dir("mcdose")/numba/<mcdose
version>`` unless ``NUMBA_CACHE_DIR`` is already set: Numba keys its cache on
the source file of each function only, so a new mcdose version (which may
change a kernel's callees in other files) gets a fresh cache.  The directory
is set here, at import, before any kernel is decorated.
"""
import os
from pathlib import Path

import platformdirs

from .. import __version__

os.environ.setdefault(
    "NUMBA_CACHE_DIR", str(Path(platformdirs.user_cache_dir("mcdose")) / "numba" / __version__)
)

import numba  # noqa: E402  (must see NUMBA_CACHE_DIR)

# Numba reads NUMBA_CACHE_DIR when its config module loads; if numba was
# imported before this module, point its live config at the same directory.
numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
CACHE_DIR = numba.config.CACHE_DIR

JIT_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)


def jit(func=None, **overrides):
    """Compile ``func`` with mcdose's jit options; use as ``@jit`` or ``@jit(**overrides)``."""
    decorator = numba.njit(**{**JIT_OPTIONS, **overrides})
    return decorator if func is None else decorator(func)


def jit_parallel(func=None, **overrides):
    """As :func:`jit` with ``parallel=True`` (for kernels that use ``numba.prange``)."""
    return jit(func, parallel=True, **overrides)
