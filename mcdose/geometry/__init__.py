"""Geometry: quadric cells, a voxel lattice and the world, validated and compiled for the kernels.

Units: cm, g/cm3. Build cells from half-spaces of surfaces (``-S`` / ``+S``),
make a :class:`Geometry`, and hand ``geometry.compile()`` to the kernels in
:mod:`mcdose.kernels.geometry`.
"""
from .model import VACUUM, Cell, Geometry, Lattice
from .surfaces import Halfspace, Surface, box, cone, cylinder, plane, sphere, xplane, yplane, zplane

__all__ = ["Geometry", "Cell", "Lattice", "VACUUM", "Surface", "Halfspace", "plane", "xplane", "yplane",
           "zplane", "sphere", "cylinder", "cone", "box"]
