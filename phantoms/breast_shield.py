"""``breast_shield``: breast tissue over a shielding disk, the disk lying in water below
(IOERT of the breast: a disk of PMMA + copper, or aluminium + lead, between the
gland and the chest wall, e.g. Oshima et al., J. Radiat. Res. 50 (2009) 405).

Parameters: size = [x, y, z] cm; tissue_material (breast), tissue_thickness (cm);
shield_layers = [{ material, thickness (cm) }, ...] from the tissue side down
(default PMMA 0.7 cm + copper 0.25 cm); shield_diameter (cm); backing_material
(water) around and below the disk. The disk is coaxial with the beam.

Built as a scene (mcdose.geometry.scene), the way [[parts]] compose: a box of the
backing material, then the tissue layer (a box part, z from 0 to tissue_thickness)
and the disk's layers (cylinder parts, one per layer) painted over it in order.
"""
from mcdose.geometry import box
from mcdose.geometry.scene import solid

from ._common import fail, filled, geometry, lateral_box, param, part, with_parts

NAME = "breast_shield"


def build(p, ctx):
    size = param(p, "size")
    x0, x1, y0, y1 = lateral_box(size)
    t = param(p, "tissue_thickness")
    layers = param(p, "shield_layers")
    diameter = param(p, "shield_diameter")
    disk = sum(layer["thickness"] for layer in layers)
    if diameter > min(size[0], size[1]):
        raise fail("shield_diameter", diameter, f"cm, must be <= the phantom's lateral size {min(size[:2]):g} cm")
    if t + disk >= size[2]:
        raise fail("size", list(size), f"z must exceed tissue_thickness + the disk ({t + disk:g} cm)")
    tissue, backing = param(p, "tissue_material"), param(p, "backing_material")
    parts = [part(f"tissue: {tissue}", tissue, ctx, solid("box", (0.0, 0.0, t / 2), size=(size[0], size[1], t)))]
    z = t
    for i, layer in enumerate(layers):
        parts.append(part(f"shield {i}: {layer['material']}", layer["material"], ctx,
                          solid("cylinder", radius=diameter / 2, z=(z, z + layer["thickness"]))))
        z = z + layer["thickness"]
    base = geometry(NAME, p, ctx, [filled(NAME, backing, ctx, box(x0, x1, y0, y1, 0.0, size[2]),
                                          cell_name=f"backing: {backing}")],
                    [[x0, x1], [y0, y1], [0.0, size[2]]], center=(0.0, 0.0, (t + z) / 2))
    return with_parts(base, p, parts)
