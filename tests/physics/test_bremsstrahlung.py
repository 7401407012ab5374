"""Bremsstrahlung data vs NIST ESTAR and internal consistency.

References: radiative stopping powers from NIST ESTAR (Seltzer-Berger cross sections), copied from
/work/shared/refs/nist_reference.csv (water: liquid, I = 75 eV; air: dry, near sea level); the Cf row from
the ESTAR element table for californium (Z = 98). Units: MeV, cm^2/g.
"""
import time

import numpy as np
import pytest
from scipy.integrate import quad

from mcdose.errors import InputError
from mcdose.materials import Material
from mcdose.physics.bremsstrahlung import (bremsstrahlung_cross_section, bremsstrahlung_dcs,
                                           radiative_stopping_power, restricted_radiative_stopping_power)

WATER = Material("water", 1.0, (1, 8), (0.111894, 0.888106), 75.0, "NIST")
AIR = Material("air", 1.20479e-3, (6, 7, 8, 18), (0.000124, 0.755268, 0.231781, 0.012827), 85.7, "NIST")
LEAD = Material("lead", 11.35, (82,), (1.0,), 823.0, "NIST")
CALIFORNIUM = Material("californium", 10.0, (98,), (1.0,), 966.0, "NIST")

# The project's target: ESTAR S_rad within 5 % (ESTAR's own stated uncertainty is 5-10 % below 2 MeV).
S_RAD_TOL = 0.05
_KNOWN_MISS = "Born-Elwert with screening: +6 % for water at 10 keV (model limit, see module docstring)"
NIST_S_RAD = [
    pytest.param(WATER, 0.01, 3.898e-3, marks=pytest.mark.xfail(strict=True, reason=_KNOWN_MISS)),
    (WATER, 0.1, 4.228e-3), (WATER, 1.0, 1.280e-2), (WATER, 10.0, 0.1814), (WATER, 20.0, 0.4086),
    (AIR, 1.0, 1.271e-2), (AIR, 10.0, 0.1795),
    (CALIFORNIUM, 1000.0, 172.2),
    pytest.param(CALIFORNIUM, 0.01, 2.175e-2, marks=pytest.mark.xfail(
        strict=True, reason="Elwert factor fails for high Z at low energy: about +97 % for Z = 98 at 10 keV")),
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
