"""`mcdose compare` on a computed result with an analytic electron-like depth dose (cylindrical mesh, no transport)."""
import numpy as np
import pytest
from scipy.special import erf
from scipy.stats import norm

from mcdose.analysis import Tolerances, compare, read_measured
from mcdose.cli import main
from mcdose.results import Grid, Result

Z_EDGES = np.arange(0.0, 6.0001, 0.05)
R_EDGES = np.arange(0.0, 6.0001, 0.1)
HALF_WIDTH, PENUMBRA_SIGMA = 3.0, 0.3


def _pdd(z):
    return (1 - 0.25 * np.exp(-z / 0.5)) * norm.cdf((2.7 - z) / 0.45) + 0.02 - 0.002 * z


def _lateral(x):
    s = PENUMBRA_SIGMA * np.sqrt(2)
    return 0.5 * (erf((x + HALF_WIDTH) / s) - erf((x - HALF_WIDTH) / s))


def _result(tmp_path):
    grid = Grid("cylindrical", {"r_edges": R_EDGES, "z_edges": Z_EDGES})
    rc, zc = grid.centers("r_edges"), grid.centers("z_edges")
    dose = 1e-12 * _lateral(rc)[:, None] * _pdd(zc)[None, :]
    res = Result(dose, np.full(dose.shape, 0.005), dose, grid, ("water",), {"histories": 1000})
    return res, res.save(tmp_path / "out.h5")


def _csv(path, header, x, d, comment=""):
    path.write_text(comment + header + "\n" + "".join(f"{a:.4f},{b:.6e}\n" for a, b in zip(x, d)))
    return path


def test_shifted_measurement_fails_r50_tolerance(tmp_path, capsys):
    res, h5 = _result(tmp_path)
    pdd = res.pdd()
    # The measurement: the computed depth dose shifted 1.5 mm deeper, in mm, scaled to percent.
    meas = _csv(tmp_path / "meas.csv", "depth_mm,dose", 10 * (pdd.position_cm + 0.15), 100 * pdd.dose / pdd.dose.max())
    cmp = compare(res, read_measured(meas))
    checks = {c.name: c for c in cmp.curves[0].checks}
    # The shift moves every depth metric by exactly -1.5 mm (computed - measured); 0.2 mm allowed.
    for name in ("R50", "R80", "R90", "Rp"):
        assert checks[name].difference == pytest.approx(-0.15, abs=0.02), name
        assert not checks[name].passed
    assert not cmp.passed
    html = tmp_path / "report.html"
    assert main(["compare", str(h5), str(meas), "--html", str(html)]) == 1
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("R50"))
    assert "FAIL" in line and "-0.15" in line
    assert "tolerances: gamma 2%/2mm global >= 95% passing" in out and "R50 1 mm" in out
    assert "overall: FAIL" in out
    text = html.read_text()
    assert text.count("data:image/png;base64,") == 1 and "FAIL" in text and "http" not in text
    # 2 mm tolerances accept the shift (gamma 2%/2mm passes a 1.5 mm shift); the shifted surface dose differs
    # by 6.8 % of Dmax, so its tolerance is widened too.
    assert main(["compare", str(h5), str(meas), "--r50-tol", "2", "--rp-tol", "2", "--r80-tol", "2",
                 "--r90-tol", "2", "--dmax-tol", "3", "--ds-tol", "10"]) == 0


def test_matching_measurement_and_profile_pass(tmp_path, capsys):
    res, h5 = _result(tmp_path)
    z = np.arange(0.0, 60.0001, 1.0)                # measured every mm, analytic truth
    pdd = _csv(tmp_path / "pdd.csv", "depth_mm,dose", z, 100 * _pdd(z / 10))
    x = np.arange(-50.0, 50.0001, 1.0)
    prof = _csv(tmp_path / "prof.csv", "x_mm,dose", x, 100 * _lateral(x / 10), comment="# depth_mm = 10\n")
    cmp = compare(res, read_measured(pdd) + read_measured(prof))
    assert cmp.passed
    field = next(c for c in cmp.curves[1].checks if c.name.startswith("field size"))
    assert field.computed == pytest.approx(2 * HALF_WIDTH, abs=0.01)
    assert field.difference == pytest.approx(0.0, abs=0.01)
    assert cmp.curves[0].gamma.pass_rate_pct == 100.0
    assert main(["compare", str(h5), str(pdd), str(prof)]) == 0
    assert "overall: PASS" in capsys.readouterr().out


@pytest.mark.parametrize("extra, match", [(["--gamma", "2mm"], "gamma criteria"),
                                          (["--pass-rate", "0"], "--pass-rate: 0.0 is not allowed"),
                                          (["--unit", "mm"], "not found")])
def test_bad_input_exit_2(tmp_path, capsys, extra, match):
    _, h5 = _result(tmp_path)
    assert main(["compare", str(h5), str(tmp_path / "absent.csv"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and match in err


def test_tolerances_validated():
    with pytest.raises(ValueError, match="r50_cm"):
        Tolerances(r50_cm=0)
