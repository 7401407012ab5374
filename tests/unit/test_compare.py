"""`mcdose compare` and the HTML report on a computed result with an analytic electron-like depth dose
(cylindrical mesh, no transport)."""
import base64
import io
import re

import numpy as np
import pytest
from PIL import Image
from scipy.special import erf
from scipy.stats import norm

from mcdose.analysis import Tolerances, compare, read_measured
from mcdose.analysis.compare import number
from mcdose.analysis.report_html import html_report
from mcdose.cli import main
from mcdose.errors import InputError
from mcdose.results import DepthDose, Grid, Result

Z_EDGES = np.arange(0.0, 6.0001, 0.05)
R_EDGES = np.arange(0.0, 6.0001, 0.1)
HALF_WIDTH, PENUMBRA_SIGMA = 3.0, 0.3
CONFIG = """[run]
histories = 1000
batches = 10
seed = 7
[source]
type = "beam"
particle = "electron"
energy = 9.0
shape = "circle"
radius = 3.0
[phantom]
type = "box"
material = "water"
size = [30.0, 30.0, 10.0]
[scoring]
mesh = "cylindrical"
r = { min = 0.0, max = 6.0, step = %(r_step)s }
z = { min = 0.0, max = 6.0, step = 0.05 }
"""


def _pdd(z):
    return (1 - 0.25 * np.exp(-z / 0.5)) * norm.cdf((2.7 - z) / 0.45) + 0.02 - 0.002 * z


def _lateral(x):
    s = PENUMBRA_SIGMA * np.sqrt(2)
    return 0.5 * (erf((x + HALF_WIDTH) / s) - erf((x - HALF_WIDTH) / s))


def _result(tmp_path, r_step=0.1):
    grid = Grid("cylindrical", {"r_edges": np.arange(0.0, 6.0001, r_step), "z_edges": Z_EDGES})
    rc, zc = grid.centers("r_edges"), grid.centers("z_edges")
    dose = 1e-12 * _lateral(rc)[:, None] * _pdd(zc)[None, :]
    metadata = {"histories": 1000, "batches": 10, "seed": 7, "mcdose_version": "test",
                "config": CONFIG % {"r_step": r_step}}
    res = Result(dose, np.full(dose.shape, 0.005), dose, grid, ("water",), metadata)
    return res, res.save(tmp_path / "out.h5")


def _csv(path, header, x, d, comment=""):
    path.write_text(comment + header + "\n" + "".join(f"{a:.4f},{b:.6e}\n" for a, b in zip(x, d)))
    return path


def _shifted_pdd(tmp_path, res):
    """The issue's measurement: the computed depth dose 1.5 mm deeper, scaled by 2 %, scanned from 2 mm."""
    pdd = res.pdd()
    z = np.arange(0.2, 6.0, 0.05)
    dose = 102 * np.interp(z - 0.15, pdd.position_cm, pdd.dose) / pdd.dose.max()
    return _csv(tmp_path / "meas.csv", "depth_mm,dose", 10 * z, dose)


def _profile_csv(tmp_path, shift_mm=0.0):
    x = np.arange(-50.0, 50.0001, 1.0)
    return _csv(tmp_path / "prof.csv", "x_mm,dose", x, 100 * _lateral((x - shift_mm) / 10),
                comment="# depth_mm = 10\n")


def _checks(curve):
    return {c.name: c for c in curve.checks}


def test_shifted_scaled_measurement_fails_depth_metrics(tmp_path, capsys):
    res, h5 = _result(tmp_path)
    meas = _shifted_pdd(tmp_path, res)
    cmp = compare(res, read_measured(meas))
    checks = _checks(cmp.curves[0])
    # The shift moves every depth metric by -1.5 mm (computed - measured, mm); 1 mm allowed. The 2 % scale is
    # removed by the normalisation to each curve's fitted maximum.
    for name in ("R50", "R80", "R90", "Rp"):
        assert checks[name].unit == "mm"
        assert checks[name].difference == pytest.approx(-1.5, abs=0.2), name
        assert checks[name].passed is False and checks[name].verdict == "FAIL"
    assert cmp.curves[0].measured.dose.max() == pytest.approx(1.0, abs=0.01)
    # Ds at 0.5 mm from a scan starting at 2 mm: shown, flagged, neither PASS nor FAIL.
    ds = checks["Ds at 0.5 mm"]
    assert ds.passed is None and ds.measured is not None
    assert ds.verdict == "not judged: measured value extrapolated 1.5 mm beyond the data"
    assert not cmp.passed and cmp.summary().startswith("FAIL: 4 of ") and "1 not judged" in cmp.summary()
    html = tmp_path / "report.html"
    assert main(["compare", str(h5), str(meas), "--html", str(html)]) == 1
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("R50"))
    assert "FAIL" in line and "-1.5" in line and "(mm)" in line
    assert "tolerances: gamma 2%/2mm global >= 95% passing" in out and "R50 1 mm" in out
    assert "overall: FAIL" in out and "extrapolated 1.5 mm" in out
    text = html.read_text()
    assert text.count("data:image/png;base64,") == 1 and "FAIL" in text and "http" not in text
    # 2 mm tolerances accept the shift (gamma 2%/2mm passes a 1.5 mm shift); Ds stays not judged.
    assert main(["compare", str(h5), str(meas), "--r50-tol", "2", "--rp-tol", "2", "--r80-tol", "2",
                 "--r90-tol", "2", "--dmax-tol", "3"]) == 0


def test_matching_measurement_and_profile_pass(tmp_path, capsys):
    res, h5 = _result(tmp_path)
    z = np.arange(0.0, 60.0001, 1.0)                # measured every mm, analytic truth
    pdd = _csv(tmp_path / "pdd.csv", "depth_mm,dose", z, 100 * _pdd(z / 10))
    prof = _profile_csv(tmp_path)
    cmp = compare(res, read_measured(pdd) + read_measured(prof))
    assert cmp.passed and cmp.summary().startswith("PASS: all ")
    checks = _checks(cmp.curves[1])
    assert checks["field size (50 %)"].computed == pytest.approx(10 * 2 * HALF_WIDTH, abs=0.1)
    assert checks["field size (50 %)"].difference == pytest.approx(0.0, abs=0.1)
    assert checks["centre (50 % midpoint)"].passed and checks["flatness"].passed
    # The computed profile of a cylindrical mesh is mirrored: its symmetry is not applicable, not failed.
    assert checks["symmetry"].state == "n/a" and checks["symmetry"].passed is None
    assert "1 not applicable" in cmp.summary()
    assert cmp.curves[0].gamma.pass_rate_pct == 100.0
    assert main(["compare", str(h5), str(pdd), str(prof)]) == 0
    assert "overall: PASS" in capsys.readouterr().out


def test_lateral_shift_detected_by_centre_check(tmp_path):
    res, _ = _result(tmp_path)
    cmp = compare(res, read_measured(_profile_csv(tmp_path, shift_mm=1.5)))
    checks = _checks(cmp.curves[0])
    centre = checks["centre (50 % midpoint)"]
    assert centre.unit == "mm" and centre.tolerance == 1.0
    assert centre.difference == pytest.approx(-1.5, abs=0.1) and centre.verdict == "FAIL"
    assert checks["field size (50 %)"].passed          # the shift leaves the width unchanged
    position_cm, label = cmp.curves[0].measured_markers[-1]
    assert label == "measured centre" and position_cm == pytest.approx(0.15, abs=0.01)
    assert not cmp.passed


def test_withheld_computed_metrics_are_rows_with_reason(tmp_path, monkeypatch):
    res, _ = _result(tmp_path)

    def withheld(curve):
        raise InputError("dose maximum at a material interface (copper at 2.2 cm)")
    monkeypatch.setattr(DepthDose, "metrics", withheld)
    cmp = compare(res, read_measured(_shifted_pdd(tmp_path, res)))
    checks = _checks(cmp.curves[0])
    for name in ("dmax", "R90", "R80", "R50", "Rp", "Ds at 0.5 mm"):
        assert checks[name].computed is None and checks[name].passed is None
        assert checks[name].verdict == "withheld: dose maximum at a material interface (copper at 2.2 cm)"
    assert next(c for c in cmp.curves[0].checks if c.name.startswith("gamma")).state == ""  # still judged
    text = html_report(cmp, res, "out.h5")
    assert "withheld: dose maximum at a material interface (copper at 2.2 cm)" in text
    assert "6 not judged" in text


def test_report_content_verdict_provenance_units_print_layout(tmp_path):
    res, _ = _result(tmp_path)
    cmp = compare(res, read_measured(_shifted_pdd(tmp_path, res)) + read_measured(_profile_csv(tmp_path, 1.5)))
    text = html_report(cmp, res, "out.h5")
    failed = cmp.count(False)
    assert failed >= 5                                  # R90, R80, R50, Rp and the profile centre at least
    assert re.search(rf"<div class='banner fail'>FAIL: {failed} of \d+ judged checks failed; 1 not judged", text)
    assert text.count("<li>failed: ") == failed
    # what was simulated, and the provenance
    assert "9 MeV electrons" in text.split("</h1>")[1][:200]
    for item in ("mcdose version", "configuration (SHA-256", "source", "histories", "seed", "normalisation",
                 "result file", "<details><summary>configuration (TOML)</summary>", "D_ref"):
        assert item in text, item
    # units: mm and % only, no centimetres, no negative zero
    assert "(mm)" in text and "(%)" in text and "(cm)" not in text and " cm " not in text.split("<h2>Tolerances")[1]
    assert not re.search(r"[-−]0\.0+(?![0-9])", text)
    # A4 print layout: page size, curve sections kept whole, colours kept; self-contained
    for rule in ("@page{size:A4", "section.curve{break-inside:avoid", "print-color-adjust:exact"):
        assert rule in text
    assert text.count("<section class='curve'>") == 2 and "http" not in text
    png = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text).group(1))
    assert Image.open(io.BytesIO(png)).info["dpi"][0] == pytest.approx(150, abs=1)


def test_figures_get_the_measured_markers(tmp_path, monkeypatch):
    import mcdose.plotting_dose as plotting
    from mcdose.analysis.report_html import curve_figure_png
    res, _ = _result(tmp_path)
    cmp = compare(res, read_measured(_shifted_pdd(tmp_path, res)) + read_measured(_profile_csv(tmp_path, 1.5)))
    seen = []
    for name in ("pdd_figure", "profile_figure"):
        original = getattr(plotting, name)
        monkeypatch.setattr(plotting, name, lambda *a, _f=original, **k: seen.append(k["measured_markers"]) or _f(*a, **k))
    for cc in cmp.curves:
        curve_figure_png(cc, cmp.normalisation)
    assert [label for _, label in seen[0]] == ["measured dmax", "measured R90", "measured R80", "measured R50",
                                               "measured Rp"]
    assert seen[0][3][0] == pytest.approx(cmp.curves[0].checks[3].measured / 10)     # R50, cm
    assert [label for _, label in seen[1]] == ["measured 50 %", "measured 50 %", "measured centre"]


def test_coarse_bin_warnings_shown_with_the_curve(tmp_path):
    res, _ = _result(tmp_path, r_step=1.0)          # 1 cm bins across a ~6 mm penumbra
    cmp = compare(res, read_measured(_profile_csv(tmp_path)))
    warnings = cmp.curves[0].warnings
    assert warnings
    text = html_report(cmp, res, "out.h5")
    for w in warnings:
        assert w.replace("'", "&#x27;").replace("<", "&lt;") in text


def test_numbers_never_negative_zero():
    assert number(-0.0001) == "0.00" and number(-0.0001, signed=True) == "+0.00"
    assert number(-0.004, 2, signed=True) == "+0.00" and number(-0.006, 2, signed=True) == "-0.01"
    assert number(None) == "" and number(float("nan")) == ""


@pytest.mark.parametrize("extra, match", [(["--gamma", "2mm"], "gamma criteria"),
                                          (["--pass-rate", "0"], "--pass-rate: 0.0 is not allowed"),
                                          (["--unit", "mm"], "not found")])
def test_bad_input_exit_2(tmp_path, capsys, extra, match):
    _, h5 = _result(tmp_path)
    assert main(["compare", str(h5), str(tmp_path / "absent.csv"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and match in err


def test_tolerances_validated():
    with pytest.raises(ValueError, match="r50_mm"):
        Tolerances(r50_mm=0)
    with pytest.raises(ValueError, match="symmetry_pct"):
        Tolerances(symmetry_pct=99.0)
    assert "symmetry <= 105 %" in Tolerances().describe()
    assert all(source for _, _, source in Tolerances().rows())
