"""INTRABEAM (Carl Zeiss Meditec; formerly the Photoelectron Corp. Photon Radiosurgery System, PRS)
probe tip and spherical applicators as [[parts]] tables (cm, g/cm3).

Frame: ``tip`` is the centre of the probe's hemispherical end cap (the target sits on its inside);
the shaft runs from the tip along the unit vector ``+back`` (default (0, 0, -1)); the electrons
travel down the shaft towards the tip, along ``-back`` ("forward", default +z).

The probe (painted in this order): the evacuated shaft and the vacuum inside the cap, the metal
tube, the beryllium hemispherical end cap and the gold target layer on its inside. A spherical
applicator is painted *before* the probe (the probe is painted over its bore). Every dimension is a
field of :data:`PROBE` with its source; docs/intrabeam_geometry.md gives the sources, the
differences between them and the values that are assumptions (no published number was found).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["APPLICATOR_DIAMETERS", "PROBE", "ProbeGeometry", "applicator_parts", "electron_start", "probe_parts"]


@dataclass(frozen=True)
class ProbeGeometry:
    """Dimensions (cm) and materials (mcdose material ids) of the INTRABEAM probe tip and spherical
    applicators. Sources: docs/intrabeam_geometry.md (short keys below)."""

    #: Shaft length from the tip, cm: the "10 cm long" probe (TARGIT Academy,
    #: targitacademy.com/targit-info/general.html: "a 10-cm long drift tube with a diameter of 3 mm";
    #: Crij article, medwinpublishers.com, doi 10.23880/crij-16000174: "10cm long 3.2mm diameter probe").
    length: float = 10.0
    #: Outer radius of the probe at the tip, cm: 3.2 mm diameter (medwinpublishers.com article above;
    #: the TARGIT page rounds it to "3 mm"). Taken as constant along the shaft.
    outer_radius: float = 0.16
    #: Beryllium end-cap wall, cm: 0.5 mm (Yanch & Harte 1996; Beatty et al., Med. Phys. 23 (1996) 53;
    #: as carried by the later Monte Carlo models, e.g. Clausen et al., Z. Med. Phys. 22 (2012) 197).
    #: Not checked against the papers' text here (see the doc page).
    cap_thickness: float = 0.05
    #: Gold target on the inside of the cap, cm: 1 um (published values 0.5-1 um; see the doc page).
    target_thickness: float = 1.0e-4
    #: Inner radius of the shaft tube, cm: ASSUMED equal to the cap's inner radius (0.16 - 0.05), i.e. a
    #: 0.5 mm wall; no published wall thickness was found.
    tube_inner_radius: float = 0.11
    #: Shaft tube material. The tube is described as nickel / a nickel-iron (mu-metal) alloy (the brief;
    #: the Monte Carlo papers as recalled, not confirmed here); the mcdose library has no nickel, so AISI
    #: 304 steel (8.0 g/cm3, Fe-Cr-Ni) stands in. A 0.5 mm wall of either is nearly opaque at 50 kV.
    tube_material: str = "stainless_steel"
    cap_material: str = "beryllium"
    target_material: str = "gold"
    #: Electron beam spot radius on the target, cm. ASSUMED 0.5 mm (a 1 mm spot centred on the axis);
    #: no published spot size was found (Yanch & Harte 1996 model a pencil beam).
    beam_radius: float = 0.05
    #: Where the electrons start: this far up the shaft from the tip, cm (in the vacuum).
    beam_start: float = 1.0
    #: Spherical applicators: polyetherimide (Ultem, C37H24N2O6), 1.27 g/cm3 (mcdose library entry).
    applicator_material: str = "polyetherimide"
    applicator_density: float = 1.27
    #: Outer diameters, cm: 1.5 to 5.0 in 0.5 steps (the Zeiss set as the brief states it; Sethi et al.,
    #: Front. Oncol. 8 (2018) 74 use 3, 4 and 5 cm; the full list was not confirmed in a text read here).
    applicator_diameters: tuple = (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
    #: Applicators of this diameter and above are hollow (an air-filled PEI shell); the smaller ones are
    #: solid PEI around the bore. As the brief and the Monte Carlo literature describe them (Watson et al.,
    #: Med. Phys. 45 (2018) 4274; Moradi et al., Phys. Med. Biol. 62 (2017) 6550); no drawing or
    #: dimension was found in a text read here (doc page).
    hollow_from: float = 3.5
    #: Wall of a hollow applicator, cm: ASSUMED 0.5 cm. mcdose runs (doc page): a 0.3 or 0.7 cm wall
    #: changes the dose at the 4 cm applicator's surface by +8 % / -3 % (1 sigma 5-6 %), and a solid 4 cm
    #: sphere gives 13 +- 8 % less than the hollow one: the unknown inner structure matters at ~10 %.
    shell_wall: float = 0.5
    #: Outer radius of the PEI sleeve holding the probe inside a hollow applicator, cm: ASSUMED (1 mm of
    #: PEI around the probe, from the tip back to the wall).
    sleeve_outer_radius: float = 0.26
    #: What fills the bore and the cavity of a hollow applicator.
    fill_material: str = "air"

    @property
    def cap_inner_radius(self) -> float:
        return self.outer_radius - self.cap_thickness

    @property
    def target_inner_radius(self) -> float:
        return self.cap_inner_radius - self.target_thickness


PROBE = ProbeGeometry()
APPLICATOR_DIAMETERS = PROBE.applicator_diameters


def _frame(tip, back) -> tuple:
    """(tip, unit back) as float arrays; InputError for a non-finite tip or a zero/non-finite back."""
    t = np.asarray(tip, dtype=float).reshape(-1)
    b = np.asarray(back, dtype=float).reshape(-1)
    if t.shape != (3,) or not np.all(np.isfinite(t)):
        raise InputError(f"tip: {list(np.atleast_1d(tip))} is not allowed: must be a point [x, y, z] (cm)")
    norm = float(np.linalg.norm(b)) if b.shape == (3,) and np.all(np.isfinite(b)) else 0.0
    if norm == 0.0:
        raise InputError(f"back: {list(np.atleast_1d(back))} is not allowed: must be a non-zero direction [x, y, z]")
    return t, b / norm


def _vec(a) -> list:
    return [float(x) for x in a]


def probe_parts(tip=(0.0, 0.0, 0.0), back=(0.0, 0.0, -1.0), length=None) -> list:
    """[[parts]] of the probe, painted in order: the evacuated shaft (cylinder of the tube's inner
    radius from the tip back ``length`` cm) and the vacuum inside the cap, the metal tube, the
    beryllium hemispherical end cap and the gold target on its inside (both clipped to the forward
    half-space). ``length``: cm of shaft to include (default the full probe length)."""
    t, b = _frame(tip, back)
    g = PROBE
    length = g.length if length is None else float(length)
    if not (0.0 < length <= g.length):
        raise InputError(f"length: {length!r} is not allowed: cm of shaft, must be > 0 and <= {g.length}")
    place = {"center": _vec(t), "axis": _vec(b)}
    forward = [{"point": _vec(t), "normal": _vec(b)}]           # keeps (x - tip) . back <= 0
    return [
        {"name": "intrabeam shaft vacuum", "shape": "cylinder", "material": "vacuum",
         "radius": g.tube_inner_radius, "z": [0.0, length], **place},
        {"name": "intrabeam tip vacuum", "shape": "sphere", "material": "vacuum",
         "radius": g.target_inner_radius, "center": _vec(t), "clip": forward},
        {"name": "intrabeam tube", "shape": "tube", "material": g.tube_material,
         "inner_radius": g.tube_inner_radius, "outer_radius": g.outer_radius, "z": [0.0, length], **place},
        {"name": "intrabeam beryllium cap", "shape": "shell", "material": g.cap_material,
         "inner_radius": g.cap_inner_radius, "outer_radius": g.outer_radius, "center": _vec(t), "clip": forward},
        {"name": "intrabeam gold target", "shape": "shell", "material": g.target_material,
         "inner_radius": g.target_inner_radius, "outer_radius": g.cap_inner_radius, "center": _vec(t),
         "clip": forward},
    ]


def _diameter(diameter) -> float:
    allowed = PROBE.applicator_diameters
    try:
        d = float(diameter)
    except (TypeError, ValueError):
        d = math.nan
    for a in allowed:
        if abs(d - a) <= 1e-9:
            return a
    raise InputError(f"source.applicator: {diameter!r} is not allowed: INTRABEAM spherical applicator outer "
                     f"diameter, cm, must be one of {', '.join(f'{a:.1f}' for a in allowed)}")


def applicator_parts(diameter, tip=(0.0, 0.0, 0.0), back=(0.0, 0.0, -1.0)) -> list:
    """[[parts]] of the spherical applicator of outer ``diameter`` cm (1.5-5.0 in 0.5 steps; otherwise
    InputError naming ``source.applicator``) centred on the tip: polyetherimide at 1.27 g/cm3. Below
    ``PROBE.hollow_from`` a solid PEI sphere; from it on a PEI shell (``PROBE.shell_wall`` thick) filled
    with air, with a PEI sleeve round the probe from the tip back to the wall. Last, the bore the probe
    sits in (air, the probe's outer radius, from the tip back through the sphere). Paint these BEFORE
    :func:`probe_parts`."""
    d = _diameter(diameter)
    t, b = _frame(tip, back)
    g = PROBE
    r = 0.5 * d
    label = f"intrabeam applicator {d:.1f} cm"
    pei = {"material": g.applicator_material, "density": g.applicator_density}
    place = {"center": _vec(t), "axis": _vec(b)}
    parts = [{"name": label, "shape": "sphere", "radius": r, "center": _vec(t), **pei}]
    if d >= g.hollow_from - 1e-9:
        cavity = r - g.shell_wall
        parts += [
            {"name": f"{label} cavity", "shape": "sphere", "material": g.fill_material, "radius": cavity,
             "center": _vec(t)},
            {"name": f"{label} sleeve", "shape": "cylinder", "radius": g.sleeve_outer_radius,
             "z": [0.0, cavity], **place, **pei},
        ]
    parts.append({"name": f"{label} bore", "shape": "cylinder", "material": g.fill_material,
                  "radius": g.outer_radius, "z": [0.0, r], **place})
    return parts


def electron_start(tip=(0.0, 0.0, 0.0), back=(0.0, 0.0, -1.0)) -> dict:
    """Where the electron beam starts: ``PROBE.beam_start`` (1 cm) up the shaft in the vacuum, a disc
    of ``PROBE.beam_radius`` cm travelling along -back onto the target.

    Returns {'z0': the start point's coordinate along the beam direction -back (for the default
    back = (0, 0, -1) the world z of the start plane, the ``z`` of a circle beam source), 'radius':
    the spot radius (cm), 'start': the start point [x, y, z] (cm), 'direction': -back}."""
    t, b = _frame(tip, back)
    start = t + PROBE.beam_start * b
    return {"z0": float(start @ -b), "radius": PROBE.beam_radius, "start": _vec(start), "direction": _vec(-b)}
