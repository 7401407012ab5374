"""Bremsstrahlung data vs NIST ESTAR, analytic limits of its ingredients, and internal consistency.

References: radiative stopping powers from NIST ESTAR (Seltzer-Berger cross sections), copied from
/work/shared/refs/nist_reference.csv (water: liquid, I = 75 eV; air: dry, near sea level); the Cf rows from
the ESTAR element table for californium (Z = 98), as quoted (downloaded from NIST in February 2026) in the
documentation of the data set df.NIST.estar.SP of a public R package. Units: MeV, cm^2/g.
"""
import time

import mpmath
import numpy as np
import pytest
from scipy.integrate import quad

from mcdose.errors import InputError
from mcdose.materials import Material
from mcdose.physics import bremsstrahlung as brems
from mcdose.physics.bremsstrahlung import (bremsstrahlung_cross_section, bremsstrahlung_dcs,
                                           radiative_stopping_power, restricted_radiative_stopping_power)

WATER = Material("water", 1.0, (1, 8), (0.111894, 0.888106), 75.0, "NIST")
AIR = Material("air", 1.20479e-3, (6, 7, 8, 18), (0.000124, 0.755268, 0.231781, 0.012827), 85.7, "NIST")
LEAD = Material("lead", 11.35, (82,), (1.0,), 823.0, "NIST")
CALIFORNIUM = Material("californium", 10.0, (98,), (1.0,), 966.0, "NIST")

# The project's target: ESTAR S_rad within 5 % (ESTAR's own stated uncertainty is 5-10 % below 2 MeV).
S_RAD_TOL = 0.05
_HIGH_Z_KEV = ("high Z at keV energies: screening of slow electrons in the neutral atom (normalisation) and "
               "relativistic Coulomb effects are not modelled; Z = 98 runs from +23 % at 10 keV to -10 % at 45 keV")
NIST_S_RAD = [
    (WATER, 0.01, 3.898e-3), (WATER, 0.1, 4.228e-3), (WATER, 1.0, 1.280e-2), (WATER, 10.0, 0.1814),
    (WATER, 20.0, 0.4086),
    (AIR, 1.0, 1.271e-2), (AIR, 10.0, 0.1795),
    (CALIFORNIUM, 800.0, 137.3), (CALIFORNIUM, 1000.0, 172.2),
    # 25-30 keV pass where the Z = 98 error curve crosses zero (see _HIGH_Z_KEV)
    (CALIFORNIUM, 0.025, 3.225e-2), (CALIFORNIUM, 0.03, 3.453e-2),
    pytest.param(CALIFORNIUM, 0.01, 2.175e-2, marks=pytest.mark.xfail(strict=True, reason=_HIGH_Z_KEV)),
    pytest.param(CALIFORNIUM, 0.02, 2.956e-2, marks=pytest.mark.xfail(strict=True, reason=_HIGH_Z_KEV)),
    pytest.param(CALIFORNIUM, 0.045, 3.990e-2, marks=pytest.mark.xfail(strict=True, reason=_HIGH_Z_KEV)),
]


@pytest.mark.parametrize("material, T, ref", NIST_S_RAD)
def test_radiative_stopping_power_vs_estar(material, T, ref):
    assert radiative_stopping_power(material, T) == pytest.approx(ref, rel=S_RAD_TOL)


@pytest.mark.parametrize("material", [WATER, LEAD])
@pytest.mark.parametrize("T, k_cut", [(0.005, 0.001), (0.05, 0.01), (1.0, 0.01), (6.0, 0.5), (20.0, 0.01)])
def test_restricted_plus_above_cut_is_total(material, T, k_cut):
    # Consistency of the three integrals; the above-cut part by adaptive quadrature (independent of the
    # module's Gauss-Legendre rule). 1e-6 is the quadrature accuracy asked for.
    above = quad(lambda k: k * bremsstrahlung_dcs(material, T, k), k_cut, T, epsabs=0, epsrel=1e-10, limit=400)[0]
    total = radiative_stopping_power(material, T)
    assert restricted_radiative_stopping_power(material, T, k_cut) + above == pytest.approx(total, rel=1e-6)


@pytest.mark.parametrize("T, k_cut", [(0.05, 0.001), (1.0, 0.01), (20.0, 0.1)])
def test_cross_section_is_integral_of_dcs(T, k_cut):
    ref = quad(lambda k: bremsstrahlung_dcs(WATER, T, k), k_cut, T, epsabs=0, epsrel=1e-10, limit=400,
               points=[10 * k_cut])[0]
    assert bremsstrahlung_cross_section(WATER, T, k_cut) == pytest.approx(ref, rel=1e-6)


def test_restricted_and_cross_section_limits():
    T = np.array([0.1, 1.0])
    assert np.allclose(restricted_radiative_stopping_power(WATER, T, 10.0), radiative_stopping_power(WATER, T))
    assert np.all(bremsstrahlung_cross_section(WATER, T, 5.0) == 0.0)
    assert np.all(bremsstrahlung_dcs(WATER, 1.0, np.array([1.5, 3.0])) == 0.0)


@pytest.mark.parametrize("material", [WATER, AIR, LEAD])
def test_dcs_non_negative_and_finite(material):
    T = np.geomspace(1e-3, 50.0, 60)[:, None]
    k = T * np.geomspace(1e-4, 1.0, 200)[None, :]
    dcs = bremsstrahlung_dcs(material, T, k)
    assert dcs.shape == (60, 200)
    assert np.all(np.isfinite(dcs)) and np.all(dcs >= 0.0)
    assert np.all(dcs[:, :-1] > 0.0)  # strictly positive below the tip; finite at k = T (Elwert factor)


def test_radiative_stopping_power_finite_positive_and_rising_above_100_keV():
    T = np.geomspace(1e-3, 50.0, 200)
    s = radiative_stopping_power(WATER, T)
    assert np.all(np.isfinite(s)) and np.all(s > 0)
    assert np.all(np.diff(s[T > 0.1]) > 0)


def test_vectorised_grid_is_fast():
    T = np.geomspace(1e-3, 50.0, 200)
    start = time.perf_counter()
    radiative_stopping_power(WATER, T)
    restricted_radiative_stopping_power(WATER, T, 0.001)
    bremsstrahlung_cross_section(WATER, T, 0.001)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_bad_energy_raises(bad):
    with pytest.raises(InputError):
        radiative_stopping_power(WATER, bad)
    with pytest.raises(InputError):
        bremsstrahlung_dcs(WATER, 1.0, bad)


# --- Sommerfeld's exact non-relativistic Coulomb spectrum S(nu0, nu), nu = nu0 / sqrt(1 - kappa) ---

def _nu(nu0, kappa):
    return nu0 / np.sqrt(1.0 - kappa)


def _born(nu0, nu):
    return np.log((nu + nu0) / (nu - nu0))


@pytest.mark.parametrize("kappa", [0.01, 0.5, 0.99])
def test_sommerfeld_born_limit(kappa):
    # alpha Z / beta -> 0 at fixed beta / beta0: first Born approximation; corrections O(nu) ~ 1e-4
    nu0 = 1e-5
    assert brems._sommerfeld_spectrum(nu0, _nu(nu0, kappa)) == pytest.approx(_born(nu0, _nu(nu0, kappa)), rel=1e-3)


@pytest.mark.parametrize("kappa", [0.01, 0.5, 0.99, 1.0 - 1e-6])
def test_sommerfeld_elwert_limit(kappa):
    # nu0 -> 0 at any nu (up to the tip): Born x Elwert factor (Elwert 1939); corrections O(nu0) = 1e-3
    nu0 = 1e-3
    nu = _nu(nu0, kappa)
    assert brems._sommerfeld_spectrum(nu0, nu) == pytest.approx(brems._born_elwert(nu0, nu), rel=2e-3)


@pytest.mark.parametrize("nu0", [0.1, 1.0, 3.0])
def test_sommerfeld_soft_photon_limit_is_dbm_function(nu0):
    # k -> 0: S - S_Born -> -f(nu0), f = Re psi(1 + i nu0) + Euler gamma (the Davies-Bethe-Maximon function);
    # at kappa = 1e-6 the remainder is O(kappa ln kappa) < 1e-3
    f = float(mpmath.re(mpmath.digamma(1 + 1j * nu0)) + mpmath.euler)
    nu = _nu(nu0, 1e-6)
    assert brems._sommerfeld_spectrum(nu0, nu) - _born(nu0, nu) == pytest.approx(-f, abs=1e-3)


def test_sommerfeld_classical_limit():
    # nu0 >> 1: Kramers' classical spectrum S = pi/sqrt(3) (Gaunt factor 1), approached as nu0^(-2/3):
    # within 10 % at nu0 = 20 and closer than at nu0 = 5
    kramers = np.pi / np.sqrt(3.0)
    for kappa in (0.3, 0.9, 0.999):
        near = abs(brems._sommerfeld_spectrum(20.0, _nu(20.0, kappa)) / kramers - 1.0)
        far = abs(brems._sommerfeld_spectrum(5.0, _nu(5.0, kappa)) / kramers - 1.0)
        assert near < 0.10 and near < far


def test_sommerfeld_excess_spline_matches_direct_evaluation():
    # the tabulated D = S - Born x Elwert, at points between the nodes: within 0.3 % of S (60-point check
    # during development: largest 0.2 %)
    rng = np.random.default_rng(7)
    for nu0, kappa in zip(np.exp(rng.uniform(np.log(1e-3), np.log(20.0), 12)), rng.uniform(0.0, 1.0, 12)):
        nu = _nu(nu0, kappa)
        S = brems._sommerfeld_spectrum(nu0, nu)
        D = brems._sommerfeld_excess_spline().ev(np.log(nu0), kappa)
        assert D + brems._born_elwert(nu0, nu) == pytest.approx(S, rel=3e-3)


@pytest.mark.parametrize("q_lo, q_hi", [(1e-4, 1e-2), (5e-3, 2e-2), (1e-2, 0.5), (1e-6, 1e-5)])
def test_form_factor_screening_hydrogen(q_lo, q_hi):
    # hydrogen ground state: F(q) = 1 / (1 + (q a0 / 2)^2)^2 exactly (q in m c, a0 = 1/alpha in hbar/(m c));
    # xraylib's tabulated F and the trapezoid table agree with it to 1e-3
    a0 = 1.0 / brems.FINE_STRUCTURE
    F = lambda lnq: 1.0 / (1.0 + (np.exp(lnq) * a0 / 2.0) ** 2) ** 2  # noqa: E731
    ref = 2.0 * quad(lambda lnq: 1.0 - (1.0 - F(lnq)) ** 2, np.log(q_lo), np.log(q_hi), epsabs=0, epsrel=1e-10)[0]
    got = brems._ff_screening_log_reduction(1, (np.array(q_lo), np.array(q_hi)))
    assert got == pytest.approx(ref, rel=1e-3)
