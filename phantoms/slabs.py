"""``slabs``: layers of any materials and thicknesses stacked from z = 0 downwards
(e.g. water 1.5 cm / lead 0.3 cm / water 10 cm), each of lateral size [x, y].

Parameters: size = [x, y] cm; layers = [{ material, thickness (cm) }, ...].
Adjacent layers share one plane, so the stack has no gaps by construction.
"""
from mcdose.geometry import xplane, yplane, zplane

from ._common import filled, geometry, lateral_box, param

NAME = "slabs"


def stack(layers, ctx, z_top: float, lateral, prefix: str = "layer"):
    """Cells of a stack of layers from z_top downwards inside the half-spaces ``lateral``; returns (cells, z_bottom)."""
    cells = []
    top = zplane(z_top)
    z = z_top
    for i, layer in enumerate(layers):
        z = z + layer["thickness"]
        bottom = zplane(z)
        cells.append(filled(NAME, layer["material"], ctx, (*lateral, +top, -bottom),
                            cell_name=f"{prefix} {i}: {layer['material']}"))
        top = bottom
    return cells, z


def build(p, ctx):
    x0, x1, y0, y1 = lateral_box(param(p, "size"))
    lateral = (+xplane(x0), -xplane(x1), +yplane(y0), -yplane(y1))
    cells, z1 = stack(param(p, "layers"), ctx, 0.0, lateral)
    return geometry(NAME, p, ctx, cells, [[x0, x1], [y0, y1], [0.0, z1]])
