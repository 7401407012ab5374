"""Lateral dose-profile metrics (pure functions on 1-D arrays).

All levels are relative to the central-axis dose D0 = D(normalise_at), linearly interpolated.
- field size: distance between the 50 % points (IEC 60976 / AAPM TG-45 definition), cm;
- penumbra: lateral distance between the 80 % and 20 % (and 90 % and 10 %) points on each edge, cm;
- flatness (IEC 60976 variation): F = 100 (Dmax - Dmin) / (Dmax + Dmin), %, over the central 80 % of
  the field size, |x - x0| <= 0.4 FS about the axis x0 = normalise_at;
- symmetry (IEC 60976): S = 100 max D(x0 + u) / D(x0 - u) over 0 <= |u| <= 0.4 FS, %; 100 = symmetric.
Dmax, Dmin and the ratios use the sampled points in the region, their mirror images and the region
boundaries, all linearly interpolated. Each edge point is the one nearest the axis where the dose
first falls below the level.
"""
from dataclasses import dataclass

import numpy as np

from mcdose.errors import InputError

from .curves import validated_curve

FLAT_REGION_FRACTION = 0.8  # central fraction of the field size used for flatness and symmetry


@dataclass(frozen=True)
class ProfileMetrics:
    """Profile metrics: positions and widths in cm, flatness and symmetry in % (definitions above)."""

    left_50_cm: float
    right_50_cm: float
    field_size_cm: float
    penumbra_80_20_left_cm: float
    penumbra_80_20_right_cm: float
    penumbra_90_10_left_cm: float
    penumbra_90_10_right_cm: float
    flatness_pct: float
    symmetry_pct: float
    flatness_definition: str = "IEC 60976: 100*(Dmax-Dmin)/(Dmax+Dmin) over central 80% of field size"
    symmetry_definition: str = "IEC 60976: 100*max D(x0+u)/D(x0-u) over |u| <= 0.4*field size"


def profile_metrics(position_cm, dose, normalise_at=0.0) -> ProfileMetrics:
    """Metrics of a lateral profile.

    position_cm: strictly increasing positions (cm); dose: dose there (any unit);
    normalise_at: central-axis position x0 (cm) where the profile is normalised to 100 %.
    Raises InputError for bad input or a profile without both 20 % / 10 % edges.
    """
    x, d = _validate(position_cm, dose, normalise_at)
    x0 = float(normalise_at)
    d0 = float(np.interp(x0, x, d))
    if d0 <= 0:
        raise InputError(f"dose at normalise_at={x0} cm must be > 0 (got {d0})")
    r = d / d0
    right = {lvl: _edge(x - x0, r, lvl) for lvl in (0.9, 0.8, 0.5, 0.2, 0.1)}
    left = {lvl: _edge(x0 - x[::-1], r[::-1], lvl) for lvl in right}
    size = right[0.5] + left[0.5]
    flatness, symmetry = _flatness_symmetry(x - x0, r, 0.5 * FLAT_REGION_FRACTION * size)
    values = (x0 - left[0.5], x0 + right[0.5], size,
              left[0.2] - left[0.8], right[0.2] - right[0.8],
              left[0.1] - left[0.9], right[0.1] - right[0.9],
              flatness, symmetry)
    return ProfileMetrics(*map(float, values))


def _validate(position_cm, dose, normalise_at):
    x, d = validated_curve(position_cm, dose, "position_cm", "profile")
    if not x[0] < normalise_at < x[-1]:
        raise InputError(f"normalise_at must lie inside ({x[0]}, {x[-1]}) cm (got {normalise_at})")
    return x, d


def _edge(u, r, level):
    """Distance (cm) from the axis (u = 0) to where r first falls below `level` for u > 0 (interpolated)."""
    beyond = np.nonzero((u > 0) & (r < level))[0]
    if beyond.size == 0:
        raise InputError(f"profile does not fall below {100 * level:.0f} % of the axis dose on both sides")
    j = beyond[0]
    return u[j - 1] + (level - r[j - 1]) * (u[j] - u[j - 1]) / (r[j] - r[j - 1])


def _flatness_symmetry(u, r, half_width):
    """(flatness %, symmetry %) over |u| <= half_width (cm) of the normalised profile r(u)."""
    a = np.abs(u[np.abs(u) <= half_width])
    a = np.append(a, half_width)
    plus, minus = np.interp(a, u, r), np.interp(-a, u, r)
    both = np.concatenate([plus, minus])
    flatness = 100 * (both.max() - both.min()) / (both.max() + both.min())
    ratio = plus / minus
    return float(flatness), float(100 * max(ratio.max(), (1 / ratio).max()))
