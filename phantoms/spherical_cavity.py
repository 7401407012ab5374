"""``spherical_cavity``: water or tissue with a spherical cavity holding a spherical
applicator shell (kV intra-operative radiotherapy, e.g. the INTRABEAM spherical
applicators of 1.5-5 cm diameter), centred on the source.

Parameters: size = [x, y, z] cm (the box, z from 0); medium (water);
applicator_diameter (outer, cm); wall (cm); applicator_material
(polyetherimide); cavity_material (air, inside the shell); applicator_center
(cm; absent: the point source's position, else the centre of the box). The
medium fits the applicator's outer surface (no air gap).

Built as a scene (mcdose.geometry.scene), the way [[parts]] compose: a box of the
medium, then the applicator painted over it: a sphere of the cavity material
(radius applicator_diameter / 2 - wall) and a shell of the applicator material
around it.
"""
import numpy as np

from mcdose.geometry import box
from mcdose.geometry.scene import solid

from ._common import fail, filled, geometry, lateral_box, param, part, with_parts

NAME = "spherical_cavity"


def _center(p, ctx, size):
    if p.get("applicator_center") is not None:
        return tuple(p["applicator_center"])
    src = ctx.source
    if src is not None and src.get("type") == "point":
        return tuple(src["position"])
    return (0.0, 0.0, size[2] / 2)


def build(p, ctx):
    size = param(p, "size")
    x0, x1, y0, y1 = lateral_box(size)
    env = np.array([[x0, x1], [y0, y1], [0.0, size[2]]])
    r_out = param(p, "applicator_diameter") / 2
    wall = param(p, "wall")
    if not wall < r_out:
        raise fail("wall", wall, f"cm, must be < the applicator's outer radius {r_out:g} cm")
    c = np.asarray(_center(p, ctx, size), dtype=float)
    if np.any(c - r_out <= env[:, 0]) or np.any(c + r_out >= env[:, 1]):
        raise fail("applicator_diameter", 2 * r_out,
                   f"the applicator (centre {c.tolist()} cm) must lie inside the phantom box {env.tolist()} cm")
    medium, shell, cavity = param(p, "medium"), param(p, "applicator_material"), param(p, "cavity_material")
    base = geometry(NAME, p, ctx, [filled(NAME, medium, ctx, box(x0, x1, y0, y1, 0.0, size[2]),
                                          cell_name=f"medium: {medium}")], env, center=c)
    return with_parts(base, p, [
        part(f"inside the applicator: {cavity}", cavity, ctx, solid("sphere", c, radius=r_out - wall)),
        part(f"applicator wall: {shell}", shell, ctx, solid("shell", c, inner_radius=r_out - wall, outer_radius=r_out))])
