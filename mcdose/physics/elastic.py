"""Electron/positron elastic scattering for class II condensed history.

Units: kinetic energy T in MeV; cross sections per unit mass in cm^2/g; path
lengths s in cm; mean free paths in cm; angles through mu = (1 - cos theta)/2
(0 = forward, 1 = backward), so every pdf here is a density in mu on [0, 1].

Single scattering: screened Rutherford cross section with Moliere's screening
parameter (no spin/Mott correction), Z^2 -> Z(Z+1) for scattering on atomic
electrons, exactly as EGSnrc with SPIN_EFFECTS off: I. Kawrakow et al., NRCC
Report PIRS-701 (the EGSnrc manual), section "Elastic scattering cross
sections", eqs. SR_1, SR_2, eta_0, the b_c / chi_cc^2 definitions with the
Moliere mixture sums Z_S, Z_E, Z_X, and eqs. calc_eta and SR_tot; G. Moliere,
Z. Naturforsch. 2a (1947) 133 and 3a (1948) 78; H. A. Bethe, Phys. Rev. 89
(1953) 1256. In mu the normalised single-scattering pdf is
f(mu) = eta (1 + eta) / (mu + eta)^2.

Multiple scattering: Goudsmit-Saunderson (S. Goudsmit, J. L. Saunderson,
Phys. Rev. 57 (1940) 24) for a path with lambda elastic collisions on average,
split as in I. Kawrakow, A. F. Bielajew, NIM B 134 (1998) 325 (PIRS-701,
section "Multiple elastic scattering", eq. F_2plus):
    pdf = e^-lam delta(mu) + lam e^-lam f(mu) + (1 - e^-lam - lam e^-lam) F2(mu),
    F2(mu) = sum_l (2l + 1) j_l P_l(1 - 2 mu),
    j_l = [exp(-lam G_l) - e^-lam (1 + lam (1 - G_l))] / (1 - e^-lam - lam e^-lam),
where G_l = 1 - Xi_l and Xi_l = <P_l(cos theta)> of f. For screened Rutherford,
with zeta = 1 + 2 eta and Q_l the Legendre function of the second kind,
Xi_l = l [Q_{l-1}(zeta) - zeta Q_l(zeta)] (from d/dzeta Q_l = (1/2) int P_l/(zeta-x)^2
and the Q_l derivative recurrence, Abramowitz & Stegun 8.5.4); eliminating Q_l
gives the three-term recurrence used here,
    Xi_{l+1} = [zeta (2l + 1) Xi_l - (l + 1) Xi_{l-1}] / l,
run forward on G_l = 1 - Xi_l while G_l is small (no cancellation against 1)
and backward (Miller's algorithm, Xi_l being the minimal solution, like Q_l)
where Xi_l decays. G_1 and G_2 have the closed forms of sr_moments.

F2 is tabulated in u = (1 + a) mu / (mu + a), q(u) = F2(mu) dmu/du, on a grid of
(ln lambda, lambda G_1) (Kawrakow & Bielajew's q-surface, PIRS-701 Fig. q2);
a = eta omega^2 is chosen here as 1 / F2(0), which makes q(0) = 1/(1 + a) and
keeps q(u) of order one over [0, 1].
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import InputError
from ..kernels._jit import jit
from ..materials import Material
from .collision import _energy
from .constants import AVOGADRO_PER_MOL, CLASSICAL_ELECTRON_RADIUS_CM, FINE_STRUCTURE, kinematics

__all__ = ["screening_parameter", "elastic_bc", "sr_moments", "ElasticMoments", "elastic_moments", "elastic_table",
           "elastic_mean_free_path", "elastic_collisions", "sr_pdf", "gs_weights", "gs_legendre_moments",
           "gs_pdf", "GSTable", "gs_table", "gs_table_pdf", "eta_from_q1"]

C_TF = (9.0 * math.pi**2 / 128.0) ** (1.0 / 3.0)
"""Thomas-Fermi constant (0.8853), PIRS-701 eq. eta_0."""

BC_PREFACTOR = 4.0 * math.pi * CLASSICAL_ELECTRON_RADIUS_CM**2 * C_TF**2 * AVOGADRO_PER_MOL / (1.13 * FINE_STRUCTURE**2)
"""4 pi r_e^2 C_TF^2 N_A / (1.13 alpha^2), cm^2/mol: PIRS-701 quotes 7821.6 cm^2/g per (mol/g)."""


def _kinematics(T):
    """tau and beta^2 for kinetic energies T (MeV), validated."""
    tau, _, beta2 = kinematics(_energy(T))
    return tau, beta2


def _moliere_sums(material: Material):
    """Moliere mixture sums per gram (PIRS-701, Z_S, Z_E, Z_X divided by the molecular mass).

    Returns (S, E/S, X/S) with S = sum_i w_i Z_i (Z_i + 1) / A_i (mol/g),
    E = sum_i w_i Z_i (Z_i + 1) / A_i ln Z_i^(-2/3),
    X = sum_i w_i Z_i (Z_i + 1) / A_i ln(1 + 3.34 alpha^2 Z_i^2).
    """
    z = np.asarray(material.Z, dtype=float)
    weight = np.asarray(material.mass_fractions) * z * (z + 1.0) / np.asarray(material.A)
    s = weight.sum()
    e = (weight * (-2.0 / 3.0) * np.log(z)).sum() / s
    x = (weight * np.log1p(3.34 * FINE_STRUCTURE**2 * z**2)).sum() / s
    return s, e, x


def elastic_bc(material: Material) -> float:
    """Moliere's b_c per unit density, cm^2/g (EGSnrc's BLCC / rho).

    b_c/rho = 4 pi r_e^2 C_TF^2 N_A / (1.13 alpha^2) Z_S exp(Z_E/Z_S) / (A exp(Z_X/Z_S))
    (PIRS-701, definition of b_c, without EGS4's 1.167). The elastic cross section
    per gram is sigma_el = b_c / (rho beta^2 (1 + eta)) (PIRS-701 eq. SR_tot, here
    with the exact 1 + eta of eq. SR_2 kept).
    """
    s, e, x = _moliere_sums(material)
    return float(BC_PREFACTOR * s * math.exp(e - x))


def screening_parameter(material: Material, T) -> np.ndarray:
    """Moliere screening parameter eta (dimensionless) = Moliere's chi_a^2 / 4.

    eta = 1.13 alpha^2 exp((Z_X - Z_E)/Z_S) / (4 C_TF^2 tau (tau + 2)), i.e.
    chi_cc^2 / (4 b_c m^2 tau (tau + 2)) of PIRS-701 eq. calc_eta; for one element
    eta = eta_0 (1.13 + 3.77 alpha^2 Z^2), eta_0 = alpha^2 Z^(2/3) / (4 C_TF^2 tau (tau + 2))
    (Moliere 1947 with alpha' = alpha Z / beta evaluated at beta = 1, as in PEGS4/EGSnrc).
    """
    tau, _ = _kinematics(T)
    _, e, x = _moliere_sums(material)
    return 1.13 * FINE_STRUCTURE**2 * math.exp(x - e) / (4.0 * C_TF**2 * tau * (tau + 2.0))


def sr_moments(eta):
    """(G1, G2) of the normalised screened Rutherford pdf, per collision.

    G1 = <1 - cos theta> = 2 eta [(1 + eta) ln(1 + 1/eta) - 1],
    G2 = <1 - P_2(cos theta)> = 6 eta (1 + eta) [(1 + 2 eta) ln(1 + 1/eta) - 2]
    (PIRS-701 eq. G1_SR; G2 from Xi_2 = 3 zeta Xi_1 - 2 of the recurrence above).
    """
    eta = np.asarray(eta, dtype=float)
    log = np.log1p(1.0 / eta)
    return 2.0 * eta * ((1.0 + eta) * log - 1.0), 6.0 * eta * (1.0 + eta) * ((1.0 + 2.0 * eta) * log - 2.0)


@dataclass(frozen=True)
class ElasticMoments:
    """Elastic data at kinetic energies T: eta (1), sigma_el, sigma_1, sigma_2 (cm^2/g).

    sigma_el: total screened Rutherford cross section per gram;
    sigma_1 = sigma_el G1 (first transport cross section, 2 pi int (1 - cos theta) dsigma);
    sigma_2 = sigma_el G2 (2 pi int (1 - P_2(cos theta)) dsigma = (3/2) int sin^2 theta dsigma).
    A path s (cm) has lambda = rho s sigma_el elastic collisions and GS moments
    lambda G1 = rho s sigma_1, lambda G2 = rho s sigma_2; <cos theta> = exp(-rho s sigma_1).
    """

    eta: np.ndarray
    sigma_el: np.ndarray
    sigma_1: np.ndarray
    sigma_2: np.ndarray


def elastic_moments(material: Material, T) -> ElasticMoments:
    """Screened Rutherford total and transport cross sections per gram (cm^2/g) at T (MeV)."""
    _, beta2 = _kinematics(T)
    eta = screening_parameter(material, T)
    sigma = elastic_bc(material) / (beta2 * (1.0 + eta))
    g1, g2 = sr_moments(eta)
    return ElasticMoments(eta, sigma, sigma * g1, sigma * g2)


def elastic_table(material: Material, T) -> dict:
    """Per-material elastic arrays on an energy grid T (MeV) for the physics tables.

    Keys: "eta" (1), "sigma" (sigma_el, cm^2/g), "sigma_1", "sigma_2" (cm^2/g).
    """
    m = elastic_moments(material, T)
    return {"eta": m.eta, "sigma": m.sigma_el, "sigma_1": m.sigma_1, "sigma_2": m.sigma_2}


def elastic_mean_free_path(material: Material, T) -> np.ndarray:
    """Elastic mean free path lambda_el = 1 / (rho sigma_el), cm."""
    return 1.0 / (material.density * elastic_moments(material, T).sigma_el)


def elastic_collisions(material: Material, T, s) -> np.ndarray:
    """Mean number of elastic collisions lambda = s / lambda_el on a path s (cm) at fixed T."""
    s = np.asarray(s, dtype=float)
    if not np.all(s >= 0):
        raise InputError("s: path length must be >= 0 cm")
    return s * material.density * elastic_moments(material, T).sigma_el


def sr_pdf(mu, eta) -> np.ndarray:
    """Normalised screened Rutherford single-scattering pdf in mu: eta (1 + eta) / (mu + eta)^2."""
    mu = np.asarray(mu, dtype=float)
    return eta * (1.0 + eta) / (mu + eta) ** 2


def gs_weights(lam):
    """Probabilities of no, exactly one, and two or more elastic collisions (Poisson, mean lam)."""
    lam = np.asarray(lam, dtype=float)
    p0 = np.exp(-lam)
    p1 = lam * p0
    return p0, p1, -np.expm1(-lam) - p1


def _check_lam_eta(lam, eta):
    if not (np.isfinite(lam) and lam > 0):
        raise InputError(f"lam {lam!r}: number of elastic collisions must be > 0")
    if not (np.isfinite(eta) and eta >= 1e-12):
        raise InputError(f"eta {eta!r}: screening parameter must be >= 1e-12")


@jit
def _j_value(x, lam, e_lam, p2):
    """j_l from x = lam Xi_l: e^-lam (e^x - 1 - x) / p2, written to avoid overflow and cancellation."""
    if lam > 50.0:
        val = math.exp(x - lam) - e_lam * (1.0 + x)
    elif x < 1e-4:
        val = e_lam * x * x * 0.5 * (1.0 + x / 3.0 + x * x / 12.0)
    else:
        val = e_lam * (math.expm1(x) - x)
    return val / p2


@jit(refcount=True)
def _gs_coefficients(lam, eta, tol):
    """j_l (l = 0..L) of F2 for screened Rutherford; stops once (2l+1) j_l < tol.

    Forward recurrence on G_l while G_l < 0.5, then Miller's backward recurrence on
    Xi_l, started 30/sqrt(eta) + 50 orders higher (the dominant solution is then
    suppressed by ~e^-60 at the switch) and normalised to the forward value there.
    """
    zeta = 1.0 + 2.0 * eta
    e_lam = math.exp(-lam)
    p2 = -math.expm1(-lam) - lam * e_lam
    root = math.sqrt(eta)
    n_fwd = int(3.0 / root) + 100
    j = np.empty(n_fwd + 1)
    g_prev, g = 0.0, 2.0 * eta * ((1.0 + eta) * math.log1p(1.0 / eta) - 1.0)
    j[0] = 1.0
    l = 1
    while g < 0.5 and l < n_fwd:
        j[l] = _j_value(lam * (1.0 - g), lam, e_lam, p2)
        if (2 * l + 1) * j[l] < tol:
            return j[:l + 1]
        g_prev, g = g, (zeta * (2 * l + 1) * g - (l + 1) * g_prev - 2.0 * eta * (2 * l + 1)) / l
        l += 1
    l_switch = l  # G at l_switch is g
    n_top = l_switch + int(30.0 / root) + 50
    back = np.zeros(n_top + 2)
    back[n_top] = 1e-280  # grows by less than 1e60 (small eta) or 3^110 (eta ~ 0.3) downwards
    for m in range(n_top, l_switch, -1):  # Xi_{m-1} = [zeta (2m+1) Xi_m - m Xi_{m+1}] / (m+1)
        back[m - 1] = (zeta * (2 * m + 1) * back[m] - m * back[m + 1]) / (m + 1)
    scale = (1.0 - g) / back[l_switch]
    out = np.empty(n_top + 1)
    out[:l_switch] = j[:l_switch]
    for m in range(l_switch, n_top + 1):
        out[m] = _j_value(lam * back[m] * scale, lam, e_lam, p2)
        if (2 * m + 1) * out[m] < tol:
            return out[:m + 1]
    return out


@jit(refcount=True)
def _legendre_series(coef, x):
    """sum_l (2l + 1) coef_l P_l(x) at each x (upward recurrence, |x| <= 1)."""
    out = np.empty(x.size)
    for k in range(x.size):
        p_prev, p = 1.0, x[k]
        total = coef[0] + 3.0 * coef[1] * p if coef.size > 1 else coef[0]
        for l in range(1, coef.size - 1):
            p_prev, p = p, ((2 * l + 1) * x[k] * p - l * p_prev) / (l + 1)
            total += (2 * l + 3) * coef[l + 1] * p
        out[k] = total
    return out


def _coefficients(lam, eta):
    return _gs_coefficients(float(lam), float(eta), 1e-13 * float(eta))


def gs_legendre_moments(lam, eta) -> np.ndarray:
    """Legendre coefficients j_l (l = 0..L, j_0 = 1) of the two-or-more-collision pdf F2."""
    _check_lam_eta(lam, eta)
    return _coefficients(lam, eta)


def gs_pdf(mu, lam, eta) -> np.ndarray:
    """F2(mu; lam, eta): normalised GS pdf in mu of paths with two or more collisions.

    The full angular distribution after lam mean collisions is
    p0 delta(mu) + p1 sr_pdf(mu, eta) + p2 gs_pdf(mu, lam, eta), (p0, p1, p2) = gs_weights(lam).
    Exact Legendre sum (Kawrakow & Bielajew 1998; PIRS-701 eq. F_2plus), terms kept
    while (2l + 1) j_l >= 1e-13 eta. Double precision limits the far tail: where
    F2(1) / F2(0) < ~1e-13 (lambda G1 < ~1e-5 at lambda > 1e4) values near mu = 1 are noise.
    """
    _check_lam_eta(lam, eta)
    mu = np.asarray(mu, dtype=float)
    if np.any((mu < 0) | (mu > 1)):
        raise InputError("mu: (1 - cos theta)/2 must be in [0, 1]")
    x = np.ascontiguousarray(1.0 - 2.0 * mu.ravel())
    return _legendre_series(_coefficients(lam, eta), x).reshape(mu.shape)


def eta_from_q1(lam, q1) -> np.ndarray:
    """Screening parameter eta with lam * G1(eta) = q1 (vectorised bisection in ln eta)."""
    lam, q1 = np.broadcast_arrays(np.asarray(lam, float), np.asarray(q1, float))
    if np.any(q1 <= 0) or np.any(q1 >= lam):
        raise InputError("q1: lam * G1 must be in (0, lam)")
    lo, hi = np.full(lam.shape, math.log(1e-14)), np.full(lam.shape, math.log(1e6))
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        above = lam * sr_moments(np.exp(mid))[0] > q1
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    return np.exp(0.5 * (lo + hi))


@dataclass(frozen=True)
class GSTable:
    """Kawrakow-Bielajew q-surface of F2 for screened Rutherford (material independent).

    ln_lambda (n_l,), q1 (n_q,) = lambda G1 nodes, u (n_u,) uniform on [0, 1];
    omega2 (n_l, n_q) = a / eta; q (n_l, n_q, n_u) = pdf of u, normalised per node
    for linear interpolation in u (trapezoid rule). F2(mu) = q(u) du/dmu with
    u = (1 + a) mu / (mu + a).
    """

    ln_lambda: np.ndarray
    q1: np.ndarray
    u: np.ndarray
    omega2: np.ndarray
    q: np.ndarray


def _u_to_mu(u, a):
    return np.minimum(a * u / (1.0 + a - u), 1.0)


def _dmu_du(u, a):
    return a * (1.0 + a) / (1.0 + a - u) ** 2


@lru_cache(maxsize=4)
def gs_table(n_lambda: int = 64, n_q: int = 32, n_u: int = 64, lam_max: float = 1e5,
             q1_min: float = 1e-4, q1_max: float = 0.5) -> GSTable:
    """Build the q-surface on lambda in [1, lam_max] (log grid) and lambda G1 in [q1_min, q1_max].

    q1 nodes: q1_min, then uniform up to q1_max. Below q1_min the shape in u has
    converged to the eta -> 0 ("small-angle") limit of PIRS-701 Fig. q2: q(u) at
    q1 = 1e-4 and 1e-5 differ by < 4e-4 for lambda in [1, 1e5]. Above q1_max
    (0.5, EGSnrc's default maximum first GS moment per step) steps must not go.
    a = eta omega^2 = 1 / F2(0) per node. Build time ~0.4 s (plus the one-off Numba compile).
    The returned arrays are read-only (the table is cached).
    """
    ln_lam = np.linspace(0.0, math.log(lam_max), n_lambda)
    q1 = np.concatenate(([q1_min], np.linspace(q1_max / (n_q - 1), q1_max, n_q - 1)))
    u = np.linspace(0.0, 1.0, n_u)
    lam_grid = np.exp(ln_lam)
    eta = eta_from_q1(lam_grid[:, None], q1[None, :])
    omega2 = np.empty((n_lambda, n_q))
    q = np.empty((n_lambda, n_q, n_u))
    for i in range(n_lambda):
        for k in range(n_q):
            coef = _coefficients(lam_grid[i], eta[i, k])
            a = 1.0 / _legendre_series(coef, np.ones(1))[0]
            vals = _legendre_series(coef, 1.0 - 2.0 * _u_to_mu(u, a)) * _dmu_du(u, a)
            omega2[i, k] = a / eta[i, k]
            q[i, k] = vals / np.trapezoid(vals, u)
    for arr in (ln_lam, q1, u, omega2, q):
        arr.flags.writeable = False
    return GSTable(ln_lam, q1, u, omega2, q)


def _weights(grid, x):
    """Index and linear weight of x in a sorted grid, clamped to the ends."""
    x = np.clip(x, grid[0], grid[-1])
    i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, grid.size - 2)
    return i, (x - grid[i]) / (grid[i + 1] - grid[i])


def gs_table_pdf(table: GSTable, mu, lam: float, eta: float) -> np.ndarray:
    """F2(mu) from the q-surface: bilinear in (ln lambda, lambda G1), linear in u.

    a = eta omega^2 with ln omega^2 interpolated bilinearly (omega^2 grows about like lambda);
    q(u) is the same bilinear mix of the four corner tables, so F2 stays normalised.

    lambda and lambda G1 outside the table are clamped to its edges.
    """
    _check_lam_eta(lam, eta)
    mu = np.asarray(mu, dtype=float)
    i, wi = _weights(table.ln_lambda, math.log(lam))
    k, wk = _weights(table.q1, lam * float(sr_moments(eta)[0]))
    corners = [(i, k, (1 - wi) * (1 - wk)), (i + 1, k, wi * (1 - wk)), (i, k + 1, (1 - wi) * wk),
               (i + 1, k + 1, wi * wk)]
    a = eta * math.exp(sum(w * math.log(table.omega2[ii, kk]) for ii, kk, w in corners))
    u = (1.0 + a) * mu / (mu + a)
    q = sum(w * np.interp(u, table.u, table.q[ii, kk]) for ii, kk, w in corners)
    return q / _dmu_du(u, a)
