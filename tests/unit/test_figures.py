"""Figures checked on their artists (not pixels): every marker and label present, no two labels overlapping,
nothing clipped, legends listing exactly what is drawn, the normalisation stated, interfaces marked, withheld
metrics explained, isodoses never silently dropped, plane names and materials right (synthetic results; no
transport)."""
import io
import itertools

import numpy as np
import pytest
from matplotlib.image import imread
from matplotlib.text import Text
from mcdose.phantoms import build

from mcdose.analysis.curves import Interface
from mcdose.analysis.isodose import dose_plane
from mcdose.analysis.normalisation import Normalisation
from mcdose.plotting import COLOURS, draw_materials
from mcdose.plotting_dose import (
    figure_png,
    pdd_figure,
    profile_figure,
    radial_figure,
    save_figure,
)
from mcdose.plotting_map import dose_map_figure, uncertainty_map_figure
from mcdose.results import DepthDose, Grid, Profile, Result

G = 10
BEAM = {"type": "beam", "particle": "electron", "energy": 9.0, "shape": "circle", "radius": 5.0, "z": 0.0}
NORM = Normalisation(1.0, 0.002, 2.1, "z", 1.0)


def electron_shape(z):
    """A 9 MeV-like electron depth dose: build-up, peak near 2 cm, fall-off (R50 ~ 3.4 cm), background."""
    return (0.8 + 0.2 * (1 - np.exp(-z / 0.7))) / (1 + np.exp((z - 3.4) / 0.28)) + 0.02 * (1 - z / 20)


def _batched(shape, noise=0.01, seed=1):
    rng = np.random.default_rng(seed)
    b = shape[None] * (1 + noise * rng.standard_normal((G, shape.size)))
    return b.mean(0), b.std(0, ddof=1) / np.sqrt(G), b


def electron_pdd(interfaces=()):
    z = np.arange(0.05, 6.0, 0.1)
    d, s, b = _batched(electron_shape(z))
    return DepthDose(z, d, s, "z", batches=b, particle="electron", interfaces=interfaces, radius_cm=1.0)


def labels(fig) -> list:
    """The visible non-empty label texts of a figure (tick labels excluded) and the legends, as artists."""
    out = [t for ax in fig.axes for t in ax.texts + [ax.title] if t.get_visible() and t.get_text()]
    out += [t for t in (fig._suptitle, fig._supxlabel) if t is not None and t.get_text()]
    return out + [leg for ax in fig.axes if (leg := ax.get_legend())] + list(fig.legends)


def assert_no_overlap(fig):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [(a, a.get_window_extent(r)) for a in labels(fig)]
    for (a, p), (b, q) in itertools.combinations(boxes, 2):
        assert not p.overlaps(q), f"{getattr(a, 'get_text', str)()!r} overlaps {getattr(b, 'get_text', str)()!r}"


def texts(fig) -> set:
    return {t.get_text() for t in fig.findobj(Text) if t.get_visible()}


def legend_labels(fig) -> set:
    legends = [leg for ax in fig.axes if (leg := ax.get_legend())] + list(fig.legends)
    return {t.get_text() for leg in legends for t in leg.get_texts()}


def drawn_labels(ax) -> set:
    """Labels of the artists drawn on `ax` that carry a legend label."""
    return {a.get_label() for a in ax.lines + ax.collections + ax.patches
            if a.get_label() and not a.get_label().startswith("_")}


def assert_inside_ylim(ax, values):
    lo, hi = ax.get_ylim()
    assert lo <= np.min(values) and np.max(values) <= hi


# ---- depth dose -----------------------------------------------------------------------------------------

def test_pdd_markers_fit_lines_table_and_normalisation():
    curve = electron_pdd()
    measured = [("scan", curve.position_cm + 0.15, 100 * electron_shape(curve.position_cm) / 0.98)]
    fig = pdd_figure(curve, measured=measured, gamma=[(curve.position_cm, np.full(curve.dose.size, 0.4), "2 %/2 mm")],
                     title="9 MeV electrons", normalisation=NORM, measured_markers=[(3.45, "R50 measured")])
    ax = fig.axes[0]
    shown = texts(fig)
    assert {"dmax", "R90", "R80", "R50", "Rp", "R50 measured"} <= shown
    table = next(t for t in shown if t.startswith("dmax "))
    assert "R80" in table and "mm" in table and "Ds" in table and "Dx" in table
    assert ax.get_ylabel() == NORM.label and NORM.describe()[:40] in ax.get_title(loc="left").replace("\n", " ")
    assert_inside_ylim(ax, 100 * (curve.dose + curve.sigma) / NORM.dose)
    assert_inside_ylim(ax, measured[0][2])
    drawn = drawn_labels(ax)
    assert {"peak fit (dmax, D_max)", "Rp tangent", "bremsstrahlung background", "measured: scan"} <= drawn
    assert legend_labels(fig) >= drawn and legend_labels(fig) - drawn == {"2 %/2 mm"}   # the gamma panel's
    assert_no_overlap(fig)


def test_pdd_close_markers_stagger_without_overlap():
    curve = electron_pdd()
    marks = [(3.3 + 0.02 * k, f"M{k}") for k in range(6)]
    fig = pdd_figure(curve, normalisation=NORM, measured_markers=marks)
    assert {f"M{k}" for k in range(6)} <= texts(fig)
    assert_no_overlap(fig)


def test_pdd_heterogeneous_withholds_metrics_and_marks_interfaces():
    curve = electron_pdd((Interface(0.0, "air", "breast"), Interface(2.3, "breast", "copper"),
                          Interface(2.55, "copper", "water")))
    fig = pdd_figure(curve, normalisation=NORM)
    ax = fig.axes[0]
    shown = texts(fig)
    assert not {"dmax", "R90", "R80", "R50", "Rp"} & shown
    assert any("withheld" in t and "copper" in t for t in shown)
    assert {"breast", "copper", "water"} <= shown
    assert drawn_labels(ax) == legend_labels(fig) == {"computed 1σ", "computed (mcdose)", "material interface"}
    xs = {line.get_xdata()[0] for line in ax.lines if line.get_label() == "material interface" or
          (line.get_color() == "0.3")}
    assert xs == {23.0, 25.5}                              # the interfaces inside the curve, in mm
    assert_inside_ylim(ax, 100 * curve.dose / NORM.dose)
    assert_no_overlap(fig)


def test_pdd_default_normalisation_is_the_curves_peak_fit():
    curve = electron_pdd()
    fig = pdd_figure(curve)
    assert "D_ref" in fig.axes[0].get_ylabel()
    assert f"at z = {10 * curve.metrics().peak.position_cm.value:.1f} mm" in fig.axes[0].get_title(loc="left").replace(
        "\n", " ")


# ---- radial dose of a point source ------------------------------------------------------------------------

def test_radial_figure_log_scale_surfaces_and_no_beam_metrics():
    r = np.arange(0.05, 5.0, 0.1)
    d = np.exp(-0.3 * r) / (r + 0.2) ** 2
    curve = DepthDose(r, d, 0.01 * d, "r", particle="photon")
    norm = Normalisation(d.max(), 0.0, 0.05, "r", None)
    fig = radial_figure(curve, norm, surfaces=[(1.0, "applicator surface"), (1.05, "cavity surface")])
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert {"applicator surface", "cavity surface"} <= texts(fig)
    assert not {"dmax", "R50", "Rp"} & texts(fig)
    assert_inside_ylim(ax, 100 * d / norm.dose)
    assert legend_labels(fig) == drawn_labels(ax)
    assert_no_overlap(fig)


# ---- profiles ---------------------------------------------------------------------------------------------

def _profile(mirrored=False):
    x = np.arange(-7.95, 8.0, 0.1)
    d, s, b = _batched(1 / (1 + np.exp((np.abs(x) - 5) / 0.3)), 0.02)
    return Profile(x, d, s, "x", 2.0, batches=b, mirrored=mirrored)


def test_profile_figure_edges_centre_fitted_d0():
    p = _profile()
    fig = profile_figure(p, measured=[("scan", p.position_cm + 0.15, 100 * p.dose / p.dose.max())],
                         measured_markers=[(-4.85, "50 % measured")])
    ax = fig.axes[0]
    assert "central-axis dose at z = 2 cm (fitted)" in ax.get_ylabel()
    assert [t.get_text() for t in ax.texts].count("50 %") == 2 and {"centre", "50 % measured"} <= texts(fig)
    m = p.metrics()
    assert_inside_ylim(ax, 100 * (p.dose + p.sigma) / m.d0.value)
    assert legend_labels(fig) == drawn_labels(ax)
    assert_no_overlap(fig)


def test_mirrored_profile_shows_symmetry_na():
    fig = profile_figure(_profile(mirrored=True))
    table = next(t for t in texts(fig) if t.startswith("field size"))
    assert "symmetry    n/a" in table


def test_profile_without_dose_on_the_axis_is_drawn_against_its_highest_bin():
    """Too few histories: nothing scored on the axis and the metrics withheld; the figure normalises to the
    highest bin and says so (it raised on an infinite axis limit before)."""
    x = np.arange(-3.95, 4.0, 0.1)
    d = np.where(np.abs(x) > 1.0, 1.0, 0.0)
    fig = profile_figure(Profile(x, d, 0.1 * d, "x", 2.0))
    ax = fig.axes[0]
    assert "highest bin" in ax.get_ylabel()
    assert np.isfinite(ax.get_ylim()).all() and ax.get_ylim()[1] > 100


# ---- dose maps --------------------------------------------------------------------------------------------

def _cylindrical():
    grid = Grid("cylindrical", {"r_edges": np.arange(0, 8.01, 0.2), "z_edges": np.arange(0, 6.01, 0.1)})
    rc, zc = grid.centers("r_edges"), grid.centers("z_edges")
    dose = (1 / (1 + np.exp((rc - 5) / 0.4)))[:, None] * electron_shape(zc)[None]
    return Result(dose, np.full(dose.shape, 0.01) + 0.05 * (rc[:, None] / 8) ** 2, dose, grid)


@pytest.fixture(scope="module")
def shield():
    return build({"type": "breast_shield"})


def test_dose_map_rz_plane_labels_materials_source_and_unreached_level(shield):
    plane = dose_plane(_cylindrical())
    fig = dose_map_figure(plane, NORM, levels=(110, 100, 90, 50, 20), geometry=shield, source=BEAM,
                          title="9 MeV electrons; breast_shield phantom")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "r (cm)" and ax.get_ylabel() == "z (cm)"
    assert ax.get_title(loc="left").startswith("r-z plane")
    legend = legend_labels(fig)
    top = 100 * plane.dose.max() / NORM.dose
    assert f"110 % isodose: not reached (max {top:.1f} %)" in legend
    assert {"100 % isodose", "90 % isodose", "50 % isodose", "20 % isodose"} <= legend
    assert {"100 %", "90 %", "50 %", "20 %"} <= {t.get_text() for t in ax.texts}       # inline labels
    assert {"vacuum", "breast", "pmma", "copper", "water"} <= legend and "air" not in legend
    assert any(label.startswith("beam: 9 MeV electrons") for label in legend)
    assert len([a for a in ax.texts if getattr(a, "arrow_patch", None)]) == 3         # the beam's axis and edges
    assert_no_overlap(fig)


def test_dose_map_thin_copper_layer_has_vector_boundaries(shield):
    fig = dose_map_figure(dose_plane(_cylindrical()), NORM, geometry=shield)
    z = np.concatenate([p.vertices[:, 1] for c in fig.axes[0].collections if hasattr(c, "levels")
                        for p in c.get_paths() if len(p.vertices)])
    for depth in (1.5, 2.2, 2.45):                        # breast | pmma | copper (0.25 cm) | water
        assert np.min(np.abs(z - depth)) < 0.03


def test_dose_map_legend_lists_only_visible_materials(shield):
    grid = Grid("cartesian", {"x_edges": np.linspace(-4, 4, 21), "y_edges": [-0.5, 0.5],
                              "z_edges": np.linspace(3.5, 8.0, 19)})
    zc = grid.centers("z_edges")
    dose = np.ones((20, 1, 1)) * np.exp(-(zc - 3.5))[None, None, :]
    plane = dose_plane(Result(dose, np.full(dose.shape, 0.01), dose, grid), "y", 0.0)
    fig = dose_map_figure(plane, Normalisation(1.0, 0.0, 3.5, "z", 1.0), levels=(100, 50), geometry=shield,
                          source=BEAM)
    legend = legend_labels(fig)
    assert "water" in legend and not {"copper", "pmma", "breast"} & legend
    assert fig.axes[0].get_xlabel() == "x (cm)" and fig.axes[0].get_title(loc="left").startswith("x-z plane")


def test_dose_map_prescription_labels_in_gy_and_point_source_marker():
    plane = dose_plane(_cylindrical())
    src = {"type": "point", "particle": "photon", "energy": 0.05, "position": (0.0, 0.0, 2.0)}
    fig = dose_map_figure(plane, NORM, levels=(100, 50), source=src, prescription=(10.0, 90.0))
    ax = fig.axes[0]
    assert {"11.1 Gy", "5.56 Gy"} <= {t.get_text() for t in ax.texts}
    assert any(lbl.startswith("source: 0.05 MeV photon point source") for lbl in legend_labels(fig))
    assert [line.get_marker() for line in ax.lines if line.get_label().startswith("source")] == ["*"]


def test_uncertainty_map_masks_low_dose_and_labels_contours():
    plane = dose_plane(_cylindrical())
    fig = uncertainty_map_figure(plane)
    ax = fig.axes[0]
    mesh = ax.collections[0]
    rel = mesh.get_array()
    low = plane.dose < 0.01 * plane.dose.max()
    assert low.any() and np.all(np.ma.getmaskarray(rel).reshape(low.shape)[low])
    assert {"2 %"} <= {t.get_text() for t in ax.texts}
    assert "relative 1σ (%)" in {a.get_ylabel() for a in fig.axes}
    assert_no_overlap(fig)


# ---- geometry and output ----------------------------------------------------------------------------------

def test_geometry_slice_legend_only_materials_seen_and_air_not_vacuum(shield):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    handles = draw_materials(ax, shield, (0, 1), 2, 5.0, (-5, 5), (-5, 5))
    assert [h.get_label() for h in handles] == ["water"]
    plt.close(fig)
    assert COLOURS["air"] != COLOURS["vacuum"]


def test_figures_written_at_150_dpi(tmp_path):
    fig = pdd_figure(electron_pdd(), normalisation=NORM)
    width_in = fig.get_figwidth()
    png = imread(io.BytesIO(figure_png(fig)))
    assert png.shape[1] == pytest.approx(150 * width_in, abs=2)
    fig = radial_figure(DepthDose(np.arange(0.05, 2, 0.1), np.ones(20), np.zeros(20), "r"),
                        Normalisation(1.0, 0.0, 0.05, "r", None))
    path = save_figure(fig, tmp_path / "r.png")
    assert imread(path).shape[1] == pytest.approx(150 * width_in, abs=2)
