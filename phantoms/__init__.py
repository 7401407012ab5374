"""The mcdose phantom library (importable as mcdose.phantoms).

Each phantom is addressable by name as ``[phantom] type = NAME``; its
parameters, units, defaults and docs are the ``[phantom]`` keys of
:mod:`mcdose.schema` that apply to it (``PHANTOMS[NAME].params``); water_box,
breast_shield and spherical_cavity need no parameter at all. Conventions:
cm and g/cm3; z is depth with the phantom surface at z = 0 and the beam
travelling to +z; x and y centred on the beam axis (``ct`` keeps the CT's patient
coordinates, cm). Every phantom sits in a
world box (its own box grown by ``world_margin``) of ``world`` (vacuum or a
material). ``python -m mcdose.phantoms`` prints the library. Parts ([[parts]]) are
painted over the phantom by :mod:`mcdose.geometry.scene`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from mcdose.errors import InputError
from mcdose.geometry import Geometry
from mcdose.geometry.scene import add_parts, parts_from_tables
from mcdose.sources import check_world

from . import breast_shield, ct, cylinder, slabs, spherical_cavity, voxels, water_box
from ._common import FIELDS, Context, param

__all__ = ["PHANTOMS", "Phantom", "build", "from_spec", "check_source"]


@dataclass(frozen=True)
class Phantom:
    name: str
    doc: str
    builder: Callable

    @property
    def params(self) -> dict:
        """{key: mcdose.schema.Field} (unit, default, doc) of the [phantom] keys this phantom takes."""
        return {k: f for k, f in FIELDS.items() if k != "type" and f.applies({"type": self.name})}


def _entry(name, module, builder=None) -> Phantom:
    return Phantom(name, (module.__doc__ or "").strip(), builder or module.build)


PHANTOMS = {
    "box": _entry("box", water_box, water_box.build_box),
    "water_box": _entry("water_box", water_box),
    "cylinder": _entry("cylinder", cylinder),
    "slabs": _entry("slabs", slabs),
    "breast_shield": _entry("breast_shield", breast_shield),
    "spherical_cavity": _entry("spherical_cavity", spherical_cavity),
    "voxels": _entry("voxels", voxels),
    "ct": _entry("ct", ct),
}


def build(phantom, *, material=None, source=None, base_dir=None, parts=()) -> Geometry:
    """The validated :class:`~mcdose.geometry.Geometry` of a [phantom] section (a Spec section or a dict),
    with validated [[parts]] tables ``parts`` painted over it in order (the world grown to hold each
    part's box grown by phantom.world_margin).

    material: name -> Material (default the library; pass ``spec.material`` for user materials);
    source: the [source] section (centres ``spherical_cavity`` on a point source);
    base_dir: where relative file names start (default the working directory).
    """
    name = phantom.get("type", "box")
    if name not in PHANTOMS:
        raise InputError(f"phantom.type: {name!r} is not allowed: must be one of {', '.join(map(repr, PHANTOMS))}")
    ctx = Context(**{k: v for k, v in (("material", material), ("source", source),
                                        ("base_dir", Path(base_dir) if base_dir else None)) if v is not None})
    geometry = PHANTOMS[name].builder(phantom, ctx)
    if not parts:
        return geometry
    return add_parts(geometry, parts_from_tables(parts, ctx.material), float(param(phantom, "world_margin")))


def check_source(geometry: Geometry, source) -> None:
    """InputError if the source emits from outside the world (its family's ``check_world``)."""
    check_world(source, geometry)


def from_spec(spec) -> Geometry:
    """The geometry of a validated Spec, its source checked against the world."""
    base = Path(spec.source_path).parent if spec.source_path else None
    geometry = build(spec.phantom, material=spec.material, source=spec.source, base_dir=base, parts=spec.scene_parts)
    check_source(geometry, spec.source)
    return geometry
