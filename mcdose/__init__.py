"""mcdose: Monte Carlo dose engine for intra-operative radiotherapy.

Units throughout: cm, g/cm³, MeV, Gy.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("mcdose")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

from .errors import InputError  # noqa: E402

__all__ = ["__version__", "InputError"]
