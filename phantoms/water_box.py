"""``water_box`` (and ``box``): a homogeneous box, x and y centred on the axis, z from 0 to size[2].

Parameters: size = [x, y, z] cm; material (``box`` only; ``water_box`` is water).
"""
from mcdose.geometry import box

from ._common import filled, geometry, lateral_box, param

NAME = "water_box"


def build(p, ctx, material: str = "water"):
    x0, x1, y0, y1 = lateral_box(param(p, "size"))
    z1 = param(p, "size")[2]
    cell = filled(NAME, material, ctx, box(x0, x1, y0, y1, 0.0, z1), cell_name=material)
    return geometry(NAME, p, ctx, [cell], [[x0, x1], [y0, y1], [0.0, z1]])


def build_box(p, ctx):
    return build(p, ctx, material=p["material"])
