"""Treatment time for the INTRABEAM / TARGIT 50 kV x-ray source in a spherical applicator.

The user's measurement calibrates the Monte Carlo: a dose rate (Gy/min) at a reference point. The
computed radial dose D(r) (Gy per source particle) transfers it to the prescription point::

    time (min) = prescription / (dose_rate_ref * D(prescription point) / D(reference point))
    dose at a depth = prescription * D(depth) / D(prescription point)

Depths are measured from the applicator surface (radius = the applicator's outer radius), radially from
the source point; a bare source (no applicator, radius 0) measures them from the source point.

The radial dose comes from a spherical mesh (:meth:`mcdose.results.Result.pdd`, centred on the source) or
from a Cartesian mesh averaged in spherical shells about the source point (volume-weighted, shell width =
the smallest voxel size, starting at the applicator surface). Only bins entirely outside the applicator are
used (the wall and the air inside it are not water), and log(dose) is interpolated linearly in radius
between their centres (the dose falls about as 1/r^3), extrapolated over at most the half bin between the
first (last) centre and the edge of the scored radii, so the surface dose needs no bin in the wall.

The doses are physical absorbed dose to water from the Monte Carlo, NOT the dose of the vendor's TARGIT
(V4.0) convention, which differs from it by 14-80 % (:data:`TARGIT_REFERENCE`).
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .schema import Field

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Allowed values (one-line InputError naming the option and the range otherwise)
PRESCRIPTION = Field("float", unit="Gy", gt=0, le=100)
DOSE_RATE = Field("float", unit="Gy/min", gt=0, le=100)
DEPTH = Field("float", unit="cm", ge=0, le=100)
APPLICATOR_RADIUS = Field("float", unit="cm", ge=0, le=50)
APPLICATOR_DIAMETER = Field("float", unit="cm", gt=0, le=100)
DEFAULT_DEPTHS_CM = (0.5, 1.0, 2.0)

TARGIT_REFERENCE = ("Watson, Popovic & Seuntjens, Phys. Med. Biol. 2018, doi:10.1088/1361-6560/aa9560")
TARGIT_WARNING = ("The doses are physical absorbed dose to water from the Monte Carlo, NOT the vendor's TARGIT "
                  "(V4.0) dose convention, which differs from it by 14-80 % "
                  f"({TARGIT_REFERENCE}): do not compare them with the INTRABEAM software's doses.")

_TOL = 1e-9     # cm: radii closer than this are the same point


@dataclass(frozen=True)
class RadialDose:
    """Radial dose about the source point outside the applicator: bin positions (radius, cm), dose and its
    absolute 1-sigma (Gy per source particle); radii between r_min and r_max (cm) can be evaluated."""

    radius_cm: np.ndarray
    dose: np.ndarray
    sigma: np.ndarray
    r_min: float
    r_max: float
    method: str

    def at(self, r: float, what: str, applicator_radius_cm: float) -> tuple:
        """(dose, relative 1-sigma) at radius ``r`` cm: log(dose) linear in radius between the two nearest
        bin positions. InputError naming ``what`` outside r_min..r_max or where the dose is 0."""
        R = applicator_radius_cm
        if not self.r_min - _TOL <= r <= self.r_max + _TOL:
            lo, hi = self.r_min - R, self.r_max - R
            raise InputError(f"{what}: depth {_cm_mm(r - R)} is outside the scored radii: allowed depth "
                             f"{max(lo, 0):.4g}..{hi:.4g} cm ({10 * max(lo, 0):.4g}..{10 * hi:.4g} mm; radius "
                             f"{self.r_min:.4g}..{self.r_max:.4g} cm from the source point)")
        c = self.radius_cm
        j = int(np.clip(np.searchsorted(c, r) - 1, 0, c.size - 2))
        d0, d1 = float(self.dose[j]), float(self.dose[j + 1])
        if not (d0 > 0 and d1 > 0):
            raise InputError(f"{what}: depth {_cm_mm(r - R)} is not allowed: the Monte Carlo dose is 0 there "
                             f"(radius {c[j]:.4g}..{c[j + 1]:.4g} cm); choose a depth where the dose is > 0 "
                             "(or run more histories)")
        w = (r - c[j]) / (c[j + 1] - c[j])
        dose = math.exp((1 - w) * math.log(d0) + w * math.log(d1))
        rel = math.hypot((1 - w) * float(self.sigma[j]) / d0, w * float(self.sigma[j + 1]) / d1)
        return dose, rel


@dataclass(frozen=True)
class TreatmentPlan:
    """Treatment time and doses of one prescription.

    prescription_gy at at_depth_cm (from the applicator surface); dose_rate_gy_min measured at
    reference_depth_cm; time_min and its Monte Carlo 1-sigma time_sigma_min (first order, the relative
    uncertainties of the two doses in quadrature; 0 when the points coincide); doses: (depth_cm, dose_gy,
    sigma_gy) at each requested depth (NaN where the depth lies outside the scored radii or the dose is 0);
    method: where the radial dose came from.
    """

    prescription_gy: float
    at_depth_cm: float
    reference_depth_cm: float
    dose_rate_gy_min: float
    applicator_radius_cm: float
    time_min: float
    time_sigma_min: float
    doses: tuple
    method: str = ""

    @property
    def dose_rate_at_prescription_gy_min(self) -> float:
        return self.prescription_gy / self.time_min

    def text(self) -> str:
        R = self.applicator_radius_cm
        if R > 0:
            geometry = f"applicator radius     {R:.4g} cm (diameter {2 * R:.4g} cm); depths from its surface"
        else:
            geometry = "no applicator (bare source): depths from the source point"
        ratio = self.prescription_gy / (self.dose_rate_gy_min * self.time_min)
        rel = self.time_sigma_min / self.time_min
        lines = [
            "INTRABEAM / TARGIT treatment time (mcdose Monte Carlo, dose to water)",
            f"  {geometry}",
            f"  prescription          {self.prescription_gy:.4g} Gy at {_where(self.at_depth_cm, R)}",
            (f"  reference             {self.dose_rate_gy_min:.4g} Gy/min measured at "
             f"{_where(self.reference_depth_cm, R)}"),
            f"  dose rate             {self.dose_rate_at_prescription_gy_min:.4g} Gy/min at the prescription point",
            f"  dose ratio            D(prescription) / D(reference) = {ratio:.4f} +- {ratio * rel:.4f} (1 sigma)",
            (f"  treatment time        {self.time_min:.2f} min = {_min_s(self.time_min)} min:s"
             f"  +- {self.time_sigma_min:.2f} min (1 sigma, Monte Carlo statistics)"),
            "",
            f"  {'depth mm':>8}  {'radius cm':>9}  {'dose Gy':>9}  {'1 sigma Gy':>10}",
        ]
        for depth, dose, sigma in self.doses:
            value = (f"{dose:>9.3f}  {sigma:>10.3f}" if math.isfinite(dose)
                     else f"{'-':>9}  {'-':>10}  not scored (outside the mesh, or dose 0)")
            lines.append(f"  {10 * depth:>8.1f}  {R + depth:>9.3f}  {value}")
        if self.method:
            lines += ["", f"  radial dose: {self.method}"]
        lines += [""] + textwrap.wrap(TARGIT_WARNING, 100, initial_indent="  ", subsequent_indent="  ")
        return "\n".join(lines) + "\n"


def treatment_plan(result, prescription_gy, at, dose_rate_gy_min, reference="surface", applicator_radius_cm=None,
                   depths_cm=DEFAULT_DEPTHS_CM, *, names=None) -> TreatmentPlan:
    """Treatment time (min) to deliver ``prescription_gy`` at ``at`` ("surface" or a depth in cm from the
    applicator surface) given a measured ``dose_rate_gy_min`` at ``reference`` ("surface" or a depth in cm),
    and the dose at ``depths_cm``.

    result: a :class:`mcdose.results.Result` or the path of a result file. applicator_radius_cm: the
    applicator's outer radius (0: bare source); default from the run's configuration ([source] type =
    "intrabeam" with applicator = diameter cm | "bare"; [phantom] type = "spherical_cavity",
    applicator_diameter / 2). names: option names for the error messages (key: argument name; the command
    line passes its --options). Every bad input raises InputError with one line naming it and the range.
    """
    names = {**{k: k for k in ("prescription_gy", "at", "dose_rate_gy_min", "reference", "applicator_radius_cm",
                               "depths_cm")}, **(names or {})}
    from .results import Result, load
    if isinstance(result, (str, Path)):
        result = load(result)
    elif not isinstance(result, Result):
        raise InputError(f"result: must be an mcdose Result or the path of a result file, got {type(result).__name__}")
    prescription = PRESCRIPTION.check(names["prescription_gy"], prescription_gy)
    rate = DOSE_RATE.check(names["dose_rate_gy_min"], dose_rate_gy_min)
    at_cm = _depth(names["at"], at)
    ref_cm = _depth(names["reference"], reference)
    if isinstance(depths_cm, (str, bytes)) or not hasattr(depths_cm, "__iter__"):
        raise InputError(f"{names['depths_cm']}: {depths_cm!r} is not allowed: must be a list of depths in cm >= 0")
    depths = tuple(DEPTH.check(f"{names['depths_cm']}[{i}]", d) for i, d in enumerate(depths_cm))
    config = _config(result)
    if applicator_radius_cm is not None:
        R = APPLICATOR_RADIUS.check(names["applicator_radius_cm"], applicator_radius_cm)
    else:
        R = applicator_radius_from_config(config, names["applicator_radius_cm"])
    if R == 0:
        for key, given, depth in (("at", at, at_cm), ("reference", reference, ref_cm)):
            if depth == 0:
                raise InputError(f"{names[key]}: {'surface' if isinstance(given, str) else 'depth 0'} is not "
                                 "allowed without an applicator (bare source, radius 0): give a depth > 0 from "
                                 "the source point")
    radial = radial_dose(result, R, config)
    d_at, rel_at = radial.at(R + at_cm, names["at"], R)
    d_ref, rel_ref = radial.at(R + ref_cm, names["reference"], R)
    time = prescription / (rate * d_at / d_ref)
    rel_time = 0.0 if abs(at_cm - ref_cm) <= _TOL else math.hypot(rel_at, rel_ref)
    doses = []
    for depth in depths:
        try:
            d, rel = radial.at(R + depth, names["depths_cm"], R) if depth > 0 or R > 0 else (math.nan, math.nan)
        except InputError:
            d, rel = math.nan, math.nan
        dose = prescription * d / d_at
        rel_dose = 0.0 if abs(depth - at_cm) <= _TOL else math.hypot(rel, rel_at)
        doses.append((depth, dose, dose * rel_dose))
    return TreatmentPlan(prescription, at_cm, ref_cm, rate, R, time, time * rel_time, tuple(doses), radial.method)


def applicator_radius_from_config(config: dict, option: str = "applicator_radius_cm") -> float:
    """The applicator's outer radius (cm) from a run's resolved configuration: [source] type = "intrabeam"
    with applicator = diameter (cm) or "bare" (radius 0), else [phantom] type = "spherical_cavity" with
    applicator_diameter; InputError asking for ``option`` when neither says."""
    source, phantom = config.get("source", {}), config.get("phantom", {})
    if isinstance(source, dict) and source.get("type") == "intrabeam" and "applicator" in source:
        value = source["applicator"]
        if value == "bare":
            return 0.0
        if isinstance(value, str):
            raise InputError(f"source.applicator of the run: {value!r} is not allowed: a diameter in cm or 'bare'; "
                             f"give {option}")
        return APPLICATOR_DIAMETER.check("source.applicator of the run", value) / 2
    if isinstance(phantom, dict) and phantom.get("type") == "spherical_cavity":
        from .schema import SECTIONS
        value = phantom.get("applicator_diameter", SECTIONS["phantom"].fields["applicator_diameter"].default)
        return APPLICATOR_DIAMETER.check("phantom.applicator_diameter of the run", value) / 2
    raise InputError(f"{option}: missing; the run's configuration names no applicator ([source] type = 'intrabeam' "
                     f"or [phantom] type = 'spherical_cavity'): give the applicator's outer radius, cm >= 0 "
                     "(0: bare source)")


def radial_dose(result, applicator_radius_cm: float, config: dict | None = None) -> RadialDose:
    """The radial dose outside the applicator: a spherical mesh's bins with inner radius >= the applicator
    radius, or a Cartesian mesh averaged in spherical shells about the source point (see the module)."""
    R = float(applicator_radius_cm)
    g = result.grid
    if g.kind == "spherical":
        curve = result.pdd()
        e = g.edges["r_edges"]
        keep = e[:-1] >= R - _TOL
        if keep.sum() < 2:
            raise InputError(f"the spherical mesh (r {e[0]:.4g}..{e[-1]:.4g} cm) has {int(keep.sum())} radial bin(s) "
                             f"outside the applicator (r >= {R:.4g} cm): needs at least 2")
        pos = curve.position_cm[keep]
        r_min = float(e[:-1][keep][0]) if R > 0 else float(pos[0])
        method = (f"spherical mesh about {_point(g.center)} cm, {int(keep.sum())} bins of r "
                  f"{e[:-1][keep][0]:.4g}..{e[-1]:.4g} cm")
        point, where = _source_point(config or {}, None)
        if point is not None and math.dist(point, g.center) > 1e-6:
            method += (f"; WARNING: the mesh centre is {math.dist(point, g.center):.4g} cm from {where} "
                       f"{_point(point)} cm: depths are measured from the mesh centre")
        return RadialDose(pos, curve.dose[keep], curve.sigma[keep], r_min, float(e[-1]), method)
    if g.kind == "cartesian":
        return _shell_average(result, R, config or {})
    raise InputError(f"treatment time needs a spherical or Cartesian mesh (radial dose about the source), "
                     f"got a {g.kind} one")


def _shell_average(result, R: float, config: dict) -> RadialDose:
    g = result.grid
    point, where = _source_point(config, g)
    edges = [g.edges[n] for n in ("x_edges", "y_edges", "z_edges")]
    if not all(e[0] < p < e[-1] for e, p in zip(edges, point)):
        raise InputError(f"the source point {_point(point)} cm ({where}) lies outside the Cartesian mesh: "
                         "the radial dose needs a mesh around it")
    inscribed = min(min(p - e[0], e[-1] - p) for e, p in zip(edges, point))
    width = min(float(np.diff(e).min()) for e in edges)
    n = math.floor((inscribed - R) / width + 1e-9)
    if n < 2:
        raise InputError(f"the Cartesian mesh reaches {inscribed:.4g} cm from the source point {_point(point)} cm: "
                         f"needs at least 2 shells of {width:.4g} cm outside the applicator (radius {R:.4g} cm)")
    c = [0.5 * (e[1:] + e[:-1]) - p for e, p in zip(edges, point)]
    dist = np.sqrt(c[0][:, None, None] ** 2 + c[1][None, :, None] ** 2 + c[2][None, None, :] ** 2)
    shell = np.floor((dist - R) / width).astype(np.int64)
    inside = (dist >= R) & (shell < n)
    k = shell[inside]
    vol = g.volumes()[inside]
    dose = result.dose[inside]
    sums = [np.bincount(k, weights, minlength=n) for weights in
            (vol, vol * dose, (vol * dose * result.uncertainty[inside]) ** 2, vol * dist[inside])]
    filled = sums[0] > 0
    if filled.sum() < 2:
        raise InputError(f"the Cartesian mesh has fewer than 2 filled shells of {width:.4g} cm about the source point")
    total = sums[0][filled]
    pos = sums[3][filled] / total
    first = int(np.argmax(filled))
    r_min = R + first * width if R > 0 else float(pos[0])
    method = (f"Cartesian mesh averaged in {int(filled.sum())} spherical shells of {width:.4g} cm about "
              f"{_point(point)} cm ({where}), r {R + first * width:.4g}..{R + n * width:.4g} cm")
    return RadialDose(pos, sums[1][filled] / total, np.sqrt(sums[2][filled]) / total, r_min, R + n * width, method)


def _source_point(config: dict, grid) -> tuple:
    """(point, what it is): [source] position of a point or intrabeam source, else [phantom] applicator_center
    of a spherical cavity, else the centre of the Cartesian mesh (None without a ``grid``)."""
    source, phantom = config.get("source", {}), config.get("phantom", {})
    if isinstance(source, dict) and source.get("type") in ("point", "intrabeam") and _vec3(source.get("position")):
        return tuple(float(v) for v in source["position"]), "the source position"
    if (isinstance(phantom, dict) and phantom.get("type") == "spherical_cavity"
            and _vec3(phantom.get("applicator_center"))):
        return tuple(float(v) for v in phantom["applicator_center"]), "the applicator centre"
    if grid is None:
        return None, "no source point"
    centre = tuple(0.5 * (grid.edges[n][0] + grid.edges[n][-1]) for n in ("x_edges", "y_edges", "z_edges"))
    return centre, "the mesh centre"


def _vec3(value) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) == 3
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value))


def _config(result) -> dict:
    text = result.metadata.get("config")
    if not isinstance(text, str):
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"the result's configuration is not TOML text ({exc})") from None


def _depth(name: str, value) -> float:
    """'surface' -> 0, else a depth in cm >= 0."""
    if isinstance(value, str):
        if value.strip().lower() == "surface":
            return 0.0
        raise InputError(f"{name}: {value[:40]!r} is not allowed: 'surface' or a depth in cm >= 0")
    return DEPTH.check(name, value)


def _cm_mm(depth_cm: float) -> str:
    return f"{depth_cm:.4g} cm ({10 * depth_cm:.4g} mm)"


def _where(depth_cm: float, R: float) -> str:
    if depth_cm == 0 and R > 0:
        return f"the applicator surface (r = {R:.4g} cm)"
    return f"{10 * depth_cm:.4g} mm depth (r = {R + depth_cm:.4g} cm)"


def _min_s(minutes: float) -> str:
    m, s = divmod(round(minutes * 60), 60)
    return f"{m}:{s:02d}"


def _point(p) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in p) + ")"
