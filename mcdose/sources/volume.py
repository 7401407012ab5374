"""Volume: isotropic emission uniform per unit mass of the matter inside a box (Fano test,
distributed sources); the kernel samples points uniformly in the box and keeps them with
probability rho / rho_max (rejection)."""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..kernels.codes import VOLUME
from ..schema import Field

FIELDS = {
    "box": Field("vec", unit="cm", length=6, doc="[x_min, x_max, y_min, y_max, z_min, z_max]: isotropic emission, "
                 "uniform per unit mass of the matter inside (Fano test, distributed sources)", required=True),
}


def check(source) -> None:
    """Each axis of the box has min < max."""
    box = source["box"]
    for k, axis in enumerate("xyz"):
        if not box[2 * k] < box[2 * k + 1]:
            raise InputError(f"source.box: {axis}_min {box[2 * k]} must be < {axis}_max {box[2 * k + 1]} (cm)")


def check_scene(source, geo, arrays) -> None:
    """The box holds matter: a 40^3 grid of its points meets at least one (a volume source emits per unit mass)."""
    from ..kernels.source import box_matter_fraction     # numba: at problem build only
    if box_matter_fraction(geo, arrays.geometry, 40) == 0.0:
        raise InputError(f"source.box: {list(source['box'])} holds no matter of the phantom (cm): "
                         "a volume source emits per unit mass")


def arrays(source) -> dict:
    """Kernel kind and geometry (the box, cm)."""
    return {"kind": VOLUME, "geometry": np.array(source["box"], dtype=np.float64)}


def check_world(source, geometry) -> None:
    """Every corner of the box lies in the world."""
    b = source["box"]
    for x in b[0:2]:
        for y in b[2:4]:
            for z in b[4:6]:
                geometry.check_source_point(x, y, z, what="source.box corner")
