"""Photon interaction samplers (Numba kernels): what happens at one photon interaction site.

All take the :class:`mcdose.photon_data.PhotonData` bundle ``data``, the material index ``mat``,
the photon energy ``E`` in MeV and an RNG stream ``state`` (:mod:`mcdose.kernels.rng`); none
allocates.  Coefficients are mass coefficients, cm²/g (the transport multiplies by the density).
Directions: :func:`rotate` turns a direction by the sampled polar angle and an azimuth the
caller samples uniformly in [0, 2 pi).
"""
import math

import numpy as np

from ._jit import jit
from .codes import HC_KEV_A, MEC2, PAIR, TOTAL
from .pair import screening_functions
from .rng import uniform

_TWO_PI = 2.0 * math.pi
_KEV_PER_MEV_OVER_HC = 1e3 / HC_KEV_A   # x = E[MeV] * this * sin(theta/2), 1/Å
_BY_PHOTO, _BY_PAIR = 0, 1               # rows of PhotonData.element_cum


# ---------------------------------------------------------------- table look-up

@jit
def grid_interval(t, n_nodes):
    """Interval i and fraction f of the grid coordinate t (node k at t = k) on a grid of n_nodes,
    clamped to its ends."""
    last = n_nodes - 2
    if t <= 0.0:
        return 0, 0.0
    i = int(t)
    if i > last:
        return last, 1.0
    return i, t - i


@jit
def energy_index(data, E):
    """Interval i and fraction f of E (MeV) on the log-uniform grid (clamped to its ends), O(1)."""
    return grid_interval((math.log(E) - data.ln_e_min) * data.inv_dln_e, data.energy.size)


@jit
def _at2(table, a, i, f):
    """table[a] at interval i, fraction f, linear in ln E, indexed in place (no row view)."""
    return table[a, i] + f * (table[a, i + 1] - table[a, i])


@jit
def _at3(table, a, b, i, f):
    """table[a, b] at interval i, fraction f, linear in ln E, indexed in place."""
    return table[a, b, i] + f * (table[a, b, i + 1] - table[a, b, i])


@jit
def mu_process(data, mat, E, process):
    """Mass attenuation coefficient (cm²/g) of ``process`` (PHOTOELECTRIC ... PAIR, or TOTAL) at E (MeV)."""
    i, f = energy_index(data, E)
    return _at3(data.mu, mat, process, i, f)


@jit
def mu_total(data, mat, E):
    """Total mass attenuation coefficient, cm²/g, at E (MeV); times the density gives 1/cm."""
    return mu_process(data, mat, E, TOTAL)


@jit
def mu_en(data, mat, E):
    """Mass energy-absorption coefficient mu_en/rho, cm²/g, at E (MeV) (track-length kerma scoring)."""
    i, f = energy_index(data, E)
    return _at2(data.mu_en, mat, i, f)


@jit
def select_interaction(data, mat, E, state):
    """Process code PHOTOELECTRIC, INCOHERENT, COHERENT or PAIR with probability mu_p / mu_total."""
    i, f = energy_index(data, E)
    r = uniform(state) * _at3(data.mu, mat, TOTAL, i, f)
    for p in range(PAIR):
        r -= _at3(data.mu, mat, p, i, f)
        if r < 0.0:
            return p
    return PAIR


@jit
def _choose_element(data, mat, which, i, f, u):
    """Element index (into the per-element arrays) for process ``which`` (0 photo, 1 pair), uniform u."""
    cum = data.element_cum
    n = data.n_elements[mat]
    for k in range(n - 1):
        if u < cum[mat, which, k, i] + f * (cum[mat, which, k, i + 1] - cum[mat, which, k, i]):
            return data.element_index[mat, k]
    return data.element_index[mat, n - 1]


# ---------------------------------------------------------------- directions

@jit
def isotropic_direction(state):
    """Unit vector (u, v, w) uniform on the sphere: w = 2 r1 - 1, phi = 2 pi r2."""
    w = 2.0 * uniform(state) - 1.0
    phi = _TWO_PI * uniform(state)
    s = math.sqrt(max(0.0, 1.0 - w * w))
    return s * math.cos(phi), s * math.sin(phi), w


@jit
def rotate(u, v, w, cos_theta, phi):
    """Direction (u, v, w) turned by polar angle theta (given as cos) and azimuth phi.

    PENELOPE-2018 manual (Salvat, NEA/MBDAV/R(2019)1) eq. 1.131, with rho = sqrt(u² + v²) taken from
    u, v (accurate near w = ±1) and the limit u' = sin cos phi, v' = sin sin phi, w' = w cos theta
    when rho² < 1e-200 (its error is of order rho).  The new direction's dot product with the old
    one is cos theta times the old length², so unit length is kept to rounding; nothing renormalises.
    """
    sin_theta = math.sqrt(max(0.0, 1.0 - cos_theta * cos_theta))
    cp, sp = math.cos(phi), math.sin(phi)
    rho2 = u * u + v * v
    if rho2 < 1e-200:
        return sin_theta * cp, sin_theta * sp, w * cos_theta
    rho = math.sqrt(rho2)
    a = sin_theta / rho
    return (u * cos_theta + a * (u * w * cp - v * sp),
            v * cos_theta + a * (v * w * cp + u * sp),
            w * cos_theta - rho * sin_theta * cp)


# ---------------------------------------------------------------- incoherent (Compton)

@jit
def _s_over_z(data, mat, x):
    """S(x)/Z of material ``mat`` at x (1/Å): linear in ln x on the table, ∝ x² below, 1 above."""
    table = data.s_over_z[mat]
    t = (math.log(x) - data.ln_x_min) * data.inv_dln_x
    if t <= 0.0:
        return table[0] * math.exp(2.0 * (math.log(x) - data.ln_x_min))
    j = int(t)
    if j >= table.size - 1:
        return 1.0
    return table[j] + (t - j) * (table[j + 1] - table[j])


@jit
def sample_compton(data, mat, E, state):
    """Incoherent scattering: (E' MeV, cos theta, E - E' MeV given to the electron).

    DCS: Klein–Nishina x S(x, Z)/Z (Hubbell et al., J. Phys. Chem. Ref. Data 4 (1975) 471, eq. 2),
    free-electron kinematics E' = E / (1 + k (1 - cos theta)), k = E/mc² (no Doppler broadening).
    KN is sampled in eps = E'/E by the Butcher & Messel (Nucl. Phys. 20 (1960) 15) decomposition
    1/eps + eps, branch weights ln(1/eps0) and (1 - eps0²)/2, eps0 = 1/(1 + 2k), with the rejection
    1 - eps sin²theta / (1 + eps²) (EGSnrc manual PIRS-701, sec. 2.2.1).  The binding factor is
    applied by rejection with S(x)/S(x_max), x = sin(theta/2) E / hc: S is non-decreasing, so this
    is <= 1, and at low energy far more efficient than S/Z.  In this simplified model the electron
    receives all of E - E' (the binding energy is deposited with it, locally).
    """
    k = E / MEC2
    eps0 = 1.0 / (1.0 + 2.0 * k)
    a1 = math.log1p(2.0 * k)
    a2 = 0.5 * (1.0 - eps0 * eps0)
    x_max = E * _KEV_PER_MEV_OVER_HC
    s_max = _s_over_z(data, mat, x_max)
    while True:
        if uniform(state) * (a1 + a2) < a1:
            eps = math.exp(-a1 * uniform(state))
        else:
            eps = math.sqrt(eps0 * eps0 + (1.0 - eps0 * eps0) * uniform(state))
        t = min((1.0 - eps) / (k * eps), 2.0)           # 1 - cos theta
        g = 1.0 - eps * t * (2.0 - t) / (1.0 + eps * eps)
        if uniform(state) * s_max < g * _s_over_z(data, mat, x_max * math.sqrt(0.5 * t)):
            e_out = eps * E
            return e_out, 1.0 - t, E - e_out


# ---------------------------------------------------------------- coherent (Rayleigh)

@jit
def _coh_interval(data, q):
    """Index m of the q-grid interval holding q (node 0 is q = 0, then log-uniform), O(1)."""
    nodes = data.coh_q
    last = nodes.size - 2
    if q < nodes[1]:
        return 0
    m = min(1 + int((math.log(q) - data.ln_q_min) * data.inv_dln_q), last)
    if m < last and nodes[m + 1] <= q:
        m += 1
    elif nodes[m] > q:
        m -= 1
    return m


@jit
def _coh_invert(f_m, slope, c):
    """d >= 0 with f_m d + slope d²/2 = c (area c under the linear F² of one interval)."""
    den = f_m + math.sqrt(max(0.0, f_m * f_m + 2.0 * slope * c))
    return 2.0 * c / den if den > 0.0 else 0.0


@jit
def sample_rayleigh(data, mat, E, state):
    """Coherent scattering: cos theta from (1 + cos²theta)/2 F²(x), x = sin(theta/2) E / hc.

    PENELOPE method (Salvat, PENELOPE-2018 manual, sec. 2.1.1; Baró et al., NIM B 84 (1994) 465):
    q = x² is drawn from F²(q) on [0, q_max], q_max = (E/hc)², by inverting its running integral
    (F² linear in q between table nodes, so the inverse is a quadratic root), then
    cos theta = 1 - 2 q / q_max is accepted with probability (1 + cos²theta)/2 (efficiency >= 1/2).
    Form factors: Hubbell et al. (1975), via xraylib, atom-averaged over the material.
    """
    nodes = data.coh_q
    f2 = data.coh_f2[mat]
    cum = data.coh_cum[mat]
    q_max = (E * _KEV_PER_MEV_OVER_HC) ** 2
    top = _coh_interval(data, q_max)
    slope_top = (f2[top + 1] - f2[top]) / (nodes[top + 1] - nodes[top])
    d_top = q_max - nodes[top]
    area = cum[top] + d_top * (f2[top] + 0.5 * slope_top * d_top)
    while True:
        target = uniform(state) * area
        lo = np.searchsorted(cum[:top + 1], target, side="right") - 1   # cum[lo] <= target < cum[lo + 1]
        slope = (f2[lo + 1] - f2[lo]) / (nodes[lo + 1] - nodes[lo])
        q = min(nodes[lo] + _coh_invert(f2[lo], slope, target - cum[lo]), q_max)
        cos_theta = 1.0 - 2.0 * q / q_max
        if 2.0 * uniform(state) < 1.0 + cos_theta * cos_theta:
            return cos_theta


# ---------------------------------------------------------------- photoelectric

@jit
def _line_energy(data, el, shell, u):
    """Energy (MeV) of a fluorescence line filling a vacancy in ``shell``, chosen by radiative rate."""
    cum = data.line_cum[el, shell]
    n = data.n_lines[el, shell]
    for l in range(n - 1):
        if u < cum[l]:
            return data.line_energy[el, shell, l]
    return data.line_energy[el, shell, n - 1]


@jit
def sample_photoelectric(data, mat, E, state):
    """Photoabsorption: (energy deposited locally MeV, fluorescence photon energy MeV or 0).

    The element is chosen by its share of the material's photoelectric cross section, the vacancy
    shell K, L1, L2 or L3 by xraylib's partial photoelectric cross sections (Schoonjans et al.,
    Spectrochim. Acta B 66 (2011) 776; only shells with binding < E), other shells give no
    fluorescence.  With the shell's fluorescence yield omega_s one x-ray is emitted (isotropic;
    the caller samples its direction), its line chosen by xraylib's radiative rates (Kalpha1,
    Kalpha2, Kbeta..., L lines).  Everything else — photoelectron, Auger electrons, the vacancies
    left behind by the x-ray (no cascade) — is deposited locally: E_local = E - E_fluorescence.
    """
    i, f = energy_index(data, E)
    el = _choose_element(data, mat, _BY_PHOTO, i, f, uniform(state))
    u = uniform(state)
    for s in range(4):
        if u < _at3(data.shell_cum, el, s, i, f):
            if E > data.binding[el, s] and uniform(state) < data.fluor_yield[el, s]:
                e_fl = _line_energy(data, el, s, uniform(state))
                return E - e_fl, e_fl
            break
    return E, 0.0


# ---------------------------------------------------------------- pair production

@jit
def sample_pair(data, mat, E, state):
    """Pair production: kinetic energies (T-, T+) in MeV, T- + T+ = E - 2 mc².

    Nucleus chosen by its share of the material's pair cross section (triplet included); the
    electron's total-energy fraction eps from the exponentially screened Bethe-Heitler DCS with
    Coulomb and low-energy corrections (Baró et al., Radiat. Phys. Chem. 44 (1994) 531; PENELOPE-2008
    manual sec. 2.4.1), the DCS whose integral gives the tables' pair cross section
    (:func:`mcdose.physics.photon_highenergy.pair_dcs`):
        dsigma/deps ∝ (1 - 2x) max(f1(b) + g0, 0) + (2/3) x max(f2(b) + g0, 0),
        x = eps (1 - eps), b = R / (2 kappa x),  1/kappa <= eps <= 1 - 1/kappa.
    Sampling: eps uniform on [1/kappa, 1/2] (the DCS is symmetric), rejection against the bound
    phi1(b_min) + phi2(b_min)/6 (f1, f2 fall with b; b is smallest at x = 1/4), then a fair coin
    for eps <-> 1 - eps.
    """
    t_total = E - 2.0 * MEC2
    if t_total <= 0.0:
        return 0.0, 0.0
    k = E / MEC2
    i, f = energy_index(data, E)
    el = _choose_element(data, mat, _BY_PAIR, i, f, uniform(state))
    r = data.pair_r[el]
    g0 = _at2(data.pair_g0, el, i, f)
    f1, f2 = screening_functions(2.0 * r / k)
    bound = max(f1 + g0, 0.0) + max(f2 + g0, 0.0) / 6.0
    e_min = 1.0 / k
    eps = 0.5
    if bound > 0.0:
        while True:
            eps = e_min + (0.5 - e_min) * uniform(state)
            x = eps * (1.0 - eps)
            f1, f2 = screening_functions(r / (2.0 * k * x))
            p = (1.0 - 2.0 * x) * max(f1 + g0, 0.0) + (2.0 / 3.0) * x * max(f2 + g0, 0.0)
            if uniform(state) * bound <= p:
                break
    if uniform(state) < 0.5:
        eps = 1.0 - eps
    t_minus = min(max(eps * E - MEC2, 0.0), t_total)
    return t_minus, t_total - t_minus
