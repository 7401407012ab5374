"""Measured curves tagged with the applicator set-up they were measured under, and the checks that catch
curves which cannot be commissioned against (wrong units, not from the surface, an applicator the machine
lacks).

A measured-file argument is ``FILE@applicator=10[,bevel=30][,docking=soft][,air_gap=2]``: applicator inner
diameter (cm), bevel (degrees), docking mode and, for soft docking, the air gap (cm). Conventions of the
comparison (those of ``mcdose compare``): depth doses are along the z axis, the normal to the water surface
through the centre of the applicator's face; profiles are along x or y at their depth.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..analysis.measured import MeasuredCurve, read_measured
from ..errors import InputError

SURFACE_START_CM = 0.5          # a depth dose must start at most this deep (cm)
R50_PER_MEV_CM = 1.0 / 2.33     # TG-25 (Khan et al., Med. Phys. 18 (1991) 73): E0 = 2.33 MeV/cm x R50
R50_PLAUSIBLE = (0.5, 1.6)      # measured R50 / (nominal energy x R50_PER_MEV_CM) outside this: wrong units
FIELD_PLAUSIBLE = (0.5, 2.0)    # measured 50 % field width / applicator diameter outside this: wrong units
TAG_KEYS = ("applicator", "bevel", "docking", "air_gap")


@dataclass(frozen=True, order=True)
class Setup:
    """An applicator set-up: inner diameter (cm), bevel (degrees), docking ("hard" | "soft"), air gap (cm)."""

    applicator: float
    bevel: float = 0.0
    docking: str = "hard"
    air_gap: float = 0.0

    @property
    def label(self) -> str:
        gap = f", air gap {self.air_gap:g} cm" if self.docking == "soft" else ""
        return f"{self.applicator:g} cm applicator, bevel {self.bevel:g} deg, {self.docking} docking{gap}"

    @property
    def slug(self) -> str:
        """A file-name fragment: 10cm_0deg_hard_0gap."""
        return f"{self.applicator:g}cm_{self.bevel:g}deg_{self.docking}_{self.air_gap:g}gap"

    @property
    def pdd_radius_cm(self) -> float:
        """Radius (cm) about the axis over which a computed depth dose is averaged: a tenth of the diameter,
        at most 1 cm, so that even a 3-cm field is read near its axis."""
        return min(1.0, 0.1 * self.applicator)

    def source(self, machine: str, energy: float) -> dict:
        """The [source] table of an ioert run of this set-up."""
        out = {"type": "ioert", "machine": machine, "energy": energy, "applicator": self.applicator,
               "bevel": self.bevel, "docking": self.docking}
        if self.docking == "soft":
            out["air_gap"] = self.air_gap
        return out


@dataclass(frozen=True)
class TaggedCurve:
    """A measured curve (cm; relative dose) and the set-up it was measured under."""

    curve: MeasuredCurve
    setup: Setup


def parse_setup(tags: str, machine, where: str) -> Setup:
    """The Setup of ``applicator=10,bevel=30,...`` checked against the machine (machines.Machine)."""
    values = {}
    for item in filter(None, (t.strip() for t in tags.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in TAG_KEYS:
            raise InputError(f"{where}: tag {item!r} is not allowed: KEY=VALUE with KEY one of {', '.join(TAG_KEYS)}")
        if key in values:
            raise InputError(f"{where}: tag {key!r} given twice")
        values[key] = value.strip()
    if "applicator" not in values:
        raise InputError(f"{where}: needs its applicator, e.g. FILE@applicator=10 (inner diameter, cm)")
    numbers = {}
    for key in ("applicator", "bevel", "air_gap"):
        if key in values:
            try:
                numbers[key] = float(values[key])
            except ValueError:
                numbers[key] = math.nan
            if not math.isfinite(numbers[key]) or numbers[key] < 0:
                raise InputError(f"{where}: {key} {values[key]!r} is not allowed: a number >= 0")
    a = machine.applicators
    try:
        a.wall_for(numbers["applicator"])
    except InputError as e:
        raise InputError(f"{where}: applicator: {e} (machine {machine.name})") from None
    bevel = numbers.get("bevel", 0.0)
    if bevel > 0 and not any(abs(bevel - b) <= 1e-6 for b in a.bevels):
        raise InputError(f"{where}: bevel {bevel:g} degrees is not available on {machine.name}: one of "
                         f"{', '.join(f'{b:g}' for b in a.bevels)}")
    docking = values.get("docking", a.docking[0])
    if docking not in a.docking:
        raise InputError(f"{where}: docking {docking!r} is not available on {machine.name}: one of "
                         f"{', '.join(a.docking)}")
    gap = numbers.get("air_gap", 0.0)
    if gap and docking != "soft":
        raise InputError(f"{where}: air_gap is allowed with docking=soft only")
    if gap > 20:
        raise InputError(f"{where}: air_gap {gap:g} cm is not allowed: must be in [0, 20] cm")
    return Setup(numbers["applicator"], bevel, docking, gap)


def read_tagged(argument: str, machine, nominal: float, unit: str | None = None, depth_cm: float | None = None) -> list:
    """The curves of one ``FILE@TAGS`` argument, each checked (:func:`check_curve`)."""
    path, at, tags = argument.rpartition("@")
    if not at or "=" not in tags:
        raise InputError(f"measured {argument!r}: needs its set-up, e.g. {argument}@applicator=10[,bevel=30]"
                         "[,docking=soft,air_gap=2]")
    setup = parse_setup(tags, machine, f"measured {path!r}")
    out = []
    for curve in read_measured(path, unit, depth_cm):
        check_curve(curve, setup, nominal)
        out.append(TaggedCurve(curve, setup))
    return out


def _crossing(x, d, level, start) -> float | None:
    """First position after index ``start`` where d falls below level (linear), or None."""
    for i in range(start, d.size - 1):
        if d[i] >= level > d[i + 1]:
            return float(x[i] + (x[i + 1] - x[i]) * (d[i] - level) / (d[i] - d[i + 1]))
    return None


def check_curve(curve: MeasuredCurve, setup: Setup, nominal: float) -> None:
    """InputError naming the file when a curve cannot be commissioned against: negative dose, a depth dose
    not starting within SURFACE_START_CM of the surface or not falling to 50 %, positions whose scale
    says the unit is wrong (R50 or the 50 % field width far from what the energy and applicator give)."""
    x, d = curve.position_cm, curve.dose
    if np.any(d < 0):
        raise InputError(f"{curve.label}: negative dose values; give the measured dose (relative or absolute)")
    expected = nominal * R50_PER_MEV_CM
    if curve.is_depth_dose:
        r50 = _crossing(x, d / d.max(), 0.5, int(np.argmax(d)))
        if r50 is None:
            raise InputError(f"{curve.label}: the depth dose does not fall below 50 % of its maximum: measure "
                             "beyond the practical range")
        low, high = (f * expected for f in R50_PLAUSIBLE)
        if not low <= r50 <= high:
            raise InputError(f"{curve.label}: R50 = {r50:g} cm is not plausible for a {nominal:g} MeV beam "
                             f"(expected {low:.2g}-{high:.2g} cm, TG-25 R50 ~ E/2.33): wrong position unit "
                             "(mm read as cm or the reverse)? Check the header or --unit")
        if x[0] > SURFACE_START_CM:
            raise InputError(f"{curve.label}: the depth dose starts at {x[0]:g} cm: commissioning needs it from "
                             f"near the surface (first depth <= {SURFACE_START_CM:g} cm)")
        return
    if curve.depth_cm is None or not 0 <= curve.depth_cm <= 1.2 * expected:
        raise InputError(f"{curve.label}: profile depth {curve.depth_cm} cm is not allowed: must be in "
                         f"[0, {1.2 * expected:.2g}] cm (above R50 of a {nominal:g} MeV beam)")
    centre = int(np.argmin(np.abs(x)))
    core = d[np.abs(x) <= 0.25 * setup.applicator]
    level = float(np.median(core)) if core.size else float(d[centre])
    norm = d / (level if level > 0 else d.max())
    right = _crossing(x, norm, 0.5, centre)
    left = _crossing(-x[::-1], norm[::-1], 0.5, d.size - 1 - centre)
    if right is None or left is None:
        raise InputError(f"{curve.label}: the profile does not fall below 50 % on both sides of the axis: "
                         "scan beyond the field edges")
    width = right + left
    low, high = (f * setup.applicator for f in FIELD_PLAUSIBLE)
    if not low <= width <= high:
        raise InputError(f"{curve.label}: 50 % field width {width:.3g} cm is not plausible for the "
                         f"{setup.applicator:g} cm applicator (expected {low:g}-{high:g} cm): wrong position unit?")
