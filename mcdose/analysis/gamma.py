"""Gamma index (Low et al., Med. Phys. 25 (1998) 656, eq. 4-6) in 1, 2 or 3 dimensions.

For each reference point r (usually the measurement) with dose D_r:

    gamma(r) = min_e sqrt(|e - r|^2 / DTA^2 + (D_e(e) - D_r)^2 / dD^2)

over the evaluated distribution D_e (usually the calculation); dD = criterion x normalisation dose
(global: the reference maximum or a given dose; local: D_r itself). A point passes when gamma <= 1.

Method (after Wendling et al., Med. Phys. 34 (2007) 1647, sec. II.B): the evaluated distribution is
linearly (multi-linearly) interpolated on a fine lattice of offsets e = r + u, |u| <= search radius,
with lattice step DTA / `samples_per_dta` (Wendling: DTA/10), so the result does not depend on the
evaluated grid spacing (Low's discrete version overestimates gamma where that spacing is comparable to
the DTA). Offsets are visited in order of increasing |u|, and a point stops being searched once
|u| / DTA exceeds its smallest gamma so far (no farther offset can lower it): identical or close
distributions cost little. Accuracy: the optimum offset is missed by at most half a lattice diagonal,
s = step sqrt(n)/2, so the computed gamma^2 exceeds the true one by at most
s^2 (1/DTA^2 + |grad D_e|^2 / dD^2) (exact when the optimum lies on the lattice, e.g. u = 0).
The search radius bounds the work: beyond it every offset has gamma > radius / DTA, so a reported
gamma larger than that means "at least radius / DTA"; pass/fail is always right when radius >= DTA.
Offsets falling outside the evaluated grid are ignored; reference points below the low-dose threshold
or with no evaluated dose within the search radius get NaN and are left out of the pass rate.
"""
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import RegularGridInterpolator

from mcdose.errors import InputError

MAX_BLOCK = 4_000_000  # reference points x offsets evaluated at once (memory bound, ~100 MB)


@dataclass(frozen=True)
class GammaResult:
    """gamma: array of the reference shape (NaN where not evaluated); pass_rate_pct over evaluated points."""

    gamma: np.ndarray
    evaluated: int
    passed: int
    dose_criterion_pct: float
    dta_cm: float
    local: bool
    threshold_pct: float

    @property
    def pass_rate_pct(self) -> float:
        return 100.0 * self.passed / self.evaluated if self.evaluated else float("nan")

    @property
    def criteria(self) -> str:
        kind = "local" if self.local else "global"
        return f"{self.dose_criterion_pct:g}%/{10 * self.dta_cm:g}mm {kind}, threshold {self.threshold_pct:g}%"


def parse_criteria(text: str) -> tuple:
    """'2%/2mm' (or '3%/0.3cm') -> (dose criterion %, DTA cm)."""
    try:
        dose, dist = (s.strip().lower() for s in text.split("/"))
        if not dose.endswith("%"):
            raise ValueError
        scale = 0.1 if dist.endswith("mm") else 1.0 if dist.endswith("cm") else None
        if scale is None:
            raise ValueError
        pct, dta = float(dose[:-1]), float(dist[:-2]) * scale
    except ValueError:
        raise InputError(f"gamma criteria {text!r}: expected e.g. '2%/2mm' or '3%/0.3cm'") from None
    if not (pct > 0 and dta > 0):
        raise InputError(f"gamma criteria {text!r}: dose difference and DTA must be > 0")
    return pct, dta


def gamma_index(reference_axes, reference_dose, evaluated_axes, evaluated_dose, dose_criterion_pct=2.0,
                dta_cm=0.2, local=False, threshold_pct=10.0, normalisation_dose=None, search_radius_cm=None,
                samples_per_dta=10) -> GammaResult:
    """Gamma index of `evaluated_dose` against `reference_dose`.

    *_axes: one coordinate array per dimension (cm, strictly increasing; rectilinear grids), a single array
    for 1-D; *_dose: arrays of shape (len(axis0), len(axis1), ...) in the same dose unit.
    dose_criterion_pct: dD in % of `normalisation_dose` (global; default the reference maximum) or of the
    local reference dose (`local=True`); dta_cm: distance to agreement; threshold_pct: reference points
    below this % of the reference maximum are not evaluated; search_radius_cm: default 3 DTA.
    """
    ref_axes, ref = _grid(reference_axes, reference_dose, "reference")
    ev_axes, ev = _grid(evaluated_axes, evaluated_dose, "evaluated")
    if len(ref_axes) != len(ev_axes):
        raise InputError(f"reference is {len(ref_axes)}-D but evaluated is {len(ev_axes)}-D")
    if not (dose_criterion_pct > 0 and dta_cm > 0 and samples_per_dta >= 1 and 0 <= threshold_pct < 100):
        raise InputError("gamma: dose criterion and DTA must be > 0, samples_per_dta >= 1, threshold in [0, 100)")
    ref_max = float(ref.max())
    if ref_max <= 0:
        raise InputError("gamma: the reference dose has no positive value")
    norm = ref_max if normalisation_dose is None else float(normalisation_dose)
    radius = 3.0 * dta_cm if search_radius_cm is None else float(search_radius_cm)
    points = np.stack(np.meshgrid(*ref_axes, indexing="ij"), axis=-1).reshape(-1, len(ref_axes))
    d_ref = ref.ravel()
    mask = d_ref >= threshold_pct / 100.0 * ref_max
    tol = dose_criterion_pct / 100.0 * (d_ref[mask] if local else np.full(int(mask.sum()), norm))
    if np.any(tol <= 0):
        raise InputError("gamma: local dose difference needs a reference dose > 0 (raise the threshold)")
    interp = RegularGridInterpolator(ev_axes, ev, bounds_error=False, fill_value=np.nan)
    g = np.full(d_ref.shape, np.nan)
    g[mask] = _search(points[mask], d_ref[mask], tol, interp, dta_cm, radius, dta_cm / samples_per_dta)
    g = g.reshape(ref.shape)
    done = np.isfinite(g)
    return GammaResult(g, int(done.sum()), int((g[done] <= 1.0).sum()), float(dose_criterion_pct),
                       float(dta_cm), bool(local), float(threshold_pct))


def _grid(axes, dose, name):
    if isinstance(axes, np.ndarray) or np.isscalar(axes[0]):
        axes = (axes,)
    axes = tuple(np.asarray(a, dtype=float) for a in axes)
    d = np.asarray(dose, dtype=float)
    if not 1 <= len(axes) <= 3 or d.shape != tuple(a.size for a in axes):
        raise InputError(f"gamma {name}: dose shape {d.shape} does not match its axes "
                         f"{tuple(a.size for a in axes)} (1 to 3 dimensions)")
    for a in axes:
        if a.ndim != 1 or a.size < 2 or not np.all(np.isfinite(a)) or np.any(np.diff(a) <= 0):
            raise InputError(f"gamma {name}: axes need >= 2 finite, strictly increasing positions (cm)")
    if not np.all(np.isfinite(d)):
        raise InputError(f"gamma {name}: dose contains NaN or inf")
    return axes, d


def _offsets(ndim, radius, step):
    """Lattice offsets |u| <= radius (cm), sorted by |u|, and their lengths."""
    k = int(np.floor(radius / step + 1e-9))
    ticks = step * np.arange(-k, k + 1)
    u = np.stack(np.meshgrid(*([ticks] * ndim), indexing="ij"), axis=-1).reshape(-1, ndim)
    r = np.sqrt((u * u).sum(axis=1))
    keep = r <= radius * (1 + 1e-12)
    order = np.argsort(r[keep], kind="stable")
    return u[keep][order], r[keep][order]


def _search(points, d_ref, tol, interp, dta, radius, step):
    """Smallest gamma per point over the offset lattice, with early termination per point."""
    u, r = _offsets(points.shape[1], radius, step)
    best = np.full(len(points), np.inf)
    start = 0
    while start < len(u):
        active = np.nonzero(best > r[start] / dta)[0]
        if active.size == 0:
            break
        n = max(1, min(len(u) - start, MAX_BLOCK // active.size))
        uu, rr = u[start:start + n], r[start:start + n]
        for chunk in np.array_split(active, max(1, active.size * n // MAX_BLOCK + 1)):
            de = interp((points[chunk, None, :] + uu[None, :, :]).reshape(-1, points.shape[1]))
            de = de.reshape(chunk.size, n)
            g2 = (rr[None, :] / dta) ** 2 + ((de - d_ref[chunk, None]) / tol[chunk, None]) ** 2
            best[chunk] = np.minimum(best[chunk], np.sqrt(np.where(np.isnan(g2), np.inf, g2).min(axis=1)))
        start += n
    best[np.isinf(best)] = np.nan
    return best
