"""Commissioning comparison of a computed result with measured depth doses and profiles.

Each measured curve is compared with the matching computed curve: a depth dose (axis z) with
``Result.pdd(radius)``, a profile (axis x/y at its depth) with ``Result.profile(axis, depth)``.
Both curves are normalised the same way: depth doses to their fitted Dmax (mcdose.analysis.pdd_metrics;
the highest Monte Carlo bin would bias the maximum by about +1 sigma), profiles to their central-axis dose.
Checks are |computed - measured| <= tolerance for the beam metrics and gamma pass rate >= the required
rate (1-D gamma, the measurement as reference, the computed curve interpolated, global dose difference
relative to the normalisation dose = 100 %). Default tolerances follow common commissioning practice for
electron beams (AAPM TG-106, Das et al. Med. Phys. 35 (2008) 4186; TG-72, Beddar et al. 2006; TG-25):
2 %/2 mm gamma with >= 95 % passing, R50 and Rp 1 mm, R90/R80 1 mm, dmax 2 mm, surface dose 2 % of Dmax,
field size and penumbra 2 mm. All are options.
"""
from dataclasses import dataclass, fields, replace

import numpy as np

from mcdose.errors import InputError

from .depth_dose import pdd_metrics
from .gamma import GammaResult, gamma_index
from .measured import MeasuredCurve
from .profiles import profile_metrics


@dataclass(frozen=True)
class Tolerances:
    """Pass criteria: distances in cm, doses in % (of Dmax or central-axis dose)."""

    gamma_dose_pct: float = 2.0
    gamma_dta_cm: float = 0.2
    gamma_pass_pct: float = 95.0
    gamma_threshold_pct: float = 10.0
    gamma_local: bool = False
    dmax_cm: float = 0.2
    r90_cm: float = 0.1
    r80_cm: float = 0.1
    r50_cm: float = 0.1
    rp_cm: float = 0.1
    ds_pct: float = 2.0
    field_size_cm: float = 0.2
    penumbra_cm: float = 0.2

    def __post_init__(self):
        for f in fields(self):
            if f.name not in ("gamma_local", "gamma_threshold_pct") and not getattr(self, f.name) > 0:
                raise InputError(f"tolerance {f.name} must be > 0 (got {getattr(self, f.name)})")
        if not 0 <= self.gamma_threshold_pct < 100:
            raise InputError(f"gamma threshold must be in [0, 100) % (got {self.gamma_threshold_pct})")

    def describe(self) -> str:
        kind = "local" if self.gamma_local else "global"
        return (f"gamma {self.gamma_dose_pct:g}%/{10 * self.gamma_dta_cm:g}mm {kind} >= {self.gamma_pass_pct:g}% "
                f"passing (threshold {self.gamma_threshold_pct:g}%); dmax {10 * self.dmax_cm:g} mm, "
                f"R90 {10 * self.r90_cm:g} mm, R80 {10 * self.r80_cm:g} mm, R50 {10 * self.r50_cm:g} mm, "
                f"Rp {10 * self.rp_cm:g} mm, Ds {self.ds_pct:g} %; field size {10 * self.field_size_cm:g} mm, "
                f"penumbra 80-20 {10 * self.penumbra_cm:g} mm")


@dataclass(frozen=True)
class Check:
    """One compared quantity: computed (with its 1-sigma), measured, difference = computed - measured, in `unit`."""

    name: str
    unit: str
    computed: float
    computed_sigma: float
    measured: float
    tolerance: float
    at_least: bool = False  # True: a minimum (the gamma pass rate), checked as computed >= tolerance

    @property
    def difference(self) -> float:
        return self.computed - self.measured

    @property
    def passed(self) -> bool:
        if self.at_least:
            return bool(self.computed >= self.tolerance)
        return bool(abs(self.difference) <= self.tolerance)


@dataclass(frozen=True)
class CurveComparison:
    """A measured curve (normalised), the computed curve (DepthDose or Profile), their checks and gamma."""

    measured: MeasuredCurve
    computed: object
    computed_norm: float
    checks: tuple
    gamma: GammaResult

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass(frozen=True)
class Comparison:
    curves: tuple
    tolerances: Tolerances

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.curves)


def compare(result, measured, tolerances: Tolerances = Tolerances(), pdd_radius: float = 1.0) -> Comparison:
    """Compare `result` (mcdose.results.Result) with measured curves (MeasuredCurve list)."""
    if not measured:
        raise InputError("compare: no measured curve given")
    out = []
    for curve in measured:
        if curve.is_depth_dose:
            out.append(_depth_dose(result.pdd(pdd_radius), curve, tolerances))
        else:
            out.append(_profile(result.profile(curve.axis, curve.depth_cm), curve, tolerances))
    return Comparison(tuple(out), tolerances)


def _gamma(meas_x, meas_d, comp_x, comp_d, t: Tolerances) -> GammaResult:
    return gamma_index(meas_x, meas_d, comp_x, comp_d, t.gamma_dose_pct, t.gamma_dta_cm, local=t.gamma_local,
                       threshold_pct=t.gamma_threshold_pct, normalisation_dose=1.0)


def _gamma_check(g: GammaResult, t: Tolerances) -> Check:
    return Check(f"gamma {g.criteria}", "% pass", g.pass_rate_pct, float("nan"), 100.0, t.gamma_pass_pct, True)


def _with_context(label, fn, *args):
    try:
        return fn(*args)
    except InputError as exc:
        raise InputError(f"{label}: {exc}") from None


def _depth_dose(computed, curve: MeasuredCurve, t: Tolerances) -> CurveComparison:
    mc = _with_context("computed depth dose", computed.metrics)
    mm = _with_context(curve.label, pdd_metrics, curve.position_cm, curve.dose)
    checks = [Check(name, "cm", getattr(mc, attr).value, getattr(mc, attr).sigma, getattr(mm, attr).value,
                    getattr(t, tol))
              for name, attr, tol in (("dmax", "dmax_cm", "dmax_cm"), ("R90", "r90_cm", "r90_cm"),
                                      ("R80", "r80_cm", "r80_cm"), ("R50", "r50_cm", "r50_cm"),
                                      ("Rp", "rp_cm", "rp_cm"))]
    checks.append(Check("Ds (0.5 mm)", "%", 100 * mc.ds.value, 100 * mc.ds.sigma, 100 * mm.ds.value, t.ds_pct))
    norm_c, norm_m = mc.d_max.value, mm.d_max.value
    g = _gamma(curve.position_cm, curve.dose / norm_m, computed.position_cm, computed.dose / norm_c, t)
    checks.append(_gamma_check(g, t))
    return CurveComparison(_scaled(curve, norm_m), computed, norm_c, tuple(checks), g)


def _profile(computed, curve: MeasuredCurve, t: Tolerances) -> CurveComparison:
    mc = _with_context(f"computed profile at {curve.depth_cm:g} cm", computed.metrics)
    mm = _with_context(curve.label, profile_metrics, curve.position_cm, curve.dose, 0.0)
    checks = [Check("field size (50 %)", "cm", mc.field_size_cm, float("nan"), mm.field_size_cm, t.field_size_cm),
              Check("penumbra 80-20 left", "cm", mc.penumbra_80_20_left_cm, float("nan"),
                    mm.penumbra_80_20_left_cm, t.penumbra_cm),
              Check("penumbra 80-20 right", "cm", mc.penumbra_80_20_right_cm, float("nan"),
                    mm.penumbra_80_20_right_cm, t.penumbra_cm)]
    norm_c = float(np.interp(0.0, computed.position_cm, computed.dose))
    norm_m = float(np.interp(0.0, curve.position_cm, curve.dose))
    g = _gamma(curve.position_cm, curve.dose / norm_m, computed.position_cm, computed.dose / norm_c, t)
    checks.append(_gamma_check(g, t))
    return CurveComparison(_scaled(curve, norm_m), computed, norm_c, tuple(checks), g)


def _scaled(curve: MeasuredCurve, norm: float) -> MeasuredCurve:
    return replace(curve, dose=curve.dose / norm, sigma=None if curve.sigma is None else curve.sigma / norm)


def table(comparison: Comparison) -> str:
    """Plain-text table of every check, then the overall verdict."""
    lines = [f"tolerances: {comparison.tolerances.describe()}"]
    head = f"  {'quantity':<38}{'computed':>18}{'measured':>10}{'diff':>9}{'tol':>8}  result"
    for cc in comparison.curves:
        where = "depth dose" if cc.measured.is_depth_dose else \
            f"profile {cc.measured.axis} at {cc.measured.depth_cm:g} cm"
        lines += [f"{cc.measured.label} ({where})", head]
        for c in cc.checks:
            comp = f"{c.computed:.3f}" + (f" ± {c.computed_sigma:.3f}" if np.isfinite(c.computed_sigma) else "")
            meas, diff = ("", "") if c.at_least else (f"{c.measured:.3f}", f"{c.difference:+.3f}")
            tol = f">={c.tolerance:g}" if c.at_least else f"{c.tolerance:g}"
            lines.append(f"  {c.name + ' (' + c.unit + ')':<38}{comp:>18}{meas:>10}{diff:>9}{tol:>8}  "
                         f"{'PASS' if c.passed else 'FAIL'}")
    failed = sum(not c.passed for cc in comparison.curves for c in cc.checks)
    lines.append("overall: PASS" if comparison.passed else f"overall: FAIL ({failed} check(s) out of tolerance)")
    return "\n".join(lines)
