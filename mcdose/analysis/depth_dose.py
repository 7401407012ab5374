"""Beam-quality metrics of an electron-beam depth-dose curve, and the dose-peak estimator.

Definitions follow IAEA TRS-398 (2000) sec. 7.2 and AAPM TG-25 (Khan et al. 1991, Med. Phys. 18:73,
Fig. 2 and sec. II.A) / TG-72 (Beddar et al. 2006, Med. Phys. 33:1476): R100 = dmax, R90, R80, R50 are
depths beyond dmax where the dose falls to 90/80/50 % of Dmax; Rp is where the tangent at the steepest
point of the fall-off meets the extrapolated bremsstrahlung background; Ds is the surface dose at
0.5 mm depth and Dx the bremsstrahlung (photon) background, both relative to Dmax.

dmax, Dmax (peak_fit): the maximum of a least-squares cubic over +-4.5 mm (at least 7 bins) centred on the bin
nearest the vertex of a parabola over +-6 mm about the highest bin (a centre that does not follow one noisy bin),
then once more on the bin nearest the cubic's maximum. A cubic follows the asymmetric electron peak (slow build-up, steep fall-off), where a parabola over the same
window is pulled ~1 mm towards the build-up. The fit is accepted only if its maximum lies between the nearest
bins on either side that are significantly (> 3 sigma) lower than the highest bin, and it agrees with the bins
compatible with the highest (within 3 sigma) inside its window: mean residual within 3 sigma of their mean +
0.1 % of Dmax. (3, not 2 sigma: at 2 a correct fit is rejected 1 time in 20, and the switch of window adds
noise the sigmas miss.) Otherwise the window is centred on the highest bin, then narrowed to 7 bins; as a last
resort dmax is the dose-weighted position and Dmax the mean of the compatible bins. A maximum in the first (or
last) bin gives the fitted dose at that bin's centre (clamped). Without per-bin sigmas the noise is the rms
residual of the cubic (so a misfit passes for noise). The uncertainties keep the chosen window (a linearised
estimator): the window's own jitter with the noise is left out, which makes the dmax sigma up to ~20 % low.

Uncertainties (mcdose.analysis.curves.metric_sigmas): with batch-group curves, the leave-one-group-out
jackknife of the computation, which keeps the correlations between depths (range straggling moves
neighbouring bins together); else first-order propagation of independent per-bin sigmas.

depth_dose_metrics applies the rules for when these beam metrics mean something (electron beam, depth axis,
build-up, fall-off, one medium from the surface to the end of the fall-off) and otherwise says why not.
"""
from dataclasses import dataclass, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mcdose.errors import InputError

from .curves import bin_sigma, metric_sigmas, validated_batches, validated_curve, validated_sigma

PEAK_HALF_WINDOW_CM = 0.45  # cubic fit window about the highest bin
PEAK_CENTRE_HALF_WINDOW_CM = 0.6  # the window is centred on the vertex of a parabola over this half-width
PEAK_MIN_POINTS = 7  # at least this many bins in the peak fit (4 coefficients, 3 degrees of freedom)
PEAK_K_SIGMA = 3.0  # bins within this many sigma of the highest are "compatible" with it
PEAK_MODEL_TOL = 1e-3  # allowance for the cubic's shape error at the highest bins, fraction of Dmax
LOCATE_HALF_WINDOW_CM = 0.5  # half-width of the line fits that locate the steepest point of the fall-off
TANGENT_HALF_WINDOW_CM = 0.25  # half-width of the tangent fit there (at least 5 points)
TAIL_OFFSET_CM = 0.5  # tail points start this far beyond the zero crossing of the tangent
SURFACE_DEPTH_CM = 0.05  # Ds depth (TRS-398 / TG-25: 0.5 mm)
FALL_OFF_END_FRACTION = 0.1  # the fall-off ends where the dose last exceeds 10 % of the highest bin
NOT_CHECKED = "media along the axis not checked"


@dataclass(frozen=True)
class Estimate:
    """A value with its 1-sigma uncertainty (NaN when no dose uncertainty was given)."""

    value: float
    sigma: float


@dataclass(frozen=True)
class Line:
    """A straight line in (z cm, dose): intercept + slope z."""

    intercept: float
    slope: float

    def __call__(self, z):
        return self.intercept + self.slope * np.asarray(z, dtype=float)


@dataclass(frozen=True)
class PeakFit:
    """The dose maximum: position (cm) and dose (input units) with 1-sigma, and the fitted curve.

    coefficients: polynomial in (z - centre_cm), highest power first (a cubic; one constant for the
    mean-of-bins fallback), valid over window_cm = (first, last) fitted bin centre; method says which estimate.
    """

    position_cm: Estimate
    dose: Estimate
    window_cm: tuple
    centre_cm: float
    coefficients: tuple
    method: str

    def curve(self, z):
        """The fitted dose at depths z (cm)."""
        return np.polyval(self.coefficients, np.asarray(z, dtype=float) - self.centre_cm)


@dataclass(frozen=True)
class PDDMetrics:
    """Depth-dose metrics. Depths in cm; `d_max` in the input dose units; `ds`, `dx` as fractions of Dmax.

    r100_cm equals dmax_cm; `dx` is the background line evaluated at Rp (TG-25 Fig. 2 convention).
    peak: the dmax fit; tangent, background: the two lines whose intersection is Rp (dose units);
    uncertainty_method: how the sigmas were obtained; warnings: e.g. bins too coarse for a metric.
    """

    dmax_cm: Estimate
    d_max: Estimate
    r90_cm: Estimate
    r80_cm: Estimate
    r50_cm: Estimate
    rp_cm: Estimate
    ds: Estimate
    dx: Estimate
    peak: PeakFit
    tangent: Line
    background: Line
    uncertainty_method: str
    warnings: tuple

    @property
    def r100_cm(self) -> Estimate:
        return self.dmax_cm


def depth_dose_metrics(curve) -> PDDMetrics:
    """Beam metrics of a mcdose.results.DepthDose, or InputError saying why they are withheld.

    Withheld for: a radial dose (axis "r"); a source that is known not to be an electron beam; a material
    interface between the first bin and the end of the fall-off (the depth where the dose last exceeds 10 % of
    the highest bin: dmax, R50 and Rp would describe the interface); no build-up (highest bin or fitted maximum
    in the first bin); no fall-off below 50 %. Interfaces at or above the shallow edge of the first bin (e.g.
    air above the surface) do not count; interfaces None adds the warning "media along the axis not checked".
    """
    if curve.axis != "z":
        raise InputError(f"beam metrics are for depth doses of electron beams; a radial dose (axis "
                         f"'{curve.axis}', e.g. of a point source) has no build-up, R50 or Rp")
    if curve.particle is not None and curve.particle != "electron":
        raise InputError(f"beam metrics are for depth doses of electron beams; this source emits "
                         f"{curve.particle}s")
    z, d = validated_curve(curve.position_cm, curve.dose, "position_cm", "depth-dose curve")
    _check_one_medium(z, d, curve.interfaces)
    _check_build_up(z, d, bin_sigma(validated_sigma(curve.sigma, d), validated_batches(curve.batches, d)))
    m = pdd_metrics(z, d, curve.sigma, curve.batches)
    return m if curve.interfaces is not None else replace(m, warnings=m.warnings + (NOT_CHECKED,))


def _check_one_medium(z, d, interfaces):
    if not interfaces:
        return
    h = float(np.median(np.diff(z)))
    top = z[0] - 0.5 * (z[1] - z[0])  # shallow edge of the first bin (bins centred on z)
    end = z[np.nonzero(d > FALL_OFF_END_FRACTION * d.max())[0][-1]] + 0.5 * h
    tolerance = 0.01 * h
    for i in sorted(interfaces, key=lambda i: i.depth_cm):
        if i.above != i.below and top + tolerance < i.depth_cm < end:
            raise InputError(f"beam metrics withheld: the axis crosses {i.above} -> {i.below} at z = "
                             f"{10 * i.depth_cm:.1f} mm, before the end of the fall-off ({10 * end:.1f} mm, "
                             f"{100 * FALL_OFF_END_FRACTION:.0f} % of the maximum); dmax, R90-R50 and Rp "
                             f"would describe the interface, not the beam in one medium")


def _check_build_up(z, d, s):
    peak = _fit_peak(z, d, s)[0]
    if int(np.argmax(d)) == 0 or peak.position <= 0.5 * (z[0] + z[1]):
        raise InputError(f"beam metrics withheld: no build-up, the dose is highest in the first bin "
                         f"(z = {10 * z[0]:.1f} mm); dmax, R90-R50 need a maximum below the surface")


def pdd_metrics(depth_cm, dose, uncertainty=None, batches=None) -> PDDMetrics:
    """Metrics of a depth-dose curve (no check of what it is: see depth_dose_metrics).

    depth_cm: strictly increasing depths (cm), >= 5 points; dose: dose at those depths (any unit);
    uncertainty: absolute 1-sigma of `dose` (same unit), or None; batches: (G, n) batch-group curves whose
    mean is `dose`, or None. Sigmas: jackknife with batches, else per-bin propagation, else NaN.
    Raises InputError for bad input or a curve without a fall-off below 50 % of Dmax.
    """
    z, d = validated_curve(depth_cm, dose, "depth_cm", "depth-dose curve")
    s, rows = validated_sigma(uncertainty, d), validated_batches(batches, d)
    s_bins = bin_sigma(s, rows)
    values, peak, tangent, background, plan = _analyse(z, d, s_bins)
    sigmas, method = metric_sigmas(lambda dd: _analyse(z, dd, s_bins, plan)[0], d, s, rows)
    est = [Estimate(float(v), float(e)) for v, e in zip(values, sigmas)]
    fit = PeakFit(est[0], est[1], peak.window, peak.centre, peak.coefficients, peak.method)
    return PDDMetrics(*est, fit, tangent, background, method, _coarse_warnings(z, values, peak))


def peak_fit(z, d, sigma=None, batches=None) -> PeakFit:
    """The dose maximum of a curve (position cm, dose in its units, 1-sigma each; method in the module doc).

    sigma: absolute per-bin 1-sigma or None; batches: (G, n) batch-group curves (jackknife sigmas) or None.
    A curve of fewer than 7 bins gets the mean of the bins compatible with the highest (no fit).
    """
    z, d = validated_curve(z, d, "z", "peak fit", min_points=1)
    s, rows = validated_sigma(sigma, d), validated_batches(batches, d)
    s_bins = bin_sigma(s, rows)
    peak, plan = _fit_peak(z, d, s_bins)

    def metric(dd):
        p = _fit_peak(z, dd, s_bins, plan)[0]
        return np.array([p.position, p.dose])

    sigmas, _ = metric_sigmas(metric, d, s, rows)
    return PeakFit(Estimate(peak.position, float(sigmas[0])), Estimate(peak.dose, float(sigmas[1])),
                   peak.window, peak.centre, peak.coefficients, peak.method)


@dataclass(frozen=True)
class _Peak:
    position: float
    dose: float
    window: tuple
    centre: float
    coefficients: tuple
    method: str


def _analyse(z, d, s, plan=None):
    """([dmax, Dmax, R90, R80, R50, Rp, Ds, Dx], peak, tangent, background, peak plan) of one curve."""
    imax = int(np.argmax(d))
    peak, plan = _fit_peak(z, d, s, plan)
    r90, r80, r50 = (_crossing(z, d, imax, f * peak.dose) for f in (0.9, 0.8, 0.5))
    rp, tangent, background = _practical_range(z, d, imax)
    ds = _interp_extrap(SURFACE_DEPTH_CM, z, d) / peak.dose
    values = np.array([peak.position, peak.dose, r90, r80, r50, rp, ds, background(rp) / peak.dose])
    return values, peak, tangent, background, plan


def _fit_peak(z, d, s, plan=None):
    """The dose maximum (see the module docstring) and the plan that gave it; s: per-bin 1-sigma, or None to
    estimate a common one from the residuals of a cubic. A given plan (bins and model) is re-evaluated on d
    as it is, which linearises the estimator for the uncertainties."""
    plan = _peak_plan(z, d, s) if plan is None else plan
    if plan[0] == "mean":
        bins = slice(plan[1], plan[2] + 1)
        w, target = d[bins], float(d[bins].mean())
        position = float(np.sum(w * z[bins]) / np.sum(w)) if np.sum(w) > 0 else float(z[plan[1]])
        return _Peak(position, target, (float(z[plan[1]]), float(z[plan[2]])), position, (target,),
                     "mean of the bins within 3 sigma of the highest"), plan
    fit = _cubic_max(z, d, *plan[1:])
    if fit is None:
        return _Peak(np.nan, np.nan, (np.nan, np.nan), np.nan, (np.nan,), "cubic fit"), plan
    return _Peak(*fit, "cubic fit"), plan


def _peak_plan(z, d, s):
    """("cubic", start, n, centre index) of the first window whose cubic passes the check against the highest
    bins, or ("mean", first, last) of the bins compatible with the highest."""
    i0 = int(np.argmax(d))
    if z.size < PEAK_MIN_POINTS:
        return ("mean", *_compatible(d, np.zeros_like(d) if s is None else s, i0))
    h = float(np.median(np.diff(z)))
    k_nominal = max(round(PEAK_HALF_WINDOW_CM / h), PEAK_MIN_POINTS // 2)
    if s is None:
        s = np.full(d.shape, _residual_rms(z, d, i0, k_nominal))
    first, last = _compatible(d, s, i0)
    lo, hi = z[max(first - 1, 0)], z[min(last + 1, z.size - 1)]
    k_centre = max(round(PEAK_CENTRE_HALF_WINDOW_CM / h), PEAK_MIN_POINTS // 2)
    centres = dict.fromkeys((_centre(z, d, i0, k_centre), i0))
    for k in range(k_nominal, PEAK_MIN_POINTS // 2 - 1, -1):
        for c in centres:
            n = min(2 * k + 1, z.size)
            plan = ("cubic", min(max(c - k, 0), z.size - n), n, c)
            fit = _cubic_max(z, d, *plan[1:])
            if fit is not None:  # once more, centred on the bin nearest this maximum
                c = int(np.argmin(np.abs(z - fit[0])))
                plan = ("cubic", min(max(c - k, 0), z.size - n), n, c)
                fit = _cubic_max(z, d, *plan[1:])
            if fit is None or not lo <= fit[0] <= hi:
                continue
            _, dose, _, centre, coefficients = fit
            top = np.arange(max(first, plan[1]), min(last, plan[1] + n - 1) + 1)
            mismatch = abs(np.mean(np.polyval(coefficients, z[top] - centre) - d[top]))
            if mismatch <= PEAK_K_SIGMA * np.sqrt(np.sum(s[top] ** 2)) / top.size + PEAK_MODEL_TOL * abs(dose):
                return plan
    return "mean", first, last


def _centre(z, d, i0, k):
    """Index of the bin nearest the vertex of a parabola over the 2k+1 bins about i0 (i0 if it has none
    there): a window centre that does not follow the noise of the single highest bin."""
    n = min(2 * k + 1, z.size)
    start = min(max(i0 - k, 0), z.size - n)
    a, b, _ = np.polyfit(z[start:start + n] - z[i0], d[start:start + n], 2)
    if a >= 0 or not z[start] <= z[i0] - b / (2 * a) <= z[start + n - 1]:
        return i0
    return int(np.argmin(np.abs(z - (z[i0] - b / (2 * a)))))


def _residual_rms(z, d, i0, k):
    """Root-mean-square residual of a cubic over the 2k+1 bins about i0 (a noise estimate)."""
    n = min(2 * k + 1, z.size)
    start = min(max(i0 - k, 0), z.size - n)
    zw, dw = z[start:start + n] - z[i0], d[start:start + n]
    deg = min(3, n - 2)
    return float(np.sqrt(np.sum((dw - np.polyval(np.polyfit(zw, dw, deg), zw)) ** 2) / (n - deg - 1)))


def _compatible(d, s, i0):
    """(first, last) index of the contiguous bins around i0 within PEAK_K_SIGMA sigma of d[i0]."""
    ok = d[i0] - d <= PEAK_K_SIGMA * np.hypot(s[i0], s)
    first = i0
    while first > 0 and ok[first - 1]:
        first -= 1
    last = i0
    while last < d.size - 1 and ok[last + 1]:
        last += 1
    return first, last


def _cubic_max(z, d, start, n, centre):
    """(position, dose, window, expansion point, coefficients) of the maximum of a least-squares cubic in
    z - z[centre] over the bins start..start+n-1, or None if it has none there. A window at the first (last)
    bin of the curve may have its maximum there, where the cubic falls away from it (clamped)."""
    zw, dw = z[start:start + n], d[start:start + n]
    c = float(z[centre])
    p = np.polyfit(zw - c, dw, min(3, n - 2))
    slope, curvature = np.polyder(p), np.polyder(p, 2)
    lo, hi = zw[0] - c, zw[-1] - c
    points = [u.real for u in np.roots(slope)
              if abs(u.imag) < 1e-12 and lo <= u.real <= hi and np.polyval(curvature, u.real) < 0]
    if start == 0 and np.polyval(slope, lo) <= 0:
        points.append(lo)
    if start + n == z.size and np.polyval(slope, hi) >= 0:
        points.append(hi)
    if not points:
        return None
    u = max(points, key=lambda v: np.polyval(p, v))
    return float(c + u), float(np.polyval(p, u)), (float(zw[0]), float(zw[-1])), c, tuple(map(float, p))


def _crossing(z, d, imax, level):
    """First depth beyond the highest bin where the dose falls below `level` (linear interpolation, cm)."""
    below = np.nonzero(d[imax:] < level)[0]
    if below.size == 0:
        raise InputError(f"depth-dose curve does not fall below {level:.4g} (needs a fall-off below 50 % of Dmax)")
    j = imax + below[0]
    if j == 0:
        return z[0]
    return z[j - 1] + (level - d[j - 1]) * (z[j] - z[j - 1]) / (d[j] - d[j - 1])


def _line(z, d) -> Line:
    """Least-squares line through the points (z, d)."""
    slope, intercept = np.polyfit(z, d, 1)
    return Line(float(intercept), float(slope))


def _practical_range(z, d, imax):
    """(Rp in cm, tangent, background).

    Steepest point: centre of the steepest least-squares line over windows of +-0.5 cm beyond the highest
    bin (a wide window limits the bias from picking the steepest of many noisy slopes). Tangent:
    least-squares line over +-0.25 cm (at least 5 points) about that centre. Background: least-squares
    line through the points deeper than (tangent zero crossing + 0.5 cm); if fewer than 2 such points,
    a horizontal line at the last dose.
    """
    h = np.median(np.diff(z))
    n_fit = max(5, 2 * int(round(TANGENT_HALF_WINDOW_CM / h)) + 1)
    n_locate = min(max(n_fit, 2 * int(round(LOCATE_HALF_WINDOW_CM / h)) + 1), z.size - imax)
    if n_locate < 5:
        raise InputError("depth-dose curve needs at least 5 points beyond the dose maximum")
    zw = sliding_window_view(z[imax:], n_locate)
    dw = sliding_window_view(d[imax:], n_locate)
    zc = zw - zw.mean(axis=1, keepdims=True)
    centre = imax + int(np.argmin(np.sum(zc * dw, axis=1) / np.sum(zc * zc, axis=1))) + n_locate // 2
    fit = slice(max(centre - n_fit // 2, 0), centre + n_fit // 2 + 1)
    tangent = _line(z[fit], d[fit])
    if tangent.slope >= 0:
        raise InputError("depth-dose curve has no falling edge beyond the dose maximum")
    tail = z > -tangent.intercept / tangent.slope + TAIL_OFFSET_CM
    background = _line(z[tail], d[tail]) if tail.sum() >= 2 else Line(float(d[-1]), 0.0)
    if background.slope <= tangent.slope:
        raise InputError("bremsstrahlung tail falls faster than the fall-off; cannot determine Rp")
    rp = (background.intercept - tangent.intercept) / (tangent.slope - background.slope)
    return rp, tangent, background


def _interp_extrap(x, z, d):
    """Linear interpolation of d(z) at x, extrapolating from the first/last two points outside the range."""
    if x < z[0]:
        return d[0] + (x - z[0]) * (d[1] - d[0]) / (z[1] - z[0])
    if x > z[-1]:
        return d[-1] + (x - z[-1]) * (d[-1] - d[-2]) / (z[-1] - z[-2])
    return float(np.interp(x, z, d))


def _coarse_warnings(z, values, peak) -> tuple:
    """Warnings where the bins are coarser than what a metric resolves (lengths in mm)."""
    h = float(np.median(np.diff(z)))
    r90, _, r50 = values[2:5]
    out = []
    if PEAK_HALF_WINDOW_CM < h * (PEAK_MIN_POINTS // 2):
        out.append(f"bins of {10 * h:.1f} mm: the dmax fit needs {PEAK_MIN_POINTS} bins "
                   f"({10 * h * (PEAK_MIN_POINTS - 1):.1f} mm), "
                   f"wider than the {20 * PEAK_HALF_WINDOW_CM:.0f} mm over which a cubic follows the peak; "
                   "dmax is not resolved")
    if peak.method != "cubic fit":
        out.append(f"dmax: no fit agreed with the highest bins; dmax and Dmax are the {peak.method}")
    if h > 0.5 * (r50 - r90):
        out.append(f"bins of {10 * h:.1f} mm are wider than half the R90-R50 fall-off ({10 * (r50 - r90):.1f} "
                   "mm): R90, R80, R50 and Rp are not resolved")
    if SURFACE_DEPTH_CM < z[0]:
        out.append(f"Ds at {10 * SURFACE_DEPTH_CM:.1f} mm is extrapolated from bins centred at {10 * z[0]:.1f} "
                   f"and {10 * z[1]:.1f} mm")
    return tuple(out)
