"""Beam: primaries start uniformly over a disc or rectangle in the plane z = ``z``, centred on the z
axis, travelling towards +z: parallel, or diverging from a focus ``focus_distance`` upstream."""
from __future__ import annotations

import numpy as np

from ..kernels.codes import BEAM_CIRCLE, BEAM_RECTANGLE
from ..schema import Field

FIELDS = {
    "shape": Field("str", "circle", choices=("circle", "rectangle")),
    "radius": Field("float", unit="cm", gt=0, le=100, when=(("shape", ("circle",)),), required=True),
    "size": Field("vec", unit="cm", gt=0, le=200, length=2, when=(("shape", ("rectangle",)),), required=True),
    "z": Field("float", 0.0, unit="cm", doc="the beam starts in this plane, travelling towards +z"),
    "focus_distance": Field("float", unit="cm", gt=0, le=10_000, doc="divergent from a point this far upstream; "
                            "absent = parallel"),
}


def arrays(source) -> dict:
    """Kernel kind and geometry (half-widths or radius, z0, focus distance; cm)."""
    geometry = np.zeros(6)
    if source["shape"] == "circle":
        kind = BEAM_CIRCLE
        geometry[0] = source["radius"]
    else:
        kind = BEAM_RECTANGLE
        geometry[0], geometry[1] = 0.5 * source["size"][0], 0.5 * source["size"][1]
    geometry[2] = source["z"]
    geometry[3] = source.get("focus_distance", 0.0)
    return {"kind": kind, "geometry": geometry}


def check_world(source, geometry) -> None:
    """The start area's extreme points lie in the world."""
    if source["shape"] == "circle":
        r = source["radius"]
        corners = [(r, 0), (-r, 0), (0, r), (0, -r)]
    else:
        hx, hy = source["size"][0] / 2, source["size"][1] / 2
        corners = [(hx, hy), (-hx, hy), (hx, -hy), (-hx, -hy)]
    for x, y in corners:
        geometry.check_source_point(x, y, source["z"], what="source (beam start area at source.z)")
