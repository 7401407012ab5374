"""Electron and positron interaction samplers (Numba kernels) for class II condensed history.

Table look-ups take the :class:`mcdose.electron_data.ElectronData` bundle ``edata``, the material
index ``mat``, the particle ``p`` (0 electron, 1 positron) and the kinetic energy ``E`` in MeV; the
samplers take an RNG stream ``state`` (:mod:`mcdose.kernels.rng`).  None allocates.
Units: MeV, g/cm² (paths and ranges), MeV cm²/g (stopping powers), cm²/g (cross sections per gram;
the transport multiplies by the density).  Angles are returned as cosines (or mu = (1 - cos)/2 for
multiple scattering) relative to the incident direction; the caller samples the azimuth and turns
the direction with :func:`mcdose.kernels.photon_interactions.rotate`.
"""
import math

import numpy as np

from ._jit import jit
from .codes import ANNIHILATION, BREMS, DELTA, MEC2
from .photon_interactions import energy_index, grid_interval
from .rng import uniform


# ---------------------------------------------------------------- table look-up

@jit
def electron_index(edata, E):
    """Interval i and fraction f of E (MeV) on the log-uniform electron grid (clamped to its ends), O(1)."""
    return energy_index(edata, E)


@jit
def grid_t(edata, E):
    """Grid coordinate t = (ln E - ln E_0) / d(ln E) of E (MeV): node i at t = i; negative below the grid."""
    return (math.log(E) - edata.ln_e_min) * edata.inv_dln_e


@jit
def energy_at(edata, t):
    """Kinetic energy (MeV) at grid coordinate t (the inverse of :func:`grid_t`)."""
    return math.exp(edata.ln_e_min + t / edata.inv_dln_e)


@jit
def interval(edata, t):
    """Interval i and fraction f of grid coordinate t, clamped to the grid (as :func:`electron_index`)."""
    return grid_interval(t, edata.energy.size)


@jit
def _at_mp(table, mat, p, i, f):
    """table[mat, p] at interval i, fraction f, linear in ln E, indexed in place (no row view)."""
    return table[mat, p, i] + f * (table[mat, p, i + 1] - table[mat, p, i])


@jit
def dedx(edata, mat, p, E):
    """Stopping power (restricted, or unrestricted for discrete=False data), MeV cm²/g, linear in ln E."""
    i, f = electron_index(edata, E)
    return _at_mp(edata.dedx, mat, p, i, f)


@jit
def range_t(edata, mat, p, t):
    """Range (integral of dE/dedx from 0), g/cm², at grid coordinate t: linear in ln E between nodes,
    R = R_0 (E / E_0)^range_exponent below the grid (dedx ~ E^-p there), clamped above it."""
    if t <= 0.0:
        return edata.range[mat, p, 0] * math.exp(edata.range_exponent[mat, p] * t / edata.inv_dln_e)
    i, f = interval(edata, t)
    return _at_mp(edata.range, mat, p, i, f)


@jit
def range_of(edata, mat, p, E):
    """Range (integral of dE/dedx from 0), g/cm², at kinetic energy E (MeV); see :func:`range_t`."""
    return range_t(edata, mat, p, grid_t(edata, E))


@jit
def t_of_range(edata, mat, p, target, j):
    """Grid coordinate of the energy whose range is ``target`` (g/cm², > 0): the exact inverse of
    :func:`range_t`. ``j``: a nearby interval to start the walk from (the current energy's)."""
    r = edata.range
    if target < r[mat, p, 0]:
        return math.log(target / r[mat, p, 0]) * edata.inv_dln_e / edata.range_exponent[mat, p]
    last = r.shape[2] - 2
    j = min(max(j, 0), last)
    while j > 0 and r[mat, p, j] > target:
        j -= 1
    while j < last and r[mat, p, j + 1] <= target:
        j += 1
    return j + min((target - r[mat, p, j]) / (r[mat, p, j + 1] - r[mat, p, j]), 1.0)


@jit
def energy_after(edata, mat, p, E, path_g):
    """Kinetic energy (MeV) after a path of path_g g/cm² in the CSDA: the exact inverse of range_of;
    0.0 when the path reaches the end of the range."""
    t = grid_t(edata, E)
    target = range_t(edata, mat, p, t) - path_g
    if target <= 0.0:
        return 0.0
    return energy_at(edata, t_of_range(edata, mat, p, target, int(t)))


@jit
def _partial_sigma(edata, mat, p, k, i, f, E):
    """Discrete cross section k (cm²/g) at E, zero below its kinematic threshold (Moller: E <= 2
    delta_threshold; Bhabha: E <= delta_threshold; bremsstrahlung: E <= brems_threshold), so that the
    interpolation from a zero node never asks a sampler for an impossible event."""
    if k == DELTA:
        if E <= (2.0 if p == 0 else 1.0) * edata.delta_threshold:
            return 0.0
    elif k == BREMS:
        if E <= edata.brems_threshold:
            return 0.0
    s = edata.sigma
    return s[mat, p, k, i] + f * (s[mat, p, k, i + 1] - s[mat, p, k, i])


@jit
def discrete_sigma(edata, mat, p, E):
    """Total discrete cross section per gram (delta + bremsstrahlung + annihilation), cm²/g, at E (MeV)."""
    i, f = electron_index(edata, E)
    total = 0.0
    for k in range(ANNIHILATION + 1):
        total += _partial_sigma(edata, mat, p, k, i, f, E)
    return total


@jit
def max_sigma(edata, mat, p, i):
    """Majorant of discrete_sigma (cm²/g) over [E_i (1 - max_step_loss)(1 - 1e-3), E_{i+1}] for an
    energy in interval i (:func:`electron_index`)."""
    return edata.sigma_max[mat, p, i]


@jit
def select_discrete(edata, mat, p, E, state):
    """Discrete process DELTA (0), BREMS (1) or ANNIHILATION (2) with probability sigma_k / sum sigma at E."""
    i, f = electron_index(edata, E)
    s0 = _partial_sigma(edata, mat, p, DELTA, i, f, E)
    s1 = _partial_sigma(edata, mat, p, BREMS, i, f, E)
    s2 = _partial_sigma(edata, mat, p, ANNIHILATION, i, f, E)
    r = uniform(state) * (s0 + s1 + s2)
    if r < s0:
        return DELTA
    if r < s0 + s1 or s2 == 0.0:
        return BREMS
    return ANNIHILATION


@jit
def elastic_params(edata, mat, p, i, f):
    """(eta, sigma_el cm²/g, sigma_1 cm²/g) of particle p at interval i, fraction f (:func:`electron_index`):
    screening parameter, total elastic and first transport cross sections per gram (screened Rutherford;
    with ``edata.spin`` the spin-corrected cross sections and the proposal's eta')."""
    return (_at_mp(edata.eta, mat, p, i, f), _at_mp(edata.sigma_el, mat, p, i, f),
            _at_mp(edata.sigma_1, mat, p, i, f))


# ---------------------------------------------------------------- piecewise-linear sampling

@jit
def _sample_linear(x, pdf, cdf, r):
    """Inverse of the cdf of a piecewise-linear pdf on nodes x at r in [0, 1) (cdf its exact running
    integral, cdf[-1] = 1): the interval by bisection, then the root d >= 0 of
    pdf_j d + slope d²/2 = r - cdf_j, written 2c / (pdf_j + sqrt(pdf_j² + 2 slope c)) (no cancellation)."""
    j = min(max(np.searchsorted(cdf, r, side="right") - 1, 0), x.size - 2)
    c = r - cdf[j]
    slope = (pdf[j + 1] - pdf[j]) / (x[j + 1] - x[j])
    den = pdf[j] + math.sqrt(max(0.0, pdf[j] * pdf[j] + 2.0 * slope * c))
    d = 2.0 * c / den if den > 0.0 else 0.0
    return min(x[j] + d, x[j + 1])


@jit
def _grid_weight(grid, v):
    """Interval j and linear weight w of v in a sorted grid, v clamped to the grid's ends."""
    v = min(max(v, grid[0]), grid[-1])
    j = min(max(np.searchsorted(grid, v, side="right") - 1, 0), grid.size - 2)
    return j, (v - grid[j]) / (grid[j + 1] - grid[j])


# ---------------------------------------------------------------- multiple elastic scattering

@jit
def spin_ratio(edata, mat, p, c, wc, k, wk, mu):
    """Spin rejection function rho (:mod:`mcdose.physics.elastic_spin`) in the cell (coarse energy interval c,
    weight wc; step-moment interval k, weight wk) at mu: trilinear in (coarse ln E, q1, v = sqrt(mu))."""
    j, wj = _grid_weight(edata.spin_v, math.sqrt(mu))
    r = edata.spin_rho
    total = 0.0
    for dc, a in ((0, 1.0 - wc), (1, wc)):
        for dk, b in ((0, 1.0 - wk), (1, wk)):
            lo = r[mat, p, c + dc, k + dk, j]
            total += a * b * (lo + wj * (r[mat, p, c + dc, k + dk, j + 1] - lo))
    return total


@jit
def sample_elastic_mu(edata, mat, p, i, f, lam, eta, state):
    """mu = (1 - cos theta)/2 after a step with lam mean elastic collisions of particle p at the energy of
    interval i, fraction f. Without spin: :func:`sample_msc_mu`. With spin: its draws (lam, eta' from
    :func:`elastic_params`) accepted with probability rho / rho_max (:func:`spin_ratio`; PIRS-701's spin
    rejection, :mod:`mcdose.physics.elastic_spin`), so the step has the spin-corrected GS distribution; the
    no-collision draw has ratio 1 (both distributions give it e^-lam)."""
    if not edata.spin:
        return sample_msc_mu(edata, lam, eta, state)
    q1 = lam * 2.0 * eta * ((1.0 + eta) * math.log1p(1.0 / eta) - 1.0)
    c, wc = grid_interval((i + f) / edata.spin_step, edata.spin_rho.shape[2])
    k, wk = _grid_weight(edata.spin_q1, q1)
    bound = max(edata.spin_rho_max[mat, p, c, k], 1.0)
    while True:
        mu = sample_msc_mu(edata, lam, eta, state)
        # no collision (mu = 0, probability e^-lam in both distributions): ratio 1
        if uniform(state) * bound <= (1.0 if mu == 0.0 else spin_ratio(edata, mat, p, c, wc, k, wk, mu)):
            return mu


@jit(inline="always")
def sample_msc_mu(edata, lam, eta, state):
    """mu = (1 - cos theta)/2 after a path with lam mean elastic collisions (screening parameter eta).

    Goudsmit-Saunderson distribution for screened Rutherford scattering split as in Kawrakow &
    Bielajew, NIM B 134 (1998) 325 (EGSnrc manual PIRS-701, sec. "Multiple elastic scattering",
    eq. F_2plus): no collision (probability e^-lam): mu = 0; exactly one (lam e^-lam): one
    screened-Rutherford deflection, its cdf (1 + eta) mu / (mu + eta) inverted, mu = eta r/(1 + eta - r);
    two or more: from the q-surface of :func:`mcdose.physics.elastic.gs_table`, the same
    interpolation as :func:`mcdose.physics.elastic.gs_table_pdf` (bilinear in (ln lam, q1 = lam G1),
    clamped to the table): a corner is chosen with its bilinear weight, u from that corner's
    piecewise-linear q(u) by exact inversion, mu = a u / (1 + a - u) with a = eta omega²,
    ln omega² bilinear.  G1(eta) = 2 eta [(1 + eta) ln(1 + 1/eta) - 1] (PIRS-701 eq. G1_SR).
    """
    r = uniform(state)
    e_lam = math.exp(-lam)
    if r < e_lam:
        return 0.0
    if r < e_lam * (1.0 + lam):
        s = uniform(state)
        return eta * s / (1.0 + eta - s)
    q1 = lam * 2.0 * eta * ((1.0 + eta) * math.log1p(1.0 / eta) - 1.0)
    i, wi = _grid_weight(edata.gs_ln_lambda, math.log(lam))
    k, wk = _grid_weight(edata.gs_q1, q1)
    lo = edata.gs_ln_omega2
    w00, w10, w01, w11 = (1.0 - wi) * (1.0 - wk), wi * (1.0 - wk), (1.0 - wi) * wk, wi * wk
    a = eta * math.exp(w00 * lo[i, k] + w10 * lo[i + 1, k] + w01 * lo[i, k + 1] + w11 * lo[i + 1, k + 1])
    c = uniform(state)
    ii, kk = i, k
    if c >= w00:
        if c < w00 + w10:
            ii = i + 1
        elif c < w00 + w10 + w01:
            kk = k + 1
        else:
            ii, kk = i + 1, k + 1
    u = _sample_linear(edata.gs_u, edata.gs_pdf[ii, kk], edata.gs_cdf[ii, kk], uniform(state))
    return min(a * u / (1.0 + a - u), 1.0)


# ---------------------------------------------------------------- delta rays

@jit
def sample_moller(T, tc, state):
    """Moller: kinetic energy W (MeV) of the slower electron, tc <= W <= T/2, for an electron of T > 2 tc.

    Exact rejection method of the EGSnrc manual (PIRS-701, sec. "Moller scattering"; Nelson et al.,
    SLAC-265 sec. 2.12): eps = W/T from 1/eps² on [eps0, 1/2], eps = eps0 / (1 - r (1 - 2 eps0)),
    accepted with g / (1 + 5a/4), g = eps² T² dsigma/dW (prefactor dropped)
    = 1 + r² - (1 - a) r + a eps², r = eps/(1 - eps), a = (tau/(tau + 1))² (PENELOPE-2018 eq. 3.111's
    DCS); g <= 1 + 5a/4 on [0, 1/2] since r <= 1 and eps² <= 1/4.
    """
    tau = T / MEC2
    a = (tau / (tau + 1.0)) ** 2
    eps0 = tc / T
    bound = 1.0 + 1.25 * a
    while True:
        eps = eps0 / (1.0 - uniform(state) * (1.0 - 2.0 * eps0))
        r = eps / (1.0 - eps)
        g = 1.0 + r * r - (1.0 - a) * r + a * eps * eps
        if uniform(state) * bound <= g:
            return eps * T


@jit
def sample_bhabha(T, tc, state):
    """Bhabha: energy W (MeV) given by a positron of kinetic energy T > tc to the electron, tc <= W <= T.

    Exact rejection method (EGSnrc manual PIRS-701, sec. "Bhabha scattering"; PENELOPE-2018 eqs.
    3.122-3.123 for the DCS): eps = W/T from 1/eps² on [eps0, 1], eps = eps0 / (1 - r (1 - eps0)),
    accepted with g = 1 - b1 eps + b2 eps² - b3 eps³ + b4 eps⁴, which is <= 1 on [0, 1] for every
    T (checked numerically over tau = 1e-4 ... 200; at beta = 1, g = (1 - eps + eps²)²).
    """
    tau = T / MEC2
    gamma = tau + 1.0
    c = (tau / gamma) ** 2
    gp2 = (gamma + 1.0) ** 2
    b1 = c * (2.0 * gp2 - 1.0) / (gamma * gamma - 1.0)
    b2 = c * (3.0 * gp2 + 1.0) / gp2
    b3 = c * 2.0 * gamma * tau / gp2
    b4 = c * tau * tau / gp2
    eps0 = tc / T
    while True:
        eps = eps0 / (1.0 - uniform(state) * (1.0 - eps0))
        g = 1.0 - eps * (b1 - eps * (b2 - eps * (b3 - eps * b4)))
        if uniform(state) <= g:
            return eps * T


@jit
def delta_cosines(T, W):
    """(cos theta of the primary, cos theta of the secondary) after a transfer W (MeV) from a particle of
    kinetic energy T (MeV) to a free electron at rest: two-body kinematics for equal masses,
    cos^2 = T_f (T + 2 mc²) / (T (T_f + 2 mc²)) with T_f the particle's final kinetic energy
    (PIRS-701 sec. "Moller scattering"; PENELOPE-2018 eq. 3.115)."""
    tp = T - W
    c_prim = math.sqrt(max(0.0, tp * (T + 2.0 * MEC2) / (T * (tp + 2.0 * MEC2))))
    c_sec = math.sqrt(max(0.0, W * (T + 2.0 * MEC2) / (T * (W + 2.0 * MEC2))))
    return min(c_prim, 1.0), min(c_sec, 1.0)


# ---------------------------------------------------------------- bremsstrahlung

@jit
def sample_brems_energy(edata, mat, T, state):
    """Bremsstrahlung photon energy k (MeV), brems_threshold < k < T, for an electron (or positron) of T.

    The node is energy[i] or energy[i + 1] around T, chosen with probability 1 - f, f (f the ln E
    fraction; a node at or below the threshold is never used), x is drawn from that node's
    piecewise-linear density of k dsigma/dk in x (exact inversion) and k = kc (T/kc)^x,
    kc = brems_threshold: the spectrum shape of the node, stretched to T's kinematic range (the
    scheme of EGSnrc and PENELOPE: PIRS-701 sec. "Bremsstrahlung", PENELOPE-2018 sec. 3.3.1).
    DCS: :func:`mcdose.physics.bremsstrahlung.bremsstrahlung_dcs`.
    """
    kc = edata.brems_threshold
    i, f = electron_index(edata, T)
    node = i + 1 if uniform(state) < f else i
    if edata.energy[node] <= kc:
        node = i + 1
    x = _sample_linear(edata.brems_x, edata.brems_pdf[mat, node], edata.brems_cdf[mat, node], uniform(state))
    return min(kc * math.exp(x * math.log(T / kc)), T)


@jit
def sample_brems_cos(T, k, state):
    """cos theta of a bremsstrahlung photon relative to the electron's direction (k MeV unused).

    p(cos) = (1 - beta²) / (2 (1 - beta cos)²), beta of the incident electron (kinetic energy T):
    emission isotropic in the electron's rest frame, aberrated into the laboratory (Lorentz boost),
    i.e. PENELOPE-2018's boosted-dipole form (sec. 3.3.4) with its fitted parameters at A = 2/3 and
    beta' = beta; most probable angle ~ 1/gamma.  Analytic inversion of the cdf:
    cos = (2r - 1 + beta) / (1 - beta + 2 beta r), with 1 - beta = 1/(gamma² (1 + beta)).
    """
    gamma = 1.0 + T / MEC2
    beta = math.sqrt(1.0 - 1.0 / (gamma * gamma))
    one_minus_beta = 1.0 / (gamma * gamma * (1.0 + beta))
    r = uniform(state)
    return max(-1.0, min(1.0, (2.0 * r - 1.0 + beta) / (one_minus_beta + 2.0 * beta * r)))


# ---------------------------------------------------------------- positron annihilation in flight

@jit
def sample_annihilation(T, state):
    """Two-photon annihilation in flight of a positron of kinetic energy T (MeV) on a free electron at rest.

    Returns (k1, cos1, k2, cos2): photon energies (MeV, k1 + k2 = T + 2 mc²) and cosines relative to the
    positron's direction; the two photons lie in one plane with the positron direction, on opposite
    azimuths (phi2 = phi1 + pi: momentum conservation).  Heitler's DCS (The Quantum Theory of
    Radiation, 1954, sec. 26) in the photon energy fraction zeta = k1 / (T + 2 mc²),
    dsigma/dzeta ∝ S(zeta) = -(gamma + 1)² + (gamma² + 4 gamma + 1)/zeta - 1/zeta² on
    [zeta_min, 1 - zeta_min], zeta_min = 1/(gamma + 1 + sqrt(gamma² - 1)); sampled as in PENELOPE-2018
    sec. 3.4: zeta from 1/zeta, zeta = zeta_min ((1 - zeta_min)/zeta_min)^r, accepted with
    g = 1 - zeta + (2 gamma - 1/zeta)/(gamma + 1)² (<= (gamma² + 1)/(gamma + 1)² < 1).
    Kinematics: cos_i = (gamma + 1 - 1/zeta_i) / sqrt(gamma² - 1).
    """
    gamma = 1.0 + T / MEC2
    root = math.sqrt((gamma - 1.0) * (gamma + 1.0))
    z_min = 1.0 / (gamma + 1.0 + root)
    span = math.log((1.0 - z_min) / z_min)
    gp2 = (gamma + 1.0) ** 2
    while True:
        z = z_min * math.exp(uniform(state) * span)
        if uniform(state) <= 1.0 - z + (2.0 * gamma - 1.0 / z) / gp2:
            break
    total = T + 2.0 * MEC2
    k1 = z * total
    cos1 = max(-1.0, min(1.0, (gamma + 1.0 - 1.0 / z) / root))
    cos2 = max(-1.0, min(1.0, (gamma + 1.0 - 1.0 / (1.0 - z)) / root))
    return k1, cos1, total - k1, cos2


# ---------------------------------------------------------------- photoelectron direction

@jit
def sample_sauter_cos(T, state):
    """cos theta of a K-shell photoelectron of kinetic energy T (MeV) relative to the photon direction.

    Sauter's distribution (F. Sauter, Ann. Phys. 11 (1931) 454),
    dsigma/dOmega ∝ sin²theta / (1 - beta cos)⁴ [1 + gamma (gamma - 1)(gamma - 2)(1 - beta cos)/2],
    sampled as in PENELOPE-2018 sec. 2.2 (eqs. 2.43-2.48): nu = 1 - cos from nu/(A + nu)³ on [0, 2],
    A = 1/beta - 1, by inversion nu = 2 A s / (A + 2 - 2 s), s = sqrt(r); accepted with
    g(nu) = (2 - nu)[1/(A + nu) + beta gamma (gamma - 1)(gamma - 2)/2] / g(0) (g is decreasing in nu
    for every gamma, so g(0) bounds it).
    """
    gamma = 1.0 + T / MEC2
    beta = math.sqrt(T * (T + 2.0 * MEC2)) / (T + MEC2)
    a = 1.0 / beta - 1.0
    b = 0.5 * beta * gamma * (gamma - 1.0) * (gamma - 2.0)
    g0 = 2.0 * (1.0 / a + b)
    while True:
        s = math.sqrt(uniform(state))
        nu = 2.0 * a * s / (a + 2.0 - 2.0 * s)
        if uniform(state) * g0 <= (2.0 - nu) * (1.0 / (a + nu) + b):
            return 1.0 - nu
