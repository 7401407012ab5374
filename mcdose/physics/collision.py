"""Electron and positron collision (ionisation) physics data.

Units: kinetic energies T, energy transfers W and cuts in MeV; stopping powers
in MeV cm^2/g; cross sections per unit mass in cm^2/g; differential cross
sections per target electron in cm^2/MeV.

- Density-effect correction delta by Sternheimer's oscillator method, as
  ESTAR computes it: R. M. Sternheimer, Phys. Rev. 88 (1952) 851;
  R. M. Sternheimer, S. M. Seltzer, M. J. Berger, Phys. Rev. B 26 (1982) 6067;
  R. M. Sternheimer, M. J. Berger, S. M. Seltzer, At. Data Nucl. Data Tables
  30 (1984) 261, eqs. (1)-(8) (hereafter SBS84); ICRU Report 37 (1984), ch. 2.
- Collision stopping power: Bethe formula of ICRU Report 37 (1984), ch. 2,
  with the Rohrlich-Carlson functions F-/F+ (Phys. Rev. 93 (1954) 38); no
  shell correction (ESTAR applies none for electrons).
- Restricted stopping power and delta-ray cross sections: Moller (Ann. Phys.
  14 (1932) 531) and Bhabha (Proc. R. Soc. A 154 (1936) 195) cross sections;
  restricted formulas of M. J. Berger and S. M. Seltzer, NASA SP-3012 (1964),
  as given in ICRU Report 37 ch. 2 and in the EGS4 (SLAC-265, sec. 2.13) and
  EGSnrc (PIRS-701) manuals; DCS in the form of F. Salvat, PENELOPE-2018
  manual (NEA), sec. 3.2.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import xraylib
from scipy.optimize import brentq

from ..errors import InputError
from ..materials import Material
from .constants import (AVOGADRO_PER_MOL, CLASSICAL_ELECTRON_RADIUS_CM, ELECTRON_MASS_MEV,
                        HBAR_C_MEV_CM, TWO_PI_RE2_MEC2, TWO_PI_RE2_MEC2_NA, kinematics)

__all__ = ["plasma_energy_eV", "sternheimer_rho", "sbs84_parameters", "density_effect", "collision_stopping_power",
           "restricted_collision_stopping_power", "moller_dcs", "bhabha_dcs",
           "moller_cross_section", "bhabha_cross_section"]

_LN2 = np.log(2.0)


def _energy(T, name="T") -> np.ndarray:
    T = np.asarray(T, dtype=float)
    if not np.all(T > 0) or not np.all(np.isfinite(T)):
        raise InputError(f"{name}: kinetic energy must be finite and > 0 MeV")
    return T


def plasma_energy_eV(material: Material) -> float:
    """Plasma energy h nu_p = hbar c sqrt(4 pi r_e n_e) of the material, eV (28.816 sqrt(rho <Z/A>) eV)."""
    n_e = material.density * AVOGADRO_PER_MOL * material.z_over_a  # electrons/cm^3
    return HBAR_C_MEV_CM * np.sqrt(4.0 * np.pi * CLASSICAL_ELECTRON_RADIUS_CM * n_e) * 1e6


# First ionization energies of the neutral atoms Z = 1..99, eV: NIST Atomic Spectra Database
# (A. Kramida, Yu. Ralchenko, J. Reader and NIST ASD Team, ver. 5.x), rounded to 0.01 eV.
_IONIZATION_EV = (
    13.60, 24.59, 5.39, 9.32, 8.30, 11.26, 14.53, 13.62, 17.42, 21.56,  # H-Ne
    5.14, 7.65, 5.99, 8.15, 10.49, 10.36, 12.97, 15.76, 4.34, 6.11,  # Na-Ca
    6.56, 6.83, 6.75, 6.77, 7.43, 7.90, 7.88, 7.64, 7.73, 9.39,  # Sc-Zn
    6.00, 7.90, 9.79, 9.75, 11.81, 14.00, 4.18, 5.69, 6.22, 6.63,  # Ga-Zr
    6.76, 7.09, 7.12, 7.36, 7.46, 8.34, 7.58, 8.99, 5.79, 7.34,  # Nb-Sn
    8.61, 9.01, 10.45, 12.13, 3.89, 5.21, 5.58, 5.54, 5.47, 5.53,  # Sb-Nd
    5.58, 5.64, 5.67, 6.15, 5.86, 5.94, 6.02, 6.11, 6.18, 6.25,  # Pm-Yb
    5.43, 6.83, 7.55, 7.86, 7.83, 8.44, 8.97, 8.96, 9.23, 10.44,  # Lu-Hg
    6.11, 7.42, 7.29, 8.41, 9.32, 10.75, 4.07, 5.28, 5.38, 6.31,  # Tl-Th
    5.89, 6.19, 6.27, 6.03, 5.97, 5.99, 6.20, 6.28, 6.37,  # Pa-Es
)


def _atomic_subshells(Z: int):
    """(occupation, binding energy eV) of the occupied subshells of element Z, innermost first.

    Occupations: xraylib.ElectronConfig, scaled to sum to Z. Binding energies:
    xraylib.EdgeEnergy, floored at the atom's first ionization energy. SBS84
    use free-atom binding energies (T. A. Carlson, Photoelectron and Auger
    Spectroscopy, 1975); xraylib's outer-shell edges are solid-state values
    referred to the Fermi level (O 2p: 7.1 eV against 13.6 eV for the free
    atom) or missing, and no free-atom electron is bound by less than the
    first ionization energy, so that is the floor (and the value where
    xraylib has none).
    """
    occ, energy = [], []
    for shell in range(xraylib.K_SHELL, xraylib.Q3_SHELL + 1):
        try:
            n = xraylib.ElectronConfig(Z, shell)
        except ValueError:
            continue
        if n <= 0:
            continue
        try:
            e = xraylib.EdgeEnergy(Z, shell) * 1e3
        except ValueError:
            e = 0.0
        occ.append(n)
        energy.append(max(e, _IONIZATION_EV[Z - 1]))
    return np.array(occ) * (Z / sum(occ)), np.array(energy)


class _Oscillators(NamedTuple):
    """Solved SBS84 oscillator model: bound strengths f_i (sum f_i + f_c = 1), squared adjusted
    frequencies nubar_i^2 = (rho E_i / h nu_p)^2, l_i^2 = nubar_i^2 + 2/3 f_i, the conduction
    strength f_c (its l_c^2 = f_c) and the adjustment factor rho."""
    f: np.ndarray
    nubar2: np.ndarray
    l2: np.ndarray
    f_c: float
    rho: float


@lru_cache(maxsize=256)
def _sternheimer_model(material: Material) -> _Oscillators:
    """Oscillators of `material` with rho solved from SBS84 eq. (8)."""
    f, E = [], []
    f_c = 0.0
    weights = np.array(material.mass_fractions) / np.array(material.A)  # atoms per gram / N_A
    electrons = float(np.dot(weights, material.Z))
    for z, w in zip(material.Z, weights):
        occ, energy = _atomic_subshells(z)
        free = material.conduction_electrons
        if free > occ.sum():
            raise InputError(f"material {material.name}: conduction_electrons {free} exceeds Z = {z}")
        for k in range(len(occ) - 1, -1, -1):  # conduction electrons leave the outermost subshells
            take = min(free, occ[k])
            occ[k] -= take
            free -= take
        f_c += w * material.conduction_electrons / electrons
        keep = occ > 1e-12
        f.extend(w * occ[keep] / electrons)
        E.extend(energy[keep])
    f, E = np.array(f), np.array(E)
    hnu_p = plasma_energy_eV(material)
    log_I = np.log(material.I_eV)
    cond = f_c * np.log(hnu_p * np.sqrt(f_c)) if f_c > 0 else 0.0

    def mismatch(rho):  # SBS84 eq. (8): ln I of the oscillator model minus ln I of the material
        return 0.5 * np.dot(f, np.log((rho * E) ** 2 + (2.0 / 3.0) * f * hnu_p**2)) + cond - log_I

    if mismatch(0.0) >= 0:
        raise InputError(f"material {material.name}: I = {material.I_eV} eV is too low for the Sternheimer "
                         f"oscillator model (plasma energy {hnu_p:.3g} eV); raise I_eV")
    hi = 1.0
    while mismatch(hi) <= 0:
        hi *= 2.0
    rho = brentq(mismatch, 0.0, hi, xtol=1e-14, rtol=1e-14)
    nubar2 = (rho * E / hnu_p) ** 2
    return _Oscillators(f, nubar2, nubar2 + (2.0 / 3.0) * f, f_c, rho)


def sternheimer_rho(material: Material) -> float:
    """Sternheimer adjustment factor rho of the material's oscillator model (SBS84 eq. 8; dimensionless)."""
    return _sternheimer_model(material).rho


def _solve_L2(k, f, nubar2, f_c):
    """Root u = L^2 of sum_i f_i/(nubar_i^2 + u) + f_c/u = k (SBS84 eq. 2), k = 1/(beta gamma)^2.

    The left side is convex and decreasing in u, so Newton's method started
    below the root rises monotonically to it. Lower bounds of the root:
    1/k - max(nubar^2) (all strength at the largest frequency) and f_c/k.
    """
    u = np.maximum(1.0 / k - nubar2.max(), 0.0)
    if f_c > 0:
        u = np.maximum(u, f_c / k)
    for _ in range(200):
        d = nubar2[None, :] + u[:, None]
        g = (f / d).sum(axis=1) - k
        dg = (f / d**2).sum(axis=1)
        if f_c > 0:
            g += f_c / u
            dg += f_c / u**2
        step = g / dg
        u = u + step
        if np.all(np.abs(step) <= 1e-12 * (u + nubar2.min())):  # absolute floor: u may be ~0 at threshold
            return u
    raise RuntimeError("Sternheimer L equation did not converge")  # cannot happen for a convex function


# SBS84 Table 1 for the library's heavy metals: Z: (I eV, density g/cm3, -C, X0, X1, a, m, delta0). ESTAR's
# element tables use SBS84's exact delta (Carlson's free-atom binding energies, their conduction-electron
# counts); the general method below, with xraylib's energies, differs from it by up to 0.09 for copper at
# 10 MeV (0.45 % in S_col), while these fits stay within Delta_max = 0.019-0.027 of it. Aluminium (fit
# Delta_max 0.061) and the light materials are closer to ESTAR with the general method.
_SBS84_ELEMENTS = {
    29: (322.0, 8.960, 4.4190, -0.0254, 3.2792, 0.14339, 2.9044, 0.08),
    74: (727.0, 19.30, 5.4059, 0.2167, 3.4960, 0.15509, 2.8447, 0.14),
    79: (790.0, 19.32, 5.5747, 0.2021, 3.6979, 0.09756, 3.1101, 0.14),
    82: (823.0, 11.35, 6.2018, 0.3776, 3.8073, 0.09359, 3.1608, 0.14),
}


def sbs84_parameters(material: Material):
    """SBS84's fit parameters (-C, X0, X1, a, m, delta0) when the material is copper, tungsten, gold or lead
    at SBS84's I-value and density (within 1 %), else None."""
    if len(material.Z) != 1 or material.Z[0] not in _SBS84_ELEMENTS:
        return None
    I_eV, density, *fit = _SBS84_ELEMENTS[material.Z[0]]
    if abs(material.I_eV - I_eV) > 0.5 or abs(material.density / density - 1.0) > 0.01:
        return None
    return tuple(fit)


def _sbs84_delta(fit, x):
    """SBS84 eqs. 9-14 at X = log10(beta gamma): 4.6052 X - C (+ a (X1 - X)^m below X1), delta0 10^(2(X - X0))
    below X0 (conductors)."""
    minus_c, x0, x1, a, m, delta0 = fit
    high = 2.0 * np.log(10.0) * x - minus_c + np.where(x < x1, a * np.abs(x1 - x) ** m, 0.0)
    return np.where(x < x0, delta0 * 10.0 ** (2.0 * (x - x0)), high)


def density_effect(material: Material, T) -> np.ndarray:
    """Density-effect correction delta (dimensionless) for an electron or positron of kinetic energy T (MeV).

    Copper, tungsten, gold and lead (at SBS84's I-value and density): SBS84's fit (eqs. 9-14; within
    Delta_max <= 0.027 of their exact delta). Otherwise Sternheimer's general method
    (SBS84 eqs. 1-8; ICRU Report 37 sec. 2.4):
    one oscillator per atomic subshell, strength f_i = (electrons in the
    subshell)/(electrons in the material), frequency rho*E_i with E_i the
    xraylib binding energy, floored at the atom's first ionization energy
    (free-atom values, as SBS84); `material.conduction_electrons` per atom are moved
    from each atom's outermost subshells into a zero-frequency oscillator; rho
    makes the model reproduce `material.I_eV` (eq. 8). Then, for each beta,
    L solves 1/beta^2 - 1 = sum f_i/(nubar_i^2 + L^2) and
    delta = sum f_i ln((l_i^2 + L^2)/l_i^2) - L^2 (1 - beta^2); delta = 0 for an
    insulator below the threshold (no root). delta depends on beta only, so it
    is the same for electrons and positrons.
    """
    T = _energy(T)
    tau, gamma, beta2 = kinematics(T)
    fit = sbs84_parameters(material)
    if fit is not None:
        return _sbs84_delta(fit, np.log10(np.sqrt(tau * (tau + 2.0))))
    f, nubar2, l2, f_c, _ = _sternheimer_model(material)
    k = (1.0 / (beta2 * gamma**2)).ravel()
    delta = np.zeros_like(k)
    active = np.ones_like(k, dtype=bool) if f_c > 0 else np.sum(f / nubar2) > k
    if np.any(active):
        u = _solve_L2(k[active], f, nubar2, f_c)
        d = (f * np.log1p(u[:, None] / l2)).sum(axis=1) - u / gamma.ravel()[active] ** 2
        if f_c > 0:
            d += f_c * np.log1p(u / f_c)
        delta[active] = np.maximum(d, 0.0)
    return delta.reshape(T.shape)


LOW_ENERGY_JOIN_MEV = 0.010   # below this the Joy-Luo modification is phased in
LOW_ENERGY_FULL_MEV = 0.001   # fully applied at and below this energy


def _low_energy_correction(material: Material, T) -> np.ndarray:
    """Additive term of the Bethe bracket below 10 keV, where Bethe theory fails as T approaches I.

    The Bethe logarithm ln(T/I)^2 becomes ln((T + kI)/I)^2 (D. C. Joy and S. Luo,
    Scanning 11 (1989) 176, k = 0.731 + 0.0688 log10 Z, Z the electron-weighted
    mean), which keeps the stopping power positive down to ~ I. It is phased in
    linearly in ln T between 10 keV (no change: ESTAR, the reference, is pure
    Bethe there, with no shell correction) and 1 keV (full), so it changes
    nothing at and above 10 keV. Below 10 keV mcdose's stopping powers are
    therefore approximate (no shell corrections; a few per cent for low Z,
    worse for high Z) -- cut-offs below 10 keV should be used with that in mind.
    """
    Z = np.asarray(material.Z, dtype=float)
    w = np.asarray(material.mass_fractions) * Z / np.asarray(material.A)
    z_mean = float(np.sum(w * Z) / np.sum(w))
    k = 0.731 + 0.0688 * np.log10(z_mean)
    phase = np.clip(np.log(LOW_ENERGY_JOIN_MEV / T) / np.log(LOW_ENERGY_JOIN_MEV / LOW_ENERGY_FULL_MEV), 0.0, 1.0)
    return 2.0 * np.log1p(k * material.I_eV * 1e-6 / T) * phase


def _bethe(material: Material, T, F):
    """(2 pi r_e^2 mc^2 N_A <Z/A>/beta^2) [ln(tau^2 (tau+2) / (2 (I/mc^2)^2)) + F - delta], MeV cm^2/g.

    Below 10 keV the bracket carries the low-energy term of `_low_energy_correction`.
    """
    tau, _, beta2 = kinematics(T)
    i_rel = material.I_eV * 1e-6 / ELECTRON_MASS_MEV
    log_term = np.log(tau**2 * (tau + 2.0) / (2.0 * i_rel**2)) + _low_energy_correction(material, T)
    return TWO_PI_RE2_MEC2_NA * material.z_over_a / beta2 * (log_term + F - density_effect(material, T))


def collision_stopping_power(material: Material, T, positron: bool = False) -> np.ndarray:
    """Unrestricted mass collision stopping power, MeV cm^2/g (ICRU Report 37, ch. 2).

    Bethe formula with the Rohrlich-Carlson functions, tau = T/mc^2, y = 1/(tau+2):
    F-(tau) = 1 - beta^2 + [tau^2/8 - (2 tau + 1) ln 2]/(tau + 1)^2                (electrons)
    F+(tau) = 2 ln 2 - (beta^2/12) [23 + 14 y + 10 y^2 + 4 y^3]                    (positrons)
    and the density effect of `density_effect`; no shell correction (as ESTAR).
    """
    T = _energy(T)
    tau, gamma, beta2 = kinematics(T)
    if positron:
        y = 1.0 / (tau + 2.0)
        F = 2.0 * _LN2 - beta2 / 12.0 * (23.0 + 14.0 * y + 10.0 * y**2 + 4.0 * y**3)
    else:
        F = 1.0 - beta2 + (tau**2 / 8.0 - (2.0 * tau + 1.0) * _LN2) / gamma**2
    return _bethe(material, T, F)


def restricted_collision_stopping_power(material: Material, T, cut, positron: bool = False) -> np.ndarray:
    """Collision stopping power restricted to energy transfers W < cut (MeV), MeV cm^2/g.

    Berger & Seltzer (NASA SP-3012, 1964; ICRU Report 37 ch. 2; EGS4 SLAC-265
    sec. 2.13): the Bethe bracket with F replaced by G(tau, eta), eta = cut/T,
    y = 1/(tau+2), capped at eta = 1/2 for electrons (the delta ray is the slower
    electron) and 1 for positrons, where it equals the unrestricted value:
    G- = -1 - beta^2 + ln(4 (1-eta) eta) + 1/(1-eta) + (1-beta^2)[tau^2 eta^2/2 + (2 tau + 1) ln(1-eta)]
    G+ = ln(4 eta) - beta^2 [1 + (2 - y^2) eta - (3 + y^2) y tau eta^2/2
                             + (1 + y tau) y^2 tau^2 eta^3/3 - y^3 tau^3 eta^4/4]
    Plus the energy-weighted integral of `moller_dcs`/`bhabha_dcs` from cut to
    the maximum transfer, it gives `collision_stopping_power`.
    """
    T = _energy(T)
    cut = _energy(cut, "cut")
    tau, gamma, beta2 = kinematics(T)
    if positron:
        eta = np.minimum(cut / T, 1.0)
        y = 1.0 / (tau + 2.0)
        yt = y * tau
        G = np.log(4.0 * eta) - beta2 * (1.0 + (2.0 - y**2) * eta - (3.0 + y**2) * yt * eta**2 / 2.0
                                         + (1.0 + yt) * yt**2 * eta**3 / 3.0 - yt**3 * eta**4 / 4.0)
    else:
        eta = np.minimum(cut / T, 0.5)
        G = (-1.0 - beta2 + np.log(4.0 * (1.0 - eta) * eta) + 1.0 / (1.0 - eta)
             + (tau**2 * eta**2 / 2.0 + (2.0 * tau + 1.0) * np.log1p(-eta)) / gamma**2)
    return _bethe(material, np.broadcast_to(T, G.shape), G)


def _moller_a(T):
    tau, gamma, beta2 = kinematics(T)
    return (tau / gamma) ** 2, beta2


def moller_dcs(T, W) -> np.ndarray:
    """Moller DCS per target electron, cm^2/MeV, for a delta ray of kinetic energy W (MeV), 0 < W <= T/2.

    dsigma/dW = (2 pi r_e^2 mc^2/beta^2) [1/W^2 + 1/(T-W)^2 - (1-a)/(W (T-W)) + a/T^2],
    a = (tau/(tau+1))^2 (PENELOPE-2018 eq. 3.111); zero outside (0, T/2].
    """
    T = _energy(T)
    W = np.asarray(W, dtype=float)
    a, beta2 = _moller_a(T)
    Wp = np.where((W > 0) & (W <= T / 2), W, T / 4)  # a safe point where the DCS is not wanted
    dcs = TWO_PI_RE2_MEC2 / beta2 * (1 / Wp**2 + 1 / (T - Wp) ** 2 - (1 - a) / (Wp * (T - Wp)) + a / T**2)
    return np.where((W > 0) & (W <= T / 2), dcs, 0.0)


def _bhabha_b(T):
    """Bhabha coefficients b1..b4 and beta^2 (PENELOPE-2018 eq. 3.123)."""
    tau, gamma, beta2 = kinematics(T)
    c = (tau / gamma) ** 2
    gp = gamma + 1.0
    b1 = c * (2.0 * gp**2 - 1.0) / (gamma**2 - 1.0)
    b2 = c * (3.0 * gp**2 + 1.0) / gp**2
    b3 = c * 2.0 * gamma * tau / gp**2
    b4 = c * tau**2 / gp**2
    return b1, b2, b3, b4, beta2


def bhabha_dcs(T, W) -> np.ndarray:
    """Bhabha DCS per target electron, cm^2/MeV, for a positron of kinetic energy T giving W (MeV), 0 < W <= T.

    dsigma/dW = (2 pi r_e^2 mc^2/beta^2) (1/W^2) [1 - b1 e + b2 e^2 - b3 e^3 + b4 e^4], e = W/T
    (PENELOPE-2018 eqs. 3.122-3.123); zero outside (0, T].
    """
    T = _energy(T)
    W = np.asarray(W, dtype=float)
    b1, b2, b3, b4, beta2 = _bhabha_b(T)
    inside = (W > 0) & (W <= T)
    e = np.where(inside, W / T, 0.5)
    dcs = TWO_PI_RE2_MEC2 / beta2 / (e * T) ** 2 * (1 - e * (b1 - e * (b2 - e * (b3 - e * b4))))
    return np.where(inside, dcs, 0.0)


def moller_cross_section(material: Material, T, cut) -> np.ndarray:
    """Moller cross section per unit mass, cm^2/g, for delta rays with cut < W < T/2 (zero if T <= 2 cut).

    Integral of `moller_dcs` (EGS4 SLAC-265 sec. 2.12), e0 = cut/T:
    sigma = (2 pi r_e^2 mc^2/(beta^2 T)) [1/e0 - 1/(1-e0) - (1-a) ln((1-e0)/e0) + a (1/2 - e0)],
    times the electrons per gram.
    """
    T = _energy(T)
    cut = _energy(cut, "cut")
    a, beta2 = _moller_a(T)
    e0 = np.minimum(cut / T, 0.5)
    sigma = TWO_PI_RE2_MEC2 / (beta2 * T) * (1 / e0 - 1 / (1 - e0) - (1 - a) * np.log((1 - e0) / e0)
                                             + a * (0.5 - e0))
    return material.electrons_per_gram * np.where(T > 2 * cut, sigma, 0.0)


def bhabha_cross_section(material: Material, T, cut) -> np.ndarray:
    """Bhabha cross section per unit mass, cm^2/g, for delta rays with cut < W < T (zero if T <= cut).

    Integral of `bhabha_dcs`, e0 = cut/T:
    sigma = (2 pi r_e^2 mc^2/(beta^2 T)) [1/e0 - 1 + b1 ln e0 + b2 (1-e0) - b3 (1-e0^2)/2 + b4 (1-e0^3)/3],
    times the electrons per gram.
    """
    T = _energy(T)
    cut = _energy(cut, "cut")
    b1, b2, b3, b4, beta2 = _bhabha_b(T)
    e0 = np.minimum(cut / T, 1.0)
    sigma = TWO_PI_RE2_MEC2 / (beta2 * T) * (1 / e0 - 1 + b1 * np.log(e0) + b2 * (1 - e0)
                                             - b3 * (1 - e0**2) / 2 + b4 * (1 - e0**3) / 3)
    return material.electrons_per_gram * np.where(T > cut, sigma, 0.0)
