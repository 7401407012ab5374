"""Mott-to-Rutherford ratio: spin (Dirac) correction of elastic scattering on a bare point nucleus.

Units: kinetic energy T in MeV; angles theta in rad, or v = sin(theta/2) = sqrt(mu) with
mu = (1 - cos theta)/2 as in :mod:`.elastic`.

R(theta) = (|f|^2 + |g|^2) / |f_Rutherford|^2 from the exact Dirac partial-wave amplitudes
for the point Coulomb potential of a nucleus of charge Z (N. F. Mott, Proc. R. Soc. A 124
(1929) 425; the form used by ELSEPA, F. Salvat, A. Jablonski, C. J. Powell, Comput. Phys.
Commun. 165 (2005) 157, sec. 2):

    f = sum_l [(l + 1)(e^{2i d_{-l-1}} - 1) + l (e^{2i d_l} - 1)] P_l(cos theta) / (2ik),
    g = sum_l [e^{2i d_l} - e^{2i d_{-l-1}}] P_l^1(cos theta) / (2ik),
    e^{2i d_k} = -(k - i y/gamma) / (rho + i y) Gamma(rho - i y) / Gamma(rho + i y) e^{i pi (l + 1 - rho)},

with rho = sqrt(k^2 - (alpha Z)^2), y = alpha Z / beta (the Sommerfeld parameter, negative for
positrons) and |f_Rutherford| = y / (2 k sin^2(theta/2)). The Coulomb series do not converge;
they are summed after M reductions of Yennie, Ravenhall & Wilson (Phys. Rev. 95 (1954) 500),
(1 - cos theta)^M f, whose coefficients decay like l^(-M - 1/2). Below THETA_SERIES the
division by (1 - cos theta)^M amplifies the truncation error, so there
R = 1 + w v + c v^2: w is the small-angle slope of Bartlett & Watson (Proc. Am. Acad. Arts Sci.
74 (1940) 53; ELSEPA's DPWAC), w = -pi beta y Re exp(2i [arg Gamma(1/2 + iy) - arg Gamma(1 + iy)])
with y the electron's (attractive, y > 0 here; -y for positrons), and c joins the series at THETA_SERIES.
R -> 1 as theta -> 0; to first order in alpha Z it is McKinley & Feshbach's
1 - beta^2 v^2 + pi alpha Z beta v (1 - v) (Phys. Rev. 74 (1948) 1759).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import loggamma

from ..errors import InputError
from ..kernels._jit import jit
from .constants import ELECTRON_MASS_MEV, FINE_STRUCTURE

__all__ = ["mott_ratio", "small_angle_slope", "THETA_SERIES"]

THETA_SERIES = math.radians(8.0)
"""Smallest angle (rad) at which the reduced partial-wave series is used (error < 1e-4 there)."""
N_PARTIAL_WAVES = 4000
N_REDUCTIONS = 3


def _beta_gamma(T: float) -> tuple:
    if not (math.isfinite(T) and 1e-4 <= T <= 1e3):
        raise InputError(f"T: {T!r} MeV is outside the Mott tables' range 1e-4 ... 1e3 MeV")
    gamma = 1.0 + T / ELECTRON_MASS_MEV
    return math.sqrt(1.0 - 1.0 / gamma**2), gamma


def _check_z(Z) -> int:
    if not (float(Z) == int(Z) and 1 <= int(Z) <= 100):
        raise InputError(f"Z: {Z!r} is not allowed: atomic number 1 ... 100")
    return int(Z)


def _phase_factors(Z: int, y: float, gamma: float, n: int) -> tuple:
    """e^{2i delta} for kappa = -l-1 and kappa = +l, l = 0..n-1 (the kappa = 0 entry is unused)."""
    l = np.arange(n, dtype=float)
    za = FINE_STRUCTURE * Z
    out = []
    for kappa in (-l - 1.0, l):
        rho = np.sqrt(kappa**2 - za**2 + 0j)
        out.append(-(kappa - 1j * y / gamma) / (rho + 1j * y)
                   * np.exp(loggamma(rho - 1j * y) - loggamma(rho + 1j * y) + 1j * math.pi * (l + 1.0 - rho)))
    return out[0], out[1]


def _reduce(c: np.ndarray, m: int) -> np.ndarray:
    """Coefficients of (1 - x) sum_n c_n P_n^m(x), m = 0 or 1 (drops the last one)."""
    n = np.arange(c.size, dtype=float)
    out = c.astype(complex)
    out[1:] -= (n[1:] - m) / (2.0 * n[1:] - 1.0) * c[:-1]
    out[:-1] -= (n[:-1] + 1.0 + m) / (2.0 * n[:-1] + 3.0) * c[1:]
    return out[:-1]


@jit(refcount=True)
def _amplitude_sums(a, b, x, sin_theta):
    """f = sum_l a_l P_l(x) and g = sum_l b_l P_l^1(x) at each x (upward Legendre recurrence; P_1^1 = sin
    theta and P_l^1 = l (P_{l-1} - x P_l) / sin theta, signs irrelevant in |g|^2)."""
    f = np.empty(x.size, np.complex128)
    g = np.empty(x.size, np.complex128)
    for k in range(x.size):
        sin = sin_theta[k]
        p_prev, p = 1.0, x[k]
        fk = a[0] + a[1] * p
        gk = b[1] * sin
        for l in range(1, a.size - 1):
            p_prev, p = p, ((2 * l + 1) * x[k] * p - l * p_prev) / (l + 1)
            fk += a[l + 1] * p
            gk += b[l + 1] * (l + 1) * (p_prev - x[k] * p) / sin
        f[k], g[k] = fk, gk
    return f, g


def _series_ratio(Z: int, y: float, beta: float, gamma: float, theta: np.ndarray) -> np.ndarray:
    n = N_PARTIAL_WAVES + N_REDUCTIONS + 1
    e_minus, e_plus = _phase_factors(Z, y, gamma, n)
    l = np.arange(n, dtype=float)
    a = (l + 1.0) * (e_minus - 1.0) + l * (e_plus - 1.0)
    b = e_plus - e_minus
    b[0] = 0.0
    for _ in range(N_REDUCTIONS):
        a, b = _reduce(a, 0), _reduce(b, 1)
    x = np.cos(theta)
    f, g = _amplitude_sums(np.ascontiguousarray(a[:N_PARTIAL_WAVES]), np.ascontiguousarray(b[:N_PARTIAL_WAVES]), x,
                           np.sin(theta))
    scale = (1.0 - x) ** N_REDUCTIONS
    v2 = (1.0 - x) / 2.0
    return (np.abs(f / scale) ** 2 + np.abs(g / scale) ** 2) * v2**2 / y**2


def small_angle_slope(Z, T, positron: bool = False) -> float:
    """d R / d v at v = sin(theta/2) = 0 (Bartlett & Watson 1940; -> pi alpha Z beta as alpha Z -> 0)."""
    Z = _check_z(Z)
    beta, _ = _beta_gamma(float(T))
    y = FINE_STRUCTURE * Z / beta
    phase = 2.0 * (loggamma(0.5 + 1j * y).imag - loggamma(1.0 + 1j * y).imag)
    return (-1.0 if positron else 1.0) * math.pi * beta * y * math.cos(phase) * beta


@lru_cache(maxsize=4096)
def _ratio_cached(Z: int, T: float, positron: bool, theta: tuple) -> tuple:
    beta, gamma = _beta_gamma(T)
    y = FINE_STRUCTURE * Z / beta * (-1.0 if positron else 1.0)
    theta = np.asarray(theta)
    out = np.empty(theta.size)
    wide = theta >= THETA_SERIES
    joint = np.array([THETA_SERIES, THETA_SERIES * 1.02])
    r_series = _series_ratio(Z, y, beta, gamma, np.concatenate((theta[wide], joint)))
    out[wide] = r_series[:-2]
    v_j = np.sin(joint / 2.0)
    w = small_angle_slope(Z, T, positron)
    c = (r_series[-2] - 1.0 - w * v_j[0]) / v_j[0] ** 2
    v = np.sin(theta[~wide] / 2.0)
    out[~wide] = 1.0 + w * v + c * v * v
    return tuple(out)


def mott_ratio(Z, T, theta, positron: bool = False) -> np.ndarray:
    """Mott-to-Rutherford ratio R (dimensionless) of electrons (or positrons) of kinetic energy
    T (MeV) on a bare point nucleus of atomic number Z, at scattering angles theta (rad, 0...pi)."""
    Z = _check_z(Z)
    theta = np.asarray(theta, dtype=float)
    if np.any(~np.isfinite(theta)) or np.any((theta < 0) | (theta > math.pi)):
        raise InputError("theta: scattering angle must be in [0, pi] rad")
    flat = np.minimum(theta.ravel(), math.pi * (1.0 - 1e-9))
    return np.asarray(_ratio_cached(Z, float(T), bool(positron), tuple(flat))).reshape(theta.shape)
