"""Result.profile, dose planes and isodose lines on analytic dose distributions (no transport)."""
import numpy as np
import pytest

from mcdose.analysis import dose_plane, dose_scale, isodose_lines
from mcdose.errors import InputError
from mcdose.results import Grid, Result


def _cartesian():
    x = np.linspace(-2, 2, 41)
    y = np.linspace(-1, 1, 5)
    z = np.linspace(0, 3, 31)
    grid = Grid("cartesian", {"x_edges": x, "y_edges": y, "z_edges": z})
    xc, yc, zc = (grid.centers(n) for n in ("x_edges", "y_edges", "z_edges"))
    dose = (1 + 0.1 * xc)[:, None, None] * (1 + yc)[None, :, None] * (2 - 0.5 * zc)[None, None, :]
    return Result(dose, np.full(dose.shape, 0.01), dose, grid), (xc, yc, zc)


def test_cartesian_profile_interpolates_depth_and_selects_row():
    res, (xc, yc, zc) = _cartesian()
    p = res.profile("x", depth=1.02, offset=0.3)     # the row of y bins containing 0.3 cm
    k = np.searchsorted(res.grid.edges["y_edges"], 0.3, side="right") - 1
    expected = (1 + 0.1 * xc) * (1 + yc[k]) * (2 - 0.5 * 1.02)  # linear in z: interpolation is exact
    np.testing.assert_allclose(p.position_cm, xc)
    np.testing.assert_allclose(p.dose, expected, rtol=1e-12)
    assert p.axis == "x" and p.depth_cm == 1.02
    j = np.searchsorted(zc, 1.02) - 1
    w = (1.02 - zc[j]) / (zc[j + 1] - zc[j])
    sig = np.hypot((1 - w) * 0.01 * res.dose[:, k, j], w * 0.01 * res.dose[:, k, j + 1])
    np.testing.assert_allclose(p.sigma, sig, rtol=1e-12)
    q = res.profile("y", depth=0.0)                  # clamped to the first centre between edge and centre
    np.testing.assert_allclose(q.dose, res.dose[20, :, 0])


@pytest.mark.parametrize("kwargs, match", [({"axis": "r"}, "axis"), ({"depth": 5.0}, "depth"),
                                           ({"offset": 7.0}, "offset")])
def test_profile_bad_arguments(kwargs, match):
    res, _ = _cartesian()
    with pytest.raises(InputError, match=match):
        res.profile(**kwargs)


def test_cylindrical_profile_mirrored_and_metrics():
    grid = Grid("cylindrical", {"r_edges": np.arange(0, 6.0001, 0.1), "z_edges": [0.0, 1.0, 2.0]})
    rc = grid.centers("r_edges")
    lateral = np.clip((4.0 - rc) / 1.0, 0, 1)          # flat to 3 cm, linear edge to 0 at 4 cm
    dose = lateral[:, None] * np.array([1.0, 0.5])[None, :]
    res = Result(dose, np.zeros(dose.shape), dose, grid)
    p = res.profile("r", depth=1.0)                  # halfway between the centres 0.5 and 1.5 cm
    np.testing.assert_allclose(p.position_cm, np.concatenate([-rc[::-1], rc]))
    np.testing.assert_allclose(p.dose, 0.75 * np.concatenate([lateral[::-1], lateral]))
    assert p.mirrored
    m = p.metrics()
    assert m.field_size_cm.value == pytest.approx(7.0, abs=1e-9)           # linear edge: interpolation exact
    assert m.penumbra_80_20_right_cm.value == pytest.approx(0.6, abs=1e-9)
    assert m.symmetry_pct is None and "mirrored" in m.withheld["symmetry_pct"]
    spherical = Result(np.ones(3), np.zeros(3), np.ones(3), Grid("spherical", {"r_edges": [0, 1, 2, 3]}))
    with pytest.raises(InputError, match="spherical"):
        spherical.profile()


def _gaussian_cylinder(sigma=1.0, zc0=2.0):
    grid = Grid("cylindrical", {"r_edges": np.arange(0, 4.0001, 0.05), "z_edges": np.arange(0, 4.0001, 0.05)})
    rc, zc = grid.centers("r_edges"), grid.centers("z_edges")
    dose = 3.0 * np.exp(-(rc[:, None] ** 2 + (zc[None, :] - zc0) ** 2) / (2 * sigma**2))
    return Result(dose, np.full(dose.shape, 0.02), dose, grid)


def test_isodose_circle_in_rz_plane():
    res = _gaussian_cylinder()
    plane = dose_plane(res)
    assert plane.axes == (0, 2) and plane.dose.shape == (80, 160)
    factor, unit = dose_scale(res.max_dose()[0])
    assert unit == "%"
    (iso50,) = isodose_lines(plane, [50], factor, unit)
    # Bin-centre Dmax = 3 exp(-0.025^2 (1 + 1) / 2) (centres 0.025 cm from the peak); 50 % of that is the circle
    # of radius sqrt(-2 ln(0.5 Dmax/3)). Contour interpolation error ~h^2/8 |f''/f'| ~ 1e-4 cm, chords h^2/(8R).
    dmax = 3 * np.exp(-0.025**2)
    radius = np.sqrt(-2 * np.log(0.5 * dmax / 3))
    pts = np.concatenate(iso50.lines)
    np.testing.assert_allclose(np.hypot(pts[:, 0], pts[:, 1] - 2.0), radius, atol=1e-3)
    # Prescription: 10 Gy to the 90 % isodose; the 10 Gy line is the 90 % line.
    f_gy, unit_gy = dose_scale(res.max_dose()[0], 10.0, 90.0)
    assert unit_gy == "Gy" and f_gy == pytest.approx(10 / (0.9 * res.max_dose()[0]))
    (gy,) = isodose_lines(plane, [10.0], f_gy, unit_gy)
    (pct,) = isodose_lines(plane, [90.0], factor, unit)
    np.testing.assert_allclose(np.concatenate(gy.lines), np.concatenate(pct.lines), atol=1e-9)


def test_cartesian_planes():
    res, (xc, yc, zc) = _cartesian()
    p = dose_plane(res, "z", 1.0)
    assert p.axes == (0, 1) and p.cut_axis == 2 and p.dose.shape == (yc.size, xc.size)
    assert p.cut_cm == pytest.approx(1.05) and "x-y plane at z = 1.05 cm" == p.description
    assert dose_plane(res, "x", 0.0).dose.shape == (zc.size, yc.size)
    with pytest.raises(InputError, match="outside"):
        dose_plane(res, "y", 5.0)
    with pytest.raises(InputError, match="r-z plane"):
        dose_plane(_gaussian_cylinder(), "z", 1.0)
    with pytest.raises(InputError, match="levels"):
        isodose_lines(p, [0], 1.0, "%")
