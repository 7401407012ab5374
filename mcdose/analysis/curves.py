"""Input checks shared by the curve analyses (1-D, equal length, >= 5 finite points, increasing positions), the
material interfaces a central axis crosses, and the metric uncertainties (batch jackknife or per-bin propagation)."""
from dataclasses import dataclass

import numpy as np

from mcdose.errors import InputError


def validated_curve(position_cm, dose, position_name: str, what: str, min_points: int = 5) -> tuple:
    """(positions cm, dose) as float arrays, or InputError naming the field."""
    x = np.asarray(position_cm, dtype=float)
    d = np.asarray(dose, dtype=float)
    if x.ndim != 1 or d.ndim != 1 or x.size != d.size:
        raise InputError(f"{position_name} and dose must be 1-D of equal length (got shapes {x.shape}, {d.shape})")
    if x.size < min_points:
        raise InputError(f"{what} needs at least {min_points} points (got {x.size})")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(d))):
        raise InputError(f"{position_name} and dose must be finite (NaN or inf found)")
    if np.any(np.diff(x) <= 0):
        raise InputError(f"{position_name} must be strictly increasing")
    return x, d


@dataclass(frozen=True)
class Interface:
    """A material boundary crossed by the central axis at z = depth_cm (cm): `above` is the material at smaller
    z, `below` at larger z ("vacuum" where there is none)."""

    depth_cm: float
    above: str
    below: str


# --- Metric uncertainties shared by depth_dose and profiles -------------------------------------------------------

NO_UNCERTAINTY = "none"
PROPAGATION = "per-bin propagation (bins independent)"
_FD_STEP = 0.01  # finite-difference step of the propagation, as a fraction of sigma_i


def validated_sigma(uncertainty, dose) -> np.ndarray | None:
    """Absolute 1-sigma per bin as a float array (None stays None), or InputError."""
    if uncertainty is None:
        return None
    s = np.asarray(uncertainty, dtype=float)
    if s.shape != dose.shape or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise InputError("uncertainty must be finite, >= 0 and of the same length as dose")
    return s


def validated_batches(batches, dose) -> np.ndarray | None:
    """The (G, n) batch-group curves as float rows (None stays None), or InputError."""
    if batches is None:
        return None
    rows = np.asarray(batches, dtype=float)
    if rows.ndim != 2 or rows.shape[1] != dose.size or rows.shape[0] < 1 or not np.all(np.isfinite(rows)):
        raise InputError(f"batches must be a finite (G, {dose.size}) array of batch-group curves "
                         f"(got shape {rows.shape})")
    return rows


def bin_sigma(sigma, rows) -> np.ndarray | None:
    """Per-bin 1-sigma: the given one, else the standard error of the batch-group mean, else None."""
    if sigma is not None:
        return sigma
    if rows is not None and rows.shape[0] >= 2:
        return rows.std(axis=0, ddof=1) / np.sqrt(rows.shape[0])
    return None


def metric_sigmas(metric, dose, sigma=None, rows=None) -> tuple:
    """(1-sigma of each value of metric(dose), the method's description).

    metric: dose curve -> 1-D float array (NaN for a value that does not exist); may raise InputError.
    With rows (G >= 2 batch-group curves whose mean is `dose`): leave-one-group-out jackknife,
    theta_(g) = metric(mean of the other G-1 rows), var = (G-1)/G sum_g (theta_(g) - mean theta)^2
    (Efron & Tibshirani 1993, ch. 11), which keeps the correlations between bins. Falls back (and says so) to
    per-bin propagation if a leave-one-out curve is unusable. Per-bin propagation: sigma_m^2 =
    sum_i (dm/dD_i sigma_i)^2 with central differences (step 1 % of sigma_i), bins independent.
    """
    values = np.asarray(metric(dose), dtype=float)
    note = ""
    if rows is not None and rows.shape[0] >= 2:
        try:
            return _jackknife(metric, values, rows), \
                f"jackknife over {rows.shape[0]} batch groups (correlations between bins included)"
        except InputError as e:
            note = f"; jackknife impossible: {e}"
    elif rows is not None:
        note = "; 1 batch group, no jackknife"
    sigma = bin_sigma(sigma, rows)
    if sigma is None:
        return np.full(values.shape, np.nan), NO_UNCERTAINTY + note
    return _propagate(metric, dose, sigma, values), PROPAGATION + note


def _jackknife(metric, values, rows):
    g = rows.shape[0]
    total = rows.sum(axis=0)
    theta = np.array([metric((total - row) / (g - 1)) for row in rows], dtype=float)
    lost = np.isfinite(values) & ~np.all(np.isfinite(theta), axis=0)
    if np.any(lost):
        raise InputError(f"{int(lost.sum())} metric(s) do not exist for every leave-one-group-out curve")
    return np.sqrt((g - 1) / g * np.sum((theta - theta.mean(axis=0)) ** 2, axis=0))


def _propagate(metric, dose, sigma, values):
    var = np.zeros(values.shape)
    for i in np.nonzero(sigma > 0)[0]:
        h = _FD_STEP * sigma[i]
        up, down = dose.copy(), dose.copy()
        up[i] += h
        down[i] -= h
        var += ((np.asarray(metric(up)) - np.asarray(metric(down))) / (2 * h) * sigma[i]) ** 2
    return np.sqrt(var)
