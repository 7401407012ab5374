"""Spin (Mott) corrected elastic scattering for class II condensed history.

Units: kinetic energy T in MeV; cross sections per gram cm^2/g; mu = (1 - cos theta)/2, v = sqrt(mu)
= sin(theta/2).

Single scattering with spin is the screened Rutherford pdf of :mod:`.elastic` times the
Mott-to-Rutherford ratio of the bare nucleus (:mod:`.mott`), averaged over the elements with
the Moliere weights w_i Z_i (Z_i + 1) / A_i:

    f_s(mu) = f_SR(mu; eta) R(v) / N,   N = int f_SR R dmu,

the product approximation of screening and spin (valid where screening matters only at angles
at which R ~ 1; the correction EGSnrc applies to its screened Rutherford cross sections, I.
Kawrakow, Med. Phys. 27 (2000) 485, sec. II.C, and PIRS-701 "spin effects"). The total and
transport cross sections become sigma_el N, and sigma_el N G_l^s with G_l^s = <1 - P_l> of f_s.

Multiple scattering keeps the screened-Rutherford Goudsmit-Saunderson sampler: each step draws
from it with the same mean number of collisions lambda and with eta' chosen so that
G1_SR(eta') = G1^s (the first moment of the step is then exact), and the draw is accepted with
probability rho / rho_max, rho = (p1 f_s + p2 F2_s) / (p1 f_SR(eta') + p2 F2_SR(eta')), the ratio
of the exact GS distributions with and without spin (PIRS-701's spin rejection function).
F2_s is the Legendre series of j_l = f(lambda G_l^s) (Kawrakow & Bielajew, NIM B 134 (1998)
325); rho is tabulated per material and particle on a coarse energy grid, at the step moments
q1 = lambda G1 of SPIN_Q1 (clamped outside) and at v = sqrt(mu) of SPIN_V.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.special import roots_legendre

from ..kernels._jit import jit
from ..materials import Material
from . import elastic
from .mott import mott_ratio

__all__ = ["SPIN_Q1", "SPIN_V", "SPIN_ENERGY_STEP", "mixture_ratio", "spin_moments", "spin_gl", "spin_rejection",
           "spin_table"]

V_NODES = np.linspace(0.0, 1.0, 129)
"""v = sin(theta/2) nodes of the tabulated Mott ratios (R is smooth in v; a cubic spline between)."""
SPIN_Q1 = np.array([0.01, 0.02, 0.035, 0.05, 0.07, 0.1, 0.14, 0.2, 0.3, 0.5])
"""Step moments lambda G1 at which the rejection function is tabulated (steps are <= 0.5 by design)."""
SPIN_V = np.geomspace(1e-3, 1.0, 64)
"""v = sqrt(mu) nodes of the rejection function (log-uniform: the steps' cores near mu ~ q1/2 and the
single-scattering tails out to mu = 1 both resolved; clamped below 1e-3, where rho is flat)."""
SPIN_ENERGY_STEP = 8
"""The rejection function and Mott ratios are built on every 8th node of the electron grid (8 per decade)."""
L_MAX = 6000
"""Most Legendre terms of the spin GS series (1.5 times what the screened-Rutherford series needs at SPIN_Q1[0])."""


@lru_cache(maxsize=8192)
def _element_ratio(Z: int, T: float, positron: bool) -> np.ndarray:
    return mott_ratio(Z, T, 2.0 * np.arcsin(V_NODES), positron=positron)


def mixture_ratio(material: Material, T: float, positron: bool = False) -> np.ndarray:
    """Mott ratio of a material at V_NODES: the element ratios weighted by w_i Z_i (Z_i + 1) / A_i."""
    z = np.asarray(material.Z, dtype=int)
    weight = np.asarray(material.mass_fractions) * z * (z + 1.0) / np.asarray(material.A)
    return sum(w * _element_ratio(int(zz), float(T), bool(positron)) for zz, w in zip(z, weight)) / weight.sum()


@lru_cache(maxsize=16)
def _gauss_legendre(n: int) -> tuple:
    return roots_legendre(n)


def _nodes(eta: float, n_osc: int) -> tuple:
    """Gauss-Legendre nodes and weights in v on [0, 1], graded around the screening angle v ~ sqrt(eta).

    Segment ends 0, sqrt(eta)/4, sqrt(eta), 4 sqrt(eta), ... 1; each gets 24 nodes plus 1.5 n_osc per
    unit length (P_l(1 - 2 v^2) is a polynomial of degree 2l in v), rounded up to a power of two."""
    root = math.sqrt(eta)
    ends = [0.0]
    edge = root / 4.0
    while edge < 1.0:
        ends.append(edge)
        edge *= 4.0
    ends.append(1.0)
    xs, ws = [], []
    for lo, hi in zip(ends[:-1], ends[1:]):
        x, w = _gauss_legendre(1 << math.ceil(math.log2(24 + 1.5 * n_osc * (hi - lo))))
        xs.append(lo + (hi - lo) * (x + 1.0) / 2.0)
        ws.append(w * (hi - lo) / 2.0)
    return np.concatenate(xs), np.concatenate(ws)


@jit(refcount=True)
def _one_minus_legendre_moments(x, w, n_l):
    """sum_k w_k (1 - P_l(x_k)) for l = 0 .. n_l - 1."""
    out = np.zeros(n_l)
    for k in range(x.size):
        p_prev, p = 1.0, x[k]
        if n_l > 1:
            out[1] += w[k] * (1.0 - p)
        for l in range(1, n_l - 1):
            p_prev, p = p, ((2 * l + 1) * x[k] * p - l * p_prev) / (l + 1)
            out[l + 1] += w[k] * (1.0 - p)
    return out


def _weights(eta: float, ratio_nodes: np.ndarray, n_osc: int) -> tuple:
    """x = cos theta nodes and weights of f_SR R dmu (mu = v^2, dmu = 2 v dv), and N = int f_SR R dmu."""
    v, wv = _nodes(eta, n_osc)
    r = CubicSpline(V_NODES, ratio_nodes)(v)
    mu = v * v
    w = wv * 2.0 * v * elastic.sr_pdf(mu, eta) * r
    return 1.0 - 2.0 * mu, w, w.sum()


def spin_gl(eta: float, ratio_nodes: np.ndarray, n_l: int) -> np.ndarray:
    """G_l^s = <1 - P_l(cos theta)> of the spin-corrected single-scattering pdf, l = 0 .. n_l - 1."""
    x, w, norm = _weights(eta, ratio_nodes, n_l)
    return _one_minus_legendre_moments(x, w / norm, n_l)


def spin_moments(material: Material, T: float, ratio_nodes: np.ndarray) -> tuple:
    """(eta', N, G1^s, G2^s) at T (MeV) for the Mott ratio ratio_nodes (at V_NODES; e- or e+): eta' with
    G1_SR(eta') = G1^s, N = <R> over the screened Rutherford pdf."""
    eta = float(elastic.screening_parameter(material, T))
    x, w, norm = _weights(eta, ratio_nodes, 2)
    g = _one_minus_legendre_moments(x, w / norm, 3)
    return float(elastic.eta_from_q1(1.0, g[1])), norm, g[1], g[2]


def _f2(j: np.ndarray, mu: np.ndarray) -> np.ndarray:
    return elastic._legendre_series(np.ascontiguousarray(j), np.ascontiguousarray(1.0 - 2.0 * mu))


def _spin_j(lam: float, g: np.ndarray) -> np.ndarray:
    e_lam = math.exp(-lam)
    p2 = -math.expm1(-lam) - lam * e_lam
    return np.array([1.0] + [elastic._j_value(lam * (1.0 - gl), lam, e_lam, p2) for gl in g[1:]])


def spin_rejection(material: Material, T: float, ratio_nodes: np.ndarray) -> np.ndarray:
    """Rejection function rho (n_q, n_v) at T (MeV) on SPIN_Q1 x SPIN_V for the Mott ratio ratio_nodes (at
    V_NODES), see the module docstring. Legendre series of at most L_MAX terms."""
    eta = float(elastic.screening_parameter(material, T))
    eta_p, norm, g1, _ = spin_moments(material, T, ratio_nodes)
    lam_min = SPIN_Q1[0] / g1
    n_l = min(L_MAX, int(1.5 * elastic._coefficients(lam_min, eta_p).size) + 50)
    g = spin_gl(eta, ratio_nodes, n_l)
    rho = np.empty((SPIN_Q1.size, SPIN_V.size))
    mu = SPIN_V**2
    f_s = elastic.sr_pdf(mu, eta) * CubicSpline(V_NODES, ratio_nodes)(SPIN_V) / norm
    for k, q1 in enumerate(SPIN_Q1):
        lam = q1 / g1
        _, p1, p2 = elastic.gs_weights(lam)
        j_p = elastic._coefficients(lam, eta_p)
        j_s = _spin_j(lam, g[:min(n_l, int(1.2 * j_p.size) + 10)])
        target = p1 * f_s + p2 * _f2(j_s, mu)
        proposal = p1 * elastic.sr_pdf(mu, eta_p) + p2 * _f2(j_p, mu)
        rho[k] = target / proposal
    return rho


def spin_table(material: Material, T: np.ndarray) -> dict:
    """Spin-corrected elastic arrays on the electron grid T (MeV) for the physics tables, p = 0 e-, 1 e+.

    "eta" (2, n_e): eta' (the screening parameter of the proposal, G1_SR(eta') = G1^s);
    "sigma", "sigma_1" (2, n_e): total and first transport cross sections with spin, cm^2/g;
    "rho" (2, n_c, n_q, n_v): the rejection function on the coarse grid T[::SPIN_ENERGY_STEP] (n_c nodes),
    SPIN_Q1 (n_q) and SPIN_V (n_v).
    The Mott ratios are computed on the coarse grid and interpolated linearly in ln T between.
    """
    T = np.asarray(T, dtype=float)
    coarse = T[::SPIN_ENERGY_STEP]
    sr = elastic.elastic_moments(material, T)
    out = {k: np.empty((2, T.size)) for k in ("eta", "sigma", "sigma_1")}
    out["rho"] = np.empty((2, coarse.size, SPIN_Q1.size, SPIN_V.size))
    for p, positron in enumerate((False, True)):
        ratios = np.array([mixture_ratio(material, t, positron) for t in coarse])
        for c, t in enumerate(coarse):
            out["rho"][p, c] = spin_rejection(material, t, ratios[c])
        position = np.interp(np.log(T), np.log(coarse), np.arange(coarse.size))
        for i, t in enumerate(T):
            c = min(int(position[i]), coarse.size - 2)
            w = position[i] - c
            eta_p, norm, g1, _ = spin_moments(material, t, (1.0 - w) * ratios[c] + w * ratios[c + 1])
            out["eta"][p, i] = eta_p
            out["sigma"][p, i] = sr.sigma_el[i] * norm
            out["sigma_1"][p, i] = sr.sigma_el[i] * norm * g1
    return out
