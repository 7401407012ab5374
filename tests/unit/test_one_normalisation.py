"""The one normalisation D_ref: the pdd table and CSV, the depth-dose figure, the dose map, a prescription and the
commissioning report all use the same D_ref (mcdose.analysis.normalisation.reference_dose) and say so."""
import numpy as np
import pytest
from scipy.stats import norm as gauss

from mcdose.analysis import MeasuredCurve, compare, dose_plane, reference_dose
from mcdose.analysis.report_html import html_report
from mcdose.cli import main
from mcdose.plotting_dose import pdd_figure
from mcdose.plotting_map import dose_map_figure
from mcdose.results import Grid, Result


@pytest.fixture
def result(tmp_path):
    """An electron-like depth dose with seeded 1 % noise."""
    grid = Grid("cylindrical", {"r_edges": np.arange(0, 8.0001, 0.2), "z_edges": np.arange(0, 6.0001, 0.1)})
    rc, zc = grid.centers("r_edges"), grid.centers("z_edges")
    pdd = (1 - 0.25 * np.exp(-zc / 0.5)) * gauss.cdf((2.7 - zc) / 0.45) + 0.02
    dose = 1e-12 * gauss.cdf((5.0 - rc) / 0.4)[:, None] * pdd[None, :]
    dose *= 1 + 0.01 * np.random.default_rng(7).standard_normal(dose.shape)
    res = Result(dose, np.full(dose.shape, 0.01), dose, grid, ("water",))
    res.save(tmp_path / "r.h5")
    return res


def test_the_same_d_ref_everywhere(result, tmp_path, capsys):
    norm = reference_dose(result)
    curve = result.pdd()
    # pdd table and CSV
    assert main(["pdd", str(tmp_path / "r.h5"), "--csv", str(tmp_path / "p.csv")]) == 0
    assert norm.describe() in capsys.readouterr().out
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == f"# {norm.describe()}"
    rows = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=2)
    np.testing.assert_allclose(rows[:, 3], 100 * curve.dose / norm.dose, rtol=1e-6)
    # depth-dose figure
    ax = pdd_figure(curve, normalisation=norm).axes[0]
    assert ax.get_ylabel() == norm.label
    line = next(ln for ln in ax.lines if ln.get_label() == "computed (mcdose)")
    np.testing.assert_allclose(line.get_ydata(), 100 * curve.dose / norm.dose)
    # dose map and a prescription of 10 Gy to the 90 % isodose
    plane = dose_plane(result)
    fig = dose_map_figure(plane, norm, levels=(90, 50))
    assert "% of D_ref" in fig.axes[-1].get_ylabel() and norm.describe() in " ".join(
        t.get_text().replace("\n", " ") for t in fig.axes[0].texts + [fig.axes[0].title, fig.axes[0]._left_title])
    gy = dose_map_figure(plane, norm, levels=(90, 50), prescription=(10.0, 90.0))
    wash = next(c for c in gy.axes[0].collections if c.get_array() is not None)
    assert wash.get_array().max() == pytest.approx(10.0 / (0.9 * norm.dose) * plane.dose.max(), rel=1e-9)
    # the commissioning report
    measured = MeasuredCurve("z", curve.position_cm, curve.dose / curve.dose.max(), label="same curve")
    comparison = compare(result, [measured])
    assert comparison.normalisation == norm
    assert norm.describe("mm") in html_report(comparison, result, "r.h5")
