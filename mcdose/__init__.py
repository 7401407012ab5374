"""mcdose: Monte Carlo dose engine for intra-operative radiotherapy.

Units throughout: cm, g/cm³, MeV, Gy.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("mcdose")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

from . import materials  # noqa: E402
from .api import run  # noqa: E402
from .config import Spec, load_config  # noqa: E402
from .errors import InputError  # noqa: E402
from .results import Grid, Result, load  # noqa: E402

__all__ = ["__version__", "InputError", "Spec", "load_config", "Grid", "Result", "load", "materials", "run"]
