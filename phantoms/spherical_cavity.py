"""``spherical_cavity``: water or tissue with a spherical cavity holding a spherical
applicator shell (kV intra-operative radiotherapy, e.g. the INTRABEAM spherical
applicators of 1.5-5 cm diameter), centred on the source.

Parameters: size = [x, y, z] cm (the box, z from 0); medium (water);
applicator_diameter (outer, cm); wall (cm); applicator_material
(polyetherimide); cavity_material (air, inside the shell); applicator_center
(cm; absent: the point source's position, else the centre of the box). The
medium fits the applicator's outer surface (no air gap).
"""
import numpy as np

from mcdose.geometry import box, sphere

from ._common import fail, filled, geometry, lateral_box, param

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
    outer, inner = sphere(c, r_out), sphere(c, r_out - wall)
    medium, shell, cavity = param(p, "medium"), param(p, "applicator_material"), param(p, "cavity_material")
    cells = [filled(NAME, cavity, ctx, (-inner,), cell_name=f"inside the applicator: {cavity}"),
             filled(NAME, shell, ctx, (+inner, -outer), cell_name=f"applicator wall: {shell}"),
             filled(NAME, medium, ctx, (*box(x0, x1, y0, y1, 0.0, size[2]), +outer), cell_name=f"medium: {medium}")]
    return geometry(NAME, p, ctx, cells, env, center=c)
