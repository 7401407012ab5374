"""``breast_shield``: breast tissue over a shielding disk, the disk lying in water below
(IOERT of the breast: a disk of PMMA + copper, or aluminium + lead, between the
gland and the chest wall, e.g. Oshima et al., J. Radiat. Res. 50 (2009) 405).

Parameters: size = [x, y, z] cm; tissue_material (breast), tissue_thickness (cm);
shield_layers = [{ material, thickness (cm) }, ...] from the tissue side down
(default PMMA 0.7 cm + copper 0.25 cm); shield_diameter (cm); backing_material
(water) around and below the disk. The disk is coaxial with the beam.
"""
from mcdose.geometry import box, cylinder, xplane, yplane, zplane

from ._common import fail, filled, geometry, lateral_box, param
from .slabs import stack

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
    rim = cylinder(diameter / 2)
    lateral = (+xplane(x0), -xplane(x1), +yplane(y0), -yplane(y1))
    cells = [filled(NAME, tissue, ctx, box(x0, x1, y0, y1, 0.0, t), cell_name=f"tissue: {tissue}")]
    shield, z_disk = stack(layers, ctx, t, (-rim,), prefix="shield")
    cells += shield
    cells.append(filled(NAME, backing, ctx, (*lateral, +zplane(t), -zplane(z_disk), +rim),
                        cell_name=f"around the disk: {backing}"))
    cells.append(filled(NAME, backing, ctx, box(x0, x1, y0, y1, z_disk, size[2]), cell_name=f"below the disk: {backing}"))
    return geometry(NAME, p, ctx, cells, [[x0, x1], [y0, y1], [0.0, size[2]]], center=(0.0, 0.0, (t + z_disk) / 2))
