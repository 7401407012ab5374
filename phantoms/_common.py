"""Helpers shared by the phantom builders: parameters with schema defaults, media, parts, the world."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from mcdose.errors import InputError
from mcdose.geometry import VACUUM, Cell, Geometry
from mcdose.geometry.scene import Part, add_parts
from mcdose.materials import get as library_material
from mcdose.schema import SECTIONS

FIELDS = SECTIONS["phantom"].fields


@dataclass(frozen=True)
class Context:
    """What a builder needs besides the [phantom] table."""

    material: Callable = library_material   # name -> Material (Spec.material resolves user materials)
    source: object = None                   # the [source] section, if any
    base_dir: Path = Path(".")              # relative file names are taken from here


def param(p, key):
    """phantom.<key>, or its schema default (for the phantom's type)."""
    values = p if hasattr(p, "get") else {}
    value = values.get(key)
    return FIELDS[key].default_for(values) if value is None else value


def filled(name: str, material: str, ctx: Context, region, cell_name: str | None = None) -> Cell:
    """A cell of a library or user material at its nominal density."""
    return Cell(cell_name or name, tuple(region), material, ctx.material(material).density)


def part(name: str, material: str, ctx: Context, region) -> Part:
    """A placed part (mcdose.geometry.scene) of a library or user material at its nominal density, or vacuum."""
    return Part(name, tuple(region), material, None if material == VACUUM else ctx.material(material).density)


def with_parts(base: Geometry, p, parts) -> Geometry:
    """``base`` with ``parts`` painted over it in order, as [[parts]] are (the world grown to hold each
    part with phantom.world_margin around it)."""
    return add_parts(base, parts, float(param(p, "world_margin")))


def lateral_box(size) -> tuple:
    """(xmin, xmax, ymin, ymax) of a phantom of lateral size [x, y] centred on the axis (cm)."""
    return -size[0] / 2, size[0] / 2, -size[1] / 2, size[1] / 2


def geometry(name: str, p, ctx: Context, cells, envelope, center=None, filled_box: bool = True) -> Geometry:
    """The phantom's cells in a world box = envelope grown by phantom.world_margin, of phantom.world.

    filled_box: the cells must fill the envelope box without gaps (False for a phantom that is
    not a box, e.g. a cylinder, whose bounding box is only used for the world).
    """
    env = np.asarray(envelope, dtype=float).reshape(3, 2)
    margin = float(param(p, "world_margin"))
    world = env + np.array([-margin, margin])
    medium = param(p, "world")
    density = 0.0 if medium == VACUUM else ctx.material(medium).density
    return Geometry(cells, world, medium, density, envelope=env if filled_box else None,
                    center=center if center is not None else env.mean(axis=1), name=f"phantom {name!r}")


def fail(key: str, value, why: str) -> InputError:
    return InputError(f"phantom.{key}: {value!r} is not allowed: {why}")
