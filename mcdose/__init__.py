"""mcdose: Monte Carlo dose engine for intra-operative radiotherapy.

Units throughout: cm, g/cm³, MeV, Gy.
"""
import hashlib
import os
import sys
from importlib.machinery import PathFinder
from importlib.metadata import PackageNotFoundError, version as _version
from pathlib import Path

import platformdirs

try:
    __version__ = _version("mcdose")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"


def _kernel_digest(here: Path) -> str:
    """SHA-256 (12 hex digits) of the kernels' source files, wherever they are (installed or source tree)."""
    folder = here / "kernels" if (here / "kernels").is_dir() else here.parent / "kernels"
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


# Numba's cache (used by kernels/_jit.py): Numba keys a cached function on its own source file only,
# so a change in a kernel's callee in another file would load stale machine code. The folder is
# therefore keyed by the mcdose version and a digest of every kernel source file. Set here, before
# any mcdose.kernels module imports numba, unless the user set it.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(platformdirs.user_cache_dir("mcdose")) / "numba"
                                             / f"{__version__}-{_kernel_digest(Path(__file__).parent)}"))


class _SourceTreeFinder:
    """Imports mcdose.kernels, mcdose.phantoms, mcdose.examples and mcdose.reference from the folders beside a
    source tree's mcdose/.

    The wheel maps these sub-packages from the top-level folders kernels/, phantoms/, examples/ and
    benchmarks/reference/ (package-dir in pyproject.toml). From the repository root the source folder mcdose/
    (the current directory comes first on sys.path) shadows the installed package and has none of them, so
    they are mapped here: exactly these four names (extending __path__ with the root would also make
    mcdose.tests, mcdose.benchmarks, ... importable), onto the files an editable install maps, so
    each module is loaded once, under one name and file path (Numba's cache is keyed by file path).
    """

    SUBPACKAGES = (("kernels", "."), ("phantoms", "."), ("examples", "."), ("reference", "benchmarks"))   # (name, its folder)

    def __init__(self, root: Path):
        self.folders = {f"{__name__}.{sub}": str(root / folder) for sub, folder in self.SUBPACKAGES}

    def find_spec(self, fullname, path=None, target=None):
        # PathFinder looks for the last part of the name (kernels) in its folder: a regular package, or a
        # namespace package for examples/ (data files only)
        folder = self.folders.get(fullname)
        return None if folder is None else PathFinder.find_spec(fullname, [folder])


_here = Path(__file__).parent
if not (_here / "kernels").exists() and all((_here.parent / sub / "__init__.py").is_file()
                                            for sub in ("kernels", "phantoms")):
    sys.meta_path.insert(0, _SourceTreeFinder(_here.parent))

from . import materials  # noqa: E402
from .api import run  # noqa: E402
from .config import Spec, load_config  # noqa: E402
from .errors import InputError  # noqa: E402
from .results import Grid, Result, load  # noqa: E402

__all__ = ["__version__", "InputError", "Spec", "load_config", "Grid", "Result", "load", "materials", "run"]
