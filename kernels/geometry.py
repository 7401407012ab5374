"""Navigation kernels: locate a point, distance to the next boundary, trace a ray.

The geometry reaches the kernels as :class:`GeometryArrays` (flat arrays made by
``mcdose.geometry.Geometry.compile``). Cells are intersections of half-spaces of
quadric surfaces; cell index ``n_cells`` (one past the last) is the world, the
space inside the world box and outside every cell; -1 is outside the world. A
rectilinear voxel lattice may fill one box cell. Units: cm, g/cm3.

Surfaces, each written as f(p) with its half-spaces f < 0 (sense -1) and
f > 0 (sense +1); along a ray p + t u, f = A t^2 + B t + C:

========  ===========================  ==========================================
code      parameters (row of 7)        f(p), with d = p - c
========  ===========================  ==========================================
PLANE     nx, ny, nz, D                n.p - D            (|n| = 1)
SPHERE    cx, cy, cz, R                d.d - R^2
CYLINDER  cx, cy, cz, ax, ay, az, R    d.d - (d.a)^2 - R^2 (|a| = 1, any axis)
CONE      cx, cy, cz, ax, ay, az, T    d.d - (1 + T)(d.a)^2, T = tan^2(half
                                       angle), both nappes, apex c
========  ===========================  ==========================================

Tolerance strategy (the one place it is decided)
------------------------------------------------
Each surface also has a signed distance g (exact for planes, spheres and
cylinders; f / |grad f| evaluated on the surface for cones). A point with
|g| <= EPS (1e-10 cm) is *on* the surface, and then its side is the side the
ray enters: the sign of f(p + EPS u) computed with C = 0, i.e. of B + A EPS
(exactly zero: the + side). Every kernel decides sides through
:func:`surface_side` only, so ``locate_dir`` and ``distance_to_boundary`` always
agree, and a voxel face is judged by the same rule on the same number (x - edge).

* A boundary is crossed by moving exactly to it (p + t u, computed from the
  starting point of the straight flight, never by repeated small moves) and
  locating with the direction: the cell chosen is the one the particle enters.
  Positions are never nudged.
* On a surface, the root t = 0 is removed exactly (C := 0) and the other root
  of that surface is the exit; a chord shorter than EPS (a graze) is not
  entered. Inside a located cell each step is therefore longer than about EPS,
  so no particle sticks, and no particle reaches a cell it was not located in.
* ``distance_to_boundary`` returns 0 when the point is not inside ``cell``
  for its direction (e.g. a scattering changed the direction on a boundary):
  the caller relocates with ``locate_dir`` and goes on.
* The world cell's distance is the nearest crossing of any surface or of the
  world box (conservative: a crossing may lead back to the world).

Path lengths are exact to floating-point rounding; a region thinner than EPS
along a ray (a graze) is skipped, an error of at most EPS per boundary.

Point location is accelerated by a uniform grid over the cells' bounding boxes
(``grid_*`` arrays, built at compile time): each grid voxel lists, in cell
order, the cells whose box (padded by far more than EPS) meets it, so the
candidates of a point hold every cell that can contain it and the result is
that of a scan of all cells. Outside the grid box there is no cell.
"""
from typing import NamedTuple

import numpy as np

from ._jit import jit

PLANE, SPHERE, CYLINDER, CONE = 0, 1, 2, 3
SURFACE_CODES = {"plane": PLANE, "sphere": SPHERE, "cylinder": CYLINDER, "cone": CONE}
N_PAR = 7                 # parameters per surface row
EPS = 1e-10               # cm: on-surface tolerance (see the module docstring)
VACUUM = -1               # material index of vacuum
LATTICE = -2              # cell_material of the cell the lattice fills (media per voxel)


class GeometryArrays(NamedTuple):
    """The geometry as flat arrays (cm, g/cm3); made by ``Geometry.compile()``.

    ``cell_material``/``cell_density`` have n_cells + 1 entries, the last being
    the world medium (-1 = vacuum, density 0). Lattice voxels are flattened in C
    order: flat = (ix * ny + iy) * nz + iz; ``lat_cell[0]`` is the cell the
    lattice fills (-1: no lattice, lattice arrays empty).
    """

    surf_type: np.ndarray      # int32 (n_surfaces,): PLANE | SPHERE | CYLINDER | CONE
    surf_par: np.ndarray       # float64 (n_surfaces, 7)
    cell_start: np.ndarray     # int32 (n_cells + 1,): CSR offsets into cell_surf, cell_sense
    cell_surf: np.ndarray      # int32: surface ids of each cell's half-spaces
    cell_sense: np.ndarray     # int32: -1 (f < 0) or +1 (f > 0)
    cell_material: np.ndarray  # int32 (n_cells + 1,): index into Geometry.materials, -1 vacuum, -2 lattice
    cell_density: np.ndarray   # float64 (n_cells + 1,): g/cm3
    lat_x: np.ndarray          # float64 (nx + 1,): voxel edges, cm
    lat_y: np.ndarray          # float64 (ny + 1,)
    lat_z: np.ndarray          # float64 (nz + 1,)
    lat_material: np.ndarray   # int32 (nx * ny * nz,)
    lat_density: np.ndarray    # float64 (nx * ny * nz,): g/cm3
    lat_cell: np.ndarray       # int32 (1,)
    world: np.ndarray          # float64 (6,): xmin, xmax, ymin, ymax, zmin, zmax (cm)
    grid_box: np.ndarray       # float64 (6,): box of the point-location grid (cm), as world
    grid_n: np.ndarray         # int32 (3,): grid voxels per axis
    grid_start: np.ndarray     # int32 (n_voxels + 1,): CSR offsets into grid_cells, voxels in C order
    grid_cells: np.ndarray     # int32: candidate cells of each grid voxel, ascending
    cell_region: np.ndarray    # int32 (n_cells + 1,): scoring region (0 phantom, 1 + part index, last: world)
    region_params: np.ndarray  # float64 (2 n_regions,): longest charged-particle step in each region (cm), then each
    # region's geometric importance (kernels/weights.py); one array, not two: a bundle one array larger made the
    # analog X50 history 48 % slower (every call not inlined passes the bundle flattened; issue 21)


@jit(inline="always")
def region_max_step(geo, region):
    """Longest charged-particle step (cm) in scoring region ``region``."""
    return geo.region_params[region]


@jit(inline="always")
def region_importance(geo, region):
    """Geometric importance of scoring region ``region``."""
    return geo.region_params[geo.region_params.shape[0] // 2 + region]


@jit(inline="always")
def surface_quadratic(st, par, s, x, y, z, u, v, w):
    """(A, B, C, g) of surface s (types st, parameters par): f(p + t u) = A t^2 + B t + C, and g the
    signed distance of p (cm)."""
    typ = st[s]
    if typ == PLANE:
        c = par[s, 0] * x + par[s, 1] * y + par[s, 2] * z - par[s, 3]
        return 0.0, par[s, 0] * u + par[s, 1] * v + par[s, 2] * w, c, c
    dx, dy, dz = x - par[s, 0], y - par[s, 1], z - par[s, 2]
    if typ == SPHERE:
        r = par[s, 3]
        c = dx * dx + dy * dy + dz * dz - r * r
        return u * u + v * v + w * w, 2.0 * (dx * u + dy * v + dz * w), c, c / (np.sqrt(c + r * r) + r)
    da = dx * par[s, 3] + dy * par[s, 4] + dz * par[s, 5]
    ua = u * par[s, 3] + v * par[s, 4] + w * par[s, 5]
    if typ == CYLINDER:
        px, py, pz = dx - da * par[s, 3], dy - da * par[s, 4], dz - da * par[s, 5]
        qx, qy, qz = u - ua * par[s, 3], v - ua * par[s, 4], w - ua * par[s, 5]
        r = par[s, 6]
        c = px * px + py * py + pz * pz - r * r
        return qx * qx + qy * qy + qz * qz, 2.0 * (px * qx + py * qy + pz * qz), c, c / (np.sqrt(c + r * r) + r)
    k = 1.0 + par[s, 6]                                   # CONE
    dd = dx * dx + dy * dy + dz * dz
    c = dd - k * da * da
    grad = 2.0 * np.sqrt(par[s, 6] * dd)                  # |grad f| on the surface
    g = c / grad if grad > 0.0 else 0.0
    return u * u + v * v + w * w - k * ua * ua, 2.0 * (dx * u + dy * v + dz * w - k * da * ua), c, g


@jit
def surface_side(a, b, g):
    """+1 or -1: the side of a surface for a point at signed distance g moving with f' = b, f'' = 2a."""
    if g > EPS:
        return 1
    if g < -EPS:
        return -1
    s = b + a * EPS                                    # sign of f(p + EPS u) with C = 0
    return -1 if s < 0.0 else 1


@jit
def _exit_root(sense, a, b, c, g):
    """Smallest t > 0 where sense * f turns negative along the ray (inf if none)."""
    if abs(g) <= EPS:                                  # on the surface: roots 0 and -b/a
        if a == 0.0:
            return np.inf
        t = -b / a
        return t if (t > 0.0 and sense * b > 0.0) else np.inf
    if a == 0.0:                                       # linear
        if b == 0.0:
            return np.inf
        t = -c / b
        return t if (t > 0.0 and sense * b < 0.0) else np.inf
    disc = b * b - 4.0 * a * c
    if disc <= 0.0:
        return np.inf                                  # no crossing (a tangent is not a crossing)
    q = -0.5 * (b + np.copysign(np.sqrt(disc), b))     # numerically stable pair of roots
    t1, t2 = q / a, c / q
    if t1 > t2:
        t1, t2 = t2, t1
    if t1 > 0.0 and sense * (2.0 * a * t1 + b) < 0.0:
        return t1
    if t2 > 0.0 and sense * (2.0 * a * t2 + b) < 0.0:
        return t2
    return np.inf


@jit
def _inside_range(x, u, lo, hi):
    """x within [lo, hi] for a point moving along u (on an end: inside only when moving in or along)."""
    if x < lo - EPS or x > hi + EPS:
        return False
    return not ((x - lo <= EPS and u < 0.0) or (hi - x <= EPS and u > 0.0))


@jit
def _in_world(wb, x, y, z, u, v, w):
    return (_inside_range(x, u, wb[0], wb[1]) and _inside_range(y, v, wb[2], wb[3])
            and _inside_range(z, w, wb[4], wb[5]))


@jit
def _range_exit(x, u, lo, hi):
    """Distance along u to leave [lo, hi] (inf when u = 0)."""
    if u > 0.0:
        return max((hi - x) / u, 0.0)
    if u < 0.0:
        return max((lo - x) / u, 0.0)
    return np.inf


@jit
def _in_cell(cs, csf, csn, st, sp, cell, x, y, z, u, v, w):
    for k in range(cs[cell], cs[cell + 1]):
        a, b, c, g = surface_quadratic(st, sp, csf[k], x, y, z, u, v, w)
        if surface_side(a, b, g) != csn[k]:
            return False
    return True


@jit(inline="always")
def in_cell(geo, cell, x, y, z, u, v, w):
    """True if the point moving along (u, v, w) is in ``cell`` (not the world)."""
    return _in_cell(geo.cell_start, geo.cell_surf, geo.cell_sense, geo.surf_type, geo.surf_par, cell, x, y, z, u, v, w)


@jit(inline="always")
def grid_voxel(geo, x, y, z):
    """Flat index of the point-location grid voxel holding the point (-1 outside the grid box)."""
    return _grid_voxel(geo.grid_box, geo.grid_n, x, y, z)


@jit
def _grid_voxel(gb, gn, x, y, z):
    flat = 0
    for k, q in enumerate((x, y, z)):
        f = (q - gb[2 * k]) / (gb[2 * k + 1] - gb[2 * k]) * gn[k]
        if not (0.0 <= f < gn[k]):
            return -1
        flat = flat * gn[k] + min(int(f), gn[k] - 1)
    return flat


@jit(inline="always")
def locate_dir(geo, x, y, z, u, v, w):
    """Cell index of the point, entering along (u, v, w): n_cells = world, -1 = outside the world."""
    return _locate_dir(geo.world, geo.grid_box, geo.grid_n, geo.grid_start, geo.grid_cells, geo.cell_start,
                       geo.cell_surf, geo.cell_sense, geo.surf_type, geo.surf_par, x, y, z, u, v, w)


@jit
def _locate_dir(wb, gb, gn, gs, gc, cs, csf, csn, st, sp, x, y, z, u, v, w):
    n_cells = cs.shape[0] - 1
    if not _in_world(wb, x, y, z, u, v, w):
        return -1
    g = _grid_voxel(gb, gn, x, y, z)
    if g < 0:
        return n_cells
    for k in range(gs[g], gs[g + 1]):
        if _in_cell(cs, csf, csn, st, sp, gc[k], x, y, z, u, v, w):
            return gc[k]
    return n_cells


@jit
def locate(geo, x, y, z):
    """Cell index of the point (no direction: a point on a boundary goes to the + side)."""
    return locate_dir(geo, x, y, z, 0.0, 0.0, 0.0)


@jit
def _axis_index(edges, x, u):
    """Voxel along one axis containing x, entering along u (same rule as surface_side)."""
    n = edges.shape[0] - 1
    i = min(max(np.searchsorted(edges, x, side="right") - 1, 0), n - 1)
    if u > 0.0 and i + 1 < n and edges[i + 1] - x <= EPS:
        i += 1
    elif u < 0.0 and i > 0 and x - edges[i] <= EPS:
        i -= 1
    return i


@jit
def _voxel(lx, ly, lz, x, y, z, u, v, w):
    return ((_axis_index(lx, x, u) * (ly.shape[0] - 1) + _axis_index(ly, y, v)) * (lz.shape[0] - 1)
            + _axis_index(lz, z, w))


@jit(inline="always")
def voxel_index(geo, x, y, z, u, v, w):
    """Flat lattice index of the voxel the point (in the lattice cell) is in or entering."""
    return _voxel(geo.lat_x, geo.lat_y, geo.lat_z, x, y, z, u, v, w)


@jit(inline="always")
def cross(geo, x, y, z, u, v, w):
    """(cell, voxel) entered at a point moving along (u, v, w); voxel = -1 outside the lattice."""
    cell = locate_dir(geo, x, y, z, u, v, w)
    if cell >= 0 and cell == geo.lat_cell[0]:
        return cell, voxel_index(geo, x, y, z, u, v, w)
    return cell, -1


@jit
def medium(geo, cell, voxel):
    """(material index, density g/cm3) of a region; material -1 = vacuum."""
    if voxel >= 0:
        return geo.lat_material[voxel], geo.lat_density[voxel]
    return geo.cell_material[cell], geo.cell_density[cell]


@jit
def _axis_distance(edges, x, u):
    if u == 0.0:
        return np.inf
    i = _axis_index(edges, x, u)
    return (edges[i + 1] - x) / u if u > 0.0 else (edges[i] - x) / u


@jit(inline="always")
def distance_to_boundary(geo, cell, x, y, z, u, v, w):
    """Distance (cm) along the unit direction to leave ``cell`` (the lattice cell: the current voxel).

    0 if the point is not inside ``cell`` for this direction; inf never occurs
    inside the world (the world box bounds every flight).
    """
    n_cells = geo.cell_start.shape[0] - 1
    if cell != n_cells and cell != geo.lat_cell[0]:   # the common case: an analytic cell
        return cell_exit(geo, cell, x, y, z, u, v, w)
    if cell == n_cells:
        return _world_exit(geo, x, y, z, u, v, w)
    return _voxel_exit(geo.cell_start, geo.cell_surf, geo.cell_sense, geo.surf_type, geo.surf_par, geo.lat_x,
                       geo.lat_y, geo.lat_z, cell, x, y, z, u, v, w)


@jit
def _world_exit(geo, x, y, z, u, v, w):
    """Distance (cm) to leave the world region (outside every cell): the nearest crossing of anything.

    The point was located in the world for some direction (the caller's precondition, as for every cell); only
    on a surface (|g| <= EPS) can this direction put it into a cell, so only there is it located again."""
    st, sp, wb = geo.surf_type, geo.surf_par, geo.world
    best = min(_range_exit(x, u, wb[0], wb[1]), _range_exit(y, v, wb[2], wb[3]), _range_exit(z, w, wb[4], wb[5]))
    on_surface = False
    for s in range(st.shape[0]):
        a, b, c, g = surface_quadratic(st, sp, s, x, y, z, u, v, w)
        on_surface = on_surface or abs(g) <= EPS
        best = min(best, _exit_root(surface_side(a, b, g), a, b, c, g))
    if on_surface and locate_dir(geo, x, y, z, u, v, w) != geo.cell_start.shape[0] - 1:
        return 0.0
    return best


@jit
def _voxel_exit(cs, csf, csn, st, sp, lat_x, lat_y, lat_z, cell, x, y, z, u, v, w):
    """Distance (cm) to leave the current voxel of the lattice cell ``cell``."""
    if not _cell_exit(cs, csf, csn, st, sp, cell, x, y, z, u, v, w) > 0.0:
        return 0.0
    return min(_axis_distance(lat_x, x, u), _axis_distance(lat_y, y, v), _axis_distance(lat_z, z, w))


@jit(inline="always")
def safety(geo, cell, voxel, x, y, z):
    """Isotropic safety (cm): a lower bound of the distance from (x, y, z) to the boundary of its
    region (cell, or voxel of the lattice), so a sphere of that radius lies in the region.

    |g| of each of the cell's surfaces (exact distances for planes, spheres and cylinders); 0 for
    cells bounded by a cone (no cheap bound) and for the world.
    """
    return _safety(geo.cell_start, geo.cell_surf, geo.surf_type, geo.surf_par, geo.lat_x, geo.lat_y, geo.lat_z,
                   cell, voxel, x, y, z)


@jit
def _safety(cs, csf, st, sp, lat_x, lat_y, lat_z, cell, voxel, x, y, z):
    if cell < 0 or cell >= cs.shape[0] - 1:
        return 0.0
    best = np.inf
    for k in range(cs[cell], cs[cell + 1]):
        if st[csf[k]] == CONE:
            return 0.0
        _, _, _, g = surface_quadratic(st, sp, csf[k], x, y, z, 0.0, 0.0, 0.0)
        best = min(best, abs(g))
    if voxel >= 0:
        ny, nz = lat_y.size - 1, lat_z.size - 1
        ix, iy, iz = voxel // (ny * nz), (voxel // nz) % ny, voxel % nz
        best = min(best, x - lat_x[ix], lat_x[ix + 1] - x, y - lat_y[iy], lat_y[iy + 1] - y,
                   z - lat_z[iz], lat_z[iz + 1] - z)
    return max(best, 0.0)


@jit(inline="always")
def cell_exit(geo, cell, x, y, z, u, v, w):
    """Distance (cm) to leave a cell (not the world) through its surfaces, voxels ignored: the
    flight range of Woodcock tracking in the lattice cell. 0 if the point is not inside ``cell``."""
    return _cell_exit(geo.cell_start, geo.cell_surf, geo.cell_sense, geo.surf_type, geo.surf_par, cell, x, y, z, u, v,
                      w)


@jit
def _cell_exit(cs, csf, csn, st, sp, cell, x, y, z, u, v, w):
    best = np.inf
    for k in range(cs[cell], cs[cell + 1]):
        sense = csn[k]
        a, b, c, g = surface_quadratic(st, sp, csf[k], x, y, z, u, v, w)
        if surface_side(a, b, g) != sense:
            return 0.0
        best = min(best, _exit_root(sense, a, b, c, g))
    return best


@jit
def trace_ray(geo, x, y, z, u, v, w, length, seg_len, seg_cell, seg_voxel, seg_density):
    """Segments of the straight ray from (x, y, z) along the unit (u, v, w) over ``length`` cm.

    Fills seg_len (cm), seg_cell, seg_voxel (flat index, -1 outside the
    lattice) and seg_density (g/cm3); consecutive pieces in the same region are
    merged. Stops where the ray leaves the world. Returns the number of
    segments n, or -n if the ray is incomplete (arrays full, or a navigation
    failure, which the tests never meet). The lengths sum to the traversed
    length to rounding (positions are recomputed from the start point).
    """
    cap = seg_len.shape[0]
    n = 0
    t = 0.0
    cell, voxel = cross(geo, x, y, z, u, v, w)
    while t < length and cell >= 0:
        d = distance_to_boundary(geo, cell, x + t * u, y + t * v, z + t * w, u, v, w)
        if not d > 0.0:
            return -n
        step = min(d, length - t)
        if n > 0 and seg_cell[n - 1] == cell and seg_voxel[n - 1] == voxel:
            seg_len[n - 1] += step
        else:
            if n == cap:
                return -n
            seg_len[n] = step
            seg_cell[n] = cell
            seg_voxel[n] = voxel
            seg_density[n] = medium(geo, cell, voxel)[1]
            n += 1
        t = t + d if d < length - t else length
        if t < length:
            cell, voxel = cross(geo, x + t * u, y + t * v, z + t * w, u, v, w)
    return n


@jit
def region_column_masses(geo, rays, z0, length, seg_len, seg_cell, seg_voxel, seg_density, out):
    """For each ray (x, y) of ``rays`` (n, 2) going +z from z0 over ``length`` cm: the integral of density
    along it (g/cm2) per scoring region (``cell_region``), added to out (n, n_regions). Returns the number
    of incomplete rays (see :func:`trace_ray`)."""
    bad = 0
    for i in range(rays.shape[0]):
        n = trace_ray(geo, rays[i, 0], rays[i, 1], z0, 0.0, 0.0, 1.0, length, seg_len, seg_cell, seg_voxel,
                      seg_density)
        if n < 0:
            bad += 1
            n = -n
        for k in range(n):
            out[i, geo.cell_region[seg_cell[k]]] += seg_len[k] * seg_density[k]
    return bad


@jit(refcount=True)
def majorant(geo):
    """Woodcock majorant density (g/cm3) over the lattice voxels (0 without a lattice)."""
    return geo.lat_density.max() if geo.lat_density.shape[0] > 0 else 0.0


@jit(refcount=True)
def max_density(geo):
    """Largest density (g/cm3) anywhere in the geometry: cells, world medium and lattice voxels."""
    return max(geo.cell_density.max(), majorant(geo))


@jit
def classify_points(geo, points, count, first, voxel):
    """For each point (n, 3) without direction: how many cells contain it, the first such cell
    (n_cells = world, -1 outside the world) and its voxel (-1 outside the lattice)."""
    n_cells = geo.cell_start.shape[0] - 1
    for i in range(points.shape[0]):
        x, y, z = points[i, 0], points[i, 1], points[i, 2]
        count[i] = 0
        first[i] = n_cells if _in_world(geo.world, x, y, z, 0.0, 0.0, 0.0) else -1
        voxel[i] = -1
        g = grid_voxel(geo, x, y, z)
        lo, hi = (geo.grid_start[g], geo.grid_start[g + 1]) if g >= 0 else (0, 0)
        for k in range(lo, hi):
            cell = geo.grid_cells[k]
            if in_cell(geo, cell, x, y, z, 0.0, 0.0, 0.0):
                count[i] += 1
                if count[i] == 1:
                    first[i] = cell
                    if cell == geo.lat_cell[0]:
                        voxel[i] = voxel_index(geo, x, y, z, 0.0, 0.0, 0.0)
