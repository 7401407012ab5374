"""The source families by ``source.type`` and the ``[source]`` schema assembled from them.

Kept apart from the package's ``__init__``: :mod:`mcdose.schema` imports this module while it is
being built (the families declare their keys with its :class:`~mcdose.schema.Field`).
"""
from __future__ import annotations

from dataclasses import replace

from ..kernels.codes import ELECTRON, PHOTON, POSITRON
from ..schema import E_RANGE, ByValue, Field, SectionSchema
from . import beam, intrabeam, ioert, phase_space, point, volume

FAMILIES = {"beam": beam, "point": point, "volume": volume, "ioert": ioert, "phase_space": phase_space,
            "intrabeam": intrabeam}
PARTICLES = {"photon": PHOTON, "electron": ELECTRON, "positron": POSITRON}
MAX_PRIMARIES = 100     # primaries of one history: they wait together on the particle stack (kernels/tally.py)

EMITTING = (("type", tuple(f for f in FAMILIES if f not in ("phase_space", "intrabeam"))),)   # energy keys apply
HEAD = {
    "particle": Field("str", ByValue("type", {"ioert": "electron", "phase_space": "electron", "intrabeam": "photon"}),
                      choices=("electron", "photon", "positron"), required=True),
    "energy": Field("float", doc="monoenergetic kinetic energy (type = 'ioert': the machine's nominal energy)",
                    when=EMITTING, **E_RANGE),
    "spectrum": Field("spectrum", doc="[energy_MeV, weight] pairs", when=EMITTING),
    "spectrum_file": Field("str", doc="text file of energy_MeV, weight rows (two columns; relative to the config file)",
                           when=EMITTING),
}
SHARED = {      # keys of several families
    "applicator": Field("number_or_name", unit="cm", gt=0, le=20, choices=("bare",), required=True,
                        when=(("type", ("ioert", "intrabeam")),),
                        doc="ioert: the applicator's inner diameter, one of the machine's; intrabeam: the spherical "
                        "applicator's diameter (1.5-5.0 in 0.5 steps) or 'bare'"),
}
TAIL = {
    "weight": Field("float", 1.0, gt=0, le=1e6, doc="statistical weight of every primary: the dose scales with "
                    "it (at most 1e6: one history must fit the fixed-point tallies)"),
    "primaries_per_history": Field("int", 1, ge=1, le=MAX_PRIMARIES, doc="independent primaries each history "
                                   "starts; dose and energy balance stay per history (k times those of one)",
                                   when=EMITTING),
}


def section() -> SectionSchema:
    """The ``[source]`` schema: type, the shared keys, each family's keys under ``type = NAME``, weight
    and primaries_per_history."""
    fields = {"type": Field("str", "beam", choices=tuple(FAMILIES)), **HEAD, **SHARED}
    for name, family in FAMILIES.items():
        for key, f in family.FIELDS.items():
            assert key not in fields, f"source.{key} declared twice"
            fields[key] = replace(f, when=(("type", (name,)),) + f.when)
    return SectionSchema("what is emitted, where", {**fields, **TAIL}, one_of=(("energy", "spectrum", "spectrum_file"),))
