"""Beam-quality metrics of an electron-beam depth-dose curve (pure functions on 1-D arrays).

Definitions follow IAEA TRS-398 (2000) sec. 7.2 and AAPM TG-25 (Khan et al. 1991, Med. Phys. 18:73,
Fig. 2 and sec. II.A) / TG-72 (Beddar et al. 2006, Med. Phys. 33:1476): R100 = dmax, R90, R80, R50 are
depths beyond dmax where the dose falls to 90/80/50 % of Dmax; Rp is where the tangent at the steepest
point of the fall-off meets the extrapolated bremsstrahlung background; Ds is the surface dose at
0.5 mm depth and Dx the bremsstrahlung (photon) background, both relative to Dmax.

Uncertainties: first-order (linear) propagation of independent per-bin 1-sigma dose uncertainties,
sigma_m^2 = sum_i (dm/dD_i)^2 sigma_i^2, with dm/dD_i from central finite differences of the whole
metric computation (step 1 % of sigma_i), so every fit and interpolation below is propagated.
"""
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mcdose.errors import InputError

from .curves import validated_curve

DMAX_HALF_WINDOW_CM = 0.45  # parabola fit window around the highest bin (at least 5 points used)
LOCATE_HALF_WINDOW_CM = 0.5  # half-width of the line fits that locate the steepest point of the fall-off
TANGENT_HALF_WINDOW_CM = 0.25  # half-width of the tangent fit there (at least 5 points)
TAIL_OFFSET_CM = 0.5  # tail points start this far beyond the zero crossing of the tangent
SURFACE_DEPTH_CM = 0.05  # Ds depth (TRS-398 / TG-25: 0.5 mm)
_FD_STEP = 0.01  # finite-difference step as a fraction of sigma_i


@dataclass(frozen=True)
class Estimate:
    """A value with its 1-sigma uncertainty (NaN when no dose uncertainty was given)."""

    value: float
    sigma: float


@dataclass(frozen=True)
class PDDMetrics:
    """Depth-dose metrics. Depths in cm; `d_max` in the input dose units; `ds`, `dx` as fractions of Dmax.

    r100_cm equals dmax_cm; `dx` is the background line evaluated at Rp (TG-25 Fig. 2 convention).
    """

    dmax_cm: Estimate
    d_max: Estimate
    r90_cm: Estimate
    r80_cm: Estimate
    r50_cm: Estimate
    rp_cm: Estimate
    ds: Estimate
    dx: Estimate

    @property
    def r100_cm(self) -> Estimate:
        return self.dmax_cm


def pdd_metrics(depth_cm, dose, uncertainty=None) -> PDDMetrics:
    """Metrics of a depth-dose curve.

    depth_cm: strictly increasing depths (cm), >= 5 points; dose: dose at those depths (any unit);
    uncertainty: absolute 1-sigma of `dose` (same unit), or None (sigmas are then NaN).
    Raises InputError for bad input or a curve without a fall-off below 50 % of Dmax.
    """
    z, d, s = _validate(depth_cm, dose, uncertainty)
    values = _metrics(z, d)
    sigmas = np.full(values.shape, np.nan) if s is None else _propagate(z, d, s, values)
    return PDDMetrics(*(Estimate(float(v), float(e)) for v, e in zip(values, sigmas)))


def _validate(depth_cm, dose, uncertainty):
    z, d = validated_curve(depth_cm, dose, "depth_cm", "depth-dose curve")
    if uncertainty is None:
        return z, d, None
    s = np.asarray(uncertainty, dtype=float)
    if s.shape != d.shape or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise InputError("uncertainty must be finite, >= 0 and of the same length as dose")
    return z, d, s


def _metrics(z, d):
    """[dmax, Dmax, R90, R80, R50, Rp, Ds, Dx] of one curve."""
    imax = int(np.argmax(d))
    dmax, d_max = _peak(z, d, imax)
    r90, r80, r50 = (_crossing(z, d, imax, f * d_max) for f in (0.9, 0.8, 0.5))
    rp, background = _practical_range(z, d, imax)
    ds = _interp_extrap(SURFACE_DEPTH_CM, z, d) / d_max
    return np.array([dmax, d_max, r90, r80, r50, rp, ds, background / d_max])


def _peak(z, d, imax):
    """(dmax, Dmax): vertex of a least-squares parabola through the points within +-0.45 cm.

    The window is first centred on the highest bin, then once more on the fitted vertex (which makes the
    result less sensitive to which noisy bin is highest). At least 5 (the nearest) points are used;
    the highest bin is returned if the fit is not concave.
    """
    centre, peak = z[imax], d[imax]
    for _ in range(2):
        near = _window(z, centre)
        a, b, c = np.polyfit(z[near] - centre, d[near], 2)
        if a >= 0:
            return z[imax], d[imax]
        u = np.clip(-b / (2 * a), z[near].min() - centre, z[near].max() - centre)
        centre, peak = centre + u, c + u * (b + a * u)
    return centre, peak


def _window(z, centre):
    """Mask of the points within DMAX_HALF_WINDOW_CM of `centre`, or of the 5 nearest if fewer."""
    distance = np.abs(z - centre)
    near = distance <= DMAX_HALF_WINDOW_CM
    if near.sum() < 5:
        near = distance <= np.sort(distance)[4]
    return near


def _crossing(z, d, imax, level):
    """First depth beyond the highest bin where the dose falls below `level` (linear interpolation, cm)."""
    below = np.nonzero(d[imax:] < level)[0]
    if below.size == 0:
        raise InputError(f"depth-dose curve does not fall below {level:.4g} (needs a fall-off below 50 % of Dmax)")
    j = imax + below[0]
    if j == 0:
        return z[0]
    return z[j - 1] + (level - d[j - 1]) * (z[j] - z[j - 1]) / (d[j] - d[j - 1])


def _line(z, d):
    """Least-squares line (intercept, slope) through the points (z, d)."""
    slope, intercept = np.polyfit(z, d, 1)
    return intercept, slope


def _practical_range(z, d, imax):
    """(Rp in cm, background dose at Rp).

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
    a, b = _line(z[fit], d[fit])
    if b >= 0:
        raise InputError("depth-dose curve has no falling edge beyond the dose maximum")
    tail = z > -a / b + TAIL_OFFSET_CM
    c, e = _line(z[tail], d[tail]) if tail.sum() >= 2 else (d[-1], 0.0)
    if e <= b:
        raise InputError("bremsstrahlung tail falls faster than the fall-off; cannot determine Rp")
    rp = (c - a) / (b - e)
    return rp, c + e * rp


def _interp_extrap(x, z, d):
    """Linear interpolation of d(z) at x, extrapolating from the first/last two points outside the range."""
    if x < z[0]:
        return d[0] + (x - z[0]) * (d[1] - d[0]) / (z[1] - z[0])
    if x > z[-1]:
        return d[-1] + (x - z[-1]) * (d[-1] - d[-2]) / (z[-1] - z[-2])
    return float(np.interp(x, z, d))


def _propagate(z, d, s, values):
    """1-sigma of each metric: sqrt(sum_i (dm/dD_i sigma_i)^2), dm/dD_i by central differences."""
    var = np.zeros(values.shape)
    for i in np.nonzero(s > 0)[0]:
        h = _FD_STEP * s[i]
        up, down = d.copy(), d.copy()
        up[i] += h
        down[i] -= h
        var += ((_metrics(z, up) - _metrics(z, down)) / (2 * h) * s[i]) ** 2
    return np.sqrt(var)
