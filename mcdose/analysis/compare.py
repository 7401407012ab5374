"""Commissioning comparison of a computed result with measured depth doses and profiles.

Each measured curve is compared with the matching computed curve: a depth dose (axis z) with
``Result.pdd(radius)``, a profile (axis x/y at its depth) with ``Result.profile(axis, depth)``.
Normalisation: the computed depth dose in % of D_ref (mcdose.analysis.normalisation.reference_dose, the fitted
maximum of the central-axis depth dose), the measured one in % of its own fitted maximum (the same peak fit);
profiles in % of their own fitted central-axis dose d0 (IEC convention, mcdose.analysis.profile_metrics).
Lengths are reported in mm, doses in %; differences are computed - measured.

Kinds of check: "difference" |computed - measured| <= tolerance; "minimum" computed >= tolerance (the gamma
pass rate); "maximum" computed and measured <= tolerance (symmetry). A check is neither PASS nor FAIL when
- the computed metric is withheld (state "withheld", with the reason of depth_dose_metrics / profile_metrics),
- it does not apply (state "n/a": symmetry of a mirrored cylindrical profile),
- the measured metric is missing or was extrapolated beyond the measured points (state "not judged"; e.g. Ds
  at 0.5 mm from a scan starting at 2 mm, or Rp beyond the end of the scan): an extrapolated value is shown
  but not judged, since its error is unknown. Any extrapolation at all is flagged.
``Comparison.passed`` is True when no judged check failed; ``Comparison.summary()`` gives the counts.

Default tolerances (all options; each with its source in ``Tolerances.rows()``):
gamma 2 %/2 mm global, >= 95 % passing; dmax 2 mm; R90, R80, R50, Rp 1 mm; Ds 2 % (commissioning practice for
electron beams: AAPM TG-106, Das et al., Med. Phys. 35 (2008) 4186; TG-72, Beddar et al., Med. Phys. 33 (2006)
1476; TG-25, Khan et al., Med. Phys. 18 (1991) 73); field size and 80-20 penumbra 2 mm; profile centre (the
midpoint of the 50 % edges) 1 mm; flatness difference 1 % (AAPM TG-142, Klein et al., Med. Phys. 36 (2009)
4197, Table III: flatness change from baseline 1 %); symmetry <= 105 % (IEC 60976 limit on the symmetry ratio of electron beams, 1.05).
"""
from dataclasses import dataclass, fields, replace

import numpy as np

from mcdose.errors import InputError

from .depth_dose import SURFACE_DEPTH_CM, pdd_metrics
from .gamma import GammaResult, gamma_index
from .measured import MeasuredCurve
from .normalisation import Normalisation, curve_reference_dose
from .profiles import profile_metrics

_PDD_SOURCE = "TG-106 / TG-72 / TG-25 electron-beam practice"


@dataclass(frozen=True)
class Tolerances:
    """Pass criteria: lengths in mm, doses in % (of the fitted maximum or the central-axis dose)."""

    gamma_dose_pct: float = 2.0
    gamma_dta_mm: float = 2.0
    gamma_pass_pct: float = 95.0
    gamma_threshold_pct: float = 10.0
    gamma_local: bool = False
    dmax_mm: float = 2.0
    r90_mm: float = 1.0
    r80_mm: float = 1.0
    r50_mm: float = 1.0
    rp_mm: float = 1.0
    ds_pct: float = 2.0
    centre_mm: float = 1.0
    field_size_mm: float = 2.0
    penumbra_mm: float = 2.0
    flatness_pct: float = 1.0
    symmetry_pct: float = 105.0

    def __post_init__(self):
        for f in fields(self):
            if f.name not in ("gamma_local", "gamma_threshold_pct") and not getattr(self, f.name) > 0:
                raise InputError(f"tolerance {f.name} must be > 0 (got {getattr(self, f.name)})")
        if not 0 <= self.gamma_threshold_pct < 100:
            raise InputError(f"gamma threshold must be in [0, 100) % (got {self.gamma_threshold_pct})")
        if not self.symmetry_pct >= 100:
            raise InputError(f"tolerance symmetry_pct is a ratio limit, must be >= 100 % (got {self.symmetry_pct})")

    @property
    def gamma_criteria(self) -> str:
        return f"{self.gamma_dose_pct:g}%/{self.gamma_dta_mm:g}mm {'local' if self.gamma_local else 'global'}"

    def rows(self) -> list:
        """[(quantity, criterion, source)] for the report's tolerance table."""
        return [("gamma", (f"{self.gamma_criteria}, ≥ {self.gamma_pass_pct:g} % passing "
                           f"(threshold {self.gamma_threshold_pct:g} %)"),
                 "pass rate as AAPM TG-218 (Miften et al., Med. Phys. 45 (2018) e53), 2 %/2 mm for commissioning"),
                ("dmax", f"± {self.dmax_mm:g} mm", _PDD_SOURCE),
                ("R90, R80", f"± {self.r90_mm:g} mm, ± {self.r80_mm:g} mm", _PDD_SOURCE),
                ("R50, Rp", f"± {self.r50_mm:g} mm, ± {self.rp_mm:g} mm", _PDD_SOURCE),
                ("Ds at 0.5 mm", f"± {self.ds_pct:g} % of the maximum", _PDD_SOURCE),
                ("profile centre (50 % midpoint)", f"± {self.centre_mm:g} mm",
                 "1 mm, as the depth tolerances; TG-142 (Klein et al. 2009) asymmetric jaw position 1 mm"),
                ("field size (50 %)", f"± {self.field_size_mm:g} mm", "TG-106 practice"),
                ("penumbra 80-20", f"± {self.penumbra_mm:g} mm", "TG-106 practice"),
                ("flatness (IEC 60976 variation)", f"± {self.flatness_pct:g} %",
                 "TG-142 Table III: flatness change from baseline 1 %"),
                ("symmetry (IEC 60976 ratio)", f"≤ {self.symmetry_pct:g} % (both curves)",
                 "IEC 60976 electron-beam symmetry ratio limit 1.05")]

    def describe(self) -> str:
        """One line for the text output."""
        return (f"gamma {self.gamma_criteria} >= {self.gamma_pass_pct:g}% passing (threshold "
                f"{self.gamma_threshold_pct:g}%); dmax {self.dmax_mm:g} mm, R90 {self.r90_mm:g} mm, "
                f"R80 {self.r80_mm:g} mm, R50 {self.r50_mm:g} mm, Rp {self.rp_mm:g} mm, Ds {self.ds_pct:g} %; "
                f"centre {self.centre_mm:g} mm, field size {self.field_size_mm:g} mm, penumbra 80-20 "
                f"{self.penumbra_mm:g} mm, flatness {self.flatness_pct:g} %, symmetry <= {self.symmetry_pct:g} %")


@dataclass(frozen=True)
class Check:
    """One compared quantity in `unit` ("mm", "%", "% passing"): computed and measured values with 1-sigma
    (NaN when unknown; a value is None when missing), the tolerance and its kind (module docstring).
    state "" = judged (PASS/FAIL); otherwise "withheld", "n/a" or "not judged", with the reason in `note`."""

    name: str
    unit: str
    computed: float | None
    computed_sigma: float
    measured: float | None
    measured_sigma: float
    tolerance: float
    kind: str = "difference"
    state: str = ""
    note: str = ""

    @property
    def difference(self) -> float | None:
        if self.computed is None or self.measured is None:
            return None
        return self.computed - self.measured

    @property
    def passed(self) -> bool | None:
        """True / False for a judged check, None otherwise."""
        if self.state:
            return None
        eps = 1e-9 * max(1.0, abs(self.tolerance))
        if self.kind == "minimum":
            return bool(self.computed >= self.tolerance - eps)
        if self.kind == "maximum":
            return bool(max(self.computed, self.measured) <= self.tolerance + eps)
        return bool(abs(self.difference) <= self.tolerance + eps)

    @property
    def verdict(self) -> str:
        """PASS, FAIL or "<state>: <reason>"."""
        if not self.state:
            return "PASS" if self.passed else "FAIL"
        return f"{self.state}: {self.note}" if self.note else self.state


@dataclass(frozen=True)
class CurveComparison:
    """A measured curve (normalised to 1), the computed curve (DepthDose or Profile) and its normalisation dose,
    the checks, gamma (None when withheld), the metrics' warnings, their uncertainty method, and the measured
    metric positions [(position cm, label)] to mark on the figure."""

    measured: MeasuredCurve
    computed: object
    computed_norm: float | None
    checks: tuple
    gamma: GammaResult | None
    warnings: tuple = ()
    uncertainty_method: str = ""
    measured_markers: tuple = ()

    @property
    def title(self) -> str:
        m = self.measured
        where = "depth dose" if m.is_depth_dose else f"profile along {m.axis} at {10 * m.depth_cm:g} mm"
        return f"{m.label}: {where}"

    @property
    def passed(self) -> bool:
        return not any(c.passed is False for c in self.checks)


@dataclass(frozen=True)
class Comparison:
    """All curve comparisons, the tolerances and the depth-dose normalisation D_ref (None without depth doses)."""

    curves: tuple
    tolerances: Tolerances
    normalisation: Normalisation | None = None

    @property
    def checks(self) -> list:
        return [c for cc in self.curves for c in cc.checks]

    def count(self, outcome) -> int:
        """Number of checks that passed / failed (outcome True / False) or whose state is in the tuple `outcome`."""
        if isinstance(outcome, bool):
            return sum(c.passed is outcome for c in self.checks)
        return sum(c.state in outcome for c in self.checks)

    @property
    def passed(self) -> bool:
        """No judged check failed (see summary() for the checks not judged)."""
        return self.count(False) == 0

    def summary(self) -> str:
        """E.g. "FAIL: 3 of 17 judged checks failed; 2 not judged; 1 not applicable"."""
        failed, judged = self.count(False), self.count(False) + self.count(True)
        text = (f"FAIL: {failed} of {judged} judged checks failed" if failed
                else f"PASS: all {judged} judged checks passed" if judged else "NOT JUDGED: no check could be judged")
        unjudged, na = self.count(("withheld", "not judged")), self.count(("n/a",))
        return text + (f"; {unjudged} not judged" if unjudged else "") + (f"; {na} not applicable" if na else "")


def compare(result, measured, tolerances: Tolerances = Tolerances(), pdd_radius: float = 1.0) -> Comparison:
    """Compare `result` (mcdose.results.Result) with measured curves (MeasuredCurve list)."""
    if not measured:
        raise InputError("compare: no measured curve given")
    axis_curve = norm = None
    if any(c.is_depth_dose for c in measured):
        axis_curve = result.pdd(pdd_radius)
        norm = _with_context("computed depth dose", curve_reference_dose, axis_curve)
    out = []
    for curve in measured:
        if curve.is_depth_dose:
            out.append(_depth_dose(axis_curve, curve, tolerances, norm))
        else:
            out.append(_profile(result.profile(curve.axis, curve.depth_cm), curve, tolerances))
    return Comparison(tuple(out), tolerances, norm)


def _with_context(label, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except InputError as exc:
        raise InputError(f"{label}: {exc}") from None


def _computed_metrics(fn):
    """(metrics, "") or (None, the reason they are withheld)."""
    try:
        return fn(), ""
    except InputError as exc:
        return None, str(exc)


def _check(name, unit, scale, computed, measured, tolerance, kind="difference", extrapolated_cm=0.0):
    """A Check from (Estimate | None, reason) pairs of the computed and measured metric, scaled to `unit`."""
    (c, c_why), (m, m_why) = computed, measured
    state, note = "", ""
    if c is None:
        na = c_why.startswith("n/a")
        state, note = ("n/a", c_why[3:].lstrip(": ")) if na else ("withheld", c_why)
    elif m is None:
        state, note = "not judged", f"measured: {m_why}"
    elif extrapolated_cm > 0:
        state, note = "not judged", f"measured value extrapolated {10 * extrapolated_cm:.1f} mm beyond the data"
    return Check(name, unit, *_scaled_estimate(c, scale), *_scaled_estimate(m, scale), tolerance, kind, state, note)


def _scaled_estimate(e, scale) -> tuple:
    """(value, sigma) of an Estimate times `scale`; (None, NaN) for None."""
    return (None, float("nan")) if e is None else (scale * float(e.value), scale * float(e.sigma))


def _field(metrics, reason, attr):
    """(Estimate | None, reason) of one metric; a withheld one's reason from metrics.withheld."""
    if metrics is None:
        return None, reason
    e = getattr(metrics, attr)
    return (e, "") if e is not None else (None, metrics.withheld.get(attr, "withheld"))


def _gamma(curve: MeasuredCurve, norm_m, computed, norm_c, t: Tolerances) -> GammaResult:
    return gamma_index(curve.position_cm, curve.dose / norm_m, computed.position_cm, computed.dose / norm_c,
                       t.gamma_dose_pct, t.gamma_dta_mm / 10, local=t.gamma_local,
                       threshold_pct=t.gamma_threshold_pct, normalisation_dose=1.0)


def _gamma_check(g: GammaResult | None, reason: str, t: Tolerances) -> Check:
    name = f"gamma {t.gamma_criteria}"
    if g is None:
        return Check(name, "% passing", None, float("nan"), None, float("nan"), t.gamma_pass_pct, "minimum",
                     "withheld", reason)
    return Check(name, "% passing", g.pass_rate_pct, float("nan"), None, float("nan"), t.gamma_pass_pct, "minimum")


def _warnings(mc, mm) -> tuple:
    return tuple(getattr(mc, "warnings", ())) + tuple(f"measured: {w}" for w in getattr(mm, "warnings", ()))


_PDD_ROWS = (("dmax", "dmax_cm", "dmax_mm"), ("R90", "r90_cm", "r90_mm"), ("R80", "r80_cm", "r80_mm"),
             ("R50", "r50_cm", "r50_mm"), ("Rp", "rp_cm", "rp_mm"))


def _depth_dose(computed, curve: MeasuredCurve, t: Tolerances, norm: Normalisation) -> CurveComparison:
    mc, why = _computed_metrics(computed.metrics)
    mm = _with_context(curve.label, pdd_metrics, curve.position_cm, curve.dose, curve.sigma)
    z = curve.position_cm
    beyond = {"rp_cm": max(0.0, mm.rp_cm.value - z[-1]), "ds": max(0.0, z[0] - SURFACE_DEPTH_CM)}
    checks = [_check(name, "mm", 10, _field(mc, why, attr), _field(mm, "", attr), getattr(t, tol),
                     extrapolated_cm=beyond.get(attr, 0.0)) for name, attr, tol in _PDD_ROWS]
    checks.append(_check(f"Ds at {10 * SURFACE_DEPTH_CM:g} mm", "%", 100, _field(mc, why, "ds"),
                         _field(mm, "", "ds"), t.ds_pct, extrapolated_cm=beyond["ds"]))
    g = _gamma(curve, mm.d_max.value, computed, norm.dose, t)
    checks.append(_gamma_check(g, "", t))
    markers = tuple((getattr(mm, attr).value, f"measured {name}") for name, attr, _ in _PDD_ROWS)
    return CurveComparison(_scaled(curve, mm.d_max.value), computed, norm.dose, tuple(checks), g,
                           _warnings(mc, mm), getattr(mc, "uncertainty_method", ""), markers)


_PROFILE_ROWS = (("centre (50 % midpoint)", "centre_cm", "mm", 10, "centre_mm", "difference"),
                 ("field size (50 %)", "field_size_cm", "mm", 10, "field_size_mm", "difference"),
                 ("penumbra 80-20 left", "penumbra_80_20_left_cm", "mm", 10, "penumbra_mm", "difference"),
                 ("penumbra 80-20 right", "penumbra_80_20_right_cm", "mm", 10, "penumbra_mm", "difference"),
                 ("flatness", "flatness_pct", "%", 1, "flatness_pct", "difference"),
                 ("symmetry", "symmetry_pct", "%", 1, "symmetry_pct", "maximum"))


def _profile(computed, curve: MeasuredCurve, t: Tolerances) -> CurveComparison:
    mc, why = _computed_metrics(computed.metrics)
    mm = _with_context(curve.label, profile_metrics, curve.position_cm, curve.dose, 0.0, uncertainty=curve.sigma)
    checks = [_check(name, unit, scale, _field(mc, why, attr), _field(mm, "", attr), getattr(t, tol), kind)
              for name, attr, unit, scale, tol, kind in _PROFILE_ROWS]
    norm_m = mm.d0.value
    norm_c = None if mc is None else mc.d0.value
    g = None if mc is None else _gamma(curve, norm_m, computed, norm_c, t)
    checks.append(_gamma_check(g, why, t))
    markers = tuple((getattr(mm, attr).value, label) for attr, label in
                    (("left_50_cm", "measured 50 %"), ("right_50_cm", "measured 50 %"),
                     ("centre_cm", "measured centre")) if getattr(mm, attr) is not None)
    return CurveComparison(_scaled(curve, norm_m), computed, norm_c, tuple(checks), g, _warnings(mc, mm),
                           getattr(mc, "uncertainty_method", ""), markers)


def _scaled(curve: MeasuredCurve, norm: float) -> MeasuredCurve:
    return replace(curve, dose=curve.dose / norm, sigma=None if curve.sigma is None else curve.sigma / norm)


def number(value, decimals: int = 2, signed: bool = False) -> str:
    """`value` to `decimals` places, never "-0.00" (a zero is 0.00, or +0.00 when signed); "" for None/NaN."""
    if value is None or not np.isfinite(value):
        return ""
    v = round(float(value), decimals) + 0.0  # -0.0 + 0.0 == +0.0
    return f"{v:+.{decimals}f}" if signed else f"{v:.{decimals}f}"


def cells(c: Check) -> tuple:
    """(quantity, computed, measured, difference, tolerance, verdict) of a check as text (report and table)."""
    d = 1 if c.unit == "% passing" else 2

    def with_sigma(v, s):
        return number(v, d) + (f" ± {number(s, d)}" if v is not None and np.isfinite(s) else "")
    tol = {"minimum": "≥ ", "maximum": "≤ "}.get(c.kind, "± ") + f"{c.tolerance:g}"
    diff = number(c.difference, d, signed=True) if c.kind == "difference" else ""
    return (f"{c.name} ({c.unit})", with_sigma(c.computed, c.computed_sigma),
            with_sigma(c.measured, c.measured_sigma), diff, tol, c.verdict)


def table(comparison: Comparison) -> str:
    """Plain-text table of every check, then the overall verdict."""
    lines = [f"tolerances: {comparison.tolerances.describe()}"]
    if comparison.normalisation is not None:
        lines.append(f"depth doses: computed {comparison.normalisation.describe('mm')}; measured: % of its fitted "
                     "maximum. Profiles: % of their own central-axis dose.")
    head = f"  {'quantity':<34}{'computed':>18}{'measured':>18}{'diff':>9}{'tol':>9}  result"
    for cc in comparison.curves:
        lines += [cc.title] + [f"  warning: {w}" for w in cc.warnings] + [head]
        for name, comp, meas, diff, tol, verdict in map(cells, cc.checks):
            lines.append(f"  {name:<34}{comp:>18}{meas:>18}{diff:>9}{tol:>9}  {verdict}")
    lines.append(f"overall: {comparison.summary()}")
    return "\n".join(lines)
