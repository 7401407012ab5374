"""Phase-space files: the IAEA format (IAEA(NDS)-0484, Capote et al. 2006), read and written with numpy.

:mod:`.iaea` streams and validates ``NAME.IAEAheader`` + ``NAME.IAEAphsp`` pairs and writes them
atomically (cm, MeV); :mod:`.report` gives the text summary and figures of the ``info``/plot commands
(``info_text`` and ``plot`` are imported on first use, so that matplotlib loads only then).
"""
from .iaea import (IAEA_CODE, KINDS, Header, Particles, PhaseSpaceReader, PhaseSpaceWriter, ScanResult, paths,
                   read_header)

__all__ = ["KINDS", "IAEA_CODE", "paths", "Header", "read_header", "Particles", "PhaseSpaceReader", "ScanResult",
           "PhaseSpaceWriter", "info_text", "plot"]


def __getattr__(name):
    if name in ("info_text", "plot"):
        from . import report
        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
