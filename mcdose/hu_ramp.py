"""Hounsfield units to mass density (g/cm3) and to a material: a piecewise-linear (Schneider-type) calibration.

Density: linear interpolation between the points of ``phantom.hu_to_density`` ([HU, g/cm3] pairs, HU strictly
increasing); below the first point the first density (the air floor: HU < -1000 from noise or padding), above the
last point nothing (the phantom refuses such voxels inside the body). Material: ``phantom.hu_materials`` ([HU_upper,
name] pairs, upper bounds strictly increasing): a voxel takes the first material whose upper bound is >= its HU
(bins upper_{i-1} < HU <= upper_i; the first bin is open below). A voxel keeps its own calibrated density whatever
its material's nominal one (the kernels scale cross sections by the voxel's density).

Defaults: the default CT ramp of DOSXYZnrc's ctcreate (B. Walters, I. Kawrakow and D. W. O. Rogers, "DOSXYZnrc
Users Manual", NRCC Report PIRS-794revB, the ctcreate section), given there in CT numbers from 0 to 3000 and taken
here with HU = CT number - 1000 (so air, -1000 HU, gets 0.001 g/cm3; some ports shift by 1024 instead): media AIR700ICRU up to CT 50 (density 0.001 -> 0.044 g/cm3), LUNG700ICRU up to
300 (0.044 -> 0.302), ICRUTISSUE700ICRU up to 1125 (0.302 -> 1.101), ICRPBONE700ICRU up to 3000 (1.101 -> 2.088),
each density linear in CT number within its medium. So the density points are (-1000, 0.001), (-950, 0.044),
(-700, 0.302), (125, 1.101), (2000, 2.088) and the materials mcdose's closest: air up to -950 HU, lung up to -700,
soft_tissue (ICRU-44) up to 125, cortical_bone (ICRU-44) up to 2000. This ramp is generic, not a calibration of
any scanner: water (0 HU) gets 0.980 g/cm3; give your scanner's measured calibration (e.g. a stoichiometric one,
Schneider, Bortfeld and Schlegel, Phys. Med. Biol. 45 (2000) 459) for patient dose.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError

__all__ = ["DEFAULT_DENSITY", "DEFAULT_MATERIALS", "Ramp", "check_density_table", "check_material_table"]

DEFAULT_DENSITY = ((-1000.0, 0.001), (-950.0, 0.044), (-700.0, 0.302), (125.0, 1.101), (2000.0, 2.088))
DEFAULT_MATERIALS = ((-950.0, "air"), (-700.0, "lung"), (125.0, "soft_tissue"), (2000.0, "cortical_bone"))
MAX_DENSITY = 30.0      # g/cm3, as a lattice allows
HU_RANGE = (-10000.0, 100000.0)


def _hu(path: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not HU_RANGE[0] <= value <= HU_RANGE[1]:
        raise InputError(f"{path}: {value!r} is not allowed: HU, must be a number from {HU_RANGE[0]:g} to "
                         f"{HU_RANGE[1]:g}")
    return float(value)


def _pairs(path: str, value, minimum: int, what: str) -> list:
    if not isinstance(value, (list, tuple)) or len(value) < minimum:
        raise InputError(f"{path}: {value!r} is not allowed: must be an array of at least {minimum} {what} pairs")
    for i, pair in enumerate(value):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise InputError(f"{path}[{i}]: {pair!r} is not allowed: must be {what}")
    return list(value)


def _increasing(path: str, hu: list) -> None:
    for i in range(1, len(hu)):
        if not hu[i] > hu[i - 1]:
            raise InputError(f"{path}[{i}][0]: {hu[i]:g} is not allowed: HU must increase strictly ({hu[i]:g} after "
                             f"{hu[i - 1]:g})")


def check_density_table(path: str, value) -> tuple:
    """``phantom.hu_to_density``: at least two [HU, density g/cm3] pairs, HU strictly increasing, densities > 0
    and <= MAX_DENSITY."""
    out = []
    for i, (h, rho) in enumerate(_pairs(path, value, 2, "[HU, density_g_cm3]")):
        h = _hu(f"{path}[{i}][0]", h)
        if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0 < rho <= MAX_DENSITY:
            raise InputError(f"{path}[{i}][1]: {rho!r} is not allowed: g/cm3, must be > 0 and <= {MAX_DENSITY:g}")
        out.append((h, float(rho)))
    _increasing(path, [h for h, _ in out])
    return tuple(out)


def check_material_table(path: str, value) -> tuple:
    """``phantom.hu_materials``: at least one [HU_upper, material name] pair, upper bounds strictly increasing (the
    names are checked against the materials by the configuration)."""
    out = []
    for i, (h, name) in enumerate(_pairs(path, value, 1, "[HU_upper, material]")):
        h = _hu(f"{path}[{i}][0]", h)
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"{path}[{i}][1]: {name!r} is not allowed: must be a material name")
        out.append((h, name.strip()))
    _increasing(path, [h for h, _ in out])
    return tuple(out)


@dataclass(frozen=True)
class Ramp:
    """A checked calibration: ``density`` ((HU, g/cm3), ...) and ``materials`` ((HU_upper, name), ...)."""

    density: tuple
    materials: tuple

    def __post_init__(self):
        top, last = self.materials[-1][0], self.density[-1][0]
        if top > last:
            raise InputError(f"phantom.hu_materials: the last upper bound {top:g} HU is not allowed: must be <= the "
                             f"last point of phantom.hu_to_density ({last:g} HU), where the density table ends")

    @property
    def names(self) -> tuple:
        return tuple(name for _, name in self.materials)

    @property
    def max_hu(self) -> float:
        """The highest HU the ramp assigns (the last material's upper bound)."""
        return self.materials[-1][0]

    def densities(self, hu) -> np.ndarray:
        """g/cm3 at each HU (linear between the points, the first density below them)."""
        h, rho = np.array(self.density).T
        return np.interp(np.asarray(hu, dtype=np.float64), h, rho)

    def material_ids(self, hu) -> np.ndarray:
        """Index into :attr:`names` of each HU (upper_{i-1} < HU <= upper_i); HU above :attr:`max_hu` get
        len(names)."""
        upper = np.array([u for u, _ in self.materials])
        return np.searchsorted(upper, np.asarray(hu, dtype=np.float64), side="left").astype(np.int32)
