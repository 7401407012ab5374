"""The one place for mcdose's Numba jit options.

Every kernel is compiled with ``cache=True, nogil=True, error_model="numpy",
fastmath=False`` (docs/architecture.md): cached machine code, threads free of
the GIL, IEEE float semantics (division by zero gives inf/nan instead of
raising), and no fast-math reassociation unless a test shows it changes
nothing (pass ``fastmath=True`` explicitly in that case).

Reference counting: by default a kernel *borrows* its arrays, compiled without
Numba's reference counting (the ``_nrt=False`` target option). With it, every
call of a function that LLVM does not inline increfs and decrefs each array of
its arguments with an atomic operation, and the kernels pass their geometry,
mesh and data as named tuples of 7 to 40 arrays: a call of ``safety`` cost
260 ns instead of 8 ns, and the electron transport spent most of its time
there (benchmarks/electron_profile.py, issue 21). A borrowing function must
neither allocate an array nor return one (an array it returned would lack the
reference its caller releases), nor take one from a function that returns one
(it would never release it); such functions say ``refcount=True``.
tests/unit/test_jit_options.py checks every compiled kernel against that rule.

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


def jit(func=None, *, refcount=False, **overrides):
    """Compile ``func`` with mcdose's jit options; use as ``@jit`` or ``@jit(**overrides)``.

    ``refcount=True`` for a function that allocates or returns an array (Numba's reference counting on);
    otherwise the function borrows its arrays (see the module docstring)."""
    decorator = numba.njit(**{**JIT_OPTIONS, "_nrt": refcount, **overrides})
    return decorator if func is None else decorator(func)
