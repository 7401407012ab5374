"""Analytic photon cross sections used where xraylib's tables stop (E > ~0.8 MeV).

Units: photon energy E in MeV, cross sections in cm² per atom (or per electron
where the name says so).  Every function is vectorised over E.

* Klein–Nishina free-electron cross section and mean energy-transfer fraction
  (Klein & Nishina, Z. Phys. 52 (1929) 853; Evans, "The Atomic Nucleus" (1955),
  ch. 23, eqs. 2.5 and 4.4).
* K-shell photoelectric energy dependence of Sauter (Ann. Phys. 11 (1931) 454;
  Heitler, "The Quantum Theory of Radiation", 3rd ed. (1954), §21 eq. 22),
  used only as a *shape* normalised to xraylib at the joint.
* Pair production in the nuclear field: Bethe–Heitler in the Born approximation,
  exact unscreened total of Maximon (1968) plus the Thomas–Fermi screening
  correction of Tsai, Rev. Mod. Phys. 46 (1974) 815; triplet production (electron
  field) as the factor (Z + eta)/Z with eta = eta_inf (1 - exp(-v)) of Baró et al.,
  Radiat. Phys. Chem. 44 (1994) 531 (PENELOPE-2008 manual, NEA 6416, eq. 2.90) and
  Tsai's high-energy eta_inf = ln(1194 Z^-2/3) / (ln(184.15 Z^-1/3) - f_C) with the
  Davies–Bethe–Maximon Coulomb function f_C, Phys. Rev. 93 (1954) 788.
"""
from __future__ import annotations

import numpy as np

from .constants import CLASSICAL_ELECTRON_RADIUS_CM as R_E
from .constants import ELECTRON_MASS_MEV as MEC2
from .constants import FINE_STRUCTURE as ALPHA

__all__ = ["MEC2", "klein_nishina", "klein_nishina_transfer_fraction", "sauter_k_shape",
           "coulomb_correction", "triplet_eta", "pair_nuclear", "pair_total"]

_ZETA3 = 1.2020569031595942  # Riemann zeta(3)
_N_EPS = 96                  # midpoint nodes over the positron energy fraction (smooth integrand)


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


def sauter_k_shape(E, binding) -> np.ndarray:
    """Energy dependence of the Sauter K-shell photoeffect cross section (arbitrary normalisation).

    Heitler (1954) §21 eq. 22 without the Z^5 alpha^4 phi_0 factor:
    p^3/k^5 [4/3 + g(g-2)/(g+1) (1 - ln((g+p)/(g-p)) / (2 g p))], k = E/mc²,
    g = 1 + (E - binding)/mc² the photoelectron's total energy / mc², p = sqrt(g² - 1).
    Tends to k^-1 at high energy and k^-7/2 in the non-relativistic limit.
    """
    E = np.asarray(E, dtype=float)
    k = E / MEC2
    g = 1 + (E - binding) / MEC2
    p = np.sqrt(g * g - 1)
    brace = 4 / 3 + g * (g - 2) / (g + 1) * (1 - np.log((g + p) / (g - p)) / (2 * g * p))
    return p**3 / k**5 * brace


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


def _born_unscreened(k, Z) -> np.ndarray:
    """Bethe–Heitler Born cross section without screening, cm²/atom, k = E/mc² > 2.

    Maximon, J. Res. NBS 72B (1968) 79, as quoted by Hubbell, Gimm & Øverbø,
    J. Phys. Chem. Ref. Data 9 (1980) 1023, eqs. 8 (2 < k < 4) and 9 (k >= 4).
    """
    out = np.zeros_like(k)
    lo, hi = (k > 2) & (k < 4), k >= 4
    kl = k[lo]
    e = (2 * kl - 4) / (2 + kl + 2 * np.sqrt(2 * kl))
    out[lo] = 2 * np.pi / 3 * ((kl - 2) / kl) ** 3 * (1 + e / 2 + 23 / 40 * e**2 + 11 / 60 * e**3 + 29 / 960 * e**4)
    L = np.log(2 * k[hi])
    r = (2 / k[hi]) ** 2
    out[hi] = (28 / 9 * L - 218 / 27
               + r * (6 * L - 3.5 + 2 / 3 * L**3 - L**2 - np.pi**2 / 3 * L + 2 * _ZETA3 + np.pi**2 / 6)
               - r**2 * (3 / 16 * L + 1 / 8) - r**3 * (29 / (9 * 256) * L - 77 / (27 * 512)))
    return ALPHA * R_E**2 * Z * Z * out


def _screening_correction(k, Z) -> np.ndarray:
    """sigma(screened) - sigma(unscreened) from the ultra-relativistic Bethe–Heitler DCS, cm²/atom.

    d sigma/d eps = alpha r_e² Z² {[eps² + (1-eps)²] (psi1 - 4/3 ln Z) + 2/3 eps(1-eps) (psi2 - 4/3 ln Z)}
    (Tsai 1974 eq. 3.9 with the pair-production kinematics), psi1,2 the Thomas–Fermi screening
    functions of gamma = 100 mc² E / (E+ E- Z^1/3) (Tsai eqs. 3.38–3.39); their gamma -> inf limit
    4/3 ln Z + 4 ln(2 E+ E- / (E mc²)) - 2 is the unscreened form, subtracted here. Midpoint rule
    over the positron's total-energy fraction eps in [1/k, 1 - 1/k].
    """
    kk = k[:, None]
    e0 = 1.0 / kk
    u = (np.arange(_N_EPS) + 0.5) / _N_EPS
    eps = e0 + (1 - 2 * e0) * u
    x = eps * (1 - eps)
    gam = 100.0 / (kk * x * Z ** (1 / 3))
    psi1 = 20.863 - 2 * np.log1p((0.55846 * gam) ** 2) - 4 * (1 - 0.6 * np.exp(-0.9 * gam) - 0.4 * np.exp(-1.5 * gam))
    psi2 = psi1 - (2 / 3) / (1 + 6.5 * gam + 6 * gam * gam)
    unscreened = 4 / 3 * np.log(Z) + 4 * np.log(2 * kk * x) - 2
    dcs = (1 - 2 * x) * (psi1 - unscreened) + (2 / 3) * x * (psi2 - unscreened)
    return ALPHA * R_E**2 * Z * Z * dcs.mean(axis=1) * (1 - 2 * e0[:, 0])


def pair_nuclear(Z, E) -> np.ndarray:
    """Pair production in the field of the nucleus, cm²/atom; zero below 2 mc².

    Born approximation: the exact unscreened Bethe–Heitler total (Maximon 1968) plus the
    Thomas–Fermi screening correction (Tsai 1974). The Coulomb correction (beyond Born) is
    not included: negligible for Z <= 20 (f_C < 2 %), but for Pb it is about +30 % at 3 MeV
    and -10 % at 10–20 MeV (Hubbell, Gimm & Øverbø 1980, sec. 3.3).
    """
    E = np.atleast_1d(np.asarray(E, dtype=float))
    out = np.zeros_like(E)
    k = E / MEC2
    on = k > 2.0
    if on.any():
        kon = k[on]
        out[on] = np.maximum(_born_unscreened(kon, Z) + _screening_correction(kon, Z), 0.0)
    return out


def pair_total(Z, E) -> np.ndarray:
    """Nuclear plus triplet pair production, cm²/atom: sigma_nuc (1 + eta/Z)."""
    return pair_nuclear(Z, E) * (1 + triplet_eta(Z, E) / Z)
