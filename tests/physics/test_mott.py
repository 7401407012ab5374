"""Mott-to-Rutherford ratios (mcdose.physics.mott) against analytic limits and a published fit."""
import csv
import io
import math

import numpy as np
import pytest

from mcdose.bench import reference_text
from mcdose.errors import InputError
from mcdose.physics.constants import ELECTRON_MASS_MEV, FINE_STRUCTURE
from mcdose.physics.mott import THETA_SERIES, mott_ratio, small_angle_slope

ANGLES = np.radians(np.arange(10.0, 181.0, 10.0))


def _beta(T):
    gamma = 1.0 + T / ELECTRON_MASS_MEV
    return math.sqrt(1.0 - 1.0 / gamma**2)


def _mckinley_feshbach(Z, T, theta, sign=1.0):
    """First order in alpha Z (McKinley & Feshbach, Phys. Rev. 74 (1948) 1759); sign -1 for positrons."""
    b, v = _beta(T), np.sin(theta / 2.0)
    return 1.0 - b * b * v * v + sign * math.pi * FINE_STRUCTURE * Z * b * v * (1.0 - v)


@pytest.mark.parametrize("Z", [1, 2, 6, 13])
@pytest.mark.parametrize("T", [0.02, 0.1, 1.0, 10.0])
@pytest.mark.parametrize("positron", [False, True])
def test_low_z_ratio_is_mckinley_feshbach_to_first_order(Z, T, positron):
    """The exact series agrees with the first-order formula within the next Born order, alpha Z y =
    (alpha Z)^2 / beta (allowance twice that; observed up to 1.6 (alpha Z)^2 at 0.1 MeV, 2.2 at 0.02 MeV)."""
    theta = np.radians(np.arange(2.0, 180.1, 4.0))
    exact = mott_ratio(Z, T, theta, positron=positron)
    first_order = _mckinley_feshbach(Z, T, theta, -1.0 if positron else 1.0)
    assert np.max(np.abs(exact - first_order)) <= 2.0 * (FINE_STRUCTURE * Z) ** 2 / _beta(T)


def _fit(Z, beta, theta):
    rows = [r for r in csv.reader(io.StringIO(reference_text("mott_ratio_fit.csv"))) if r and not r[0].startswith("#")]
    b = np.array([[float(x) for x in r[2:]] for r in rows[1:] if int(r[0]) == Z])
    a = b @ (beta - 0.7181228) ** np.arange(6)
    x = np.sqrt(1.0 - np.cos(theta))
    return sum(a[j] * x**j for j in range(5))


@pytest.mark.parametrize("Z, allowance", [(13, 0.002), (29, 0.005), (79, 0.04), (82, 0.04)])
@pytest.mark.parametrize("T", [0.02, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
def test_ratio_matches_the_published_fit(Z, T, allowance):
    """Against the Lijian/Boschini fit to exact Mott cross sections (benchmarks/reference/mott_ratio_fit.csv).

    The allowance is the fit's own residual scale (a 30-coefficient polynomial in sqrt(1 - cos theta)
    and beta): absolute, since R -> 0 at 180 degrees for light elements at high energy."""
    assert np.max(np.abs(mott_ratio(Z, T, ANGLES) - _fit(Z, _beta(T), ANGLES))) <= allowance


def test_heavy_element_ratio_has_the_known_shape():
    """Gold at 1 MeV: above Rutherford from small angles, peaking near 1.9 around 80 degrees, and
    below 1 - beta^2-free Rutherford only beyond ~130 degrees (the classic Mott curve)."""
    r = mott_ratio(79, 1.0, ANGLES)
    assert np.all(r[:12] > 1.0)
    assert 70.0 <= np.degrees(ANGLES[np.argmax(r)]) <= 90.0
    assert 1.85 <= r.max() <= 1.95


def test_small_angle_limit_and_join():
    """R -> 1 at theta -> 0 with the Bartlett-Watson slope, -> pi alpha Z beta as alpha Z -> 0; the
    small-angle form joins the series at THETA_SERIES without a step."""
    for Z, T in [(82, 1.0), (8, 10.0), (29, 0.05)]:
        v = 1e-4
        r = mott_ratio(Z, T, np.array([2.0 * math.asin(v)]))[0]
        assert r - 1.0 == pytest.approx(small_angle_slope(Z, T) * v, rel=1e-2)
        near = mott_ratio(Z, T, np.array([THETA_SERIES * (1 - 1e-6), THETA_SERIES]))
        assert abs(near[0] - near[1]) < 1e-5
    assert small_angle_slope(1, 1.0) == pytest.approx(math.pi * FINE_STRUCTURE * _beta(1.0), rel=1e-3)
    assert small_angle_slope(1, 1.0, positron=True) == pytest.approx(-small_angle_slope(1, 1.0))


def test_bad_input_is_named():
    with pytest.raises(InputError, match="Z"):
        mott_ratio(0, 1.0, ANGLES)
    with pytest.raises(InputError, match="T"):
        mott_ratio(29, -1.0, ANGLES)
    with pytest.raises(InputError, match="theta"):
        mott_ratio(29, 1.0, np.array([4.0]))
