"""Spin-corrected elastic scattering (mcdose.physics.elastic_spin and the kernels' spin rejection).

References: the closed forms of screened Rutherford scattering (the quadrature with R = 1), the exact
Goudsmit-Saunderson moments <P_l(cos theta)> = exp(-lambda G_l) of a step, and an analog simulation of
the individual collisions (Poisson number, each drawn from screened Rutherford times the Mott ratio
by rejection), independent of the Legendre series and of the tables. Statistical checks: 4 sigma or a
chi-square p-value above 1e-3, fixed seeds.
"""
import math

import numpy as np
import pytest
from scipy import stats

from mcdose.electron_data import build_electron_data
from mcdose.kernels import electron_interactions as ei
from mcdose.kernels._jit import jit
from mcdose.kernels.photon_interactions import rotate
from mcdose.kernels.rng import stream_init, uniform
from mcdose.materials import Material
from mcdose.physics import elastic
from mcdose.physics import elastic_spin as es

TC = 0.010
WATER = Material("water", 1.0, (1, 8), (0.111894, 0.888106), 75.0, "NIST")
LEAD = Material("lead", 11.35, (82,), (1.0,), 823.0, "NIST")
N = 200_000


@pytest.fixture(scope="module")
def edata():
    return build_electron_data([WATER, LEAD], TC, TC, spin=True)


def _xi_recurrence(eta, n):
    """Xi_l = <P_l> of screened Rutherford by the forward recurrence of elastic.py (stable for small l)."""
    zeta = 1.0 + 2.0 * eta
    g1, _ = elastic.sr_moments(eta)
    xi = [1.0, 1.0 - g1]
    for l in range(1, n - 1):
        xi.append((zeta * (2 * l + 1) * xi[l] - (l + 1) * xi[l - 1]) / l)
    return np.array(xi)


@pytest.mark.parametrize("eta", [1e-2, 1e-4, 1e-6])
def test_quadrature_reproduces_screened_rutherford(eta):
    """With R = 1 the G_l of the quadrature are those of screened Rutherford (closed forms)."""
    g = es.spin_gl(eta, np.ones(es.V_NODES.size), 12)
    g1, g2 = elastic.sr_moments(eta)
    assert g[1] == pytest.approx(g1, rel=1e-9) and g[2] == pytest.approx(g2, rel=1e-9)
    np.testing.assert_allclose(g, 1.0 - _xi_recurrence(eta, 12), rtol=1e-7, atol=1e-14)


@jit(refcount=True)
def _kernel_draws(edata, mat, p, i, lam, eta, n, seed, out):
    state = np.empty(4, np.uint64)
    stream_init(state, seed, 0, 0)
    for j in range(n):
        out[j] = ei.sample_elastic_mu(edata, mat, p, i, 0.0, lam, eta, state)


@jit(refcount=True)
def _analog_draws(lam, eta, v_nodes, ratio, ratio_max, n, seed, out):
    """mu after Poisson(lam) single collisions, each screened Rutherford (eta) accepted with R(v) / R_max."""
    state = np.empty(4, np.uint64)
    stream_init(state, seed, 0, 0)
    for j in range(n):
        # Poisson by exponential spacings (the kernels' own uniform stream)
        total = -math.log(1.0 - uniform(state))
        k = 0
        while total < lam:
            k += 1
            total -= math.log(1.0 - uniform(state))
        u, v, w = 0.0, 0.0, 1.0
        for _ in range(k):
            while True:
                r = uniform(state)
                mu = eta * r / (1.0 + eta - r)
                if uniform(state) * ratio_max <= np.interp(math.sqrt(mu), v_nodes, ratio):
                    break
            u, v, w = rotate(u, v, w, 1.0 - 2.0 * mu, 2.0 * math.pi * uniform(state))
        out[j] = 0.5 * (1.0 - w)


CASES = [("water", 0, 0, 1.0, 0.2), ("water", 0, 0, 1.0, 0.05), ("lead", 1, 0, 1.0, 0.2), ("lead", 1, 1, 1.0, 0.12),
         ("lead", 1, 0, 0.1, 0.2), ("lead", 1, 0, 10.0, 0.07),
         # few collisions (lam 2.6 and 0.83): the no-collision draws (e^-lam of them) must keep their share
         ("water", 0, 0, 0.01, 0.05), ("lead", 1, 0, 0.01, 0.1)]


def _case(edata, name, mat, p, energy, q1):
    """Grid node i of the coarse spin node nearest `energy`, its exact Mott ratio, (lam, eta') of a step of q1."""
    c = int(round(math.log(energy / edata.energy[0]) * edata.inv_dln_e / edata.spin_step))
    i = c * edata.spin_step
    T = edata.energy[i]
    material = WATER if name == "water" else LEAD
    ratio = es.mixture_ratio(material, T, positron=bool(p))
    eta_p, _, g1, g2 = es.spin_moments(material, T, ratio)
    return i, T, material, ratio, q1 / g1, eta_p, g1, g2


@pytest.mark.parametrize("name, mat, p, energy, q1", CASES)
def test_sampled_steps_have_the_exact_gs_moments(edata, name, mat, p, energy, q1):
    """<cos theta> = exp(-lam G1^s) and <P2(cos theta)> = exp(-lam G2^s) of the spin-corrected pdf, 4 sigma
    plus 2e-3 of 1 - <.> (the rejection function's interpolation between its nodes)."""
    i, T, material, ratio, lam, eta_p, g1, g2 = _case(edata, name, mat, p, energy, q1)
    assert edata.eta[mat, p, i] == pytest.approx(eta_p, rel=1e-12)
    out = np.empty(N)
    _kernel_draws(edata, mat, p, i, lam, eta_p, N, 17 + mat + 10 * p, out)
    cos = 1.0 - 2.0 * out
    p2 = 1.5 * cos**2 - 0.5
    for sample, g in ((cos, g1), (p2, g2)):
        expected = math.exp(-lam * g)
        sigma = sample.std() / math.sqrt(N)
        assert abs(sample.mean() - expected) < 4.0 * sigma + 2e-3 * (1.0 - expected), (sample.mean(), expected)


@pytest.mark.parametrize("name, mat, p, energy, q1", CASES[:4])
def test_sampled_steps_match_an_analog_simulation_of_every_collision(edata, name, mat, p, energy, q1):
    """Two-sample chi-square on 40 equiprobable bins of the analog sample (p-value above 1e-3)."""
    i, T, material, ratio, lam, eta_p, g1, g2 = _case(edata, name, mat, p, energy, q1)
    eta = float(elastic.screening_parameter(material, T))
    n = N // 2
    analog, kernel = np.empty(n), np.empty(n)
    _analog_draws(lam, eta, es.V_NODES, ratio, ratio.max(), n, 5 + mat, analog)
    _kernel_draws(edata, mat, p, i, lam, eta_p, n, 6 + mat, kernel)
    edges = np.quantile(analog, np.linspace(0.0, 1.0, 41))
    edges[0], edges[-1] = 0.0, 1.0
    a, k = np.histogram(analog, edges)[0], np.histogram(kernel, edges)[0]
    chi2 = ((a - k) ** 2 / np.maximum(a + k, 1)).sum()
    assert stats.chi2.sf(chi2, edges.size - 2) > 1e-3, chi2


def test_spin_changes_the_first_moment_the_known_way(edata):
    """Mott's ratio exceeds 1 at large angles for lead electrons (more scattering) and falls below 1 for
    light elements and for positrons (1 - beta^2 sin^2(theta/2) and the sign of alpha Z)."""
    sr = build_electron_data([WATER, LEAD], TC, TC)
    i = np.searchsorted(edata.energy, 1.0)
    assert edata.sigma_1[1, 0, i] > 1.1 * sr.sigma_1[1, 0, i]
    assert edata.sigma_1[1, 1, i] < 0.9 * sr.sigma_1[1, 1, i]
    assert edata.sigma_1[0, 0, i] < 0.97 * sr.sigma_1[0, 0, i]
