"""IOERT: electrons from a mobile linac head (machine file, :mod:`mcdose.machines`) through its thin
layers, an air column and a PMMA applicator resting on the phantom surface.

Each primary starts on the upstream face of the exit window: a Gaussian spot (``spot_sigma``, cm, each
transverse axis), a mean direction diverging from a virtual point ``virtual_source_distance`` cm
upstream (parallel if 0), a Gaussian angular spread (``angular_sigma``, degrees, each projected axis)
and a Gaussian energy spectrum (``mean_energy``, ``energy_fwhm``, MeV). The window, foils and monitor
chamber, the air and the applicator are parts of the scene, so their scatter, the wall-scattered
electrons under the applicator and the head's bremsstrahlung come from the transport. Geometry frame
and bevel convention: :mod:`.applicator`. Hard docking: the head axis is the applicator's and the
window is the machine's ``applicator_top`` above the applicator's upstream end; soft docking adds
``air_gap`` (cm) between them and tilts the head by ``tilt`` degrees in the y-z plane, pivoting about
the centre of the applicator's upstream end (TG-72, Beddar et al., Med. Phys. 33 (2006) 1476).
Dose is per electron leaving the accelerator (per history).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .. import machines
from ..errors import InputError
from ..kernels.codes import LINAC_HEAD
from ..schema import Field
from .applicator import applicator_axis, applicator_parts, head_parts

SPECTRUM_LINES = 61          # lines of the Gaussian energy spectrum, over +-3 sigma
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))

FIELDS = {
    "machine": Field("str", doc="a library machine (mcdose machines) or a machine file (relative to the "
                     "configuration)", required=True),
    "bevel": Field("float", 0.0, unit="degrees", ge=0, le=60, doc="0 (flat) or one of the machine's bevels"),
    "docking": Field("str", choices=("hard", "soft"), doc="absent: the machine's first docking mode"),
    "air_gap": Field("float", 0.0, unit="cm", ge=0, le=20, doc="soft docking: air between the head and the "
                     "applicator's upstream end, beyond the hard-dock distance", when=(("docking", ("soft",)),)),
    "tilt": Field("float", 0.0, unit="degrees", ge=0, le=10, doc="soft docking: head axis tilted from the "
                  "applicator's, in the y-z plane", when=(("docking", ("soft",)),)),
}


def resolve(source, base: Path) -> None:
    """A machine given as a path (a name with a folder or ending in .toml) becomes absolute, relative to
    the configuration's folder ``base``; any other name is a library machine's."""
    name = source["machine"]
    if "/" in name or "\\" in name or name.endswith(".toml"):
        source["machine"] = str((base / source["machine"]).resolve())


def _setup(source) -> tuple:
    """(machine, its beam at source.energy, wall cm) after checking the applicator, bevel and docking
    against the machine; errors name the source key."""
    label = f"source.machine {source['machine']!r}"
    machine = machines.load(source["machine"])
    try:
        beam = machine.energy(source["energy"])
    except InputError as e:
        raise InputError(f"source.energy: {e}") from None
    try:
        wall = machine.applicators.wall_for(source["applicator"])
    except InputError as e:
        raise InputError(f"source.applicator: {e} ({label})") from None
    if source["bevel"] > 0.0 and not any(abs(source["bevel"] - b) <= 1e-6 for b in machine.applicators.bevels):
        raise InputError(f"source.bevel: {source['bevel']:g} degrees is not available: must be one of "
                         f"{', '.join(f'{b:g}' for b in machine.applicators.bevels)} ({label})")
    if source["docking"] not in machine.applicators.docking:
        raise InputError(f"source.docking: {source['docking']!r} is not available: must be one of "
                         f"{', '.join(machine.applicators.docking)} ({label})")
    return machine, beam, wall


def check(source) -> None:
    """Electrons only, the nominal energy and the machine's applicator set; no spectrum of one's own.
    An absent docking becomes the machine's first docking mode."""
    if source.get("particle", "electron") != "electron":
        raise InputError(f"source.particle: {source['particle']!r} is not allowed with type = 'ioert': must be "
                         "'electron' (the head's photons come from the transport)")
    if isinstance(source["applicator"], str):
        raise InputError(f"source.applicator: {source['applicator']!r} is not allowed with type = 'ioert': must be "
                         "the applicator's inner diameter (cm), one of the machine's")
    if "energy" not in source:
        raise InputError("source.energy: missing; type = 'ioert' needs the nominal energy (MeV), one of the "
                         "machine's; its spectrum comes from the machine file")
    if "docking" not in source:
        source["docking"] = machines.load(source["machine"]).applicators.docking[0]
    _setup(source)


def _head_frame(source, machine) -> tuple:
    """(window centre, head axis, applicator upstream-end centre), cm and unit vector."""
    a = applicator_axis(source["bevel"])
    top = -machine.applicators.length * a
    gap = source.get("air_gap", 0.0)
    axis = applicator_axis(source["bevel"], source.get("tilt", 0.0))
    return top - (machine.applicator_top + gap) * axis, axis, top


def parts(source) -> list:
    """The head (air column and layers) and the applicator, painted in that order."""
    machine, _, wall = _setup(source)
    window, axis, _ = _head_frame(source, machine)
    gap = source.get("air_gap", 0.0)
    diameter = source["applicator"]
    return (head_parts(window, axis, machine.layers, machine.applicator_top + gap, 0.5 * diameter + wall)
            + applicator_parts(diameter, wall, machine.applicators.length, source["bevel"],
                               machine.applicators.material))


def spectrum(source) -> tuple:
    """(energies MeV, probabilities): the machine's Gaussian at this nominal energy on SPECTRUM_LINES
    lines over +-3 sigma (each line the probability of its interval), truncated at 0."""
    _, beam, _ = _setup(source)
    sigma = beam.energy_fwhm / FWHM_PER_SIGMA
    if sigma == 0.0:
        return np.array([beam.mean_energy]), np.array([1.0])
    edges = beam.mean_energy + sigma * np.linspace(-3.0, 3.0, SPECTRUM_LINES + 1)
    cdf = np.array([0.5 * math.erfc(-(e - beam.mean_energy) / (sigma * math.sqrt(2.0))) for e in edges])
    energies, probabilities = 0.5 * (edges[1:] + edges[:-1]), np.diff(cdf)
    keep = energies > 0.0
    return energies[keep], probabilities[keep] / probabilities[keep].sum()


def arrays(source) -> dict:
    """Kernel kind LINAC_HEAD; geometry = (window centre x, y, z (cm), spot sigma (cm), angular sigma
    (radians), virtual source distance (cm)); direction = the head axis."""
    machine, beam, _ = _setup(source)
    window, axis, _ = _head_frame(source, machine)
    geometry = np.array([*window, beam.spot_sigma, math.radians(beam.angular_sigma), beam.virtual_source_distance])
    return {"kind": LINAC_HEAD, "geometry": geometry, "direction": axis}


def check_world(source, geometry) -> None:
    """The window centre lies in the world (the scene's world holds the head parts)."""
    machine, _, _ = _setup(source)
    geometry.check_source_point(*_head_frame(source, machine)[0], what="source (exit window of the ioert head)")
