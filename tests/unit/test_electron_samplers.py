"""Electron/positron samplers vs the distributions they sample (histogram vs pdf, chi-square).

Every statistical check has a false-alarm probability ALPHA = 1e-3 for a correct sampler (chi-square
p-value); the seeds are fixed, so the outcome is reproducible.  Reference pdfs come from the physics
modules (collision.moller_dcs / bhabha_dcs, bremsstrahlung.bremsstrahlung_dcs, elastic.gs_pdf, the
annihilation total of annihilation.py) or the published closed forms (Sauter, Heitler), integrated
per bin by Gauss-Legendre, never from the sampler's tables; where a sampler uses a table (GS
q-surface, bremsstrahlung spectrum) the interpolation error is measured separately and stated.
"""
import math

import numpy as np
import pytest

from mcdose.electron_data import ANNIHILATION, BREMS, DELTA, build_electron_data
from mcdose.kernels import electron_interactions as ei
from mcdose.kernels._jit import jit
from mcdose.kernels.rng import stream_init
from mcdose.materials import Material
from mcdose.physics import elastic
from mcdose.physics.annihilation import annihilation_cross_section_per_electron
from mcdose.physics.bremsstrahlung import bremsstrahlung_dcs
from mcdose.physics.collision import bhabha_dcs, moller_dcs
from mcdose.physics.constants import CLASSICAL_ELECTRON_RADIUS_CM, ELECTRON_MASS_MEV as MEC2
from sampling_stats import bin_integrals, chi2_p

ALPHA = 1e-3
N = 100_000
TC = 0.010                                   # delta-ray and bremsstrahlung thresholds, MeV
WATER = Material("water", 1.0, (1, 8), (0.111894, 0.888106), 75.0, "NIST")
LEAD = Material("lead", 11.35, (82,), (1.0,), 823.0, "NIST")


@pytest.fixture(scope="module")
def edata():
    return build_electron_data([WATER, LEAD], TC, TC)


@jit(refcount=True)
def _draw(edata, which, mat, a, b, n, seed, out):
    """n draws of sampler ``which`` with parameters (a, b) into out[:, :4]."""
    state = np.empty(4, np.uint64)
    stream_init(state, seed, 0, 0)
    for j in range(n):
        if which == 0:
            out[j, 0] = ei.sample_moller(a, b, state)
        elif which == 1:
            out[j, 0] = ei.sample_bhabha(a, b, state)
        elif which == 2:
            out[j, 0] = ei.sample_brems_energy(edata, mat, a, state)
        elif which == 3:
            out[j, 0] = ei.sample_brems_cos(a, b, state)
        elif which == 4:
            out[j, 0], out[j, 1], out[j, 2], out[j, 3] = ei.sample_annihilation(a, state)
        elif which == 5:
            out[j, 0] = ei.sample_msc_mu(edata, a, b, state)
        elif which == 6:
            out[j, 0] = ei.sample_sauter_cos(a, state)
        else:
            out[j, 0] = ei.select_discrete(edata, mat, 1, a, state)


def draw(edata, which, a, b=0.0, mat=0, n=N, seed=0):
    out = np.zeros((n, 4))
    _draw(edata, which, mat, a, b, n, seed, out)
    return out


def _seed(which, x):
    """A fixed seed per (sampler, parameter): one stream per test case, so the cases are independent
    (a shared seed makes monotone samplers at different energies give correlated p-values)."""
    return 1000 * which + int(round(1000 * math.log1p(x)))


def check(samples, edges, pdf):
    """p-value of the histogram of samples vs pdf on edges (all samples must fall inside)."""
    counts = np.histogram(samples, edges)[0]
    assert counts.sum() == samples.size
    return chi2_p(counts, bin_integrals(pdf, edges))


# ---------------------------------------------------------------- delta rays

@pytest.mark.parametrize("T", [0.025, 0.1, 1.0, 10.0])
def test_moller_vs_dcs(edata, T):
    """W histogram (40 log bins on [tc, T/2]) vs collision.moller_dcs."""
    w = draw(edata, 0, T, TC, seed=_seed(0, T))[:, 0]
    assert np.all((w >= TC) & (w <= T / 2))
    p = check(w, np.geomspace(TC, T / 2, 41), lambda x: moller_dcs(T, x))
    print(f"moller T={T}: p={p:.3g}")
    assert p > ALPHA


@pytest.mark.parametrize("T", [0.015, 0.1, 1.0, 10.0])
def test_bhabha_vs_dcs(edata, T):
    """W histogram (40 log bins on [tc, T]) vs collision.bhabha_dcs."""
    w = draw(edata, 1, T, TC, seed=_seed(1, T))[:, 0]
    assert np.all((w >= TC) & (w <= T))
    p = check(w, np.geomspace(TC, T, 41), lambda x: bhabha_dcs(T, x))
    print(f"bhabha T={T}: p={p:.3g}")
    assert p > ALPHA


@pytest.mark.parametrize("T,W", [(0.05, 0.02), (1.0, 0.01), (1.0, 0.5), (20.0, 3.0)])
def test_delta_cosines_conserve_momentum(T, W):
    """Longitudinal and transverse momentum balance of the two-body final state (1e-12)."""
    c1, c2 = ei.delta_cosines(T, W)
    def p(t):
        return math.sqrt(t * (t + 2 * MEC2))
    s1, s2 = math.sqrt(1 - c1 * c1), math.sqrt(1 - c2 * c2)
    assert p(T - W) * c1 + p(W) * c2 == pytest.approx(p(T), rel=1e-12)
    assert p(T - W) * s1 == pytest.approx(p(W) * s2, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------- bremsstrahlung

@pytest.mark.parametrize("mat,material", [(0, WATER), (1, LEAD)])
@pytest.mark.parametrize("T", [0.1, 1.0, 10.0, 3.3])
def test_brems_energy_vs_dcs(edata, mat, material, T):
    """x = ln(k/kc)/ln(T/kc) histogram (40 bins) vs k dsigma/dk of bremsstrahlung_dcs (density in x).

    0.1, 1 and 10 MeV are table nodes: the table error is the piecewise-linear pdf in x (cdf within
    1e-5).  3.3 MeV lies between nodes: the mixture of the two nodes' shapes differs from the exact
    spectrum by far less than the statistical error (h = ln 10/64 between nodes).
    """
    kc = TC
    k = draw(edata, 2, T, mat=mat, seed=_seed(2 + 10 * mat, T))[:, 0]
    assert np.all((k > kc) & (k < T))
    span = math.log(T / kc)
    x = np.log(k / kc) / span

    def pdf(xx):
        kk = np.minimum(kc * np.exp(xx * span), T)
        return kk * bremsstrahlung_dcs(material, np.full(kk.shape, T), kk)

    p = check(x, np.linspace(0, 1, 41), pdf)
    print(f"brems energy {material.name} T={T}: p={p:.3g}")
    assert p > ALPHA


@pytest.mark.parametrize("T", [0.05, 1.0, 10.0])
def test_brems_angle_vs_pdf(edata, T):
    """1 - cos histogram (40 log bins) vs (1 - beta²)/(2 (1 - beta cos)²)."""
    c = draw(edata, 3, T, 0.5 * T, seed=_seed(3, T))[:, 0]
    gamma = 1 + T / MEC2
    beta = math.sqrt(1 - 1 / gamma ** 2)
    t = 1 - c
    edges = np.concatenate(([0.0], np.geomspace(0.01 / gamma ** 2, 2.0, 40)))
    p = check(t, edges, lambda tt: (1 - beta ** 2) / (2 * (1 - beta * (1 - tt)) ** 2))
    print(f"brems angle T={T}: p={p:.3g}")
    assert p > ALPHA


# ---------------------------------------------------------------- annihilation

def _heitler_s(T):
    g = 1 + T / MEC2
    return lambda z: -(g + 1) ** 2 + (g * g + 4 * g + 1) / z - 1 / z ** 2


@pytest.mark.parametrize("T", [0.05, 1.0, 10.0])
def test_annihilation_vs_heitler(edata, T):
    """Softer photon's energy fraction vs Heitler's S(z) + S(1 - z) on [z_min, 1/2]; energy and momentum
    conservation.  The reference S is checked against annihilation.py: pi r_e² / ((gamma + 1)(gamma² - 1))
    times its integral over [z_min, 1 - z_min] is the total cross section (1e-10)."""
    out = draw(edata, 4, T, seed=_seed(4, T))
    k1, c1, k2, c2 = out.T
    total = T + 2 * MEC2
    np.testing.assert_allclose(k1 + k2, total, rtol=1e-14)
    g = 1 + T / MEC2
    root = math.sqrt(g * g - 1)
    p0 = MEC2 * root
    np.testing.assert_allclose(k1 * c1 + k2 * c2, p0, rtol=1e-9)
    np.testing.assert_allclose(k1 * np.sqrt(1 - c1 ** 2), k2 * np.sqrt(1 - c2 ** 2), rtol=1e-6, atol=1e-9 * total)
    z_min = 1 / (g + 1 + root)
    s = _heitler_s(T)
    z_full = np.linspace(z_min, 1 - z_min, 200_001)
    integral = np.trapezoid(s(z_full), z_full)
    ref = annihilation_cross_section_per_electron(T)
    prefactor = math.pi * CLASSICAL_ELECTRON_RADIUS_CM ** 2 / ((g + 1) * (g * g - 1))
    assert integral * prefactor == pytest.approx(ref, rel=1e-6)
    z = np.minimum(k1, k2) / total
    edges = np.geomspace(z_min, 0.5, 41)
    p = check(z, edges, lambda zz: s(zz) + s(1 - zz))
    print(f"annihilation T={T}: p={p:.3g}")
    assert p > ALPHA


# ---------------------------------------------------------------- multiple elastic scattering

def _gs_edges(lam, eta):
    """41 mu edges, equal steps in u = (1 + a) mu / (mu + a), a = 1 / F2(0) (the exact pdf's width)."""
    a = 1.0 / elastic.gs_pdf(np.zeros(1), lam, eta)[0]
    u = np.linspace(0, 1, 41)
    return np.minimum(a * u / (1 + a - u), 1.0)


def _mixture_probabilities(lam, eta, edges, f2):
    """[P(mu = 0), P(bin)...] of p0 delta + p1 screened Rutherford + p2 f2."""
    p0, p1, p2 = elastic.gs_weights(lam)
    sr_cdf = (1 + eta) * edges / (edges + eta)
    return np.concatenate(([p0], p1 * np.diff(sr_cdf) + p2 * bin_integrals(f2, edges)))


def _gs_counts(edata, lam, eta, seed):
    mu = draw(edata, 5, lam, eta, seed=seed)[:, 0]
    assert np.all((mu >= 0) & (mu <= 1))
    edges = _gs_edges(lam, eta)
    return np.concatenate(([np.sum(mu == 0)], np.histogram(mu[mu > 0], edges)[0])), edges


@pytest.mark.parametrize("i,k", [(10, 3), (30, 12), (50, 25), (63, 31)])
def test_msc_mu_vs_exact_gs_at_table_nodes(edata, i, k):
    """At q-surface nodes (lam, q1 = lam G1(eta)): histogram vs the exact Legendre sum elastic.gs_pdf
    (plus the no-collision and single-collision terms); the only table error is q(u) linear in u."""
    tab = elastic.gs_table()
    lam = math.exp(tab.ln_lambda[i])
    eta = float(elastic.eta_from_q1(lam, tab.q1[k]))
    counts, edges = _gs_counts(edata, lam, eta, seed=_seed(5, i))
    prob = _mixture_probabilities(lam, eta, edges, lambda m: elastic.gs_pdf(m, lam, eta))
    p = chi2_p(counts, prob)
    print(f"GS node lam={lam:.4g} q1={tab.q1[k]:.3g}: p={p:.3g}")
    assert p > ALPHA


@pytest.mark.parametrize("lam,q1", [(0.5, 0.2), (1.7, 0.2), (77.0, 0.41), (2.1e3, 0.12), (4.4e4, 0.007)])
def test_msc_mu_off_node(edata, lam, q1):
    """Off the nodes the sampler is exact for the interpolated table (elastic.gs_table_pdf): chi-square
    against it; the table's own error vs the exact gs_pdf is the stated systematic: the two-or-more
    collision bin probabilities agree within 2 % of the largest bin (measured <= 0.5 %) and the mean
    mu within 3e-3 (elastic's own test).  lam = 0.5 is below the table (clamped to lam = 1)."""
    tab = elastic.gs_table()
    eta = float(elastic.eta_from_q1(lam, q1))
    counts, edges = _gs_counts(edata, lam, eta, seed=_seed(5, lam))
    prob = _mixture_probabilities(lam, eta, edges, lambda m: elastic.gs_table_pdf(tab, m, lam, eta))
    p = chi2_p(counts, prob)
    print(f"GS off-node lam={lam} q1={q1}: p={p:.3g}")
    assert p > ALPHA
    if lam >= 1.0:
        approx = bin_integrals(lambda m: elastic.gs_table_pdf(tab, m, lam, eta), edges)
        exact = bin_integrals(lambda m: elastic.gs_pdf(m, lam, eta), edges)
        print(f"  table vs exact: max bin difference {np.max(np.abs(approx - exact)) / exact.max():.2e}")
        assert np.max(np.abs(approx - exact)) < 0.02 * exact.max()


# ---------------------------------------------------------------- photoelectron direction

@pytest.mark.parametrize("T", [0.005, 0.1, 1.0])
def test_sauter_vs_pdf(edata, T):
    """1 - cos histogram vs Sauter's sin²/(1 - beta cos)⁴ [1 + gamma (gamma - 1)(gamma - 2)(1 - beta cos)/2]."""
    c = draw(edata, 6, T, seed=_seed(6, T))[:, 0]
    gamma = 1 + T / MEC2
    beta = math.sqrt(1 - 1 / gamma ** 2)
    a = 1 / beta - 1

    def pdf(nu):
        cos = 1 - nu
        d = 1 - beta * cos
        return (1 - cos * cos) / d ** 4 * (1 + 0.5 * gamma * (gamma - 1) * (gamma - 2) * d)

    edges = np.concatenate(([0.0], np.geomspace(min(a / 20, 0.05), 2.0, 40)))
    p = check(1 - c, edges, pdf)
    print(f"sauter T={T}: p={p:.3g}")
    assert p > ALPHA


# ---------------------------------------------------------------- discrete process choice

@pytest.mark.parametrize("T", [0.05, 1.0, 10.0])
def test_select_discrete_frequencies(edata, T):
    """Positron in water: DELTA / BREMS / ANNIHILATION frequencies vs the tabulated partial sigmas."""
    codes = draw(edata, 7, T, seed=_seed(7, T)).astype(int)[:, 0]
    i, f = ei.electron_index(edata, T)
    prob = [edata.sigma[0, 1, k, i] + f * (edata.sigma[0, 1, k, i + 1] - edata.sigma[0, 1, k, i])
            for k in (DELTA, BREMS, ANNIHILATION)]
    p = chi2_p(np.bincount(codes, minlength=3), prob)
    print(f"select T={T}: p={p:.3g}")
    assert p > ALPHA
