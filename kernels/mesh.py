"""Scoring-mesh navigation kernels: bin lookup, distance to the bin boundary, straight-segment tracing,
and the ray quadrature that gives voxel masses (docs/architecture.md).

Units: positions and distances in cm; directions are unit vectors (u, v, w).

The mesh bundle is :class:`MeshArrays` (arrays and integers only), built by
``mcdose.mesh.mesh_arrays`` from an ``mcdose.results.Grid``:

* ``kind``: ``CARTESIAN``, ``CYLINDRICAL`` or ``SPHERICAL`` (:mod:`.codes`);
* ``e0, e1, e2``: bin edges (cm) of axes 0, 1, 2 -- (x, y, z) | (r, z, unused) | (r, unused, unused);
  an unused axis holds the edges ``[0, 1]`` and always has index 0;
* ``sq0``: ``e0**2`` (cm^2): radial bins are located by comparing squared radii, so the bin test and
  the ray-quadric intersections below use the same rounded numbers;
* ``shape``: int64[3], bins per axis (1 for an unused axis);
* ``center``: float64[3] (cm), the centre of a spherical mesh (cylindrical meshes use the z axis).

Flat bin index: ``(i0 * n1 + i1) * n2 + i2``, i.e. C order of the mesh shape (nx, ny, nz), (nr, nz)
or (nr,); -1 means outside the mesh.

Bins are half-open: a point exactly on an edge belongs to the bin above (larger coordinate or
radius).  ``mesh_index_dir`` breaks that tie by the direction of flight (the bin being entered).
A particle that moves from bin to bin should take the next bin from :func:`mesh_crossing`
rather than locate itself again after the step: the index then never depends on which side of
a boundary the rounded position landed.

Ray-quadric intersections solve ``a t^2 + 2 b t + c = 0`` with the cancellation-free form of the
quadratic formula (W. H. Press et al., Numerical Recipes, 3rd ed., 2007, section 5.6, eq. 5.6.4-5.6.5):
``q = -(b + sign(b) sqrt(b^2 - a c))``, roots ``q / a`` and ``c / q``.
"""
from typing import NamedTuple

import numpy as np

from ._jit import jit
from .codes import CARTESIAN, CYLINDRICAL, SPHERICAL
from .geometry import trace_ray

INF = np.inf


class MeshArrays(NamedTuple):
    """Array bundle of a scoring mesh (see the module docstring); cm throughout."""

    kind: int
    e0: np.ndarray
    e1: np.ndarray
    e2: np.ndarray
    sq0: np.ndarray
    shape: np.ndarray
    center: np.ndarray


# ----------------------------------------------------------------------------------------- lookup

@jit
def _locate(edges, x):
    """Number of edges <= x, minus one: the half-open bin of x; -1 below (or NaN), len(edges)-1 at/above the top.

    The bin is first guessed as if the edges were evenly spaced and then checked against its two edges (at most
    two steps either way), so even edges cost O(1); uneven ones fall back to bisection."""
    if not x >= edges[0]:
        return -1
    n = edges.size - 1
    if x >= edges[n]:
        return n
    j = min(int((x - edges[0]) / (edges[n] - edges[0]) * n), n - 1)
    for _ in range(3):
        if edges[j] > x:
            j -= 1
        elif edges[j + 1] <= x:
            j += 1
        else:
            return j
    return np.searchsorted(edges, x, side="right") - 1


@jit
def _locate_dir(edges, x, direction):
    """As :func:`_locate`, but a point exactly on an edge moving down (direction < 0) gets the bin below."""
    i = _locate(edges, x)
    if i >= 0 and x == edges[i] and direction < 0.0:
        i -= 1
    return i


@jit
def _flat(mesh, i0, i1, i2):
    """Flat index of bin (i0, i1, i2), or -1 if any index is out of range."""
    n = mesh.shape
    if i0 < 0 or i0 >= n[0] or i1 < 0 or i1 >= n[1] or i2 < 0 or i2 >= n[2]:
        return -1
    return (i0 * n[1] + i1) * n[2] + i2


@jit
def _radial(mesh, x, y, z, u, v, w):
    """(rho^2, b) of the point and direction: rho^2 the squared distance to the axis (cylindrical) or centre
    (spherical), b = rho . dir the half linear coefficient of the ray quadratic (cm^2, cm)."""
    if mesh.kind == CYLINDRICAL:
        return x * x + y * y, x * u + y * v
    dx, dy, dz = x - mesh.center[0], y - mesh.center[1], z - mesh.center[2]
    return dx * dx + dy * dy + dz * dz, dx * u + dy * v + dz * w


@jit
def _bins(mesh, x, y, z, u, v, w, directional):
    """Per-axis bin indices (i0, i1, i2), possibly out of range; tie-break by direction if ``directional``."""
    if mesh.kind == CARTESIAN:
        if directional:
            return _locate_dir(mesh.e0, x, u), _locate_dir(mesh.e1, y, v), _locate_dir(mesh.e2, z, w)
        return _locate(mesh.e0, x), _locate(mesh.e1, y), _locate(mesh.e2, z)
    rho2, b = _radial(mesh, x, y, z, u, v, w)
    i0 = _locate_dir(mesh.sq0, rho2, b) if directional else _locate(mesh.sq0, rho2)
    if mesh.kind == CYLINDRICAL:
        i1 = _locate_dir(mesh.e1, z, w) if directional else _locate(mesh.e1, z)
        return i0, i1, 0
    return i0, 0, 0


@jit
def mesh_index(mesh, x, y, z):
    """Flat bin index of the point (x, y, z) (cm), or -1 outside; a point on an edge belongs to the bin above.

    Parameters
    ----------
    mesh : MeshArrays
    x, y, z : float
        Position, cm.

    Returns
    -------
    int
        ``(i0 * n1 + i1) * n2 + i2`` (C order of the mesh shape) or -1.
    """
    if mesh.kind == CYLINDRICAL and not mesh.e1[0] <= z < mesh.e1[-1]:   # outside its slab: no radial search
        return -1
    i0, i1, i2 = _bins(mesh, x, y, z, 0.0, 0.0, 0.0, False)
    return _flat(mesh, i0, i1, i2)


@jit
def mesh_index_dir(mesh, x, y, z, u, v, w):
    """Flat index of the bin a particle at (x, y, z) moving along (u, v, w) is in or entering, or -1.

    Identical to :func:`mesh_index` except for points exactly on a bin boundary: there the bin on
    the side the direction points to is returned (the bin below for a plane crossed downwards or a
    radius crossed inwards; a ray tangent to a radial boundary or parallel to a plane gets the bin
    above, which it enters or skims).
    """
    i0, i1, i2 = _bins(mesh, x, y, z, u, v, w, True)
    return _flat(mesh, i0, i1, i2)


@jit
def unflatten(mesh, index):
    """Per-axis indices (i0, i1, i2) of a flat bin index (0 for unused axes)."""
    n1, n2 = mesh.shape[1], mesh.shape[2]
    return index // (n1 * n2), (index // n2) % n1, index % n2


@jit
def _slab_safety(edges, i, x):
    return min(x - edges[i], edges[i + 1] - x)


@jit
def _gap(lo, hi, x):
    """Distance (>= 0) from x to the interval [lo, hi]."""
    return max(lo - x, x - hi, 0.0)


@jit
def _distance_outside(mesh, x, y, z):
    """Distance (cm) from a point outside the mesh to the mesh's volume (a box, a finite cylinder or
    cylindrical shell, a sphere or spherical shell): a sphere of that radius holds no bin."""
    if mesh.kind == CARTESIAN:
        d0, d1 = _gap(mesh.e0[0], mesh.e0[-1], x), _gap(mesh.e1[0], mesh.e1[-1], y)
        d2 = _gap(mesh.e2[0], mesh.e2[-1], z)
        return np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
    rho2, _ = _radial(mesh, x, y, z, 0.0, 0.0, 0.0)
    d0 = _gap(mesh.e0[0], mesh.e0[-1], np.sqrt(rho2))
    d1 = _gap(mesh.e1[0], mesh.e1[-1], z) if mesh.kind == CYLINDRICAL else 0.0
    return np.sqrt(d0 * d0 + d1 * d1)


@jit
def mesh_safety(mesh, x, y, z, known=-1):
    """Isotropic safety (cm): a lower bound of the distance from (x, y, z) to the walls of its bin, so a
    sphere of that radius lies in one bin; outside the mesh, the distance to the mesh (:func:`_distance_outside`),
    so a sphere of that radius holds no bin. ``known``: the bin holding the point, if the caller knows it."""
    if known >= 0:
        i0, i1, i2 = unflatten(mesh, known)
    else:
        i0, i1, i2 = _bins(mesh, x, y, z, 0.0, 0.0, 0.0, False)
        if _flat(mesh, i0, i1, i2) < 0:
            return _distance_outside(mesh, x, y, z)
    if mesh.kind == CARTESIAN:
        return min(_slab_safety(mesh.e0, i0, x), _slab_safety(mesh.e1, i1, y), _slab_safety(mesh.e2, i2, z))
    rho2, _ = _radial(mesh, x, y, z, 0.0, 0.0, 0.0)
    d = _slab_safety(mesh.e0, i0, np.sqrt(rho2))
    if mesh.kind == CYLINDRICAL:
        d = min(d, _slab_safety(mesh.e1, i1, z))
    return max(d, 0.0)


# ------------------------------------------------------------------------------- inside a bin

@jit
def _plane_exit(edges, i, x, u):
    """Distance (>= 0) to leave slab [edges[i], edges[i+1]) along direction cosine u, and the bin step (+1, -1, 0)."""
    if u > 0.0:
        return max((edges[i + 1] - x) / u, 0.0), 1
    if u < 0.0:
        return max((edges[i] - x) / u, 0.0), -1
    return INF, 0


@jit
def _radial_exit(a, b, c_lo, c_hi, has_inner):
    """Distance (>= 0) to leave the shell r_lo <= rho < r_hi, and the radial bin step (+1 outwards, -1 inwards).

    a = |dir_perp|^2, b = rho . dir, c_lo = rho^2 - r_lo^2, c_hi = rho^2 - r_hi^2.  The inner surface is hit
    only by an inward ray (b < 0) that meets it: the near root ``c_lo / (-b + sqrt(D))``.  Otherwise the
    ray leaves through the outer surface at the far root (stable form for each sign of b).  A position
    that rounding put just across a surface gives 0 (it crosses at once); a tangent ray skims the
    inner surface and stays in the shell.
    """
    if a == 0.0:
        return INF, 0
    if has_inner and b < 0.0:
        disc = b * b - a * c_lo
        if disc > 0.0:
            return max(c_lo / (-b + np.sqrt(disc)), 0.0), -1
    disc = b * b - a * c_hi
    if disc <= 0.0:  # on or just outside the outer surface and not moving in: leave now
        return 0.0, 1
    s = np.sqrt(disc)
    t = (-b + s) / a if b <= 0.0 else -c_hi / (b + s)
    return max(t, 0.0), 1


@jit
def mesh_crossing(mesh, index, x, y, z, u, v, w):
    """Distance to leave bin ``index`` and the flat index of the bin entered there (-1: leaving the mesh).

    Parameters
    ----------
    mesh : MeshArrays
    index : int
        The bin the particle is in (>= 0); the position may lie on (or, by rounding, just across) its
        boundary.
    x, y, z : float
        Position, cm.
    u, v, w : float
        Unit direction.

    Returns
    -------
    distance : float
        cm, >= 0 (0 if rounding put the position just across the exit surface); inf only for a zero
        direction vector.
    next_index : int
        Bin entered at that distance; at an edge or corner hit exactly, every axis whose boundary is
        reached at the same distance advances.
    """
    i0, i1, i2 = unflatten(mesh, index)
    if mesh.kind == CARTESIAN:
        d0, s0 = _plane_exit(mesh.e0, i0, x, u)
        d1, s1 = _plane_exit(mesh.e1, i1, y, v)
        d2, s2 = _plane_exit(mesh.e2, i2, z, w)
    else:
        rho2, b = _radial(mesh, x, y, z, u, v, w)
        a = u * u + v * v if mesh.kind == CYLINDRICAL else u * u + v * v + w * w
        d0, s0 = _radial_exit(a, b, rho2 - mesh.sq0[i0], rho2 - mesh.sq0[i0 + 1], mesh.sq0[i0] > 0.0)
        d1, s1 = _plane_exit(mesh.e1, i1, z, w) if mesh.kind == CYLINDRICAL else (INF, 0)
        d2, s2 = INF, 0
    d = min(d0, d1, d2)
    if d == INF:
        return INF, index
    return d, _flat(mesh, i0 + (s0 if d0 == d else 0), i1 + (s1 if d1 == d else 0), i2 + (s2 if d2 == d else 0))


# ------------------------------------------------------------------------------- outside the mesh

@jit
def _quadratic_interval(a, b, c):
    """Interval (t1, t2), t1 < t2, where a t^2 + 2 b t + c < 0 (a > 0); (inf, -inf) if empty or a single point."""
    disc = b * b - a * c
    if disc <= 0.0:
        return INF, -INF
    q = -(b + np.sqrt(disc)) if b >= 0.0 else -(b - np.sqrt(disc))
    t1, t2 = q / a, c / q
    return min(t1, t2), max(t1, t2)


@jit
def _slab_interval(lo, hi, x, u):
    """Interval of t where lo <= x + t u <= hi; (inf, -inf) if empty, (-inf, inf) if always."""
    if u == 0.0:
        if lo <= x < hi:
            return -INF, INF
        return INF, -INF
    t1, t2 = (lo - x) / u, (hi - x) / u
    return min(t1, t2), max(t1, t2)


@jit
def _inside_intervals(mesh, x, y, z, u, v, w):
    """The ray's parameter intervals t >= 0 inside the mesh, in order: (s1, e1, s2, e2), empty ones (inf, inf).

    Two intervals only for an annular mesh (first radial edge > 0) whose hole the ray crosses.  An
    interval of zero length (a ray touching an edge, corner or tangent) counts as empty.
    """
    if mesh.kind == CARTESIAN:
        a0, b0 = _slab_interval(mesh.e0[0], mesh.e0[-1], x, u)
        a1, b1 = _slab_interval(mesh.e1[0], mesh.e1[-1], y, v)
        a2, b2 = _slab_interval(mesh.e2[0], mesh.e2[-1], z, w)
        lo, hi = max(a0, a1, a2, 0.0), min(b0, b1, b2)
        return (lo, hi, INF, INF) if lo < hi else (INF, INF, INF, INF)
    rho2, b = _radial(mesh, x, y, z, u, v, w)
    a = u * u + v * v if mesh.kind == CYLINDRICAL else u * u + v * v + w * w
    r2_out, r2_in = mesh.sq0[mesh.sq0.size - 1], mesh.sq0[0]
    if a == 0.0:  # cylinder, ray parallel to the axis: inside a surface for all t or for none
        t1, t2 = (-INF, INF) if rho2 < r2_out else (INF, -INF)
        h1, h2 = (-INF, INF) if rho2 < r2_in else (INF, -INF)
    else:
        t1, t2 = _quadratic_interval(a, b, rho2 - r2_out)
        h1, h2 = _quadratic_interval(a, b, rho2 - r2_in) if r2_in > 0.0 else (INF, -INF)
    lo, hi = max(t1, 0.0), t2
    if mesh.kind == CYLINDRICAL:
        z1, z2 = _slab_interval(mesh.e1[0], mesh.e1[-1], z, w)
        lo, hi = max(lo, z1), min(hi, z2)
    if not lo < hi:
        return INF, INF, INF, INF
    if not h1 < h2:
        return lo, hi, INF, INF
    s1, e1, s2, e2 = lo, min(hi, h1), max(lo, h2), hi  # the chord minus the hole
    if not s1 < e1:
        return (s2, e2, INF, INF) if s2 < e2 else (INF, INF, INF, INF)
    return (s1, e1, s2, e2) if s2 < e2 else (s1, e1, INF, INF)


@jit
def distance_to_mesh(mesh, x, y, z, u, v, w):
    """Distance (cm) along (u, v, w) from (x, y, z) to the first point inside the mesh.

    0 if the point is inside (``mesh_index_dir >= 0``); inf if the ray misses the mesh or only touches
    it (zero chord: edge, corner or tangent).  An annular mesh (first radial edge > 0) is entered
    through its inner surface from the hole.
    """
    return _inside_intervals(mesh, x, y, z, u, v, w)[0]


@jit
def _entry_index(mesh, x, y, z, u, v, w):
    """Flat index of the bin entered at a point on the mesh boundary (per-axis clamped into the mesh)."""
    i0, i1, i2 = _bins(mesh, x, y, z, u, v, w, True)
    n = mesh.shape
    return _flat(mesh, min(max(i0, 0), n[0] - 1), min(max(i1, 0), n[1] - 1), min(max(i2, 0), n[2] - 1))


@jit
def enter_mesh(mesh, x, y, z, u, v, w):
    """(distance, index): distance (cm) to enter the mesh (0 if inside) and the bin entered; (inf, -1) on a miss.

    The bin is located at the entry point with every axis index clamped into the mesh, so a rounded
    entry point a hair outside still gets the bin it enters.
    """
    d = distance_to_mesh(mesh, x, y, z, u, v, w)
    if d == INF:
        return INF, -1
    return d, _entry_index(mesh, x + d * u, y + d * v, z + d * w, u, v, w)


@jit
def distance_to_mesh_boundary(mesh, index, x, y, z, u, v, w):
    """Distance (cm) to the next mesh boundary along (u, v, w) -- the electron step limit.

    index >= 0: the distance to leave that bin (:func:`mesh_crossing`); index < 0 (outside the mesh):
    the distance to enter it (:func:`distance_to_mesh`), inf if the ray never enters.
    """
    if index < 0:
        return distance_to_mesh(mesh, x, y, z, u, v, w)
    return mesh_crossing(mesh, index, x, y, z, u, v, w)[0]


# ------------------------------------------------------------------------------------ segments

@jit
def _add_segment(seg_len_out, seg_index_out, n, length, index):
    """Append (length, index) after the first n segments, or lengthen segment n-1 if it has the same
    index; nothing for length 0.  Returns the new count, -1 if the arrays are full (and n < 0 stays -1)."""
    if n < 0 or length <= 0.0:
        return n
    if n > 0 and seg_index_out[n - 1] == index:
        seg_len_out[n - 1] += length
        return n
    if n >= seg_len_out.size or n >= seg_index_out.size:
        return -1
    seg_len_out[n] = length
    seg_index_out[n] = index
    return n + 1


@jit
def trace_mesh(mesh, x, y, z, u, v, w, length, seg_len_out, seg_index_out, known=-1):
    """Split the straight segment from (x, y, z) along (u, v, w) of ``length`` cm into mesh bins.

    Fills ``seg_len_out`` (cm) and ``seg_index_out`` (flat bin index, -1 for parts outside the mesh)
    in order along the ray; zero-length pieces are left out and consecutive pieces in the same bin
    (a ray touching a radial boundary) are joined.  The lengths sum to ``length`` (the last
    piece is ``length`` minus the sum of the others).  The entry points come from the ray's analytic
    intervals inside the mesh; inside, bins follow from bin to bin by :func:`mesh_crossing`, with the
    position recomputed from the start point at each boundary.

    ``known``: the bin holding the start point, when the caller knows it (the last bin of the particle's previous
    segment, which ended there), else -1 to locate it.

    Returns
    -------
    int
        Number of segments, or -1 if the output arrays were too small.
    """
    index = known if known >= 0 else mesh_index_dir(mesh, x, y, z, u, v, w)
    if index >= 0 and mesh_crossing(mesh, index, x, y, z, u, v, w)[0] >= length:
        return _add_segment(seg_len_out, seg_index_out, 0, length, index)   # the usual short step: one bin
    s1, e1, s2, e2 = _inside_intervals(mesh, x, y, z, u, v, w)
    n = 0
    t = 0.0
    for start in (s1, s2):
        if start >= length:
            break
        if start > t:
            n = _add_segment(seg_len_out, seg_index_out, n, start - t, -1)
            t = start
        index = _entry_index(mesh, x + t * u, y + t * v, z + t * w, u, v, w)
        while index >= 0 and n >= 0:
            d, nxt = mesh_crossing(mesh, index, x + t * u, y + t * v, z + t * w, u, v, w)
            if t + d >= length:
                return _add_segment(seg_len_out, seg_index_out, n, length - t, index)
            n = _add_segment(seg_len_out, seg_index_out, n, d, index)
            t += d
            index = nxt
        if n < 0:
            return -1
    return _add_segment(seg_len_out, seg_index_out, n, length - t, -1)


# ---------------------------------------------------------------------------- voxel masses
#
# The mass of a bin is the integral of density over its volume.  Rays are cast through a whole
# "column" of bins -- along +z through one (x, y) column (Cartesian), one r ring (cylindrical), or
# radially from the centre (spherical) -- and the density is integrated exactly along each ray from
# the geometry's segments.  Only the 2-D integral over the ray positions (p, q) is numerical:
#
# * Cartesian:   (p, q) = (x, y),                 measure dx dy,       ray (x, y, z0) + t (0, 0, 1)
# * cylindrical: (p, q) = (r^2 / 2, phi),         measure r dr dphi,   ray (r cos phi, r sin phi, z0) + t (0, 0, 1)
# * spherical:   (p, q) = (mu = cos theta, phi),  measure dOmega,      ray centre + r Omega, integrand rho r^2 dr
#
# Each parameter rectangle gets a 3 x 3 grid of rays (corners, edge midpoints, centre: any straight
# interface crossing the rectangle separates two of them) and the tensor Simpson rule; its children
# inherit the rays they share with it.  A rectangle is halved along an axis when the rays along
# that axis cross different sequences of (cell, voxel) regions (an interface parallel to the rays
# passes between them) or when the estimated quadrature error along that axis (see
# :func:`_split_reason`) exceeds ``rel_tol`` times the column's mean ray integral in some bin, so the accepted
# rectangles' errors add up to about rel_tol of the bin's mass at most (adaptive integration with an
# embedded error estimate: P. J. Davis & P. Rabinowitz, Methods of Numerical Integration, 2nd ed.,
# Academic Press 1984).  Halving stops at ``max_line`` levels along an axis whose rays alone cross
# different regions (an interface parallel to the other axis: the error shrinks as 2^-level at the
# cost of a few rays per level) and at ``max_curve`` levels in every other case (a curved or oblique
# interface, or a kink or square-root edge of the integrand at a sphere's silhouette).

_SIMPSON = np.array([1.0, 4.0, 1.0]) / 6.0
_SHRINK = 1e-6  # relative margin of the sampled column (see _column_mass)
_HASH_MUL = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime (Fowler, Noll & Vo)
_HASH_SEED = np.uint64(0xCBF29CE484222325)


@jit
def _ray(mesh, p, q):
    """Origin (cm) and unit direction of the quadrature ray at parameters (p, q); it starts on the first
    edge of the ray axis (z0, or radius r0 from the centre)."""
    if mesh.kind == SPHERICAL:
        s = np.sqrt(max(1.0 - p * p, 0.0))
        u, v, w = s * np.cos(q), s * np.sin(q), p
        r0 = mesh.e0[0]
        c = mesh.center
        return c[0] + r0 * u, c[1] + r0 * v, c[2] + r0 * w, u, v, w
    if mesh.kind == CYLINDRICAL:
        r = np.sqrt(2.0 * p)
        return r * np.cos(q), r * np.sin(q), mesh.e1[0], 0.0, 0.0, 1.0
    return p, q, mesh.e2[0], 0.0, 0.0, 1.0


@jit(refcount=True)
def _ray_edges(mesh):
    """Bin edges along the quadrature rays (the axis the rays follow)."""
    if mesh.kind == SPHERICAL:
        return mesh.e0
    if mesh.kind == CYLINDRICAL:
        return mesh.e1
    return mesh.e2


@jit
def _world_entry(world, x, y, z, u, v, w):
    """Ray parameter where the ray enters the world box (0 if it starts inside; inf if it misses)."""
    a0, b0 = _slab_interval(world[0], world[1], x, u)
    a1, b1 = _slab_interval(world[2], world[3], y, v)
    a2, b2 = _slab_interval(world[4], world[5], z, w)
    lo, hi = max(a0, a1, a2, 0.0), min(b0, b1, b2)
    return lo if lo < hi else INF


@jit(refcount=True)
def _ray_integrals(geo, mesh, p, q, with_lattice, out, bufs):
    """Integrate density along the ray at (p, q) into ``out`` per bin: g/cm2 (integral of rho dt) for
    rays along z, g/sr (integral of rho r^2 dr) for radial rays.

    with_lattice False: the lattice voxels count as empty and as one region (their mass is added
    exactly elsewhere).  Returns (hash of the sequence of (cell, voxel) regions crossed, status):
    status 0 done, 1 the
    segment buffers are too small (out is incomplete), 2 the geometry could not finish the ray (out
    holds the part traced).
    """
    seg_len, seg_cell, seg_voxel, seg_density = bufs
    x, y, z, u, v, w = _ray(mesh, p, q)
    edges = _ray_edges(mesh)
    length = edges[-1] - edges[0]
    out[:] = 0.0
    t0 = _world_entry(geo.world, x, y, z, u, v, w)
    if t0 >= length:
        return _HASH_SEED, 0
    n = trace_ray(geo, x + t0 * u, y + t0 * v, z + t0 * w, u, v, w, length - t0,
                  seg_len, seg_cell, seg_voxel, seg_density)
    status = 0
    if n < 0:
        n = -n
        status = 1 if n == seg_len.size else 2
    h = _HASH_SEED
    k = 0
    a = edges[0] + t0  # start of the current segment, in the ray's bin coordinate (z or r)
    spherical = mesh.kind == SPHERICAL
    for i in range(n):
        h = (h ^ np.uint64(seg_cell[i] + 2)) * _HASH_MUL
        skip = seg_voxel[i] >= 0 and not with_lattice
        h = (h ^ np.uint64(1 if skip else seg_voxel[i] + 2)) * _HASH_MUL
        b = a + seg_len[i]
        rho = 0.0 if skip else seg_density[i]
        while k < out.size and edges[k] < b:
            lo, hi = max(a, edges[k]), min(b, edges[k + 1])
            if hi > lo:
                out[k] += rho * ((hi * hi * hi - lo * lo * lo) / 3.0 if spherical else hi - lo)
            if edges[k + 1] > b:
                break
            k += 1
        a = b
    return h, status


@jit(refcount=True)
def _new_buffers(cap):
    return np.empty(cap), np.empty(cap, np.int32), np.empty(cap, np.int32), np.empty(cap)


@jit(refcount=True)
def _rect_rays(geo, mesh, p0, p1, q0, q1, with_lattice, vals, hashes, known, bufs):
    """The rays of a parameter rectangle's 3 x 3 grid not yet ``known`` into vals[3, 3, nbins] and hashes[3, 3].

    Returns (status, bufs): the worst ray status (see :func:`_ray_integrals`) after growing the
    segment buffers as needed, and the buffers (possibly new, larger ones)."""
    worst = 0
    for i in range(3):
        for j in range(3):
            if known[i, j]:
                continue
            p = p0 + 0.5 * i * (p1 - p0)
            q = q0 + 0.5 * j * (q1 - q0)
            hashes[i, j], status = _ray_integrals(geo, mesh, p, q, with_lattice, vals[i, j], bufs)
            while status == 1:
                bufs = _new_buffers(4 * bufs[0].size)
                hashes[i, j], status = _ray_integrals(geo, mesh, p, q, with_lattice, vals[i, j], bufs)
            worst = max(worst, status)
    return worst, bufs


@jit
def _split_reason(vals, hashes, axis, allowed):
    """Why the rectangle should be halved along ``axis`` (0: p, 1: q): 2 the rays along it cross
    different region sequences (an interface passes between them), 1 the error estimate of the mean
    ray integral along it exceeds ``allowed`` in some bin, 0 no need.

    The estimate is the Simpson-minus-trapezoid difference (f0 - 2 f1 + f2) / 12 along the axis,
    Simpson-weighted across it: the error of the lower-order rule, an upper bound in practice."""
    for j in range(3):
        h0 = hashes[0, j] if axis == 0 else hashes[j, 0]
        h1 = hashes[1, j] if axis == 0 else hashes[j, 1]
        h2 = hashes[2, j] if axis == 0 else hashes[j, 2]
        if h0 != h1 or h1 != h2:
            return 2
    for k in range(allowed.size):
        second = 0.0
        for j in range(3):
            if axis == 0:
                second += _SIMPSON[j] * (vals[0, j, k] - 2.0 * vals[1, j, k] + vals[2, j, k])
            else:
                second += _SIMPSON[j] * (vals[j, 0, k] - 2.0 * vals[j, 1, k] + vals[j, 2, k])
        if abs(second) / 12.0 > allowed[k]:
            return 1
    return 0


@jit
def _child_point(split, half, i):
    """Index along one axis of the parent's 3-point grid at point i of child ``half`` (-1: not a parent point)."""
    if not split:
        return i
    quarter = 2 * half + i  # position in quarters of the parent's side
    return quarter // 2 if quarter % 2 == 0 else -1


@jit(refcount=True)
def _column_mass(geo, mesh, p0, p1, q0, q1, with_lattice, min_level, max_line, max_curve, rel_tol, out):
    """Adaptive 2-D integral over (p, q) in [p0, p1] x [q0, q1] of the ray integrals, added to out[nbins].

    The rays sample the rectangle shrunk to [p0 + e, p1 - 2 e] (e = 1e-6 of the side; the same in q)
    and the result is scaled by the ratio of the areas: no ray runs along the column's edges or its
    dyadic fractions, where the faces of a coinciding voxel lattice or of the world lie and would
    make neighbouring regions look mixed.  The scaling is exact for a uniform column; elsewhere it
    changes the mass by ~1e-6 of the part that differs.

    min_level: (levels along p, levels along q) always refined.  A child rectangle inherits the rays
    it shares with its parent.  Returns the number of rectangles with a ray the geometry could not
    finish (their partial rays are used)."""
    nb = out.size
    bufs = _new_buffers(64)
    allowed = np.empty(nb)
    deepest = max(max_line, max_curve, min_level[0], min_level[1])
    size = 6 * deepest + 8  # depth-first: at most 3 more entries per level
    rects = np.empty((size, 6))
    vals = np.empty((size, 3, 3, nb))
    hashes = np.empty((size, 3, 3), np.uint64)
    known = np.zeros((size, 3, 3), np.bool_)
    parent_vals = np.empty((3, 3, nb))
    parent_hashes = np.empty((3, 3), np.uint64)
    ep, eq = _SHRINK * (p1 - p0), _SHRINK * (q1 - q0)
    rects[0, 0], rects[0, 1], rects[0, 2], rects[0, 3] = p0 + ep, p1 - 2.0 * ep, q0 + eq, q1 - 2.0 * eq
    rects[0, 4], rects[0, 5] = 0.0, 0.0
    scale = (p1 - p0) * (q1 - q0) / ((rects[0, 1] - rects[0, 0]) * (rects[0, 3] - rects[0, 2]))
    top = 1
    failures = 0
    first = True
    while top > 0:
        top -= 1
        a0, a1, b0, b1, lp, lq = rects[top]
        status, bufs = _rect_rays(geo, mesh, a0, a1, b0, b1, with_lattice, vals[top], hashes[top], known[top], bufs)
        failures += status != 0
        for i in range(3):
            for j in range(3):
                parent_hashes[i, j] = hashes[top, i, j]
                for k in range(nb):
                    parent_vals[i, j, k] = vals[top, i, j, k]
        if first:  # the whole column: its mean ray integral per bin sets the scale of the error test
            for k in range(nb):
                mean = 0.0
                for i in range(3):
                    for j in range(3):
                        mean += _SIMPSON[i] * _SIMPSON[j] * parent_vals[i, j, k]
                allowed[k] = rel_tol * abs(mean)
            first = False
        why_p = _split_reason(parent_vals, parent_hashes, 0, allowed)
        why_q = _split_reason(parent_vals, parent_hashes, 1, allowed)
        # an interface between the rays along one axis only is a line parallel to the other: refine deep
        limit_p = max_line if why_p == 2 and why_q == 0 else max_curve
        limit_q = max_line if why_q == 2 and why_p == 0 else max_curve
        split_p = lp < min_level[0] or (why_p > 0 and lp < limit_p)
        split_q = lq < min_level[1] or (why_q > 0 and lq < limit_q)
        if not (split_p or split_q):
            area = (a1 - a0) * (b1 - b0) * scale
            for k in range(nb):
                s = 0.0
                for i in range(3):
                    for j in range(3):
                        s += _SIMPSON[i] * _SIMPSON[j] * parent_vals[i, j, k]
                out[k] += area * s
            continue
        n_p, n_q = (2 if split_p else 1), (2 if split_q else 1)
        for hp in range(n_p):
            for hq in range(n_q):
                rects[top, 0] = a0 + (a1 - a0) * hp / n_p
                rects[top, 1] = a0 + (a1 - a0) * (hp + 1) / n_p
                rects[top, 2] = b0 + (b1 - b0) * hq / n_q
                rects[top, 3] = b0 + (b1 - b0) * (hq + 1) / n_q
                rects[top, 4] = lp + (n_p - 1)
                rects[top, 5] = lq + (n_q - 1)
                for i in range(3):
                    pi = _child_point(split_p, hp, i)
                    for j in range(3):
                        pj = _child_point(split_q, hq, j)
                        known[top, i, j] = pi >= 0 and pj >= 0
                        if pi >= 0 and pj >= 0:
                            hashes[top, i, j] = parent_hashes[pi, pj]
                            for k in range(nb):
                                vals[top, i, j, k] = parent_vals[pi, pj, k]
                top += 1
    return failures


@jit
def _column_domain(mesh, c):
    """Ray-position rectangle (p0, p1, q0, q1) of column c (see the section comment)."""
    if mesh.kind == CARTESIAN:
        i, j = c // mesh.shape[1], c % mesh.shape[1]
        return mesh.e0[i], mesh.e0[i + 1], mesh.e1[j], mesh.e1[j + 1]
    if mesh.kind == CYLINDRICAL:
        return 0.5 * mesh.sq0[c], 0.5 * mesh.sq0[c + 1], 0.0, 2.0 * np.pi
    return -1.0, 1.0, 0.0, 2.0 * np.pi


@jit
def voxel_masses_kernel(geo, mesh, with_lattice, min_level, max_line, max_curve, rel_tol, masses):
    """Masses (g) of all mesh bins into ``masses`` (flat, C order of the mesh shape); returns the number of
    quadrature rectangles with a ray the geometry could not finish.

    Parameters
    ----------
    geo : GeometryArrays
        From ``mcdose.geometry.Geometry.compile()``.
    mesh : MeshArrays
    with_lattice : bool
        False: leave out the mass of the voxel lattice (the caller adds it exactly).
    min_level : int64[2]
        Halvings always made along (p, q) (see the section comment above).
    max_line, max_curve : int
        Most halvings per axis when one axis / both axes are refined.
    rel_tol : float
        Relative tolerance of the Simpson error estimate per bin and rectangle.
    masses : float64[n_bins]
    """
    n = mesh.shape
    if mesh.kind == CARTESIAN:
        n_columns, nb = n[0] * n[1], n[2]
    elif mesh.kind == CYLINDRICAL:
        n_columns, nb = n[0], n[1]
    else:
        n_columns, nb = 1, n[0]
    failures = 0
    for c in range(n_columns):
        p0, p1, q0, q1 = _column_domain(mesh, c)
        out = masses[c * nb:(c + 1) * nb]
        out[:] = 0.0
        failures += _column_mass(geo, mesh, p0, p1, q0, q1, with_lattice, min_level, max_line, max_curve, rel_tol, out)
    return failures
