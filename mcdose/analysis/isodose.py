"""Dose in a plane of a result and its isodose lines.

Planes: Cartesian meshes are cut at x, y or z = position (the bins containing it); a cylindrical mesh gives
its r-z plane, drawn through the axis with r mirrored to -r..r. Isodose levels are % of D_ref (the one
normalisation, mcdose.analysis.normalisation), or, with a prescription (IOERT practice: P Gy to the Q %
isodose), absolute doses in Gy after scaling the dose so that Q % of D_ref receives P Gy. Lines are linear-interpolation contours
(marching squares, contourpy) through the bin centres, in cm.
"""
from dataclasses import dataclass

import numpy as np
from contourpy import LineType, contour_generator

from mcdose.errors import InputError

_PLANES = {"x": ((1, 2), 0), "y": ((0, 2), 1), "z": ((0, 1), 2)}  # cut plane -> (drawn axes, cut axis)


@dataclass(frozen=True)
class DosePlane:
    """Dose in a plane: bin-centre coordinates u (horizontal) and v (vertical), cm; dose and absolute 1-sigma
    of shape (v.size, u.size), Gy per source particle; axes = indices (0 x, 1 y, 2 z) of u and v, and the
    cut axis index and position (cm), so that geometry can be drawn in the same plane."""

    u_cm: np.ndarray
    v_cm: np.ndarray
    dose: np.ndarray
    sigma: np.ndarray
    axes: tuple
    cut_axis: int
    cut_cm: float
    cylindrical: bool = False

    @property
    def axis_names(self) -> tuple:
        """Names of the horizontal and vertical axes ("r" for a cylindrical mesh's mirrored radius)."""
        return ("r" if self.cylindrical else "xyz"[self.axes[0]]), "xyz"[self.axes[1]]

    @property
    def description(self) -> str:
        if self.cylindrical:
            return "r-z plane through the axis (r mirrored to -r..r)"
        return f"{'xyz'[self.axes[0]]}-{'xyz'[self.axes[1]]} plane at {'xyz'[self.cut_axis]} = {self.cut_cm:g} cm"


@dataclass(frozen=True)
class Isodose:
    """One isodose level (in `unit`: '%' of Dmax or 'Gy') and its lines, each an (N, 2) array of (u, v) cm."""

    level: float
    unit: str
    lines: list


def dose_plane(result, plane: str = "y", position: float = 0.0) -> DosePlane:
    """The dose in plane x | y | z = position (cm) of a Cartesian result, or the r-z plane of a cylindrical one."""
    g = result.grid
    sigma = result.dose * result.uncertainty
    if g.kind == "cylindrical":
        if plane not in ("x", "y") or position != 0.0:
            raise InputError("a cylindrical mesh has one plane: the r-z plane (plane 'y' or 'x' at position 0)")
        rc = g.centers("r_edges")
        mirror = np.concatenate([-rc[::-1], rc])
        d = np.concatenate([result.dose[::-1], result.dose], axis=0)
        s = np.concatenate([sigma[::-1], sigma], axis=0)
        return DosePlane(mirror, g.centers("z_edges"), d.T, s.T, (0, 2), 1, 0.0, cylindrical=True)
    if g.kind != "cartesian":
        raise InputError("isodose planes need a Cartesian or cylindrical mesh")
    if plane not in _PLANES:
        raise InputError(f"plane {plane!r}: one of x, y, z")
    (i, j), k = _PLANES[plane]
    e = g.edges[f"{plane}_edges"]
    if not e[0] <= position <= e[-1]:
        raise InputError(f"plane {plane} = {position:g} cm is outside the mesh ({e[0]:g}..{e[-1]:g} cm)")
    n = int(np.clip(np.searchsorted(e, position, side="right") - 1, 0, e.size - 2))
    d, s = np.take(result.dose, n, axis=k), np.take(sigma, n, axis=k)
    return DosePlane(g.centers(f"{'xyz'[i]}_edges"), g.centers(f"{'xyz'[j]}_edges"), d.T, s.T, (i, j), k,
                     float(0.5 * (e[n] + e[n + 1])))


def dose_scale(d_ref: float, prescription_gy: float | None = None, prescription_pct: float = 100.0) -> tuple:
    """(factor, unit): dose x factor is in % of D_ref (Gy/particle), or in Gy with P Gy prescribed to the Q %
    isodose (Q % of D_ref)."""
    if d_ref <= 0:
        raise InputError("the result has no positive dose")
    if prescription_gy is None:
        return 100.0 / d_ref, "%"
    if not (prescription_gy > 0 and 0 < prescription_pct <= 100):
        raise InputError("prescription: dose must be > 0 Gy and the isodose in (0, 100] %")
    return prescription_gy / (prescription_pct / 100.0 * d_ref), "Gy"


def isodose_lines(plane: DosePlane, levels, factor: float, unit: str) -> list:
    """Isodose lines at `levels` (in `unit`, dose x factor; see :func:`dose_scale`), highest first."""
    levels = sorted((float(v) for v in levels), reverse=True)
    if not levels or min(levels) <= 0:
        raise InputError("isodose levels must be > 0")
    if plane.u_cm.size < 2 or plane.v_cm.size < 2:
        raise InputError("isodose lines need at least 2 bins along both plane axes")
    gen = contour_generator(x=plane.u_cm, y=plane.v_cm, z=plane.dose * factor, line_type=LineType.Separate)
    return [Isodose(v, unit, list(gen.lines(v))) for v in levels]
