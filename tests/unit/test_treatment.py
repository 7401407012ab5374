"""INTRABEAM / TARGIT treatment time (mcdose.treatment, ``mcdose treatment-time``): no transport, analytic
radial doses D(r) = A / r^3 written to result files.

Interpolation error bound (used for the tolerances below): the code interpolates log D linearly in r between
bin centres, and log D = log A - 3 ln r has second derivative 3 / r^2. Linear interpolation between centres h
apart errs by at most 3 h^2 / (8 r^2); the half-bin extrapolation from the first two centres down to the
applicator surface by at most (3 / r^2) / 2 * (h / 2) * (3 h / 2) = 9 h^2 / (8 r^2). The shell average of
A / r^3 over [r - h/2, r + h/2] equals A / r^3 to O(h^4), so the bins add nothing at second order. For
h = 0.1 cm and r >= 2 cm: 0.28 % at the surface, <= 0.094 % elsewhere.
"""
import math

import numpy as np
import pytest

from mcdose.cli import main
from mcdose.errors import InputError
from mcdose.results import Grid, Result, load
from mcdose.treatment import TARGIT_WARNING, radial_dose, treatment_plan

A = 1e-10           # Gy per particle at 1 cm
H = 0.1             # cm, radial bin width
R = 2.0             # cm, applicator radius (Sethi et al.: 4-cm sphere)
CAVITY = '[phantom]\ntype = "spherical_cavity"\napplicator_diameter = 4.0\n'


def surface_bound(h=H, r=R):
    return 9 * h ** 2 / (8 * r ** 2)


def interp_bound(r, h=H):
    return 3 * h ** 2 / (8 * r ** 2)


def shell_average(r0, r1):
    """Volume average of A / r^3 over the shell r0..r1 (0 for the shell about the source: not used)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r0 > 0, 3 * A * np.log(r1 / np.where(r0 > 0, r0, 1.0)) / (r1 ** 3 - r0 ** 3), 0.0)


def spherical_result(config=CAVITY, uncertainty=None, r_max=5.0, dose=None):
    edges = np.round(np.arange(0.0, r_max + 1e-9, H), 10)
    d = shell_average(edges[:-1], edges[1:]) if dose is None else dose(edges)
    u = np.full(d.shape, 0.01) if uncertainty is None else uncertainty(0.5 * (edges[1:] + edges[:-1]))
    metadata = {"mcdose_version": "test", "histories": 1000} | ({"config": config} if config is not None else {})
    return Result(d, np.where(d > 0, u, 0.0), d, Grid("spherical", {"r_edges": edges}, (0.0, 0.0, 10.0)), ("water",),
                  metadata)


@pytest.fixture
def h5(tmp_path):
    """The analytic radial dose with the 4-cm spherical applicator, through a result file."""
    path = tmp_path / "sphere.h5"
    spherical_result().save(path)
    return path


def test_sethi_20_gy_at_the_surface_at_0_8_gy_per_min_takes_25_min(h5):
    # Sethi et al., Front. Oncol. 2018;8:74: 4-cm sphere, 20 Gy to the surface, 0.8 Gy/min there: 25 min
    plan = treatment_plan(load(h5), 20.0, "surface", 0.8)
    assert plan.applicator_radius_cm == 2.0 and plan.at_depth_cm == plan.reference_depth_cm == 0.0
    assert plan.time_min == pytest.approx(25.0, rel=1e-12)
    assert plan.time_sigma_min == 0.0        # the same point: the Monte Carlo dose cancels
    text = plan.text()
    assert "25.00 min = 25:00 min:s" in text and "20 Gy at the applicator surface" in text
    assert "0.8 Gy/min measured at the applicator surface" in text


def test_prescription_at_10_mm_with_the_reference_at_the_surface(h5):
    plan = treatment_plan(h5, 20.0, 1.0, 0.8, "surface")     # a path works too
    ratio = (R / (R + 1.0)) ** 3                              # D(10 mm) / D(surface)
    expected = 20.0 / (0.8 * ratio)                           # 84.375 min
    assert plan.time_min == pytest.approx(expected, rel=surface_bound() + interp_bound(R + 1.0))
    # and the other way round: measured at 5 mm, prescribed at the surface
    back = treatment_plan(h5, 20.0, "surface", 0.8, 0.5)
    expected = 20.0 / (0.8 * ((R + 0.5) / R) ** 3)
    assert back.time_min == pytest.approx(expected, rel=surface_bound() + interp_bound(R + 0.5))


def test_doses_at_5_10_20_mm(h5):
    plan = treatment_plan(h5, 20.0, "surface", 0.8)
    assert [d for d, _, _ in plan.doses] == [0.5, 1.0, 2.0]
    for depth, dose, sigma in plan.doses:
        analytic = 20.0 * (R / (R + depth)) ** 3
        assert dose == pytest.approx(analytic, rel=surface_bound() + interp_bound(R + depth))
        assert 0 < sigma < 0.05 * dose
    text = plan.text()
    for row in ("5.0", "10.0", "20.0"):
        assert any(line.split()[:1] == [row] for line in text.splitlines())
    # prescribed at 10 mm: that depth gets exactly the prescription, with no uncertainty of its own
    at10 = treatment_plan(h5, 20.0, 1.0, 0.8)
    assert at10.doses[1][1] == pytest.approx(20.0, rel=1e-12) and at10.doses[1][2] == 0.0
    assert at10.doses[2][1] == pytest.approx(20.0 * (3 / 4) ** 3, rel=2 * interp_bound(3.0))


def test_sigma_propagation(tmp_path):
    def u(r):
        return 0.004 * r                    # relative 1-sigma growing with radius
    res = spherical_result(uncertainty=u)
    # both points on bin centres (r = 2.05 and 2.95 cm): their relative sigmas in quadrature
    plan = treatment_plan(res, 20.0, 0.95, 0.8, 0.05)
    assert plan.time_sigma_min / plan.time_min == pytest.approx(math.hypot(u(2.95), u(2.05)), rel=1e-9)
    # half-way between centres (r = 3.0): each neighbour weighs 1/2
    plan = treatment_plan(res, 20.0, 1.0, 0.8, 0.05)
    rel_at = math.hypot(0.5 * u(2.95), 0.5 * u(3.05))
    assert plan.time_sigma_min / plan.time_min == pytest.approx(math.hypot(rel_at, u(2.05)), rel=1e-9)
    # the dose at 20 mm (r = 4.0, half-way again) carries its own and the prescription point's sigma
    _, dose, sigma = plan.doses[2]
    assert sigma / dose == pytest.approx(math.hypot(math.hypot(0.5 * u(3.95), 0.5 * u(4.05)), rel_at), rel=1e-9)
    # the same point twice: no uncertainty
    assert treatment_plan(res, 20.0, 0.3, 0.8, 0.3).time_sigma_min == 0.0
    assert "+- " in plan.text() and "1 sigma" in plan.text()


def test_cartesian_shell_average_matches_the_spherical_mesh():
    # the same analytic field on 0.1-cm voxels (dose at the voxel centre) about an off-centre source
    src = (0.3, -0.2, 5.0)
    e = np.round(np.arange(-4.5, 4.5 + 1e-9, H), 10)
    grid = Grid("cartesian", {"x_edges": e + src[0] - 0.03, "y_edges": e + src[1] + 0.02, "z_edges": e + src[2]})
    c = [grid.centers(n) - s for n, s in zip(("x_edges", "y_edges", "z_edges"), src)]
    dose = A / np.sqrt(c[0][:, None, None] ** 2 + c[1][None, :, None] ** 2 + c[2][None, None, :] ** 2) ** 3
    config = f'[source]\ntype = "point"\nposition = [{src[0]}, {src[1]}, {src[2]}]\n' + CAVITY
    cart = Result(dose, np.full(dose.shape, 0.01), dose, grid, ("water",), {"config": config})
    sph = spherical_result()
    # tolerance 0.5 %: both approximate the same analytic curve within 0.3 % (bound above; the shells of
    # voxel centres average over the same r^-3 to second order)
    for at, ref in (("surface", "surface"), (1.0, "surface"), (0.5, 2.0)):
        a, b = treatment_plan(cart, 20.0, at, 0.8, ref), treatment_plan(sph, 20.0, at, 0.8, ref)
        assert a.time_min == pytest.approx(b.time_min, rel=5e-3)
        for (da, xa, _), (db, xb, _) in zip(a.doses, b.doses):
            assert da == db and xa == pytest.approx(xb, rel=5e-3)
    plan = treatment_plan(cart, 20.0, 1.0, 0.8)
    assert plan.time_min == pytest.approx(20.0 / (0.8 * (2 / 3) ** 3), rel=5e-3)
    assert "Cartesian mesh" in plan.text() and "the source position" in plan.text()
    # quadrature of the voxels' sigma: a shell of N equal voxels has 1 % / sqrt(N)
    radial = radial_dose(cart, R, {"source": {"type": "point", "position": list(src)}})
    assert np.all(radial.sigma / radial.dose < 0.01 / 10)
    # without a source position: the centre of the mesh (here 0.03/0.02 cm off the source)
    centred = Result(dose, np.full(dose.shape, 0.01), dose, grid, ("water",), {"config": CAVITY})
    assert "the mesh centre" in treatment_plan(centred, 20.0, 1.0, 0.8).method


def test_applicator_radius_from_the_configuration(tmp_path):
    intrabeam = '[source]\ntype = "intrabeam"\napplicator = 3.0\n'
    assert treatment_plan(spherical_result(intrabeam), 20.0, "surface", 0.8).applicator_radius_cm == 1.5
    assert treatment_plan(spherical_result(CAVITY), 20.0, "surface", 0.8).applicator_radius_cm == 2.0
    assert treatment_plan(spherical_result(CAVITY), 20.0, "surface", 0.8, applicator_radius_cm=2.5
                          ).applicator_radius_cm == 2.5          # the argument wins
    bare = spherical_result('[source]\ntype = "intrabeam"\napplicator = "bare"\n')
    plan = treatment_plan(bare, 20.0, 1.0, 0.8, 2.0)             # depths from the source point
    assert plan.applicator_radius_cm == 0.0
    assert plan.time_min == pytest.approx(20.0 / (0.8 * 8.0), rel=2 * interp_bound(1.0))
    assert "bare source" in plan.text()
    with pytest.raises(InputError, match="at: surface is not allowed without an applicator"):
        treatment_plan(bare, 20.0, "surface", 0.8, 1.0)
    with pytest.raises(InputError, match="applicator_radius_cm: missing"):
        treatment_plan(spherical_result('[source]\ntype = "point"\n'), 20.0, "surface", 0.8)
    with pytest.raises(InputError, match="applicator_radius_cm: missing"):
        treatment_plan(spherical_result(None), 20.0, "surface", 0.8)
    with pytest.raises(InputError, match="source.applicator of the run: 'huge' is not allowed"):
        treatment_plan(spherical_result('[source]\ntype = "intrabeam"\napplicator = "huge"\n'), 20.0, "surface", 0.8)


def _zero_beyond_4_cm(edges):
    d = shell_average(edges[:-1], edges[1:])
    return np.where(edges[:-1] >= 4.0, 0.0, d)


@pytest.mark.parametrize("kwargs, match", [
    ({"prescription_gy": 0}, r"prescription_gy: 0 is not allowed: Gy, must be > 0 and <= 100"),
    ({"prescription_gy": 120}, r"prescription_gy: 120 is not allowed: Gy, must be > 0 and <= 100"),
    ({"prescription_gy": float("nan")}, r"prescription_gy: .* must be a finite number"),
    ({"dose_rate_gy_min": 0}, r"dose_rate_gy_min: 0 is not allowed: Gy/min, must be > 0 and <= 100"),
    ({"dose_rate_gy_min": 101}, r"dose_rate_gy_min: 101 is not allowed"),
    ({"at": -0.1}, r"at: -0.1 is not allowed: cm, must be >= 0"),
    ({"at": "top"}, r"at: 'top' is not allowed: 'surface' or a depth in cm >= 0"),
    ({"reference": -1.0}, r"reference: -1.0 is not allowed: cm, must be >= 0"),
    ({"at": 3.5}, r"at: depth 3.5 cm \(35 mm\) is outside the scored radii: allowed depth 0..3 cm \(0..30 mm"),
    ({"depths_cm": (0.5, -1.0)}, r"depths_cm\[1\]: -1.0 is not allowed: cm, must be >= 0"),
    ({"applicator_radius_cm": -1.0}, r"applicator_radius_cm: -1.0 is not allowed: cm, must be >= 0 and <= 50"),
    ({"applicator_radius_cm": 4.95}, r"has 0 radial bin\(s\) outside the applicator"),
])
def test_bad_inputs_one_line(kwargs, match):
    args = {"prescription_gy": 20.0, "at": "surface", "dose_rate_gy_min": 0.8} | kwargs
    with pytest.raises(InputError, match=match) as info:
        treatment_plan(spherical_result(), **args)
    assert "\n" not in str(info.value)


def test_points_the_mesh_does_not_score():
    # the mesh starts outside the applicator: the surface is not scored
    late = spherical_result(dose=lambda e: np.where(e[:-1] >= 2.5, shell_average(e[:-1], e[1:]), 0.0))
    edges = late.grid.edges["r_edges"]
    cut = Result(late.dose[25:], late.uncertainty[25:], late.dose[25:], Grid("spherical", {"r_edges": edges[25:]}),
                 metadata=late.metadata)
    with pytest.raises(InputError, match=r"at: depth 0 cm \(0 mm\) is outside the scored radii: allowed depth 0.5..3"):
        treatment_plan(cut, 20.0, "surface", 0.8)
    # zero dose (no particle got there): refused for the points, "-" in the depth table
    zero = spherical_result(dose=_zero_beyond_4_cm)
    with pytest.raises(InputError, match="at: depth 2.2 cm .* the Monte Carlo dose is 0 there"):
        treatment_plan(zero, 20.0, 2.2, 0.8)
    plan = treatment_plan(zero, 20.0, "surface", 0.8)
    assert math.isnan(plan.doses[2][1]) and "not scored" in plan.text()
    # a cylindrical mesh has no radial dose about a point
    cyl = Result(np.ones((2, 2)), np.zeros((2, 2)), np.ones((2, 2)),
                 Grid("cylindrical", {"r_edges": [0, 1, 2], "z_edges": [0, 1, 2]}), metadata={"config": CAVITY})
    with pytest.raises(InputError, match="needs a spherical or Cartesian mesh"):
        treatment_plan(cyl, 20.0, "surface", 0.8)


# --- the command line ----------------------------------------------------------------------------------------

def test_cli_prints_the_plan(h5, capsys):
    assert main(["treatment-time", str(h5), "--prescription", "20", "--at", "surface", "--dose-rate", "0.8"]) == 0
    out = capsys.readouterr().out
    assert "25.00 min = 25:00 min:s" in out and "NOT the vendor's TARGIT (V4.0)" in out and "Watson" in out
    # --at in mm: 10 mm is 1 cm
    assert main(["treatment-time", str(h5), "--prescription", "20", "--at", "10", "--dose-rate", "0.8",
                 "--reference", "surface", "--applicator-radius", "2"]) == 0
    out = capsys.readouterr().out
    plan = treatment_plan(h5, 20.0, 1.0, 0.8)
    assert f"{plan.time_min:.2f} min" in out and "20 Gy at 10 mm depth (r = 3 cm)" in out
    assert TARGIT_WARNING.split()[0] in out


@pytest.mark.parametrize("args, match", [
    (["--prescription", "0"], "--prescription: 0.0 is not allowed: Gy, must be > 0"),
    (["--prescription", "150"], "--prescription: 150.0 is not allowed: Gy, must be > 0 and <= 100"),
    (["--prescription", "nan"], "--prescription: nan is not allowed"),
    (["--prescription", "x"], "--prescription: invalid float value: 'x'"),
    (["--dose-rate", "0"], "--dose-rate: 0.0 is not allowed: Gy/min, must be > 0 and <= 100"),
    (["--dose-rate", "200"], "--dose-rate: 200.0 is not allowed: Gy/min, must be > 0 and <= 100"),
    (["--at", "-5"], "--at: '-5' is not allowed: 'surface' or a depth from the applicator surface in mm, >= 0"),
    (["--at", "top"], "--at: 'top' is not allowed: 'surface' or a depth"),
    (["--at", "40"], "--at: depth 4 cm (40 mm) is outside the scored radii: allowed depth 0..3 cm (0..30 mm"),
    (["--reference", "deep"], "--reference: 'deep' is not allowed: 'surface' or a depth"),
    (["--reference", "35"], "--reference: depth 3.5 cm (35 mm) is outside the scored radii"),
    (["--applicator-radius", "-1"], "--applicator-radius: -1.0 is not allowed: cm, must be >= 0 and <= 50"),
    (["--applicator-radius", "0"], "--at: surface is not allowed without an applicator (bare source"),
])
def test_cli_bad_option_one_line_exit_2(h5, capsys, args, match):
    base = {"--prescription": "20", "--at": "surface", "--dose-rate": "0.8"}
    argv = ["treatment-time", str(h5)]
    for key, value in base.items():
        if key not in args:
            argv += [key, value]
    assert main(argv + args) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcdose: error: ") and err.count("\n") == 1, err
    assert match in err


def test_cli_missing_option_and_files(tmp_path, h5, capsys):
    assert main(["treatment-time", str(h5), "--prescription", "20", "--at", "surface"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcdose: error: ") and "--dose-rate" in err and err.count("\n") == 1
    plain = tmp_path / "plain.h5"
    spherical_result(None).save(plain)
    assert main(["treatment-time", str(plain), "--prescription", "20", "--at", "surface", "--dose-rate", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcdose: error: --applicator-radius: missing") and err.count("\n") == 1
    assert main(["treatment-time", str(tmp_path / "absent.h5"), "--prescription", "20", "--at", "surface",
                 "--dose-rate", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcdose: error: ") and "not found" in err


def test_spherical_mesh_off_the_source_is_flagged():
    on = '[source]\ntype = "point"\nposition = [0.0, 0.0, 10.0]\n' + CAVITY
    off = '[source]\ntype = "point"\nposition = [0.0, 0.0, 9.5]\n' + CAVITY
    assert "WARNING" not in treatment_plan(spherical_result(on), 20.0, "surface", 0.8).text()
    text = treatment_plan(spherical_result(off), 20.0, "surface", 0.8).text()
    assert "WARNING: the mesh centre is 0.5 cm from the source position" in text
