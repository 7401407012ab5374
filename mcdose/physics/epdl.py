"""Integrated photon cross sections of EPDL97, read from the copy distributed with PyMca5.

EPDL97: D. E. Cullen, J. H. Hubbell and L. Kissel, "EPDL97: the Evaluated Photon Data Library,
'97 Version", UCRL-50400 Vol. 6 Rev. 5 (LLNL, 1997); Z = 1-100, 1 eV to 100 GeV. The file
PyMca5/PyMcaData/EPDL97/EPDL97.DAT (V. A. Solé, ESRF) is the library in ENDL format: each
section is two header lines (Z·1000 + A in columns 1-6; reaction C in columns 1-2, property I in
3-5 and subshell S in 6-8 of the second line), pairs of 11-character numbers (energy in MeV,
value) and an end line with "1" in column 72. Numbers are written without the "E" (1.5-3 = 1.5e-3).

Units: photon energy in MeV, cross sections in barn/atom as in the file.
"""
from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["PHOTOIONIZATION", "PAIR_NUCLEAR", "PAIR_ELECTRON", "epdl_path", "integrated_cross_section"]

PHOTOIONIZATION = 73             # ENDL reaction designators C: total photoionization,
PAIR_NUCLEAR = 74                # pair production in the field of the nucleus,
PAIR_ELECTRON = 75               # and in the field of the atomic electrons (triplet)
_REACTIONS = (PHOTOIONIZATION, PAIR_NUCLEAR, PAIR_ELECTRON)
_INTEGRATED = 0                  # ENDL reaction property I of an integrated cross section
_NUMBER = re.compile(r"([+-]?\d*\.\d*)([+-]\d+)")


def epdl_path() -> Path:
    """Location of EPDL97.DAT in the installed PyMca5 package (not imported, only located)."""
    spec = importlib.util.find_spec("PyMca5")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the EPDL97 photon data need the package PyMca5: pip install PyMca5")
    path = Path(list(spec.submodule_search_locations)[0]) / "PyMcaData" / "EPDL97" / "EPDL97.DAT"
    if not path.is_file():
        raise InputError(f"EPDL97 data file not found at {path}: reinstall PyMca5")
    return path


def _number(text: str) -> float:
    m = _NUMBER.fullmatch(text.strip())
    return float(f"{m.group(1)}e{m.group(2)}") if m else float(text)


@lru_cache(maxsize=1)
def _sections() -> dict:
    """{(C, Z): (energy MeV, barn)} of every total (S = 0) integrated cross section of the reactions used here,
    from one pass over the file."""
    lines = epdl_path().read_text().splitlines()
    out, i = {}, 0
    while i + 1 < len(lines):
        z = int(lines[i][0:6]) // 1000
        head = lines[i + 1]
        reaction = int(head[0:2])
        wanted = (reaction in _REACTIONS and int(head[2:5]) == _INTEGRATED and int(head[5:8]) == 0)
        j = i + 2
        while not (len(lines[j]) > 71 and lines[j][71] == "1" and not lines[j][:60].strip()):
            j += 1
        if wanted:
            data = np.array([(_number(s[0:11]), _number(s[11:22])) for s in lines[i + 2:j]])
            out[reaction, z] = (data[:, 0], data[:, 1])
        i = j + 1
    return out


def integrated_cross_section(reaction: int, Z: int, E) -> np.ndarray:
    """EPDL97 integrated cross section (barn/atom) of a reaction at photon energies E (MeV).

    Log-log interpolation (EPDL97's own law for these sections); 0 below the first tabulated energy.
    """
    energy, value = _sections()[reaction, Z]
    E = np.asarray(E, dtype=float)
    ln = np.interp(np.log(E), np.log(energy), np.log(np.maximum(value, 1e-300)))
    return np.where(E >= energy[0], np.exp(ln), 0.0)
