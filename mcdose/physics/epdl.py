"""Integrated photon cross sections of EPDL97, from the subset mcdose ships as package data.

EPDL97: D. E. Cullen, J. H. Hubbell and L. Kissel, "EPDL97: the Evaluated Photon Data Library,
'97 Version", UCRL-50400 Vol. 6 Rev. 5 (LLNL, 1997); Z = 1-100, 1 eV to 100 GeV; public domain.
The subset (data/epdl97_subset.npz: total photoionization and pair production cross sections at every
tabulated energy) is made from the ENDL file by :mod:`mcdose.physics.epdl_subset`, which says how and
records the source file's checksum; its content checksum is verified here on load.

Units: photon energy in MeV, cross sections in barn/atom as in the library.
"""
from __future__ import annotations

import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import InputError
from .epdl_subset import array_name, content_sha256

__all__ = ["PHOTOIONIZATION", "PAIR_NUCLEAR", "PAIR_ELECTRON", "SUBSET", "integrated_cross_section"]

PHOTOIONIZATION = 73             # ENDL reaction designators C: total photoionization,
PAIR_NUCLEAR = 74                # pair production in the field of the nucleus,
PAIR_ELECTRON = 75               # and in the field of the atomic electrons (triplet)
SUBSET = Path(__file__).with_name("data") / "epdl97_subset.npz"
SUBSET_SHA256 = "f061398f81117e79eec6d415c2c6b070d4e38cec04e34b1f490dfe4444578474"


@lru_cache(maxsize=1)
def _arrays(path: Path = SUBSET) -> dict:
    """The subset's arrays, after checking their content checksum (InputError if damaged or missing)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"EPDL97 data {str(path)!r} cannot be read ({exc}); reinstall mcdose") from None
    if content_sha256(arrays) != SUBSET_SHA256:
        raise InputError(f"EPDL97 data {str(path)!r} do not match their checksum (damaged); reinstall mcdose")
    return arrays


def integrated_cross_section(reaction: int, Z: int, E) -> np.ndarray:
    """EPDL97 integrated cross section (barn/atom) of a reaction at photon energies E (MeV).

    Log-log interpolation (EPDL97's own law for these sections); 0 below the first tabulated energy.
    """
    energy, value = _arrays()[array_name(reaction, Z)]
    E = np.asarray(E, dtype=float)
    ln = np.interp(np.log(E), np.log(energy), np.log(np.maximum(value, 1e-300)))
    return np.where(E >= energy[0], np.exp(ln), 0.0)
