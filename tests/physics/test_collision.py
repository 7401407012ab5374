"""Electron/positron collision physics (mcdose.physics.collision).

References:
- NIST ESTAR collision stopping powers (Berger, Coursey, Zucker, Chang; ICRU
  Report 37 method, Sternheimer density effect, no shell correction), the
  S_col rows of benchmarks/reference/nist_reference.csv plus further ESTAR water rows.
- Sternheimer, Berger & Seltzer, At. Data Nucl. Data Tables 30 (1984) 261
  (SBS84), Table 1: plasma energy, adjustment factor rho, the fit parameters
  -C, X0, X1, a, m and Delta_max, the stated upper bound of |fit - exact delta|.
- Analytic identities: restricted = unrestricted stopping power at the maximum
  cut; DCS integrals = total cross sections; restricted stopping power plus the
  energy-weighted DCS integral above the cut = unrestricted stopping power.
"""
import math
import time

import numpy as np
import pytest
from scipy.integrate import quad

from mcdose.errors import InputError
from mcdose.materials import Material
from mcdose.physics import collision as col
from mcdose.physics.constants import TWO_PI_RE2_MEC2_NA

WATER = Material("water", 1.0, (1, 8), (0.111894, 0.888106), 75.0, "NIST")
AIR = Material("air", 1.20479e-3, (6, 7, 8, 18), (0.000124, 0.755268, 0.231781, 0.012827), 85.7, "NIST")
ALUMINIUM = Material("aluminium", 2.699, (13,), (1.0,), 166.0, "NIST", conduction_electrons=3.0)
MATERIALS = {"water": WATER, "air": AIR}

# ESTAR collision stopping power, MeV cm2/g: (material, T MeV, S_col).
# The first ten rows are nist_reference.csv; the water rows at 0.02-15 MeV are further ESTAR rows.
ESTAR_S_COL = [
    ("water", 0.01, 22.56), ("water", 0.1, 4.115), ("water", 1.0, 1.849), ("water", 10.0, 1.968),
    ("water", 20.0, 2.046),
    ("air", 0.01, 19.75), ("air", 0.1, 3.633), ("air", 1.0, 1.661), ("air", 10.0, 1.979), ("air", 20.0, 2.134),
    ("water", 0.02, 13.17), ("water", 0.05, 6.603), ("water", 0.2, 2.793), ("water", 0.5, 2.034),
    ("water", 2.0, 1.824), ("water", 5.0, 1.892), ("water", 15.0, 2.014),
]

# SBS84 Table 1: h nu_p (eV), rho, -C, X0, X1, a, m, Delta_max.
SBS84 = {
    "water": (21.469, 2.203, 3.5017, 0.2400, 2.8004, 0.09116, 3.4773, 0.097),
    "air": (0.707, 2.054, 10.5961, 1.7418, 4.2759, 0.10914, 3.3994, 0.090),
}


def _x(T):
    """Sternheimer X = log10(beta gamma) for electrons of kinetic energy T (MeV)."""
    tau = np.asarray(T) / 0.51099895
    return np.log10(np.sqrt(tau * (tau + 2.0)))


def _sbs84_fit(T, p):
    """SBS84 three-part fit of delta for an insulator (delta = 0 below X0)."""
    _, _, mC, X0, X1, a, m, _ = p
    X = _x(T)
    return np.where(X < X0, 0.0, 4.6052 * X - mC + np.where(X < X1, a * np.abs(X1 - X) ** m, 0.0))


@pytest.mark.parametrize("name,T,ref", ESTAR_S_COL)
def test_collision_stopping_power_matches_estar(name, T, ref):
    # Required 0.5 %; the model is ESTAR's, so it does far better (measured <= 0.05 %).
    s = float(col.collision_stopping_power(MATERIALS[name], T))
    assert s == pytest.approx(ref, rel=5e-3)


def test_collision_stopping_power_estar_tight():
    # Same rows, 0.1 %: twice the 4-digit rounding of ESTAR (<= 0.03 %) plus the small
    # differences of atomic weights and binding energies (xraylib vs Carlson 1975).
    for name, T, ref in ESTAR_S_COL:
        s = float(col.collision_stopping_power(MATERIALS[name], T))
        assert abs(s / ref - 1) < 1e-3, (name, T, s, ref)


@pytest.mark.parametrize("name", ["water", "air"])
def test_plasma_energy_and_rho_vs_sbs84(name):
    p = SBS84[name]
    # Plasma energy depends only on density and <Z/A>: 0.1 % (SBS84 prints 4-5 digits).
    assert col.plasma_energy_eV(MATERIALS[name]) == pytest.approx(p[0], rel=1e-3)
    # rho compensates for the binding energies used (xraylib edges floored at the ionization
    # energy here, Carlson's free-atom values in SBS84): agree to 5 %.
    assert col.sternheimer_rho(MATERIALS[name]) == pytest.approx(p[1], rel=5e-2)


@pytest.mark.parametrize("name", ["water", "air"])
def test_density_effect_vs_sbs84_fit(name):
    # SBS84's fit departs from their exact delta by up to Delta_max (absolute); this model
    # departs from theirs through the binding energies by <= 0.02 (it reproduces the delta implied
    # by ESTAR's water stopping powers at 1-20 MeV to 0.01). Tolerance: Delta_max + 0.02.
    p = SBS84[name]
    T = np.geomspace(1.0, 50.0, 200)
    assert np.max(np.abs(col.density_effect(MATERIALS[name], T) - _sbs84_fit(T, p))) < p[7] + 0.02


@pytest.mark.parametrize("name", ["water", "air"])
def test_density_effect_high_energy_limit(name):
    # Far above X1 both the model and the fit tend to 2 ln(beta gamma) + 2 ln(h nu_p / I) - 1,
    # i.e. 4.6052 X - C with -C = 2 ln(I / h nu_p) + 1 (SBS84 eq. 9): 0.01 (rounding of -C).
    mat, p = MATERIALS[name], SBS84[name]
    T = np.array([1e4, 1e5])
    assert np.allclose(col.density_effect(mat, T), _sbs84_fit(T, p), atol=0.01)
    T = np.array([1e6, 1e7])  # corrections O(nubar^2 / (beta gamma)^2) < 1e-4 here
    limit = 2 * np.log(10) * _x(T) + 2 * np.log(col.plasma_energy_eV(mat) / mat.I_eV) - 1
    assert np.allclose(col.density_effect(mat, T), limit, atol=1e-4)


def test_density_effect_insulator_and_conductor_at_low_energy():
    # Insulator: no density effect below the threshold (SBS84 eq. 2 has no root).
    assert np.all(col.density_effect(WATER, [0.01, 0.1, 0.3]) == 0.0)
    # Conductor: delta > 0 at all energies and increasing (the zero-frequency oscillator always
    # gives eq. 2 a root).
    d = col.density_effect(ALUMINIUM, np.geomspace(1e-3, 50.0, 100))
    assert np.all(d > 0) and np.all(np.diff(d) > 0)


def test_density_effect_conductor_vs_sbs84_fit():
    # Aluminium, 3 conduction electrons (SBS84 Table 1: -C 4.2395, X0 0.1708, X1 3.0127,
    # a 0.08024, m 3.6345, delta0 0.12, Delta_max 0.061); tolerance Delta_max + 0.02 as for water.
    mC, X0, X1, a, m, d0, dmax = 4.2395, 0.1708, 3.0127, 0.08024, 3.6345, 0.12, 0.061
    T = np.geomspace(0.01, 50.0, 200)
    X = _x(T)
    fit = np.where(X < X0, d0 * 10 ** (2 * (X - X0)), 4.6052 * X - mC + np.where(X < X1, a * (X1 - X) ** m, 0))
    assert np.max(np.abs(col.density_effect(ALUMINIUM, T) - fit)) < dmax + 0.02


@pytest.mark.parametrize("Z", sorted(col._SBS84_ELEMENTS))
def test_sbs84_element_parameters_are_consistent(Z):
    """Transcription check of the SBS84 rows: -C = 2 ln(I / h nu_p) + 1 (SBS84 eq. 9, with this module's plasma
    energy; 0.002 for the printed digits), and the fit is continuous at X0, where it must equal delta0 (0.01:
    delta0 is printed with two decimals)."""
    I_eV, density, minus_c, x0, x1, a, m, delta0 = col._SBS84_ELEMENTS[Z]
    metal = Material(f"z{Z}", density, (Z,), (1.0,), I_eV, "SBS84")
    assert minus_c == pytest.approx(2 * np.log(I_eV / col.plasma_energy_eV(metal)) + 1, abs=2e-3)
    assert 4.6052 * x0 - minus_c + a * (x1 - x0) ** m == pytest.approx(delta0, abs=0.01)
    assert col.sbs84_parameters(metal) == (minus_c, x0, x1, a, m, delta0)


def test_sbs84_parameters_only_at_their_density_and_i_value():
    """Compressed copper or another I-value falls back to the general method (the fit holds for one density)."""
    copper = Material("cu", 8.96, (29,), (1.0,), 322.0, "NIST", conduction_electrons=1.0)
    assert col.sbs84_parameters(copper) is not None
    assert col.sbs84_parameters(Material("cu", 4.48, (29,), (1.0,), 322.0, "NIST", conduction_electrons=1.0)) is None
    assert col.sbs84_parameters(Material("cu", 8.96, (29,), (1.0,), 330.0, "NIST", conduction_electrons=1.0)) is None
    T = np.array([0.5, 5.0])
    general = col.density_effect(Material("cu", 8.96 * 1.02, (29,), (1.0,), 322.0, "NIST", conduction_electrons=1.0), T)
    # the two routes agree to the size of the discrepancy they fix (< 0.1) at 2 % density difference
    assert np.all(np.abs(col.density_effect(copper, T) - general) < 0.15)


@pytest.mark.parametrize("positron", [False, True])
def test_restricted_equals_unrestricted_at_maximum_cut(positron):
    T = np.geomspace(1e-3, 50.0, 60)
    full = col.collision_stopping_power(WATER, T, positron)
    top = 1.0 if positron else 0.5
    for factor in (top, top * 1.7, 10.0):
        restricted = col.restricted_collision_stopping_power(WATER, T, factor * T, positron)
        np.testing.assert_allclose(restricted, full, rtol=1e-12)
    assert np.all(col.restricted_collision_stopping_power(WATER, T, 0.2 * T, positron) < full)


ENERGIES = [0.05, 0.5, 3.0, 20.0]
CUT = 0.01


def _quad(f, a, b):
    value, _ = quad(f, a, b, epsabs=0.0, epsrel=1e-12, limit=200)
    return value


@pytest.mark.parametrize("T", ENERGIES)
def test_moller_total_is_integral_of_dcs(T):
    numeric = _quad(lambda W: float(col.moller_dcs(T, W)), CUT, T / 2)
    total = float(col.moller_cross_section(WATER, T, CUT)) / WATER.electrons_per_gram
    assert total == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize("T", ENERGIES)
def test_bhabha_total_is_integral_of_dcs(T):
    numeric = _quad(lambda W: float(col.bhabha_dcs(T, W)), CUT, T)
    total = float(col.bhabha_cross_section(WATER, T, CUT)) / WATER.electrons_per_gram
    assert total == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize("positron", [False, True])
@pytest.mark.parametrize("T", ENERGIES)
def test_energy_conservation_restricted_plus_discrete(T, positron):
    """Class II bookkeeping: continuous loss below the cut + mean discrete loss above = total."""
    dcs, w_max = (col.bhabha_dcs, T) if positron else (col.moller_dcs, T / 2)
    discrete = WATER.electrons_per_gram * _quad(lambda W: W * float(dcs(T, W)), CUT, w_max)
    restricted = float(col.restricted_collision_stopping_power(WATER, T, CUT, positron))
    full = float(col.collision_stopping_power(WATER, T, positron))
    assert restricted + discrete == pytest.approx(full, rel=1e-6)


def test_cross_sections_vanish_below_threshold():
    assert col.moller_cross_section(WATER, 0.02, CUT) == 0.0
    assert col.moller_cross_section(WATER, 0.0201, CUT) > 0.0
    assert col.bhabha_cross_section(WATER, 0.01, CUT) == 0.0
    assert col.bhabha_cross_section(WATER, 0.0101, CUT) > 0.0
    assert col.moller_dcs(1.0, 0.6) == 0.0 and col.bhabha_dcs(1.0, 1.2) == 0.0


def test_dcs_limits():
    # Small W: both reduce to free-electron Rutherford 2 pi r_e^2 mc^2 / (beta^2 W^2), per electron.
    T, W = 2.0, 1e-6
    tau = T / 0.51099895
    beta2 = tau * (tau + 2) / (tau + 1) ** 2
    rutherford = TWO_PI_RE2_MEC2_NA / 6.02214076e23 / (beta2 * W**2)
    assert float(col.moller_dcs(T, W)) == pytest.approx(rutherford, rel=1e-5)
    assert float(col.bhabha_dcs(T, W)) == pytest.approx(rutherford, rel=1e-5)
    # Ultra-relativistic Bhabha: (1/W^2)(1 - e + e^2)^2 with e = W/T.
    T, e = 1e5, 0.3
    ur = TWO_PI_RE2_MEC2_NA / 6.02214076e23 / (e * T) ** 2 * (1 - e + e * e) ** 2
    assert float(col.bhabha_dcs(T, e * T)) == pytest.approx(ur, rel=1e-4)


def test_positron_stopping_power_nonrelativistic_limit():
    # tau -> 0: F+ -> 2 ln 2 and F- -> 1 - ln 2 (up to O(beta^2)), so S+ - S- -> (3 ln 2 - 1) K <Z/A> / beta^2;
    # at 1 keV (beta^2 = 0.004) the O(beta^2) terms are < 1 %.
    T = 1e-3
    tau = T / 0.51099895
    beta2 = tau * (tau + 2) / (tau + 1) ** 2
    diff = col.collision_stopping_power(WATER, T, True) - col.collision_stopping_power(WATER, T, False)
    assert float(diff) == pytest.approx((3 * math.log(2) - 1) * TWO_PI_RE2_MEC2_NA * WATER.z_over_a / beta2, rel=1e-2)


def test_array_shapes_and_bad_input():
    T = np.geomspace(0.01, 10, 12).reshape(3, 4)
    assert col.collision_stopping_power(WATER, T).shape == (3, 4)
    assert col.density_effect(WATER, T).shape == (3, 4)
    assert col.restricted_collision_stopping_power(WATER, T, 0.01, True).shape == (3, 4)
    assert np.ndim(col.collision_stopping_power(WATER, 1.0)) == 0
    with pytest.raises(InputError):
        col.collision_stopping_power(WATER, 0.0)
    with pytest.raises(InputError):
        col.restricted_collision_stopping_power(WATER, 1.0, -0.01)


def test_speed_300_points():
    T = np.geomspace(1e-3, 20.0, 300)
    col._sternheimer_model.cache_clear()
    t0 = time.perf_counter()
    col.collision_stopping_power(WATER, T)
    col.collision_stopping_power(WATER, T, positron=True)
    col.restricted_collision_stopping_power(WATER, T, 0.01)
    col.moller_cross_section(WATER, T, 0.01)
    assert time.perf_counter() - t0 < 0.5
