"""Seltzer–Berger scaled bremsstrahlung cross sections, read from the tables shipped with xpecgen.

S. M. Seltzer and M. J. Berger, Nucl. Instrum. Methods B 12 (1985) 95 and At. Data Nucl. Data Tables 35
(1986) 345: the scaled DCS chi(Z, T, kappa) = (beta0^2 / Z^2) k d(sigma)/dk in mb, kappa = k / T, for
Z = 1-100, electron kinetic energies T = 1 keV - 10 GeV and 32 values of kappa; electron-nucleus (Pratt
et al. partial-wave results below 2 MeV, high-energy theory above 50 MeV, interpolated between) plus
electron-electron bremsstrahlung. They are the data behind NIST ESTAR's radiative stopping powers and the
bremsstrahlung of EGSnrc (NIST option), PENELOPE and Geant4. The package xpecgen (github.com/Dih5/xpecgen, GPL-3.0)
carries them for Z = 1-92 as CSV files, data/cs/grid.csv (T in keV; kappa) and data/cs/ZZ.csv (chi,
rows T, columns kappa), taken from PENELOPE's tabulation; mcdose only reads the numbers.

Units: T and k in MeV; chi in millibarn.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
from scipy.interpolate import RectBivariateSpline

from ..errors import InputError

__all__ = ["Z_MAX", "T_RANGE", "scaled_dcs"]

Z_MAX = 92                      # last element of the shipped tables
T_RANGE = (1e-3, 1e4)           # MeV, the tables' electron energies


def _table_dir() -> Path:
    spec = importlib.util.find_spec("xpecgen")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the Seltzer-Berger bremsstrahlung tables need the package xpecgen: pip install xpecgen")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "cs"
    if not (path / "grid.csv").is_file():
        raise InputError(f"Seltzer-Berger tables not found in {path}: reinstall xpecgen")
    return path


@functools.cache
def _grid() -> tuple:
    """(ln T with T in MeV, kappa) of the tables."""
    rows = (_table_dir() / "grid.csv").read_text().split()
    t_kev, kappa = (np.array([float(v) for v in r.split(",")]) for r in rows)
    return np.log(1e-3 * t_kev), kappa


@functools.cache
def _spline(Z: int) -> RectBivariateSpline:
    """Bicubic interpolating spline of chi over (ln T, kappa); it passes through every tabulated value."""
    ln_t, kappa = _grid()
    chi = np.loadtxt(_table_dir() / f"{Z:02d}.csv", delimiter=",")
    if chi.shape != (ln_t.size, kappa.size) or not np.all(np.isfinite(chi)) or np.any(chi < 0):
        raise InputError(f"Seltzer-Berger table for Z = {Z} is malformed: reinstall xpecgen")
    return RectBivariateSpline(ln_t, kappa, chi, kx=3, ky=3, s=0)


def scaled_dcs(Z: int, T, kappa) -> np.ndarray:
    """chi(Z, T, kappa) in mb for kinetic energy T (MeV) and kappa = k/T in [0, 1]; T and kappa broadcast.

    Below 1 keV the 1 keV values are used (the shape of chi changes little there and such electrons are
    below every transport cut-off); never negative.
    """
    if not 1 <= Z <= Z_MAX:
        raise InputError(f"material element Z = {Z}: bremsstrahlung data (Seltzer-Berger) cover Z = 1-{Z_MAX}")
    T, kappa = np.broadcast_arrays(np.asarray(T, dtype=float), np.asarray(kappa, dtype=float))
    ln_t = np.log(np.clip(T, *T_RANGE))
    return np.maximum(_spline(Z).ev(ln_t, np.clip(kappa, 0.0, 1.0)), 0.0)
