"""IOERT shielding disks: ``[[shields]]`` tables expanded into [[parts]] (coaxial discs along +z).

A disk protects the tissue under the target: a low-Z layer facing the beam (it absorbs the
backscatter from the high-Z layer) over a high-Z layer that stops the electrons. Presets (thicknesses
in cm, upstream first), as the disks are described in AAPM TG-72 (Beddar et al., Med. Phys. 33 (2006)
1476, sec. V.C) and in mcdose issue 15:

* ``mobetron``: PMMA 0.71 over copper 0.25, 8 cm diameter (the Mobetron-type disk);
* ``al_pb``: aluminium 0.2 over lead 0.4 (the LIAC/NOVAC-type disk), 8 cm diameter by default.

Each layer becomes a part named ``shields[i] MATERIAL`` (or ``NAME MATERIAL``), so the per-part tally
reports the energy and dose deposited in it. Shields are painted after every other part.
"""
from __future__ import annotations

from .errors import InputError
from .schema import Field, SectionSchema

PRESETS = {
    "mobetron": (("pmma", 0.71), ("copper", 0.25)),
    "al_pb": (("aluminium", 0.2), ("lead", 0.4)),
}

SCHEMA = SectionSchema("[[shields]]: IOERT shielding disks under the tissue, painted after all other parts", {
    "type": Field("str", choices=tuple(PRESETS), required=True, doc="mobetron: PMMA 0.71 cm over Cu 0.25 cm; "
                  "al_pb: Al 0.2 cm over Pb 0.4 cm"),
    "depth": Field("float", unit="cm", ge=0, le=100, required=True, doc="z of the disk's upstream face"),
    "diameter": Field("float", 8.0, unit="cm", gt=0, le=30),
    "center": Field("vec", (0.0, 0.0), unit="cm", length=2, doc="x, y of the disk's axis"),
    "name": Field("str", doc="for messages and the region tally; default shields[i]"),
}, required=False)


def shield_parts(shields) -> list:
    """[[parts]] tables (cylinders along +z, upstream layer first) of validated [[shields]] tables."""
    out = []
    for i, s in enumerate(shields):
        name, z = s.get("name", f"shields[{i}]"), float(s["depth"])
        for material, thickness in PRESETS[s["type"]]:
            out.append({"name": f"{name} {material}", "shape": "cylinder", "material": material,
                        "radius": 0.5 * s["diameter"], "z": [z, z + thickness],
                        "center": [float(s["center"][0]), float(s["center"][1]), 0.0]})
            z += thickness
    return out


def check_tables(tables) -> None:
    """The [[shields]] value is an array of tables."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise InputError("shields: must be an array of tables [[shields]]")
