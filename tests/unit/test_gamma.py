"""Gamma index on cases with analytic answers.

Linear ramp D = a x, evaluated shifted by d: gamma^2 = min_u u^2/DTA^2 + a^2 (u - d)^2 / dD^2, so
gamma = a d / sqrt(dD^2 + a^2 DTA^2) at u* = d a^2 DTA^2 / (dD^2 + a^2 DTA^2) (-> d / DTA for steep ramps).
When u* lies on the offset lattice (step DTA/10) the search is exact (tolerance 1e-9, rounding only);
otherwise the module's bound gamma^2 <= gamma_true^2 + s^2 (1/DTA^2 + a^2/dD^2), s = half a lattice diagonal.
"""
import numpy as np
import pytest
from scipy.special import erf

from mcdose.analysis.gamma import gamma_index, parse_criteria
from mcdose.errors import InputError

EXACT = 1e-9


def _ramp_gamma(a, d, dd, dta):
    return a * d / np.sqrt(dd**2 + (a * dta) ** 2)


def test_identical_curves_gamma_zero():
    x = np.linspace(0, 10, 201)
    d = np.exp(-((x - 5) ** 2))
    res = gamma_index(x, d, x, d)
    ok = np.isfinite(res.gamma)
    assert np.all(res.gamma[ok] == 0.0) and res.pass_rate_pct == 100.0
    assert res.evaluated == int((d >= 0.1).sum())  # 10 % low-dose threshold


@pytest.mark.parametrize("eval_step", [0.01, 0.25])  # evaluated grid finer and much coarser than the DTA
def test_shifted_ramp_on_lattice_exact(eval_step):
    a, dta, d = 0.1, 0.2, 0.04            # a*DTA = dD = 2 % of 1.0 -> u* = d/2 = 0.02 cm, a lattice point
    x = np.arange(0.0, 10.0001, 0.1)
    xe = np.arange(-1.0, 11.0001, eval_step)
    res = gamma_index(x, a * x, xe, a * (xe - d), 2.0, dta, normalisation_dose=1.0)
    expected = _ramp_gamma(a, d, 0.02, dta)
    assert expected == pytest.approx(d / (dta * np.sqrt(2)))
    np.testing.assert_allclose(res.gamma[np.isfinite(res.gamma)], expected, atol=EXACT)


def test_shifted_steep_ramp_tends_to_d_over_dta():
    a, dta, d = 0.5, 0.2, 0.1             # a*DTA = 5 dD: gamma_true = 0.4903 (d/DTA = 0.5)
    x = np.arange(0.0, 2.0001, 0.05)
    res = gamma_index(x, a * x, x, a * (x - d), 2.0, dta, normalisation_dose=1.0, threshold_pct=0)
    true = _ramp_gamma(a, d, 0.02, dta)
    inner = (x > 0.3) & (x < 1.7)         # away from the grid ends, where the optimum offset stays inside
    g = res.gamma[inner]
    bound = np.sqrt(true**2 + (dta / 20) ** 2 * (1 / dta**2 + a**2 / 0.02**2))
    assert np.all(g >= true - EXACT) and np.all(g <= bound + EXACT)
    assert true == pytest.approx(d / dta, rel=0.02)


def test_scaled_curve_gamma_is_dose_difference_over_criterion():
    x = np.arange(-6.0, 6.0001, 0.1)
    ref = 0.5 * (np.tanh((x + 4) / 0.3) - np.tanh((x - 4) / 0.3))
    res = gamma_index(x, ref, x, 1.01 * ref, 2.0, 0.2)      # 1 % everywhere against 2 % global
    plateau = np.abs(x) < 1.5   # within 0.6 cm (search radius) the dose is flat to 2 exp(-2 1.9/0.3) = 4e-6
    np.testing.assert_allclose(res.gamma[plateau], 0.5, atol=1e-5)
    assert np.nanmax(res.gamma) <= 0.5 + 1e-5 and res.pass_rate_pct == 100.0


def test_local_versus_global():
    x = np.arange(0.0, 20.0001, 0.1)
    ref = np.where(x < 10, 1.0, 0.5)
    res_g = gamma_index(x, ref, x, 1.01 * ref, 2.0, 0.2)
    res_l = gamma_index(x, ref, x, 1.01 * ref, 2.0, 0.2, local=True)
    far = np.abs(x - 10) > 1
    np.testing.assert_allclose(res_l.gamma[far], 0.5, atol=EXACT)
    np.testing.assert_allclose(res_g.gamma[far & (x < 10)], 0.5, atol=EXACT)
    np.testing.assert_allclose(res_g.gamma[far & (x > 10)], 0.25, atol=EXACT)
    assert "local" in res_l.criteria and "global" in res_g.criteria


def test_constructed_pass_rate_and_threshold():
    # Flat reference 1.0; evaluated 1 + e(x), e = 0.0002 + 0.004 x (a ramp of slope s = 0.004 /cm):
    # gamma = e / sqrt(dD^2 + s^2 DTA^2) = e / 0.020016, so x <= 4.954 cm passes: 50 of the 101 points.
    x = np.arange(0.0, 10.0001, 0.1)
    res = gamma_index(x, np.ones_like(x), x, 1 + 0.0002 + 0.004 * x, 2.0, 0.2)
    assert (res.evaluated, res.passed) == (101, 50)
    assert res.pass_rate_pct == pytest.approx(100 * 50 / 101)
    # Reference points below 10 % of the maximum are left out (NaN), whatever the evaluated dose there.
    ref = np.where(x < 7.95, 1.0, 0.05)
    res = gamma_index(x, ref, x, 3 * ref, 2.0, 0.2)
    assert res.evaluated == 80 and np.all(np.isnan(res.gamma[x > 8]))


def test_2d_shifted_planar_ramp_exact():
    a, dta, d = 0.1, 0.2, 0.04
    x = np.arange(0.0, 5.0001, 0.1)
    y = np.arange(-1.0, 1.0001, 0.1)
    xe = np.arange(-1.0, 6.0001, 0.05)
    ref = a * x[:, None] + 0 * y[None, :]
    ev = a * (xe[:, None] - d) + 0 * y[None, :]
    res = gamma_index((x, y), ref, (xe, y), ev, 2.0, dta, normalisation_dose=1.0, threshold_pct=0)
    inner = np.isfinite(res.gamma)
    assert inner.sum() == ref.size
    np.testing.assert_allclose(res.gamma[inner], _ramp_gamma(a, d, 0.02, dta), atol=EXACT)


def test_3d_identical_and_shift_along_z():
    ax = np.arange(-0.5, 0.5001, 0.1)
    z = np.arange(0.0, 3.0001, 0.1)
    X, Y, Z = np.meshgrid(ax, ax, z, indexing="ij")
    ref = 1 - 0.3 * Z - 0.01 * (X**2 + Y**2)
    res = gamma_index((ax, ax, z), ref, (ax, ax, z), ref)
    assert res.pass_rate_pct == 100.0 and np.nanmax(res.gamma) == 0.0
    a, dta, d = 0.1, 0.2, 0.04             # planar ramp along z, exact lattice optimum as in 1-D
    ze = np.arange(-1.0, 4.0001, 0.1)
    ramp = a * Z
    ev = np.broadcast_to(a * (ze - d), (ax.size, ax.size, ze.size))
    res = gamma_index((ax, ax, z), ramp, (ax, ax, ze), ev, 2.0, dta, normalisation_dose=1.0, threshold_pct=0)
    np.testing.assert_allclose(res.gamma, _ramp_gamma(a, d, 0.02, dta), atol=EXACT)


def test_search_radius_caps_work_but_not_pass_fail():
    x = np.arange(0.0, 10.0001, 0.1)
    res = gamma_index(x, np.ones_like(x), x, np.full_like(x, 1.2), 2.0, 0.2, search_radius_cm=0.2)
    assert res.passed == 0 and np.all(res.gamma >= 1.0)


@pytest.mark.parametrize("text, expected", [("2%/2mm", (2.0, 0.2)), ("3%/0.3cm", (3.0, 0.3)),
                                            (" 1.5% / 1 MM ", (1.5, 0.1))])
def test_parse_criteria(text, expected):
    assert parse_criteria(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["2/2mm", "2%", "2%/2in", "0%/2mm", "x%/2mm"])
def test_parse_criteria_bad(text):
    with pytest.raises(InputError, match="gamma criteria"):
        parse_criteria(text)


def test_bad_shapes():
    x = np.arange(5.0)
    with pytest.raises(InputError, match="does not match"):
        gamma_index(x, np.ones(4), x, np.ones(5))
    with pytest.raises(InputError, match="1-D but evaluated is 2-D"):
        gamma_index(x, np.ones(5), (x, x), np.ones((5, 5)))


# ---- Cross-check with pymedphys.gamma (pymedphys >= 0.41, a test dependency) --------------------------------
# Both codes interpolate the evaluated dose multilinearly and report gamma at offsets they actually evaluated
# (upper bounds of the true minimum). pymedphys' shell search is a plain sampling whose error in steep
# gradients is O(grad x step / dD): at its default interp_fraction=10 it is itself up to 0.2 (global) and
# 0.6-2.6 (local) above the converged gamma in the cases below, so it is run at an interp_fraction where it
# has converged (checked against brute-force minimisation on a 0.005 mm grid while writing these tests).
# pymedphys options: lower_percent_dose_cutoff=10 (of global_normalisation = the reference maximum, the same
# as mcdose's threshold_pct=10), local_gamma as stated, max_gamma=2 (mcdose is clipped at 2 to compare),
# ram_available=2**31; positions in mm for pymedphys, cm for mcdose. mcdose runs at its defaults.

def _field(x, z, sx=0.0, sz=0.0, width=0.35):
    """A 10 cm flat field (erf penumbrae) times an electron-like depth dose (R50 near 4 cm); x, z in cm."""
    lat = 0.5 * (erf((x - sx + 5) / width) - erf((x - sx - 5) / width))
    pdd = (0.8 + 0.1 * np.clip(z, 0, 2)) * 0.5 * (1 - erf((z - sz - 4.0) / 0.6))
    return lat[:, None] * pdd[None, :]


def _field3(x, y, z, sx=0.0, sy=0.0, sz=0.0, width=0.8):
    lat = lambda a, s: 0.5 * (erf((a - s + 2) / width) - erf((a - s - 2) / width))
    pdd = (0.8 + 0.2 * np.clip(z, 0, 1.5) / 1.5) * 0.5 * (1 - erf((z - sz - 3.5) / 0.6))
    return lat(x, sx)[:, None, None] * lat(y, sy)[None, :, None] * pdd[None, None, :]


def _pymedphys(axes, ref, ev, pct, dta_cm, local, interp_fraction, random_subset=None):
    import pymedphys  # a test dependency: a missing one fails these tests

    mm = tuple(10 * np.asarray(a) for a in axes)
    if random_subset is not None:
        np.random.seed(1)                     # pymedphys draws its subset with np.random.shuffle
    return pymedphys.gamma(mm, ref, mm, ev, pct, 10 * dta_cm, lower_percent_dose_cutoff=10,
                           interp_fraction=interp_fraction, max_gamma=2.0, local_gamma=local,
                           global_normalisation=float(ref.max()), ram_available=2**31,
                           random_subset=random_subset)


def _agree(axes, ref, ev, pct, dta_cm, local, interp_fraction, random_subset=None):
    ours = gamma_index(axes, ref, axes, ev, pct, dta_cm, local=local, threshold_pct=10)
    theirs = _pymedphys(axes, ref, ev, pct, dta_cm, local, interp_fraction, random_subset)
    done = np.isfinite(theirs)
    if random_subset is None:
        assert np.array_equal(done, np.isfinite(ours.gamma))     # same low-dose threshold
    else:
        assert done.sum() == random_subset and np.all(np.isfinite(ours.gamma[done]))
    diff = np.minimum(ours.gamma[done], 2.0) - theirs[done]
    assert np.abs(diff).max() <= 0.05
    ours_pass = 100.0 * np.mean(ours.gamma[done] <= 1.0)
    assert abs(ours_pass - 100.0 * np.mean(theirs[done] <= 1.0)) <= 0.5
    return ours, theirs, diff


@pytest.mark.parametrize("local", [False, True])
def test_pymedphys_1d_profile(local):
    x = np.arange(-8.0, 8.0001, 0.05)
    ref = _field(x, np.array([1.0]))[:, 0]
    ev = 1.02 * _field(x, np.array([1.0]), sx=0.15)[:, 0]     # 1.5 mm shift, +2 %: fails in the penumbrae
    ours, _, _ = _agree((x,), ref, ev, 2.0, 0.2, local, interp_fraction=300)
    assert 80.0 < ours.pass_rate_pct < 90.0


@pytest.mark.parametrize("local", [False, True])
def test_pymedphys_2d_issue_case(local):
    """Issue 19: 3 %/3 mm, a flat field shifted 1 mm and R50 shifted 0.8 mm. The former plain lattice search
    at DTA/10 gave up to 0.24 (global) and 2.5 (local) above the converged gamma; pymedphys at its default
    interp_fraction=10 is itself 0.2 (global) and 0.6 (local) high there."""
    x = np.arange(-8.0, 8.0001, 0.1)
    z = np.arange(0.0, 7.0001, 0.1)
    ref, ev = _field(x, z), _field(x, z, sx=0.1, sz=0.08)
    ours, _, diff = _agree((x, z), ref, ev, 3.0, 0.3, local, interp_fraction=200)
    assert np.abs(diff).max() <= 0.02 and ours.pass_rate_pct == 100.0
    coarse = _pymedphys((x, z), ref, ev, 3.0, 0.3, local, interp_fraction=10)
    ok = np.isfinite(coarse)
    assert np.all(ours.gamma[ok] <= coarse[ok] + 1e-12)     # ours never above pymedphys' default sampling


@pytest.mark.parametrize("local", [False, True])
def test_pymedphys_2d_with_failures(local):
    x = np.arange(-8.0, 8.0001, 0.1)
    z = np.arange(0.0, 7.0001, 0.1)
    ref, ev = _field(x, z), 1.01 * _field(x, z, sx=0.25, sz=0.2)
    ours, _, _ = _agree((x, z), ref, ev, 2.0, 0.2, local, interp_fraction=100, random_subset=1500)
    assert 55.0 < ours.pass_rate_pct < 65.0


@pytest.mark.parametrize("local", [False, True])
def test_pymedphys_3d(local):
    a = np.arange(-3.5, 3.5001, 0.25)
    z = np.arange(0.0, 6.0001, 0.25)
    ref, ev = _field3(a, a, z), 1.01 * _field3(a, a, z, 0.15, 0.1, 0.12)
    _agree((a, a, z), ref, ev, 3.0, 0.2, local, interp_fraction=60, random_subset=250)
