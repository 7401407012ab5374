"""IOERT applicator and head geometry as [[parts]] tables (cm, degrees): the builders of the ``ioert``
source family, public so that a scene can hold an applicator without the head (a cone point source
over the tube: the EGSnrc APP9 reference case, benchmarks/reference/README.md).

Frame: the phantom surface is the plane z = 0, matter at z > 0, the beam travels towards +z. The
applicator's end face is centred on the origin and lies in the surface. A bevel of angle b cuts the
tube end by a plane at b to the tube's cross-section; the tube axis then leans by b in the y-z plane,
a = (0, sin b, cos b), so that the bevelled face lies on the surface: the long side of the bevel is
at +y, the short side at -y (AAPM TG-72, Beddar et al., Med. Phys. 33 (2006) 1476, sec. III.B).
"""
from __future__ import annotations

import math

import numpy as np

from ..geometry.scene import MAX_STEP_FRACTION

AIR_MARGIN = 1.0     # cm of air kept around the tube wall and the head's layers (vacuum beyond)
SURFACE = {"point": [0.0, 0.0, 0.0], "normal": [0.0, 0.0, 1.0]}   # clip plane: keeps z <= 0


def applicator_axis(bevel_deg: float, tilt_deg: float = 0.0) -> np.ndarray:
    """Unit vector along the beam of an axis leaning by bevel + tilt degrees towards +y in the y-z plane."""
    t = math.radians(bevel_deg + tilt_deg)
    return np.array([0.0, math.sin(t), math.cos(t)])


def applicator_parts(inner_diameter: float, wall: float, length: float, bevel: float = 0.0,
                     material: str = "pmma", fill: str = "air", surround: str = "air",
                     name: str = "applicator") -> list:
    """[[parts]] of an applicator whose end face (centre at the origin) rests on the surface z = 0.

    inner_diameter, wall, length (cm; the length along the axis from the upstream end to the face
    centre), bevel (degrees, 0 = flat). Returns, in painting order: the air around the tube
    (AIR_MARGIN thick; none if ``surround`` is "vacuum"), the gas inside it (``fill``) and the tube
    wall (``material``); all clipped to z <= 0. A flat applicator is the 0-degree bevel: the same
    tables, bit for bit. The gas columns cap the charged-particle step at MAX_STEP_FRACTION of their
    length (particles cross them along the axis; the default would take a tenth of their diameter).
    """
    a = applicator_axis(bevel)
    r_in, r_out = 0.5 * inner_diameter, 0.5 * inner_diameter + wall
    z = [-float(length), (r_out + AIR_MARGIN) * math.tan(math.radians(bevel))]
    common = {"center": [0.0, 0.0, 0.0], "axis": a.tolist(), "z": z}
    if bevel > 0.0:
        common["clip"] = [dict(SURFACE)]
    else:
        z[1] = 0.0
    column = {**common, "max_step": MAX_STEP_FRACTION * (z[1] - z[0])}    # gas crossed along the axis
    around = [] if surround == "vacuum" else [
        {"name": f"{name} around", "shape": "cylinder", "material": surround, "radius": r_out + AIR_MARGIN, **column}]
    return around + [
        {"name": f"{name} inside", "shape": "cylinder", "material": fill, "radius": r_in, **column},
        {"name": f"{name} wall", "shape": "tube", "material": material, "inner_radius": r_in,
         "outer_radius": r_out, **common},
    ]


def head_parts(window: np.ndarray, axis: np.ndarray, layers, top_distance: float, applicator_radius: float) -> list:
    """[[parts]] of a linac head: an air column from the exit window (upstream face at ``window``, cm)
    along the unit ``axis`` to ``top_distance`` cm, wide enough for every layer and the applicator
    (``applicator_radius``, cm, plus AIR_MARGIN), then each layer (machine file: a disc of a material
    at z, thickness, radius along the axis) painted over it. The air column caps the charged-particle
    step at MAX_STEP_FRACTION of its length, each layer at that of its thickness (the default)."""
    radius = max([applicator_radius] + [layer.radius for layer in layers]) + AIR_MARGIN
    place = {"center": [float(c) for c in window], "axis": [float(c) for c in axis]}
    parts = [{"name": "head air", "shape": "cylinder", "material": "air", "radius": radius,
              "z": [0.0, float(top_distance)], "max_step": MAX_STEP_FRACTION * float(top_distance), **place}]
    for layer in layers:
        parts.append({"name": f"head {layer.name}", "shape": "cylinder", "material": layer.material,
                      "radius": layer.radius, "z": [layer.z, layer.z_end], **place})
    return parts
