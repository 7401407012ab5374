"""Photon interaction samplers vs the distributions they sample (histogram vs pdf, chi-square).

Every statistical check has a false-alarm probability ALPHA = 1e-4 for a correct sampler (chi-square
p-value or two-sided binomial z); with ~25 checks the family-wise rate is about 0.25 %.  The seed is
fixed, so the outcome is reproducible.  Reference pdfs are built from mcdose.physics.photon (S, F²,
cross sections), photon_highenergy (pair totals) and xraylib, integrated per bin by Gauss-Legendre
or fine trapezoids, never from the sampler's tables.
"""
import math

import numpy as np
import pytest
import xraylib
from scipy import stats

from mcdose.kernels import photon_interactions as pi
from mcdose.kernels._jit import jit
from mcdose.kernels.rng import stream_init, uniform
from mcdose.materials import from_mass_fractions, get
from mcdose.photon_data import HC_KEV_A, MEC2, PHOTOELECTRIC, TOTAL, build_photon_data
from mcdose.physics import photon
from mcdose.physics.photon_highenergy import pair_dcs
from mcdose.physics.epdl import PAIR_ELECTRON, PAIR_NUCLEAR, integrated_cross_section
from sampling_stats import bin_integrals, chi2_p

ALPHA = 1e-4
N = 400_000
WATER, LEAD, MIX = 0, 1, 2


@pytest.fixture(scope="module")
def materials():
    mix = from_mass_fractions({"H": 0.1, "O": 0.5, "Ca": 0.3, "I": 0.1}, 1.5)
    return [get("water"), get("lead"), mix]


@pytest.fixture(scope="module")
def data(materials):
    return build_photon_data(materials)


@jit(refcount=True)
def _draw(data, mat, E, which, n, seed, out):
    """n draws of sampler ``which`` into out[:, :3]."""
    state = np.empty(4, np.uint64)
    stream_init(state, seed, 0, 0)
    i, f = pi.energy_index(data, E)
    for j in range(n):
        if which == 0:
            out[j, 0], out[j, 1], out[j, 2] = pi.sample_compton(data, mat, E, state)
        elif which == 1:
            out[j, 0] = pi.sample_rayleigh(data, mat, E, state)
        elif which == 2:
            out[j, 0], out[j, 1] = pi.sample_photoelectric(data, mat, E, state)
        elif which == 3:
            out[j, 0], out[j, 1] = pi.sample_pair(data, mat, E, state)
        elif which == 4:
            out[j, 0] = pi.select_interaction(data, mat, E, state)
        elif which == 5:
            out[j, 0], out[j, 1], out[j, 2] = pi.isotropic_direction(state)
        else:                                   # 6, 7: element choice for photoelectric / pair
            out[j, 0] = pi._choose_element(data, mat, which - 6, i, f, uniform(state))


def draw(data, mat, E, which, n=N, seed=12345):
    out = np.zeros((n, 3))
    _draw(data, mat, E, which, n, seed, out)
    return out


def bin_probabilities(pdf, edges):
    """Integral of pdf over each bin, normalised to 1."""
    p = bin_integrals(pdf, edges)
    return p / p.sum()


def _x_of_cos(E, c):
    return 1e3 * E / HC_KEV_A * np.sqrt(np.clip((1 - c) / 2, 0, None))


# ---------------------------------------------------------------- tables

def _edges(materials):
    out = []
    for m in materials:
        for z in m.Z:
            for shell in range(30):
                try:
                    out.append(1e-3 * xraylib.EdgeEnergy(z, shell))
                except ValueError:
                    pass
            out.append(_partial_table_end(z))
    return np.array(out)


def _partial_table_end(z):
    """Energy (MeV) where xraylib's CS_Photo_Partial(K) stops (bisection): photon.mu_en_over_rho steps
    there (its fluorescence-escape fractions drop to 0), so that point is excluded like an edge."""
    def works(e_kev):
        try:
            xraylib.CS_Photo_Partial(z, xraylib.K_SHELL, e_kev)
            return True
        except ValueError:
            return False
    lo, hi = max(xraylib.EdgeEnergy(z, xraylib.K_SHELL), 1.0) * 1.0001, 800.0
    if works(hi) or not works(lo):
        return 1.0
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if works(mid) else (lo, mid)
    return 1e-3 * hi


def test_lookup_matches_physics_module_between_nodes(data, materials):
    """Linear-in-ln E interpolation at interval midpoints vs photon.py: < 1e-3 away from edges.

    Expected error n² h²/8 = 3e-5 for an E^-3 power law, h = ln(10)/450.
    """
    e = data.energy
    mid = np.sqrt(e[1:] * e[:-1])
    edges = _edges(materials)
    # "away from edges": intervals more than 1.5 % in E from every edge (photon.mu_en_over_rho varies
    # by ~10 % over the first 0.5 % above lead's L edges, so the next two intervals are excluded too)
    near = (edges[None, :] >= e[:-1, None] / 1.015) & (edges[None, :] <= e[1:, None] * 1.015)
    clean = ~np.any(near, axis=1)
    for m, mat in enumerate(materials):
        ref = photon.photon_cross_sections(mat, mid)
        ref_total = sum(ref.values())
        got = np.array([pi.mu_total(data, m, x) for x in mid])
        assert np.max(np.abs(got / ref_total - 1)[clean]) < 1e-3
        got_pe = np.array([pi.mu_process(data, m, x, PHOTOELECTRIC) for x in mid])
        assert np.max(np.abs(got_pe / ref["photoelectric"] - 1)[clean]) < 1e-3
        ref_en = photon.mu_en_over_rho(mat, mid)
        got_en = np.array([pi.mu_en(data, m, x) for x in mid])
        assert np.max(np.abs(got_en / ref_en - 1)[clean]) < 1e-3
    # O(1) index: nodes map to their own interval; the ends are clamped
    for k in (0, 1, 777, e.size - 2):
        i, f = pi.energy_index(data, e[k] * (1 + 1e-12))
        assert i == k and f < 1e-6
    assert pi.energy_index(data, 1e-4) == (0, 0.0)
    assert pi.energy_index(data, 100.0) == (e.size - 2, 1.0)
    assert np.allclose(data.mu[:, TOTAL], data.mu[:, :TOTAL].sum(axis=1), rtol=1e-14)


# ---------------------------------------------------------------- interaction choice

@pytest.mark.parametrize("mat,E", [(WATER, 0.03), (LEAD, 0.1), (LEAD, 5.0), (WATER, 20.0)])
def test_select_interaction_frequencies(data, materials, mat, E):
    """Process frequencies vs mu_p / mu_total from photon.photon_cross_sections."""
    codes = draw(data, mat, E, 4, n=1_000_000)[:, 0].astype(int)
    ref = photon.photon_cross_sections(materials[mat], E)
    prob = [ref[k][0] for k in ("photoelectric", "incoherent", "coherent", "pair")]
    assert chi2_p(np.bincount(codes, minlength=4), prob) > ALPHA


@pytest.mark.parametrize("E", [0.03, 0.2])
def test_photoelectric_element_choice(data, materials, E):
    """Element frequencies in an H-O-Ca-I mixture vs w_i CS_Photo(Z_i) (xraylib)."""
    mix = materials[MIX]
    el = draw(data, MIX, E, 6, n=1_000_000)[:, 0].astype(int)
    counts = [np.sum(el == list(data.element_z).index(z)) for z in mix.Z]
    prob = [w * xraylib.CS_Photo(z, 1e3 * E) for z, w in zip(mix.Z, mix.mass_fractions)]
    assert chi2_p(counts, prob) > ALPHA


def _pair_per_atom(Z, E):
    return integrated_cross_section(PAIR_NUCLEAR, Z, E) + integrated_cross_section(PAIR_ELECTRON, Z, E)


def test_pair_element_choice(data, materials):
    """Nucleus frequencies in the mixture at 10 MeV vs (w_i / A_i) sigma_pair(Z_i) (EPDL97, nuclear + triplet)."""
    mix = materials[MIX]
    el = draw(data, MIX, 10.0, 7, n=1_000_000)[:, 0].astype(int)
    counts = [np.sum(el == list(data.element_z).index(z)) for z in mix.Z]
    prob = [w / a * _pair_per_atom(z, 10.0) for z, w, a in zip(mix.Z, mix.mass_fractions, mix.A)]
    assert chi2_p(counts, prob) > ALPHA


# ---------------------------------------------------------------- incoherent

@pytest.mark.parametrize("mat", [WATER, LEAD])
@pytest.mark.parametrize("E", [0.02, 0.1, 1.0])
def test_compton_angle_vs_klein_nishina_times_s(data, materials, mat, E):
    """cos theta histogram vs KN(cos) S(x)/Z; E' from the Compton formula; E = E' + T exactly."""
    out = draw(data, mat, E, 0)
    e_out, cos, t = out.T
    k = E / MEC2

    def pdf(c):
        r = 1 / (1 + k * (1 - c))
        return r * r * (r + 1 / r - (1 - c * c)) * photon.incoherent_function(materials[mat], _x_of_cos(E, c))

    edges = np.linspace(-1, 1, 51)
    assert chi2_p(np.histogram(cos, edges)[0], bin_probabilities(pdf, edges)) > ALPHA
    assert np.allclose(e_out, E / (1 + k * (1 - cos)), rtol=1e-12)
    assert np.allclose(e_out + t, E, rtol=1e-14, atol=0)
    assert np.all((t >= 0) & (e_out >= E / (1 + 2 * k) * (1 - 1e-12)))


# ---------------------------------------------------------------- coherent

@pytest.mark.parametrize("mat", [WATER, LEAD])
@pytest.mark.parametrize("E", [0.02, 0.05])
def test_rayleigh_angle_vs_thomson_times_form_factor(data, materials, mat, E):
    """q = x² histogram (40 equiprobable bins) vs (1 + cos²)/2 F²(x); dq ∝ d cos theta."""
    cos = draw(data, mat, E, 1)[:, 0]
    q_max = (1e3 * E / HC_KEV_A) ** 2
    q = np.concatenate(([0.0], np.geomspace(1e-9, q_max, 40_000)))
    c = 1 - 2 * q / q_max
    dens = 0.5 * (1 + c * c) * photon.form_factor_squared(materials[mat], np.sqrt(q))
    cdf = np.concatenate(([0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(q))))
    cdf /= cdf[-1]
    edges = np.interp(np.linspace(0, 1, 41), cdf, q)
    prob = np.diff(np.interp(edges, q, cdf))
    q_samples = q_max * (1 - cos) / 2
    assert chi2_p(np.histogram(q_samples, edges)[0], prob) > ALPHA
    assert np.all(np.abs(cos) <= 1)


# ---------------------------------------------------------------- photoelectric

def _k_lines(z):
    lines = {}
    for name in dir(xraylib):
        if name.startswith("K") and name.endswith("_LINE") and len(name) == 8 and name[2].isdigit():
            try:
                rate, energy = xraylib.RadRate(z, getattr(xraylib, name)), xraylib.LineEnergy(z, getattr(xraylib, name))
            except ValueError:
                continue
            if rate > 0:
                lines[round(1e-3 * energy, 9)] = rate
    return lines


def test_lead_k_fluorescence_fraction_and_line_mix(data):
    """Lead at 100 keV: K x-ray fraction vs P_K omega_K (z-test) and the K line mix vs RadRate."""
    E = 0.1
    n = 1_000_000
    local, fl = draw(data, LEAD, E, 2, n=n)[:, :2].T
    assert np.allclose(local + fl, E, rtol=1e-14, atol=0)
    k_lines = _k_lines(82)
    is_k = fl > 1e-3 * xraylib.EdgeEnergy(82, xraylib.L1_SHELL)
    p_k = xraylib.CS_Photo_Partial(82, xraylib.K_SHELL, 1e3 * E) / xraylib.CS_Photo(82, 1e3 * E)
    p = p_k * xraylib.FluorYield(82, xraylib.K_SHELL)
    z = (is_k.sum() - n * p) / math.sqrt(n * p * (1 - p))
    assert abs(z) < stats.norm.isf(ALPHA / 2), f"K fraction {is_k.mean():.5f} vs {p:.5f}"
    energies = np.array(sorted(k_lines))
    observed = np.round(fl[is_k], 9)
    assert set(np.unique(observed)) <= set(energies)
    counts = [np.sum(observed == e) for e in energies]
    assert chi2_p(counts, [k_lines[e] for e in energies]) > ALPHA
    # L x-rays (vacancies in L1-L3, yields from xraylib): only lines below the L1 edge
    l_count = np.sum((fl > 0) & ~is_k)
    p_l = sum(xraylib.CS_Photo_Partial(82, s, 1e3 * E) * xraylib.FluorYield(82, s)
              for s in (xraylib.L1_SHELL, xraylib.L2_SHELL, xraylib.L3_SHELL)) / xraylib.CS_Photo(82, 1e3 * E)
    z_l = (l_count - n * p_l) / math.sqrt(n * p_l * (1 - p_l))
    assert abs(z_l) < stats.norm.isf(ALPHA / 2), f"L fraction {l_count / n:.5f} vs {p_l:.5f}"


def test_no_k_fluorescence_below_the_k_edge(data):
    fl = draw(data, LEAD, 0.085, 2, n=100_000)[:, 1]
    assert fl.max() < 1e-3 * xraylib.EdgeEnergy(82, xraylib.L1_SHELL)


# ---------------------------------------------------------------- pair production

@pytest.mark.parametrize("mat", [WATER, LEAD])
@pytest.mark.parametrize("E", [1.5, 3.0, 20.0])
def test_pair_energy_sharing_vs_bethe_heitler(data, materials, mat, E):
    """Electron energy fraction vs the pair DCS of the tables (photon_highenergy.pair_dcs: screened
    Bethe-Heitler with Coulomb and low-energy corrections); water: nuclei mixed by sigma_pair.
    1.5 MeV in lead is where the uncorrected Born DCS vanishes (the sampler must not hang there)."""
    t_minus, t_plus = draw(data, mat, E, 3)[:, :2].T
    assert np.allclose(t_minus + t_plus, E - 2 * MEC2, rtol=1e-12)
    assert np.all((t_minus >= 0) & (t_plus >= 0))
    m = materials[mat]
    weights = [w / a * _pair_per_atom(z, E) for z, w, a in zip(m.Z, m.mass_fractions, m.A)]

    lo, hi = MEC2 / E, 1 - MEC2 / E
    panels = np.linspace(lo, hi, 201)
    norms = {z: bin_integrals(lambda e: pair_dcs(z, E, e), panels).sum() for z in m.Z}

    def pdf(eps):
        return sum(wt * pair_dcs(z, E, eps) / norms[z] for z, wt in zip(m.Z, weights))

    edges = np.linspace(lo, hi, 41)
    eps = (t_minus + MEC2) / E
    assert chi2_p(np.histogram(eps, edges)[0], bin_probabilities(pdf, edges)) > ALPHA


# ---------------------------------------------------------------- directions

def test_isotropic_direction(data):
    u, v, w = draw(data, 0, 1.0, 5).T
    assert np.allclose(u * u + v * v + w * w, 1, atol=1e-14)
    edges = np.linspace(-1, 1, 21)
    assert chi2_p(np.histogram(w, edges)[0], np.full(20, 0.05)) > ALPHA
    edges = np.linspace(-np.pi, np.pi, 21)
    assert chi2_p(np.histogram(np.arctan2(v, u), edges)[0], np.full(20, 0.05)) > ALPHA


def test_rotate_keeps_angle_and_length():
    rng = np.random.default_rng(3)
    dirs = rng.normal(size=(2000, 3))
    dirs /= np.linalg.norm(dirs, axis=1)[:, None]
    poles = [(0, 0, 1), (0, 0, -1), (1e-9, 0, math.sqrt(1 - 1e-18)), (0, 3e-12, -1.0), (1, 0, 0)]
    dirs = np.vstack([dirs, poles])
    cos = np.concatenate([rng.uniform(-1, 1, dirs.shape[0] - 4), [1.0, -1.0, 1 - 1e-13, -1 + 1e-13]])
    phi = rng.uniform(0, 2 * np.pi, dirs.shape[0])
    for (u, v, w), c, p in zip(dirs, cos, phi):
        new = np.array(pi.rotate(u, v, w, c, p))
        old = np.array([u, v, w])
        assert abs(np.linalg.norm(new) - 1) < 1e-12
        assert abs(new @ old - c) < 1e-12
        assert abs(np.linalg.norm(np.cross(old, new)) - math.sqrt(1 - c * c)) < 1e-12
    # along +z the azimuth is the polar angle of the new direction in the x-y plane
    s = math.sqrt(1 - 0.3**2)
    assert np.allclose(pi.rotate(0.0, 0.0, 1.0, 0.3, 1.1), (s * math.cos(1.1), s * math.sin(1.1), 0.3), atol=1e-15)


def test_rotate_of_isotropic_azimuth_is_uniform_about_the_axis():
    """Rotating a fixed direction by theta and uniform phi spreads it on a cone: mean = cos theta * axis."""
    rng = np.random.default_rng(5)
    axis = np.array([0.48, -0.6, 0.64])
    new = np.array([pi.rotate(*axis, 0.2, p) for p in rng.uniform(0, 2 * np.pi, 20_000)])
    # mean of a uniform cone: axis cos theta; standard error sin theta / sqrt(2 n) per component
    assert np.all(np.abs(new.mean(axis=0) - 0.2 * axis) < 4.4 * math.sqrt(1 - 0.04) / math.sqrt(2 * 20_000))
