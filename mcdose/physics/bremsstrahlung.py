"""Electron bremsstrahlung: photon-energy DCS, radiative stopping power, cross section.

Units: kinetic energy T, photon energy k and cuts in MeV; DCS d(sigma)/dk per
unit mass in cm^2/g/MeV; stopping powers in MeV cm^2/g; cross sections in cm^2/g.

Model (from formulas; the only run-time data are xraylib's atomic form factors):

- Electron-nucleus Born cross section with exact kinematics: Koch & Motz, Rev. Mod.
  Phys. 31 (1959) 920, formula 3BN, d(sigma)/dk = Z^2 alpha r_e^2 (p/p0)/k (A + L X).
  All corrections act on its logarithm L, which tends to 2 ln((p0 + p)/(p0 - p)) for
  T << m c^2 (the non-relativistic Born result):
      d(sigma)/dk = ... (A E + X L_n),  L_n = L E - dL_screen + 2 (1 - w) D - 2 f_c w_c,
  E the Elwert factor (Koch & Motz eq. II-6; G. Elwert, Ann. Phys. 34 (1939) 178).
- Coulomb correction below a few MeV, D = S - S_Born E: S is Sommerfeld's exact
  non-relativistic dipole result for a point Coulomb field (A. Sommerfeld, Ann. Phys.
  403 (1931) 257; Berestetskii, Lifshitz & Pitaevskii, QED, Sect. 92), exact to all
  orders in nu = alpha Z / beta, with nu0, nu from the relativistic velocities.
  D -> 0 as nu0 -> 0 (Elwert-Born exact), and D -> -f(nu0) for soft photons, f the
  Davies-Bethe-Maximon function, so D joins the high-energy Coulomb correction
  -2 f_c(Z) (Davies, Bethe & Maximon, Phys. Rev. 93 (1954) 788; Tsai eq. 3.3). D is
  added to the screened Born logarithm rather than multiplying it: the Coulomb
  correction is independent of screening (Olsen, Maximon & Wergeland, Phys. Rev. 106
  (1957) 27, proved at high energy; here assumed at low energy, where it holds when the
  Coulomb region alpha Z/(beta0 p0) lies inside the atom, i.e. except for high Z at a few
  keV). D is tabulated once per process over (nu0, 1 - (beta/beta0)^2) with mpmath
  (about 1 s; bicubic spline, < 0.3 % of S).
- Weights: w = smoothstep in ln T from 2 to 50 MeV, the interval over which Seltzer &
  Berger (NIM B 12 (1985) 95) interpolate partial-wave (Pratt et al. 1977) and
  high-energy theory; f_c carries w_c = T'^2/(T'^2 + (10 MeV)^2), T' = T - k, so it
  vanishes at the spectrum tip.
- Screening dL_screen, interpolated with 1/gamma0^2 between two exact Born limits:
  T << m c^2: the non-relativistic dipole Born result with the atomic form factor F(q),
  dL = 2 int [1 - (1 - F/Z)^2] dq/q over p0 - p < q < p0 + p (H. A. Bethe, Proc. Camb.
  Phil. Soc. 30 (1934) 524), F from xraylib (Hubbell et al., J. Phys. Chem. Ref. Data 4
  (1975) 471), tabulated once per element; T >> m c^2: Tsai's Thomas-Fermi screening
  functions phi1, phi2 (Y.-S. Tsai, Rev. Mod. Phys. 46 (1974) 815, eqs. 3.38-3.39),
  variable 200 delta/Z^(1/3) with delta = p0 - p - k, between q_min = delta and q_max
  (ln(q_max/q_min) = L/2). The interpolation weight is this module's choice.
- Positivity: where screening and the additive Coulomb correction exceed the logarithm
  (Z > ~60 at T < ~10 keV, soft photons) L_n is floored smoothly,
  L_n = 0.05 L E softplus(x / (0.05 L E)) (changes L_n by < 0.5 % where x > 0.2 L E).
- Electron-electron bremsstrahlung: Z^2 -> Z^2 + Z*eta, with the per-electron term
  the same Born formula screened by Tsai's psi1, psi2 (eqs. 3.40-3.41, variable
  200 delta / Z^(2/3)), no Elwert or Coulomb factor, times the suppression
  s = 3/4 beta^2 + 1/4 (1 - 1/gamma)^2: s -> 1 at high energy (Tsai's Z(Z+1)-type
  limit) and s -> 3/4 beta^2 at low energy, the ratio of the non-relativistic
  quadrupole e-e energy loss (Fedyushin 1952, as given by E. Haug, Z. Naturforsch. 30a
  (1975) 1099) to the dipole e-nucleus one; the interpolation is this module's choice.

Accuracy vs NIST ESTAR S_rad (Seltzer-Berger): water -4.7 % at 10 keV, 0.0 % at
0.1 MeV, +3.3 % at 1 MeV, +0.5 / +0.1 % at 10 / 20 MeV; air +3.1 % at 1 MeV. Z = 98:
+23 % at 10 keV falling to +1 % at 25 keV and -10 % at 45 keV (missing: the
normalisation screening of slow electrons in a neutral heavy atom and relativistic
Coulomb effects), +2.5 % at 0.8-1 GeV. See tests/physics/test_bremsstrahlung.py.
"""
from __future__ import annotations

import functools

import mpmath
import numpy as np
import xraylib
from scipy.integrate import cumulative_trapezoid
from scipy.interpolate import CubicSpline, RectBivariateSpline

from ..errors import InputError
from ..materials import Material, atomic_weight
from .constants import (AVOGADRO_PER_MOL, CLASSICAL_ELECTRON_RADIUS_CM, ELECTRON_MASS_MEV, FINE_STRUCTURE,
                        HBAR_C_MEV_CM)

__all__ = ["bremsstrahlung_dcs", "radiative_stopping_power", "restricted_radiative_stopping_power",
           "bremsstrahlung_cross_section"]

_ALPHA_RE2 = FINE_STRUCTURE * CLASSICAL_ELECTRON_RADIUS_CM ** 2  # cm^2
_P_MIN = 1e-4  # smallest final momentum, in units of p0 (the DCS is finite at the tip; avoids 0/0)
_COULOMB_T_HALF = 10.0  # MeV, final kinetic energy at which the Coulomb correction has half weight
_BLEND_T = (2.0, 50.0)  # MeV: low-energy model below, high-energy model above (Seltzer & Berger 1985)
_X_PER_MC = ELECTRON_MASS_MEV / HBAR_C_MEV_CM * 1e-8 / (4.0 * np.pi)  # xraylib's x = q/(4 pi) in 1/Angstrom per m c
_FF_LNQ = np.linspace(np.log(1e-4 / _X_PER_MC), np.log(1e3 / _X_PER_MC), 400)  # ln q (m c) for form-factor tables
_NU0_NODES = np.geomspace(1e-3, 20.0, 24)  # Sommerfeld parameter alpha Z / beta0 of the correction table
_KAPPA_NODES = np.sin(0.5 * np.pi * np.linspace(0.0, 1.0, 17)) ** 2  # 1 - (beta/beta0)^2, dense at both ends
_POSITIVE_FLOOR = 0.05  # softplus width, as a fraction of the unscreened logarithm (see _atom_dcs)
_N_QUAD = 96  # Gauss-Legendre nodes per integral
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_N_QUAD)
_GL_U, _GL_W = 0.5 * (_GL_X + 1.0), 0.5 * _GL_W  # nodes and weights on (0, 1)


def _check_positive(x, name):
    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x)) or not np.all(x > 0):
        raise InputError(f"{name}: must be finite and > 0 MeV")
    return x


def _bethe_heitler_terms(T, k):
    """Koch & Motz 3BN pieces in units of m c^2: (prefactor/k, A, X, L, y, (q_min, q_max), (p0 - p, p0 + p),
    beta0, beta).

    d(sigma)/dk = Z^2 alpha r_e^2 / (m c^2) * (p/p0) / k * (A + L X), with L = 2 ln[(E0 E + p0 p - 1)/k].
    """
    E0 = 1.0 + T / ELECTRON_MASS_MEV
    p0 = np.sqrt(E0 * E0 - 1.0)
    kk = k / ELECTRON_MASS_MEV
    E = np.maximum(E0 - kk, np.sqrt(1.0 + (_P_MIN * p0) ** 2))  # clip at the tip, keep kinematics consistent
    kk = E0 - E
    p = np.sqrt((E - 1.0) * (E + 1.0))
    eps0 = 2.0 * np.arctanh(p0 / E0)
    eps = 2.0 * np.arctanh(p / E)
    p02, p2 = p0 * p0, p * p
    A = (4.0 / 3.0 - 2.0 * E0 * E * (p2 + p02) / (p2 * p02) + eps0 * E / (p02 * p0) + eps * E0 / (p2 * p)
         - eps * eps0 / (p0 * p))
    X = (8.0 * E0 * E / (3.0 * p0 * p) + kk * kk * (E0 * E0 * E * E + p02 * p2) / (p02 * p0 * p2 * p)
         + kk / (2.0 * p0 * p) * (eps0 * (E0 * E + p02) / (p02 * p0) - eps * (E0 * E + p2) / (p2 * p)
                                  + 2.0 * kk * E0 * E / (p2 * p02)))
    log_arg = (E0 * E + p0 * p - 1.0) / kk
    L = 2.0 * np.log(log_arg)
    y = kk / E0
    q_min = 2.0 * kk / ((E + p) * (p0 + p + kk))  # p0 - p - k without cancellation
    # upper limit with ln(q_max/q_min) = L/2: p0 + p at low energy, ~1 (m c) at high energy
    dipole = (kk * (E0 + E) / (p0 + p), p0 + p)  # momentum-transfer range without the photon momentum
    return (p / p0) / kk, A, X, L, y, (q_min, q_min * log_arg), dipole, p0 / E0, p / E


def _screening_log_reduction(functions, q, scale, y):
    """Reduction of L by screening, (phi_inf - phi1)/2 - (1 - y)(phi1 - phi2)/(3 poly), taken between the
    momentum-transfer limits q = (q_min, q_max) (units m c; Tsai's variable is 200 q / scale; ln(q_max/q_min)
    = L/2), so that it vanishes with L at the spectrum tip."""
    poly = 4.0 / 3.0 - 4.0 / 3.0 * y + y * y
    out = 0.0
    for q_lim, sign in zip(q, (1.0, -1.0)):
        d_inf, d12 = functions(200.0 * q_lim / scale)
        out = out + sign * (0.5 * d_inf - (1.0 - y) * d12 / (3.0 * poly))
    return out


def _tsai_phi(g):
    """Tsai eqs. (3.38)-(3.39): (phi1_unscreened - phi1, phi1 - phi2) for Thomas-Fermi screening."""
    d_inf = 2.0 * np.log1p(1.0 / (0.55846 * g) ** 2) - 4.0 * (0.6 * np.exp(-0.9 * g) + 0.4 * np.exp(-1.5 * g))
    return d_inf, (2.0 / 3.0) / (1.0 + 6.5 * g + 6.0 * g * g)


def _tsai_psi(e):
    """Tsai eqs. (3.40)-(3.41): (psi1_unscreened - psi1, psi1 - psi2) for the atomic electrons."""
    d_inf = 2.0 * np.log1p(1.0 / (3.621 * e) ** 2) - 4.0 * (0.7 * np.exp(-8.0 * e) + 0.3 * np.exp(-29.2 * e))
    return d_inf, (2.0 / 3.0) / (1.0 + 40.0 * e + 400.0 * e * e)


def _coulomb_fc(Z) -> float:
    """Davies-Bethe-Maximon Coulomb correction f_c(Z) (Tsai eq. 3.3)."""
    a2 = (FINE_STRUCTURE * Z) ** 2
    return a2 * (1.0 / (1.0 + a2) + 0.20206 - 0.0369 * a2 + 0.0083 * a2 ** 2 - 0.002 * a2 ** 3)


def _coulomb_weight(T_final):
    return T_final ** 2 / (T_final ** 2 + _COULOMB_T_HALF ** 2)


def _high_energy_weight(T):
    """Weight of the high-energy ingredients (Tsai screening, Davies-Bethe-Maximon) against the low-energy ones
    (form-factor screening, Sommerfeld): 0 below 2 MeV, 1 above 50 MeV, smoothstep in ln T between, the band
    across which Seltzer & Berger (NIM B 12 (1985) 95) interpolate partial-wave and high-energy theory."""
    t = np.clip(np.log(T / _BLEND_T[0]) / np.log(_BLEND_T[1] / _BLEND_T[0]), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


@functools.cache
def _ff_screening_spline(Z: int) -> CubicSpline:
    """G(ln q) = int_q^inf [1 - (1 - F(q')/Z)^2] dq'/q' on _FF_LNQ (q in m c), F the atomic form factor of
    xraylib (FF_Rayl: Hubbell et al., J. Phys. Chem. Ref. Data 4 (1975) 471, relativistic Hartree-Fock);
    cumulative trapezoid rule in ln q (400 nodes), cubic spline so that the DCS stays smooth in k."""
    f = np.array([xraylib.FF_Rayl(Z, x) for x in np.exp(_FF_LNQ) * _X_PER_MC]) / Z
    g = 1.0 - (1.0 - f) ** 2
    tail = -cumulative_trapezoid(g[::-1], _FF_LNQ[::-1], initial=0.0)[::-1]
    return CubicSpline(_FF_LNQ, tail)


def _ff_screening_log_reduction(Z, q):
    """Reduction of L by screening in the non-relativistic dipole Born approximation with form factor,
    2 int_{q_min}^{q_max} [1 - (1 - F/Z)^2] dq/q over q = p0 -+ p (the unscreened integrand 1 gives
    L = 2 ln((p0 + p)/(p0 - p)), the non-relativistic limit of the 3BN logarithm; H. A. Bethe, Proc. Camb.
    Phil. Soc. 30 (1934) 524 for the form-factor structure). Below the table F = Z, so G grows as -ln q."""
    G = _ff_screening_spline(int(Z))
    out = 0.0
    for q_lim, sign in zip(q, (1.0, -1.0)):
        lnq = np.log(q_lim)
        inside = np.clip(lnq, _FF_LNQ[0], _FF_LNQ[-1])
        out = out + sign * 2.0 * (G(inside) + (inside - lnq))
    return out


def _sommerfeld_spectrum(nu0: float, nu: float) -> float:
    """Exact non-relativistic dipole bremsstrahlung in a point Coulomb field (A. Sommerfeld, Ann. Phys. 403
    (1931) 257; Berestetskii, Lifshitz & Pitaevskii, Quantum Electrodynamics, Sect. 92), as
    d(sigma)/dk = 16/3 Z^2 alpha r_e^2 / (beta0^2 k) * S with
    S = pi^2 xi d|F|^2/dxi / ((exp(2 pi nu0) - 1)(1 - exp(-2 pi nu))), F = 2F1(i nu0, i nu; 1; xi),
    xi = -4 nu0 nu / (nu - nu0)^2, nu0 = alpha Z / beta0 < nu = alpha Z / beta. S -> ln((nu + nu0)/(nu - nu0))
    (Born) for nu -> 0 and S -> Born x Elwert factor for nu0 -> 0. Evaluated with mpmath."""
    xi = -4.0 * nu0 * nu / (nu - nu0) ** 2
    a, b = 1j * nu0, 1j * nu
    F = mpmath.hyp2f1(a, b, 1, xi)
    dF = a * b * mpmath.hyp2f1(a + 1, b + 1, 2, xi)
    xi_dF2 = 2.0 * xi * mpmath.re(mpmath.conj(F) * dF)
    return float(mpmath.pi ** 2 * xi_dF2 / (mpmath.expm1(2 * mpmath.pi * nu0) * -mpmath.expm1(-2 * mpmath.pi * nu)))


def _born_elwert(nu0, nu):
    """Non-relativistic Born spectrum ln((nu + nu0)/(nu - nu0)) times the Elwert factor, in the units of S."""
    return np.log((nu + nu0) / (nu - nu0)) * nu * np.expm1(-2 * np.pi * nu0) / (nu0 * np.expm1(-2 * np.pi * nu))


@functools.cache
def _sommerfeld_excess_spline() -> RectBivariateSpline:
    """Bicubic spline of D = S_Sommerfeld - S_Born x Elwert over (ln nu0, kappa = 1 - (nu0/nu)^2): the
    higher-order Coulomb correction that the Elwert factor misses. Universal (a function of nu0, nu only);
    finite everywhere, D -> -f(nu0) = -nu0^2 sum 1/(n (n^2 + nu0^2)) for soft photons (the
    Davies-Bethe-Maximon function at alpha Z / beta0)."""
    kappa = np.clip(_KAPPA_NODES, 1e-9, 1.0 - 1e-9)
    nu = _NU0_NODES[:, None] / np.sqrt(1.0 - kappa[None, :])
    S = np.vectorize(_sommerfeld_spectrum)(np.broadcast_to(_NU0_NODES[:, None], nu.shape), nu)
    return RectBivariateSpline(np.log(_NU0_NODES), _KAPPA_NODES, S - _born_elwert(_NU0_NODES[:, None], nu))


def _sommerfeld_excess(Z, beta0, beta):
    """D at nu0 = alpha Z / beta0, nu = alpha Z / beta (0 below the table: D = O(nu0^2) there)."""
    nu0 = FINE_STRUCTURE * Z / beta0
    ln_nu0 = np.log(np.clip(nu0, _NU0_NODES[0], _NU0_NODES[-1]))
    D = _sommerfeld_excess_spline().ev(ln_nu0, 1.0 - (beta / beta0) ** 2)
    return np.where(nu0 < _NU0_NODES[0], 0.0, D)


def _ee_suppression(T):
    """s(T) = 3/4 beta^2 + 1/4 (1 - 1/gamma)^2: electron-electron / electron-nucleus (Z = 1) scale."""
    gamma = 1.0 + T / ELECTRON_MASS_MEV
    return 0.75 * (1.0 - 1.0 / gamma ** 2) + 0.25 * (1.0 - 1.0 / gamma) ** 2


def _atom_dcs(Z, T, terms):
    """DCS per atom (cm^2/MeV): Z^2 (nucleus) + Z s (electrons)."""
    pref, A, X, L, y, q, dipole, beta0, beta = terms
    w = _high_energy_weight(T)
    w_nr = 1.0 - beta0 * beta0
    screening = ((1.0 - w_nr) * _screening_log_reduction(_tsai_phi, q, Z ** (1.0 / 3.0), y)
                 + w_nr * _ff_screening_log_reduction(Z, dipole))
    a = 2.0 * np.pi * FINE_STRUCTURE * Z
    elwert = (beta0 / beta) * np.expm1(-a / beta0) / np.expm1(-a / beta)
    coulomb = (2.0 * (1.0 - w) * _sommerfeld_excess(Z, beta0, beta)
               - 2.0 * _coulomb_fc(Z) * _coulomb_weight(T - y * (T + ELECTRON_MASS_MEV)))
    L_0 = np.maximum(L * elwert, 1e-300)  # unscreened, Elwert-corrected logarithm, the scale of the floor
    L_n = L_0 * _POSITIVE_FLOOR * np.logaddexp(0.0, (L * elwert - screening + coulomb) / (L_0 * _POSITIVE_FLOOR))
    nucleus = np.maximum(pref * (A * elwert + L_n * X), 0.0)
    L_e = L - _screening_log_reduction(_tsai_psi, q, Z ** (2.0 / 3.0), y)
    electrons = np.maximum(pref * (A + L_e * X), 0.0) * _ee_suppression(T)
    return (Z * Z * nucleus + Z * electrons) * (_ALPHA_RE2 / ELECTRON_MASS_MEV)


def _dcs(material: Material, T, k):
    terms = _bethe_heitler_terms(T, k)
    total = 0.0
    for Z, w in zip(material.Z, material.mass_fractions):
        total = total + (w * AVOGADRO_PER_MOL / atomic_weight(Z)) * _atom_dcs(Z, T, terms)
    return total


def bremsstrahlung_dcs(material: Material, T, k) -> np.ndarray:
    """d(sigma)/dk per unit mass, cm^2/g/MeV, for electrons of kinetic energy T (MeV) emitting photons of
    energy k (MeV); T and k broadcast together; zero for k > T. Model: see the module docstring."""
    T = _check_positive(T, "T")
    k = _check_positive(k, "k")
    T, k = np.broadcast_arrays(T, k)
    inside = k <= T
    out = np.zeros(T.shape)
    out[inside] = _dcs(material, T[inside], k[inside])
    return out


def _k_weighted_integral(material, T, k_hi):
    """int_0^k_hi k dsigma/dk dk with k = k_hi t^2 (smooths the k ln k behaviour at k -> 0)."""
    T = T[..., None]
    k_hi = k_hi[..., None]
    t = _GL_U
    k = k_hi * t * t
    return np.sum(_GL_W * 2.0 * t * k_hi * k * _dcs(material, T, k), axis=-1)


def radiative_stopping_power(material: Material, T) -> np.ndarray:
    """Radiative stopping power S_rad = int_0^T k dsigma/dk dk, MeV cm^2/g."""
    T = _check_positive(T, "T")
    return _k_weighted_integral(material, T, T)


def restricted_radiative_stopping_power(material: Material, T, k_cut) -> np.ndarray:
    """Energy loss to photons below k_cut: int_0^min(k_cut, T) k dsigma/dk dk, MeV cm^2/g."""
    T = _check_positive(T, "T")
    k_cut = _check_positive(k_cut, "k_cut")
    T, k_cut = np.broadcast_arrays(T, k_cut)
    return _k_weighted_integral(material, T, np.minimum(k_cut, T))


def bremsstrahlung_cross_section(material: Material, T, k_cut) -> np.ndarray:
    """Cross section for emitting a photon with k_cut < k <= T, cm^2/g (0 where k_cut >= T);
    integrated in ln k."""
    T = _check_positive(T, "T")
    k_cut = _check_positive(k_cut, "k_cut")
    T, k_cut = np.broadcast_arrays(T, k_cut)
    out = np.zeros(T.shape)
    above = k_cut < T
    Ta, lo = T[above][:, None], np.log(k_cut[above])[:, None]
    span = np.log(Ta) - lo
    k = np.exp(lo + span * _GL_U)
    out[above] = np.sum(_GL_W * span * k * _dcs(material, Ta, k), axis=-1)
    return out
