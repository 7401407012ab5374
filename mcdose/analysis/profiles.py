"""Lateral dose-profile metrics (pure functions on 1-D arrays), each with its 1-sigma or the reason it is withheld.

Levels are relative to the central-axis dose d0 at x0 = normalise_at: the value at x0 of a least-squares
parabola a + b u + c u^2 (u = x - x0) over the bins with |u| <= FS/4 (at least 5 bins), i.e. over half the
field about the axis, clear of the shoulders and horns; FS from a first pass normalised to the interpolated
bin at x0, the fit iterated once with its field size. One noisy bin no longer sets 100 %.
- field size: distance between the 50 % points (IEC 60976 / AAPM TG-45 definition), cm; centre_cm: their midpoint;
- penumbra: lateral distance between the 80 % and 20 % (and 90 % and 10 %) points on each edge, cm;
- flatness (IEC 60976 variation): F = 100 (Dmax - Dmin) / (Dmax + Dmin), %, over the central 80 % of
  the field size, |x - x0| <= 0.4 FS;
- symmetry (IEC 60976): S = 100 max D(x0 + u) / D(x0 - u) over 0 <= |u| <= 0.4 FS, %; 100 = symmetric;
  n/a for a cylindrical mesh's radial profile mirrored onto -r..r (symmetric by construction).
Dmax, Dmin and the ratios use the sampled points in the region, their mirror images and the region
boundaries, linearly interpolated. With per-bin uncertainties they are taken from the lowest-order polynomial
(degree 2..8 in u) over the region that is consistent with the bins (chi-square p > 0.05), so that noise does
not inflate them (the max of many noisy ratios exceeds 100 % by several sigma); with none consistent, or no
uncertainties, from the bins. Each edge point is the one nearest the axis where the dose first falls below the
level (linear interpolation). Field size and centre need both 50 % points, a penumbra its two levels on that
side, flatness and symmetry the field size. Sigmas: mcdose.analysis.curves.metric_sigmas (batch jackknife, or
per-bin propagation). Warnings when the bins are wider than half a penumbra (not resolved).
"""
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.polynomial import legendre
from scipy.stats import chi2

from mcdose.errors import InputError

from .curves import bin_sigma, metric_sigmas, validated_batches, validated_curve, validated_sigma
from .depth_dose import Estimate

FLAT_REGION_FRACTION = 0.8  # central fraction of the field size used for flatness and symmetry
D0_REGION_FRACTION = 0.25  # d0 fit over |x - x0| <= 0.25 FS
D0_MIN_POINTS = 5
SMOOTH_DEGREES = range(2, 9)  # polynomial degrees tried for flatness / symmetry
SMOOTH_P_VALUE = 0.05
MIRRORED = "n/a: mirrored cylindrical profile"
_LEVELS = (0.9, 0.8, 0.5, 0.2, 0.1)
_FIELDS = ("d0", "centre_cm", "left_50_cm", "right_50_cm", "field_size_cm", "penumbra_80_20_left_cm",
           "penumbra_80_20_right_cm", "penumbra_90_10_left_cm", "penumbra_90_10_right_cm", "flatness_pct",
           "symmetry_pct")


@dataclass(frozen=True)
class ProfileMetrics:
    """Profile metrics: positions and widths in cm, flatness and symmetry in %, d0 in the dose's units (the
    definitions are in the module docstring). A metric that does not exist is None, with its reason in
    withheld[field name]; warnings: e.g. bins coarser than a penumbra; uncertainty_method: how sigmas were got."""

    d0: Estimate
    centre_cm: Estimate | None
    left_50_cm: Estimate | None
    right_50_cm: Estimate | None
    field_size_cm: Estimate | None
    penumbra_80_20_left_cm: Estimate | None
    penumbra_80_20_right_cm: Estimate | None
    penumbra_90_10_left_cm: Estimate | None
    penumbra_90_10_right_cm: Estimate | None
    flatness_pct: Estimate | None
    symmetry_pct: Estimate | None
    withheld: dict
    warnings: tuple
    uncertainty_method: str
    mirrored: bool
    flatness_definition: ClassVar[str] = "IEC 60976: 100*(Dmax-Dmin)/(Dmax+Dmin) over central 80% of field size"
    symmetry_definition: ClassVar[str] = "IEC 60976: 100*max D(x0+u)/D(x0-u) over |u| <= 0.4*field size"


def profile_metrics(position_cm, dose, normalise_at=0.0, uncertainty=None, batches=None,
                    mirrored=False) -> ProfileMetrics:
    """Metrics of a lateral profile.

    position_cm: strictly increasing positions (cm); dose: dose there (any unit); normalise_at: the
    central-axis position x0 (cm); uncertainty: absolute per-bin 1-sigma or None; batches: (G, n) batch-group
    profiles whose mean is `dose` (jackknife sigmas) or None; mirrored: a radial profile mirrored onto -r..r.
    Raises InputError for bad input or d0 <= 0.
    """
    x, d = validated_curve(position_cm, dose, "position_cm", "profile")
    x0 = float(normalise_at)
    if not x[0] < x0 < x[-1]:
        raise InputError(f"normalise_at must lie inside ({x[0]}, {x[-1]}) cm (got {normalise_at})")
    s, rows = validated_sigma(uncertainty, d), validated_batches(batches, d)
    s_bins = bin_sigma(s, rows)
    values, withheld = _analyse(x - x0, d, s_bins, mirrored)
    sigmas, method = metric_sigmas(lambda dd: _analyse(x - x0, dd, s_bins, mirrored)[0], d, s, rows)
    values[1:4] += x0  # positions back from u to x
    est = {name: None if name in withheld else Estimate(float(v), float(e))
           for name, v, e in zip(_FIELDS, values, sigmas)}
    return ProfileMetrics(**est, withheld=withheld, warnings=_coarse_warnings(x, values),
                          uncertainty_method=method, mirrored=bool(mirrored))


def _analyse(u, d, s, mirrored):
    """(values in _FIELDS order with NaN where withheld and positions relative to x0, {field: reason})."""
    d0 = float(np.interp(0.0, u, d))
    size = np.nan
    for _ in range(2):  # normalised to the bin at x0, then to the fit over the field size found
        if d0 <= 0:
            raise InputError(f"dose at normalise_at must be > 0 (got {d0:.4g})")
        right = {lvl: _edge(u, d / d0, lvl) for lvl in _LEVELS}
        left = {lvl: _edge(-u[::-1], d[::-1] / d0, lvl) for lvl in _LEVELS}
        size = right[0.5] + left[0.5]
        d0 = _central_fit(u, d, D0_REGION_FRACTION * size if np.isfinite(size) else _span(u))
    if d0 <= 0:
        raise InputError(f"fitted dose at normalise_at must be > 0 (got {d0:.4g})")
    right = {lvl: _edge(u, d / d0, lvl) for lvl in _LEVELS}
    left = {lvl: _edge(-u[::-1], d[::-1] / d0, lvl) for lvl in _LEVELS}
    size = right[0.5] + left[0.5]
    flatness, symmetry = _flatness_symmetry(u, d, s, 0.5 * FLAT_REGION_FRACTION * size) \
        if np.isfinite(size) else (np.nan, np.nan)
    values = np.array([d0, 0.5 * (right[0.5] - left[0.5]), -left[0.5], right[0.5], size,
                       left[0.2] - left[0.8], right[0.2] - right[0.8], left[0.1] - left[0.9], right[0.1] - right[0.9],
                       flatness, np.nan if mirrored else symmetry])
    withheld = {}
    for name, v in zip(_FIELDS, values):
        if not np.isfinite(v):
            withheld[name] = _reason(name, left, right, mirrored)
    return values, withheld


def _span(u):
    """Half-width of the central-fit region when no field size exists: a quarter of the shorter side."""
    return 0.25 * min(-u[0], u[-1])


def _central_fit(u, d, half_width):
    """Value at u = 0 of a least-squares parabola over |u| <= half_width (or the 5 nearest bins)."""
    distance = np.abs(u)
    near = distance <= half_width
    if near.sum() < D0_MIN_POINTS:
        near = distance <= np.sort(distance)[D0_MIN_POINTS - 1]
    return float(np.polyfit(u[near], d[near], 2)[-1])


def _edge(u, r, level):
    """Distance (cm) from the axis (u = 0) to where r first falls below `level` for u > 0 (interpolated), or NaN
    (never below it, or already below it at the axis)."""
    beyond = np.nonzero((u > 0) & (r < level))[0]
    if beyond.size == 0 or beyond[0] == 0 or r[beyond[0] - 1] < level:
        return np.nan
    j = beyond[0]
    return u[j - 1] + (level - r[j - 1]) * (u[j] - u[j - 1]) / (r[j] - r[j - 1])


def _reason(name, left, right, mirrored):
    """Why the metric `name` does not exist."""
    if name == "symmetry_pct" and mirrored:
        return MIRRORED
    sides = ("left",) if "left" in name else ("right",) if "right" in name else ("left", "right")
    levels = (0.8, 0.2) if "80_20" in name else (0.9, 0.1) if "90_10" in name else (0.5,)
    missing = [f"{100 * lvl:.0f} % on the {side}" for side in sides for lvl in levels
               if not np.isfinite((left if side == "left" else right)[lvl])]
    if not missing:
        return "not determined (dose <= 0 in the central region)"
    needs = " (it needs the field size)" if name in ("flatness_pct", "symmetry_pct") else ""
    return f"the profile does not cross {' or '.join(missing)} of d0 going out from the axis{needs}"


def _flatness_symmetry(u, d, s, half_width):
    """(flatness %, symmetry %) over |u| <= half_width (cm), from the bins or their smoothing polynomial."""
    inside = np.abs(u) <= half_width
    a = np.append(np.abs(u[inside]), half_width)
    smooth = _smoothing(u[inside], d[inside], None if s is None else s[inside], half_width)
    plus, minus = (smooth(a), smooth(-a)) if smooth else (np.interp(a, u, d), np.interp(-a, u, d))
    both = np.concatenate([plus, minus])
    if both.min() <= 0:
        return np.nan, np.nan
    ratio = plus / minus
    flatness = 100 * (both.max() - both.min()) / (both.max() + both.min())
    return float(flatness), float(100 * max(ratio.max(), (1 / ratio).max()))


def _smoothing(u, d, s, half_width):
    """The lowest-degree Legendre polynomial in u / half_width consistent with the bins (chi-square p >
    SMOOTH_P_VALUE), or None without uncertainties or when none is consistent."""
    if s is None or np.any(s <= 0):
        return None
    t = u / half_width
    for degree in SMOOTH_DEGREES:
        dof = u.size - degree - 1
        if dof < 2:
            return None
        c = legendre.legfit(t, d, degree, w=1 / s)
        if chi2.sf(np.sum(((d - legendre.legval(t, c)) / s) ** 2), dof) > SMOOTH_P_VALUE:
            return lambda v: legendre.legval(np.asarray(v) / half_width, c)
    return None


def _coarse_warnings(x, values) -> tuple:
    """A warning per penumbra the bins do not resolve (bin width > half the penumbra), lengths in mm."""
    h = float(np.median(np.diff(x)))
    out = []
    for name, left, right in (("80-20", values[5], values[6]), ("90-10", values[7], values[8])):
        widths = [w for w in (left, right) if np.isfinite(w)]
        if widths and h > 0.5 * min(widths):
            out.append(f"bins of {10 * h:.1f} mm are wider than half the {name} penumbra ({10 * min(widths):.1f} "
                       f"mm): the penumbra is not resolved")
    return tuple(out)
