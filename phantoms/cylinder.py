"""``cylinder``: a homogeneous cylinder about the z axis, from z = 0 to z = length.

Parameters: material; radius (cm); length (cm). The reference geometry of
DOSRZnrc-style benchmarks (e.g. a water cylinder of radius 15 cm, length 10 cm).
"""
from mcdose.geometry import cylinder, zplane

from ._common import filled, geometry, param

NAME = "cylinder"


def build(p, ctx):
    r, length = param(p, "radius"), param(p, "length")
    cell = filled(NAME, p["material"], ctx, (-cylinder(r), +zplane(0.0), -zplane(length)), cell_name=p["material"])
    return geometry(NAME, p, ctx, [cell], [[-r, r], [-r, r], [0.0, length]], filled_box=False)
