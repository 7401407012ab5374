"""The one place for mcdose's Numba jit options.

Every kernel is compiled with ``cache=True, nogil=True, error_model="numpy",
fastmath=False`` (docs/architecture.md): cached machine code, threads free of
the GIL, IEEE float semantics (division by zero gives inf/nan instead of
raising), and no fast-math reassociation unless a test shows it changes
nothing (pass ``fastmath=True`` explicitly in that case).

Numba's cache lives in ``NUMBA_CACHE_DIR``, which ``mcdose/__init__.py`` sets
(unless the user did) to ``platformdirs.user_cache_dir("mcdose")/numba/<mcdose
version>-<digest of the kernel sources>`` before this package is imported (the kernels import nothing from the
mcdose library).
"""
import os

import numba

# Numba reads NUMBA_CACHE_DIR when its config module loads; if numba was
# imported before mcdose set it, point its live config at the same directory.
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
