"""Depth-dose and profile metrics on analytic curves with known answers.

Tolerance 0.1 mm (1e-3 cm) for positions, as required for the metrics; the constructed curves are piecewise
parabola/linear (PDD) so fits and interpolations are exact there, and the erf profiles are sampled at
0.1 cm where the linear-interpolation error bound (h^2/8)|f''/f'| is <= 0.05 mm at the 90/10 % points.
"""
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import erf
from scipy.stats import norm

from mcdose.analysis import pdd_metrics, profile_metrics
from mcdose.errors import InputError

TOL_CM = 0.01  # 0.1 mm

# Constructed electron PDD: parabola D = 1 - C (z - ZM)^2 up to ZA, then a line of slope -S until it meets
# the bremsstrahlung tail T(z) = T0 + T1 z.
ZM, D0_SURF, ZA, S, T0, T1 = 1.234, 0.8, 1.8, 0.5, 0.02, -0.002
C = (1 - D0_SURF) / ZM**2
DA = 1 - C * (ZA - ZM) ** 2
RP = (DA + S * ZA - T0) / (S + T1)  # fall-off line meets the tail


def _pdd(z):
    fall = DA - S * (z - ZA)
    return np.where(z <= ZA, 1 - C * (z - ZM) ** 2, np.maximum(fall, T0 + T1 * z))


def _depths():
    return np.arange(0.025, 6.0, 0.05)  # bin centres of 0.05 cm bins


def _r(level):
    return ZA + (DA - level) / S


def test_pdd_metrics_analytic():
    z = _depths()
    m = pdd_metrics(z, _pdd(z))
    assert m.dmax_cm.value == pytest.approx(ZM, abs=TOL_CM)
    assert m.r100_cm == m.dmax_cm
    assert m.d_max.value == pytest.approx(1.0, abs=1e-6)
    for got, level in ((m.r90_cm, 0.9), (m.r80_cm, 0.8), (m.r50_cm, 0.5)):
        assert got.value == pytest.approx(_r(level), abs=TOL_CM)
    assert m.rp_cm.value == pytest.approx(RP, abs=TOL_CM)
    # Ds: linear interpolation of the parabola between 0.025 and 0.075 cm errs by C*0.025^2 = 8e-5.
    assert m.ds.value == pytest.approx(1 - C * (0.05 - ZM) ** 2, abs=2e-4)
    assert m.dx.value == pytest.approx(T0 + T1 * RP, abs=1e-6)
    assert np.isnan(m.rp_cm.sigma)


def test_dmax_parabola_vertex_off_grid_and_scaled():
    z = np.linspace(0.0, 4.0, 81)  # 0.05 cm grid, vertex 2.0137 off-grid
    dose = 3.7 * np.maximum(1 - 0.3 * (z - 2.0137) ** 2, 0.0)
    m = pdd_metrics(z, dose)
    assert m.dmax_cm.value == pytest.approx(2.0137, abs=TOL_CM)
    assert m.d_max.value == pytest.approx(3.7, rel=1e-9)
    assert m.r50_cm.value == pytest.approx(2.0137 + np.sqrt(0.5 / 0.3), abs=TOL_CM)


def test_pdd_uncertainty_matches_noisy_realisations():
    # Smooth curve with a unique steepest point (the exactly linear fall-off above has none), 0.05 cm bins,
    # 0.5 % + 5e-4 noise, the regime where first-order propagation holds (see the module's limitations).
    z = _depths()
    dose = (1 - 0.25 * np.exp(-z / 0.5)) * norm.cdf((2.7 - z) / 0.45) + 0.02 - 0.002 * z
    sigma = 0.005 * dose + 0.0005
    m = pdd_metrics(z, dose, sigma)
    rng = np.random.default_rng(20261122)
    runs = np.array([[e.value for e in _fields(pdd_metrics(z, dose + rng.normal(0, sigma)))]
                     for _ in range(200)])
    spread = runs.std(axis=0, ddof=1)
    # 200 realisations: standard error of a standard deviation ~5 %; 20 % is the required agreement.
    for name, pred, obs in zip(_NAMES, (e.sigma for e in _fields(m)), spread):
        assert pred == pytest.approx(obs, rel=0.2), name


_NAMES = ("dmax_cm", "d_max", "r90_cm", "r80_cm", "r50_cm", "rp_cm", "ds", "dx")


def _fields(m):
    return [getattr(m, n) for n in _NAMES]


@pytest.mark.parametrize("depth, dose, match", [
    ([0, 1, 2, 3], [1, 2, 1, 0], "at least 5"),
    ([0, 1, 2, 3, 4], [1, 2, 1, 0], "equal length"),
    ([0, 1, 1, 3, 4], [1, 2, 1, 0.2, 0.1], "increasing"),
    ([0, 1, 2, 3, 4], [1, 2, np.nan, 0.2, 0.1], "finite"),
    ([0, 1, 2, 3, 4, 5, 6], [1, 2, 1.8, 1.6, 1.5, 1.4, 1.3], "below"),
])
def test_pdd_bad_input(depth, dose, match):
    with pytest.raises(InputError, match=match):
        pdd_metrics(depth, dose)


def test_pdd_bad_uncertainty():
    z = _depths()
    with pytest.raises(InputError, match="uncertainty"):
        pdd_metrics(z, _pdd(z), -np.ones_like(z))


# Flat field of half-width A with erf penumbrae of Gaussian sigma SIG.
A, SIG = 5.0, 0.3


def _field(x, tilt=0.0):
    edge = 0.5 * (erf((x + A) / (SIG * np.sqrt(2))) - erf((x - A) / (SIG * np.sqrt(2))))
    return (1 + tilt * x) * edge


def _positions():
    return np.arange(-8.03, 8.0, 0.1)  # grid offset so no point sits on an edge


def test_profile_flat_erf_field():
    x = _positions()
    m = profile_metrics(x, 2.5 * _field(x))
    # The opposite edge changes the 50 % point by Phi(-2A/SIG) ~ 1e-60: negligible.
    assert m.left_50_cm.value == pytest.approx(-A, abs=TOL_CM)
    assert m.right_50_cm.value == pytest.approx(A, abs=TOL_CM)
    assert m.field_size_cm.value == pytest.approx(2 * A, abs=TOL_CM)
    w80 = (norm.ppf(0.8) - norm.ppf(0.2)) * SIG
    w90 = (norm.ppf(0.9) - norm.ppf(0.1)) * SIG
    for got in (m.penumbra_80_20_left_cm, m.penumbra_80_20_right_cm):
        assert got.value == pytest.approx(w80, abs=TOL_CM)
    for got in (m.penumbra_90_10_left_cm, m.penumbra_90_10_right_cm):
        assert got.value == pytest.approx(w90, abs=TOL_CM)
    # Off-centre grid: interpolation error (h^2/8)|D''| <= 7e-5 at |x| = 4 cm, hence 0.01 % on the ratio.
    assert m.symmetry_pct.value == pytest.approx(100.0, abs=0.01)
    # Over |x| <= 4 cm the field is flat to 1 - Phi(-1/SIG) = 1 - 4.3e-4.
    expected_flat = 100 * norm.cdf(-1 / SIG) / (2 - norm.cdf(-1 / SIG))
    # Same interpolation bound 7e-5 at the region boundary -> 100 * 7e-5 / 2 = 0.0035 % on the flatness.
    assert m.flatness_pct.value == pytest.approx(expected_flat, abs=0.005)
    assert "IEC 60976" in m.flatness_definition
    assert m.d0.value == pytest.approx(2.5, rel=1e-9)   # the central parabola is exact on the flat top
    assert m.centre_cm.value == pytest.approx(0.0, abs=TOL_CM)
    assert m.withheld == {} and m.warnings == () and m.uncertainty_method == "none"


def test_profile_tilted_field():
    tilt = 0.01  # 1 %/cm
    x = _positions()
    m = profile_metrics(x, _field(x, tilt))
    left = brentq(lambda v: _field(v, tilt) - 0.5, -A - 1, -A + 1)
    right = brentq(lambda v: _field(v, tilt) - 0.5, A - 1, A + 1)
    assert m.left_50_cm.value == pytest.approx(left, abs=TOL_CM)
    assert m.right_50_cm.value == pytest.approx(right, abs=TOL_CM)
    h = 0.4 * (right - left)
    u = np.linspace(0, h, 20001)
    dp, dm = _field(u, tilt), _field(-u, tilt)
    expected_sym = 100 * max((dp / dm).max(), (dm / dp).max())  # ~ 100 (1 + 0.04)/(1 - 0.04)
    expected_flat = 100 * (max(dp.max(), dm.max()) - min(dp.min(), dm.min())) / (
        max(dp.max(), dm.max()) + min(dp.min(), dm.min()))
    assert m.symmetry_pct.value == pytest.approx(expected_sym, abs=0.01)
    assert m.flatness_pct.value == pytest.approx(expected_flat, abs=0.01)
    assert m.symmetry_pct.value > 108.0


@pytest.mark.parametrize("x, d, at, match", [
    (np.arange(7.0), np.ones(6), 3.0, "equal length"),
    (np.arange(7.0), np.ones(7), 9.0, "normalise_at"),
    (np.arange(4.0), np.ones(4), 1.0, "at least 5"),
])
def test_profile_bad_input(x, d, at, match):
    with pytest.raises(InputError, match=match):
        profile_metrics(x, d, normalise_at=at)


def test_profile_without_edges_withholds_all_but_d0():
    m = profile_metrics(np.arange(7.0), np.ones(7), normalise_at=3.0)
    assert m.d0.value == pytest.approx(1.0)
    assert m.field_size_cm is None and "does not cross 50 % on the left or 50 % on the right" in \
        m.withheld["field_size_cm"]
    assert "needs the field size" in m.withheld["flatness_pct"]


def test_a_profile_below_a_level_at_the_axis_has_no_edge_at_that_level():
    """A dip on the axis below 90 % of the field's fitted level: the 90-10 penumbrae are withheld with the reason
    (an interpolation between two bins both below the level would give a number that means nothing)."""
    x = np.arange(-40, 41) * 0.2
    d = np.where(np.abs(x) < 5.0, 1.0, 0.02)
    d[np.abs(x) < 0.5] = 0.8
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # no division by the zero difference of two bins below the level
        m = profile_metrics(x, d)
    assert m.penumbra_90_10_left_cm is None and m.penumbra_90_10_right_cm is None
    assert "does not cross 90 % on the left of d0 going out from the axis" in m.withheld["penumbra_90_10_left_cm"]
    assert m.field_size_cm.value == pytest.approx(10.0, abs=0.2)
