"""Analytic photon cross sections used where xraylib's tables stop (E > ~0.8 MeV).

Units: photon energy E in MeV, cross sections in cm² per atom (or per electron
where the name says so).  Every function is vectorised over E.

* Klein–Nishina free-electron cross section and mean energy-transfer fraction
  (Klein & Nishina, Z. Phys. 52 (1929) 853; Evans, "The Atomic Nucleus" (1955),
  ch. 23, eqs. 2.5 and 4.4).
* Pair production: the PENELOPE DCS (Baró et al., Radiat. Phys. Chem. 44 (1994) 531;
  Salvat et al., PENELOPE-2008 manual, NEA 6416, sec. 2.4.1): Bethe–Heitler with
  exponential screening (radius R from xraylib form factors), the Davies–Bethe–Maximon
  Coulomb correction and the empirical low-energy correction F_0, integrated over the
  energy sharing; triplet production (electron field) as the factor (Z + eta)/Z with
  eta = eta_inf (1 - exp(-v)) of Baró et al. (PENELOPE-2008 manual eq. 2.90) and Tsai's high-energy eta_inf = ln(1194 Z^-2/3) / (ln(184.15 Z^-1/3) - f_C) with the
  Davies–Bethe–Maximon Coulomb function f_C, Phys. Rev. 93 (1954) 788.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import xraylib

from .constants import CLASSICAL_ELECTRON_RADIUS_CM as R_E
from .constants import ELECTRON_MASS_MEV as MEC2
from .constants import FINE_STRUCTURE as ALPHA
from ..kernels.pair import screening_functions

__all__ = ["MEC2", "klein_nishina", "klein_nishina_transfer_fraction",
           "coulomb_correction", "triplet_eta", "screening_radius", "pair_g0", "pair_dcs", "pair_sharing"]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(48)  # nodes on [-1, 1] over eps in [1/kappa, 1/2]
_Q_PER_X = 4 * np.pi * 3.8615926796e-3  # q / (m c) per unit x = sin(theta/2)/lambda (1/Å)
_FF_X = np.geomspace(1e-4, 1e3, 1200)  # 1/Å, grid for the screening-radius integral


def klein_nishina(E) -> np.ndarray:
    """Klein–Nishina total cross section per free electron, cm² (Evans ch. 23 eq. 2.5)."""
    k = np.asarray(E, dtype=float) / MEC2
    l2k = np.log1p(2 * k)
    return 2 * np.pi * R_E**2 * ((1 + k) / k**2 * (2 * (1 + k) / (1 + 2 * k) - l2k / k)
                                 + l2k / (2 * k) - (1 + 3 * k) / (1 + 2 * k) ** 2)


def klein_nishina_transfer_fraction(E) -> np.ndarray:
    """Mean fraction of the photon energy given to the Compton electron, sigma_tr/sigma (KN, Evans eq. 4.4)."""
    k = np.asarray(E, dtype=float) / MEC2
    l2k = np.log1p(2 * k)
    s_tr = 2 * np.pi * R_E**2 * (2 * (1 + k) ** 2 / (k**2 * (1 + 2 * k))
                                 - (1 + 3 * k) / (1 + 2 * k) ** 2
                                 - (1 + k) * (2 * k**2 - 2 * k - 1) / (k**2 * (1 + 2 * k) ** 2)
                                 - 4 * k**2 / (3 * (1 + 2 * k) ** 3)
                                 - ((1 + k) / k**3 - 1 / (2 * k) + 1 / (2 * k**3)) * l2k)
    return s_tr / klein_nishina(E)


def coulomb_correction(Z) -> float:
    """Davies–Bethe–Maximon Coulomb correction f_C(Z) (Phys. Rev. 93 (1954) 788, eq. 36 series)."""
    a2 = (ALPHA * Z) ** 2
    return a2 * (1 / (1 + a2) + 0.202059 - 0.03693 * a2 + 0.00835 * a2**2 - 0.00201 * a2**3
                 + 0.00049 * a2**4 - 0.00012 * a2**5 + 0.00003 * a2**6)


def triplet_eta(Z, E) -> np.ndarray:
    """Triplet (electron-field) to nuclear pair ratio times Z: sigma_trip = sigma_nuc eta/Z.

    eta = eta_inf (1 - exp(-v)), v a quartic in ln(kappa/4) (PENELOPE-2008 manual eq. 2.90;
    zero at the triplet threshold kappa = E/mc² = 4); eta_inf from Tsai (1974) eq. 3.67.
    """
    a = ALPHA * Z
    t = np.log(np.maximum(np.asarray(E, dtype=float) / MEC2, 4.0) / 4.0)
    v = ((0.2840 - 0.1909 * a) * t + (0.1095 + 0.2206 * a) * t**2
         + (0.02888 - 0.04269 * a) * t**3 + (0.002527 + 0.002623 * a) * t**4)
    eta_inf = np.log(1194.0 * Z ** (-2 / 3)) / (np.log(184.15 * Z ** (-1 / 3)) - coulomb_correction(Z))
    return eta_inf * (1 - np.exp(-v))


@lru_cache(maxsize=None)
def screening_radius(Z: int) -> float:
    """Screening radius R of element Z in units of hbar/(m c) (reduced Compton wavelength).

    R is the radius of the exponentially screened atom, F(q)/Z = 1/(1 + (qR)^2), that has the same
    complete-screening logarithm int_0^Q (1 - F(q)/Z)^2 dq/q as the real atom: for that model the
    integral is ln(QR) - 1/2 when QR >> 1, so ln R = int_0^Q (1 - F/Z)^2 d(ln q) - ln Q + 1/2
    (Q = 10 mc; q = 4 pi x lambda_C-bar with x = sin(theta/2)/lambda, xraylib FF_Rayl). This is the
    R of the PENELOPE pair DCS (Salvat et al., PENELOPE-2008, NEA 6416, sec. 2.4.1); it matches
    PENELOPE's tabulated radii within 0.4 % for Z <= 29 and is 2-4 % larger for Z >= 50.
    """
    x = _FF_X[_FF_X * _Q_PER_X <= 10.0]
    F = np.array([xraylib.FF_Rayl(int(Z), float(v)) for v in x]) / Z
    return float(np.exp(np.trapezoid((1 - F) ** 2, np.log(x)) - np.log(x[-1] * _Q_PER_X) + 0.5))


def _low_energy_correction(k, Z) -> np.ndarray:
    """F_0(kappa, Z) of Baró et al., Radiat. Phys. Chem. 44 (1994) 531 (PENELOPE-2008 sec. 2.4.1).

    A cubic polynomial in a = alpha Z for each power (2/kappa)^(n/2), n = 1..4, fitted so that the
    integrated DCS of pair_dcs reproduces the Hubbell-Gimm-Øverbø (XCOM) totals from threshold on.
    The leading coefficient -1.774 is the one of the PENELOPE code (the manual prints -0.1774; that
    value overestimates Pb by 8-14 % at 1.5-6 MeV).
    """
    a = ALPHA * Z
    t = np.sqrt(2.0 / k)
    return ((-1.774 - 12.10 * a + 11.18 * a * a) * t + (8.523 + 73.26 * a - 44.41 * a * a) * t**2
            - (13.52 + 121.1 * a - 96.41 * a * a) * t**3 + (8.946 + 62.05 * a - 63.41 * a * a) * t**4)


def pair_g0(Z, E) -> np.ndarray:
    """g0 = 4 ln R - 4 f_C(Z) + F_0(kappa, Z), the energy-dependent constant of the pair DCS (E in MeV > 2 mc²)."""
    k = np.asarray(E, dtype=float) / MEC2
    return 4 * np.log(screening_radius(int(Z))) - 4 * coulomb_correction(Z) + _low_energy_correction(k, Z)


def pair_dcs(Z, k_MeV, eps) -> np.ndarray:
    """Pair production DCS d sigma/d eps, cm²/atom, nuclear plus triplet; eps = E_electron_total / k.

    Bethe–Heitler with exponential screening, Davies–Bethe–Maximon Coulomb correction and the
    low-energy correction F_0 (Baró et al. 1994; PENELOPE-2008 manual, NEA 6416, sec. 2.4.1):
      d sigma/d eps = r_e² alpha Z (Z + eta) {(1 - 2x) phi_1 + (2/3) x phi_2},  x = eps (1 - eps),
      phi_i = max(f_i(b) + 4 ln R - 4 f_C(Z) + F_0(kappa, Z), 0),  b = R / (2 kappa x),
      f_1 = 2 - 2 ln(1 + b²) - 4 b atan(1/b),
      f_2 = 4/3 - 2 ln(1 + b²) + 2 b² (4 - 4 b atan(1/b) - 3 ln(1 + 1/b²)),
    which is PENELOPE's (2/3)[2 (eps - 1/2)² (g_1 + g_0) + g_2 + g_0] with g_1 = (3 f_1 - f_2)/2,
    g_2 = (3 f_1 + f_2)/4. PENELOPE's factor C_r = 1.0093 is left out (see pair_sharing).
    Zero outside 1/kappa < eps < 1 - 1/kappa, kappa = k/mc². Broadcasts over k_MeV and eps.
    """
    k = np.asarray(k_MeV, dtype=float) / MEC2
    eps = np.asarray(eps, dtype=float)
    k, eps = np.broadcast_arrays(k, eps)
    inside = (k > 2.0) & (eps > 1.0 / np.maximum(k, 2.0)) & (eps < 1.0 - 1.0 / np.maximum(k, 2.0))
    kk = np.where(inside, k, 4.0)
    x = np.where(inside, eps * (1 - eps), 0.25)
    R = screening_radius(int(Z))
    f1, f2 = screening_functions(np.ascontiguousarray(R / (2 * kk * x)))
    g0 = pair_g0(Z, kk * MEC2)
    phi = (1 - 2 * x) * np.maximum(f1 + g0, 0.0) + (2 / 3) * x * np.maximum(f2 + g0, 0.0)
    return np.where(inside, ALPHA * R_E**2 * Z * (Z + triplet_eta(Z, kk * MEC2)) * phi, 0.0)


def pair_sharing(Z, E) -> tuple:
    """Quadrature of the energy sharing: (eps, w), shape (n, 48) each, eps in [1/kappa, 1/2] the fraction of
    the photon energy taken (with its rest energy) by one of the pair, w the Gauss–Legendre weight times
    pair_dcs (nuclear plus triplet), cm²/atom; the DCS is symmetric about eps = 1/2, so the other particle
    takes 1 - eps and w sums to the total. Zero weights below 2 mc².

    The total against XCOM's pair cross sections (nuclear plus electron field, NIST SRD 8 data files):
    Pb -8.5 / -4.8 / +0.1 / -1.2 / -1.6 % at 1.5 / 2 / 3 / 10 / 15 MeV, Cu -6.4 / +2.7 / -0.4 % at 1.5 / 3 /
    10 MeV; the tables therefore take their totals from EPDL97 and use this DCS for the sharing only.
    PENELOPE's radiative factor C_r = 1.0093 is omitted: with it Pb is +2.7 % at 3 MeV."""
    E = np.atleast_1d(np.asarray(E, dtype=float))
    k = E / MEC2
    e0 = 1.0 / np.maximum(k, 2.0)
    eps = e0[:, None] + (0.5 - e0[:, None]) * (_GL_X + 1) / 2
    w = (0.5 - e0)[:, None] * pair_dcs(Z, E[:, None], eps) * _GL_W
    return eps, np.where((k > 2.0)[:, None], w, 0.0)
