"""Scoring meshes: bin lookup at edges and corners, distances against analytic chords, segment tracing,
and voxel masses of cut voxels against analytic volumes (cm, g/cm3, g)."""
import itertools

import numpy as np
import pytest
from scipy.integrate import quad

from mcdose.errors import InputError
from mcdose.geometry import Cell, Geometry, box, plane, sphere, xplane, zplane
from mcdose.kernels import mesh as km
from mcdose.mesh import mesh_arrays, voxel_masses
from mcdose.results import Grid

CART = Grid("cartesian", {"x_edges": [-2.0, -1.0, 0.0, 0.5, 2.0], "y_edges": [-1.0, 0.0, 1.0],
                          "z_edges": [0.0, 0.25, 1.0, 3.0]})
CYL = Grid("cylindrical", {"r_edges": [0.0, 0.5, 1.25, 2.0], "z_edges": [-1.0, 0.0, 1.5]})
ANNULUS = Grid("cylindrical", {"r_edges": [0.5, 1.0, 2.0], "z_edges": [-1.0, 1.0]})
SPH = Grid("spherical", {"r_edges": [0.0, 0.5, 1.0, 2.0]}, (1.0, -0.5, 0.25))
SHELL = Grid("spherical", {"r_edges": [0.5, 1.5]}, (0.0, 0.0, 0.0))
GRIDS = {"cartesian": CART, "cylindrical": CYL, "annulus": ANNULUS, "spherical": SPH, "shell": SHELL}


# --------------------------------------------------------------------------- naive references

def naive_bins(grid, p):
    """Per-axis half-open bins of point p (NumPy searchsorted on coordinates / radii), None outside."""
    c = np.asarray(grid.center)
    if grid.kind == "cartesian":
        coords = p
    elif grid.kind == "cylindrical":
        coords = (np.hypot(p[0], p[1]), p[2])
    else:
        coords = (np.linalg.norm(np.asarray(p) - c),)
    idx = []
    for x, e in zip(coords, grid.edges.values()):
        i = int(np.searchsorted(e, x, side="right")) - 1
        if not 0 <= i < e.size - 1:
            return None
        idx.append(i)
    return idx


def naive_index(grid, p):
    idx = naive_bins(grid, p)
    return -1 if idx is None else int(np.ravel_multi_index(idx, grid.shape))


def random_directions(rng, n):
    d = rng.normal(size=(n, 3))
    return d / np.linalg.norm(d, axis=1)[:, None]


def random_inside(rng, grid, n):
    """Points inside the mesh (rejection sampling in its bounding box)."""
    m = mesh_arrays(grid)
    if grid.kind == "cartesian":
        lo, hi = [e[0] for e in grid.edges.values()], [e[-1] for e in grid.edges.values()]
    elif grid.kind == "cylindrical":
        r, z = grid.edges["r_edges"][-1], grid.edges["z_edges"]
        lo, hi = [-r, -r, z[0]], [r, r, z[-1]]
    else:
        r = grid.edges["r_edges"][-1]
        lo, hi = np.asarray(grid.center) - r, np.asarray(grid.center) + r
    pts = rng.uniform(lo, hi, size=(8 * n, 3))
    keep = [p for p in pts if km.mesh_index(m, *p) >= 0]
    return np.array(keep[:n])


def exit_reference(grid, idx, p, d):
    """Distance to leave bin ``idx`` from p along d, in long double: planes and the textbook
    quadratic formula for the radial surfaces (inner one only when the ray is inward and meets it)."""
    p = np.asarray(p, np.longdouble)
    d = np.asarray(d, np.longdouble)
    inf = np.longdouble(np.inf)
    out = []
    if grid.kind == "cartesian":
        for axis, e in enumerate(grid.edges.values()):
            lo, hi = np.longdouble(e[idx[axis]]), np.longdouble(e[idx[axis] + 1])
            out.append((hi - p[axis]) / d[axis] if d[axis] > 0 else (lo - p[axis]) / d[axis] if d[axis] < 0 else inf)
        return min(out)
    r = grid.edges["r_edges"]
    rlo, rhi = np.longdouble(r[idx[0]]), np.longdouble(r[idx[0] + 1])
    if grid.kind == "cylindrical":
        q, dd = p[:2], d[:2]
        z = grid.edges["z_edges"]
        lo, hi = np.longdouble(z[idx[1]]), np.longdouble(z[idx[1] + 1])
        out.append((hi - p[2]) / d[2] if d[2] > 0 else (lo - p[2]) / d[2] if d[2] < 0 else inf)
    else:
        q, dd = p - np.asarray(grid.center, np.longdouble), d
    a, b, rho2 = dd @ dd, q @ dd, q @ q
    if a == 0:
        return min(out)
    if rlo > 0 and b < 0 and b * b - a * (rho2 - rlo * rlo) > 0:
        out.append((-b - np.sqrt(b * b - a * (rho2 - rlo * rlo))) / a)
    else:
        out.append((-b + np.sqrt(b * b - a * (rho2 - rhi * rhi))) / a)
    return min(out)


# ------------------------------------------------------------------------------ bin lookup

@pytest.mark.parametrize("name", GRIDS)
def test_mesh_index_matches_naive_reference(name):
    grid = GRIDS[name]
    m = mesh_arrays(grid)
    rng = np.random.default_rng(1)
    pts = rng.uniform(-2.6, 2.6, size=(3000, 3))
    for p in pts:
        assert km.mesh_index(m, *p) == naive_index(grid, p)
        d = random_directions(rng, 1)[0]
        assert km.mesh_index_dir(m, *p, *d) == naive_index(grid, p)  # no ties at random points


def test_flat_index_is_c_order_of_the_mesh_shape():
    m = mesh_arrays(CART)
    for idx in np.ndindex(CART.shape):
        centre = [CART.centers(n)[i] for n, i in zip(CART.edges, idx)]
        assert km.mesh_index(m, *centre) == np.ravel_multi_index(idx, CART.shape)
        assert km.unflatten(m, np.ravel_multi_index(idx, CART.shape)) == idx


def test_cartesian_faces_edges_and_corners():
    """Every combination of edge / mid-bin / outside coordinates and of direction signs: the point on an
    edge belongs to the bin above, or with a direction to the bin it enters (below when moving down)."""
    m = mesh_arrays(CART)
    edges = list(CART.edges.values())
    values = [np.concatenate([e, 0.5 * (e[1:] + e[:-1]), [e[0] - 0.5, e[-1] + 0.5]]) for e in edges]
    for x, y, z in itertools.product(*values):
        assert km.mesh_index(m, x, y, z) == naive_index(CART, (x, y, z))
        for signs in itertools.product((-1.0, 0.0, 1.0), repeat=3):
            if signs == (0.0, 0.0, 0.0):
                continue
            u, v, w = np.array(signs) / np.linalg.norm(signs)
            idx = []
            for c, s, e in zip((x, y, z), signs, edges):
                i = int(np.searchsorted(e, c, side="right")) - 1
                if 0 <= i < e.size and c == e[i] and s < 0:
                    i -= 1
                idx.append(i)
            inside = all(0 <= i < e.size - 1 for i, e in zip(idx, edges))
            expected = int(np.ravel_multi_index(idx, CART.shape)) if inside else -1
            assert km.mesh_index_dir(m, x, y, z, u, v, w) == expected, (x, y, z, signs)
    # the corners of the mesh, explicitly
    last = int(np.prod(CART.shape)) - 1
    assert km.mesh_index(m, -2.0, -1.0, 0.0) == 0
    assert km.mesh_index(m, 2.0, 1.0, 3.0) == -1
    s = 1 / np.sqrt(3)
    assert km.mesh_index_dir(m, 2.0, 1.0, 3.0, -s, -s, -s) == last
    assert km.mesh_index_dir(m, 2.0, 1.0, 3.0, -s, s, -s) == -1
    assert km.mesh_index_dir(m, -2.0, -1.0, 0.0, -s, s, s) == -1


@pytest.mark.parametrize("name", ["cylindrical", "spherical"])
def test_radial_boundaries_take_the_bin_entered(name):
    grid = GRIDS[name]
    m = mesh_arrays(grid)
    c = np.array([0.0, 0.0, 0.5]) if name == "cylindrical" else np.asarray(grid.center)
    nz = grid.shape[1] if name == "cylindrical" else 1
    for k, r in enumerate(grid.edges["r_edges"]):
        p = c + [r, 0.0, 0.0]  # exact: the centre's x is 0 or 1 and r a short binary fraction
        above = k * nz + (1 if name == "cylindrical" else 0) if k < grid.shape[0] else -1
        below = (k - 1) * nz + (1 if name == "cylindrical" else 0) if k > 0 else above
        assert km.mesh_index(m, *p) == above
        assert km.mesh_index_dir(m, *p, 1.0, 0.0, 0.0) == above
        assert km.mesh_index_dir(m, *p, 0.0, 1.0, 0.0) == above  # tangent: skims the bin above
        assert km.mesh_index_dir(m, *p, -1.0, 0.0, 0.0) == below
    if name == "cylindrical":  # z faces: the bin above, or below when moving down; on the axis: r bin 0
        assert km.mesh_index(m, 0.0, 0.0, 0.0) == 1
        assert km.mesh_index_dir(m, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0) == 0
        assert km.mesh_index(m, 0.3, 0.0, 1.5) == -1
        assert km.mesh_index_dir(m, 0.3, 0.0, 1.5, 0.0, 0.0, -1.0) == 1
        assert km.mesh_index_dir(m, 0.3, 0.0, -1.0, 0.0, 0.0, -1.0) == -1


def test_grid_with_negative_radius_is_rejected():
    with pytest.raises(InputError, match="r_edges"):
        mesh_arrays(Grid("spherical", {"r_edges": [-1.0, 1.0]}))


# ---------------------------------------------------------------------------------- distances

@pytest.mark.parametrize("name", GRIDS)
def test_distance_to_bin_boundary_matches_analytic_chords(name):
    """Random points and directions: distance to leave the bin vs the long-double textbook solution
    (agreement to 1e-11 cm: float64 rounding of cm-sized positions, times the conditioning of
    the quadratic away from tangency), and the next bin is the one just past the crossing."""
    grid = GRIDS[name]
    m = mesh_arrays(grid)
    rng = np.random.default_rng(2)
    pts = random_inside(rng, grid, 800)
    dirs = random_directions(rng, len(pts))
    if name == "cylindrical":
        dirs[:50] = [0.0, 0.0, 1.0]  # parallel to the axis: only the z planes
        dirs[50:100] = [0.0, 0.0, -1.0]
    for p, d in zip(pts, dirs):
        index = km.mesh_index(m, *p)
        dist, nxt = km.mesh_crossing(m, index, *p, *d)
        ref = exit_reference(grid, list(km.unflatten(m, index)), p, d)
        assert abs(dist - float(ref)) <= 1e-11, (p, d)
        assert km.distance_to_mesh_boundary(m, index, *p, *d) == dist
        assert km.mesh_index(m, *(p + 0.5 * dist * d)) == index
        assert km.mesh_index(m, *(p + (dist + 1e-7) * d)) == nxt


def test_inner_r0_bin_and_axis_rays():
    m = mesh_arrays(CYL)
    # in the r = 0 bin on the axis moving radially: leaves at r = 0.5 into ring 1
    d, nxt = km.mesh_crossing(m, 0, 0.0, 0.0, -0.5, 1.0, 0.0, 0.0)
    assert d == 0.5 and nxt == CYL.shape[1] * 1 + 0
    # along the axis: only the z planes count
    d, nxt = km.mesh_crossing(m, 0, 0.0, 0.0, -0.5, 0.0, 0.0, 1.0)
    assert d == 0.5 and nxt == 1
    d, nxt = km.mesh_crossing(m, 1, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0)
    assert d == 0.5 and nxt == -1
    # spherical: from the centre outwards
    s = mesh_arrays(SPH)
    d, nxt = km.mesh_crossing(s, 0, *SPH.center, 0.6, 0.0, 0.8)
    assert d == pytest.approx(0.5, abs=1e-15) and nxt == 1


@pytest.mark.parametrize("name", GRIDS)
def test_mesh_safety_outside_is_the_distance_to_the_mesh(name):
    """Outside the mesh, mesh_safety (the range-rejection bound) is the distance to the mesh's volume: never
    more than the distance to any point inside (20 000 sampled), and not much less than the nearest (the safety
    is a bound: too small costs speed, too large would bias the dose)."""
    grid = GRIDS[name]
    m = mesh_arrays(grid)
    rng = np.random.default_rng(11)
    inside = random_inside(rng, grid, 20_000)
    pts = rng.uniform(-4.0, 4.0, size=(400, 3))
    pts[:50] = np.asarray(grid.center) + rng.uniform(-0.3, 0.3, (50, 3))  # in the hole of annulus / shell
    checked = 0
    for p in pts:
        if km.mesh_index(m, *p) >= 0:
            continue
        nearest = np.min(np.linalg.norm(inside - p, axis=1))
        safety = km.mesh_safety(m, *p)
        assert 0.0 <= safety <= nearest + 1e-12
        assert safety >= nearest - 0.35          # the sampled points lie within 0.35 cm of every point inside
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("name", GRIDS)
def test_distance_to_mesh_from_outside(name):
    """Points outside: the point at the returned distance (+1e-9 cm) is inside, every sampled point
    before it is outside; for a miss (inf), every sampled point up to 10 cm is outside."""
    grid = GRIDS[name]
    m = mesh_arrays(grid)
    rng = np.random.default_rng(3)
    pts = rng.uniform(-4.0, 4.0, size=(600, 3))
    pts[:50] = np.asarray(grid.center) + rng.uniform(-0.3, 0.3, (50, 3))  # in the hole of annulus / shell
    hits = misses = 0
    for p in pts:
        if km.mesh_index(m, *p) >= 0:
            continue
        d = random_directions(rng, 1)[0]
        if rng.random() < 0.5:  # aim near the mesh so that many rays enter
            d = np.asarray(grid.center) + rng.normal(scale=0.7, size=3) - p
            d /= np.linalg.norm(d)
        dist = km.distance_to_mesh(m, *p, *d)
        ts = np.linspace(0.0, dist - 1e-9 if np.isfinite(dist) else 10.0, 400)
        assert all(km.mesh_index(m, *(p + t * d)) < 0 for t in ts)
        if np.isfinite(dist):
            hits += 1
            assert km.mesh_index(m, *(p + (dist + 1e-9) * d)) >= 0
            assert km.distance_to_mesh_boundary(m, -1, *p, *d) == dist
            e, index = km.enter_mesh(m, *p, *d)
            assert e == dist and index == km.mesh_index(m, *(p + (dist + 1e-9) * d))
        else:
            misses += 1
            assert km.enter_mesh(m, *p, *d) == (np.inf, -1)
    assert hits > 50 and misses > 50
    inside = random_inside(rng, grid, 1)[0]
    assert km.distance_to_mesh(m, *inside, 1.0, 0.0, 0.0) == 0.0


# ------------------------------------------------------------------------------ segments

def _trace(m, p, d, length, cap=256):
    seg_len, seg_idx = np.empty(cap), np.empty(cap, np.int64)
    n = km.trace_mesh(m, *p, *d, length, seg_len, seg_idx)
    return n, seg_len[:max(n, 0)], seg_idx[:max(n, 0)]


def inside_length_reference(grid, p, d, length):
    """Length of the segment [0, length] inside the mesh, from the analytic chords (NumPy)."""
    p, d = np.asarray(p), np.asarray(d)

    def clip(lo, hi):
        return max(0.0, min(hi, length) - max(lo, 0.0))

    def chord(center, r, axes):
        q, dd = (p - center)[axes], d[axes]
        a, b, c = dd @ dd, q @ dd, q @ q - r * r
        if a == 0:
            return (-np.inf, np.inf) if c < 0 else (0.0, 0.0)
        disc = b * b - a * c
        if disc <= 0:
            return (0.0, 0.0)
        return ((-b - np.sqrt(disc)) / a, (-b + np.sqrt(disc)) / a)

    def slab(lo, hi, x, u):
        if u == 0:
            return (-np.inf, np.inf) if lo <= x < hi else (0.0, 0.0)
        t = sorted(((lo - x) / u, (hi - x) / u))
        return tuple(t)

    if grid.kind == "cartesian":
        ivs = [slab(e[0], e[-1], p[i], d[i]) for i, e in enumerate(grid.edges.values())]
        return clip(max(iv[0] for iv in ivs), min(iv[1] for iv in ivs))
    r = grid.edges["r_edges"]
    axes = [0, 1] if grid.kind == "cylindrical" else [0, 1, 2]
    center = np.zeros(3) if grid.kind == "cylindrical" else np.asarray(grid.center)
    outer, hole = chord(center, r[-1], axes), chord(center, r[0], axes) if r[0] > 0 else (0.0, 0.0)
    if grid.kind == "cylindrical":
        z = grid.edges["z_edges"]
        zs = slab(z[0], z[-1], p[2], d[2])
        outer = (max(outer[0], zs[0]), min(outer[1], zs[1]))
        hole = (max(hole[0], zs[0]), min(hole[1], zs[1]))
    return clip(*outer) - clip(*hole)


@pytest.mark.parametrize("name", GRIDS)
def test_trace_mesh_segments(name):
    """Random segments: lengths sum to the segment length (1e-12 relative), each piece's midpoint lies in its
    bin, neighbours differ, and the length inside the mesh equals the analytic chord (1e-11 cm)."""
    grid = GRIDS[name]
    m = mesh_arrays(grid)
    rng = np.random.default_rng(4)
    pts = np.concatenate([random_inside(rng, grid, 300), rng.uniform(-4, 4, (300, 3))])
    for p in pts:
        d = random_directions(rng, 1)[0]
        length = rng.uniform(0.01, 8.0)
        n, seg_len, seg_idx = _trace(m, p, d, length)
        assert n > 0
        assert abs(seg_len.sum() - length) <= 1e-12 * length
        assert np.all(seg_len > 0) and np.all(seg_idx[1:] != seg_idx[:-1])
        t = np.concatenate([[0.0], np.cumsum(seg_len)])
        for k in range(n):
            if seg_len[k] > 1e-9:
                assert km.mesh_index(m, *(p + 0.5 * (t[k] + t[k + 1]) * d)) == seg_idx[k]
        inside = seg_len[seg_idx >= 0].sum()
        assert abs(inside - inside_length_reference(grid, p, d, length)) <= 1e-11


def test_trace_mesh_special_rays():
    cyl = mesh_arrays(CYL)
    # along the axis through the r = 0 bin: the z bins only
    n, seg_len, seg_idx = _trace(cyl, (0.0, 0.0, -2.0), (0.0, 0.0, 1.0), 5.0)
    assert list(seg_idx) == [-1, 0, 1, -1] and np.allclose(seg_len, [1.0, 1.0, 1.5, 1.5], rtol=0, atol=1e-15)
    # tangent to the r = 1.25 cylinder at z = 0.5: stays in ring 2 (one joined piece), no visit to ring 1
    n, seg_len, seg_idx = _trace(cyl, (-3.0, 1.25, 0.5), (1.0, 0.0, 0.0), 6.0)
    assert list(seg_idx) == [-1, 5, -1]
    assert seg_len[1] == pytest.approx(2 * np.sqrt(4 - 1.25 ** 2), abs=1e-12)
    # through the centre of a spherical mesh: shells 2, 1, 0, 1, 2
    sph = mesh_arrays(SPH)
    c = np.asarray(SPH.center)
    n, seg_len, seg_idx = _trace(sph, c - [3.0, 0.0, 0.0], (1.0, 0.0, 0.0), 6.0)
    assert list(seg_idx) == [-1, 2, 1, 0, 1, 2, -1]
    assert np.allclose(seg_len, [1.0, 1.0, 0.5, 1.0, 0.5, 1.0, 1.0], rtol=0, atol=1e-14)
    # through the hole of an annulus: enters twice
    ann = mesh_arrays(ANNULUS)
    n, seg_len, seg_idx = _trace(ann, (-3.0, 0.0, 0.0), (1.0, 0.0, 0.0), 6.0)
    assert list(seg_idx) == [-1, 1, 0, -1, 0, 1, -1]
    # output arrays too small
    assert _trace(cyl, (0.0, 0.0, -2.0), (0.0, 0.0, 1.0), 5.0, cap=3)[0] == -1


# ------------------------------------------------------------------------------ voxel masses

def box_ball_volume(bx, c, R):
    """Volume (cm3) of box [[x0, x1], [y0, y1], [z0, z1]] inside the ball (c, R): nested adaptive
    quadrature (scipy quad, 1e-11 relative) of the ball's chord clipped to [z0, z1], with the kinks as
    break points."""
    (x0, x1), (y0, y1), (z0, z1) = bx
    cx, cy, cz = c

    def area(x):
        r2 = R * R - (x - cx) ** 2
        if r2 <= 0:
            return 0.0
        r = np.sqrt(r2)
        ya, yb = max(y0, cy - r), min(y1, cy + r)
        if yb <= ya:
            return 0.0

        def chord(y):
            h = np.sqrt(max(r2 - (y - cy) ** 2, 0.0))
            return max(0.0, min(z1, cz + h) - max(z0, cz - h))

        pts = [cy + s * np.sqrt(r2 - (z - cz) ** 2) for z in (z0, z1) for s in (-1, 1) if r2 > (z - cz) ** 2]
        pts = [q for q in pts if ya < q < yb] or None
        return quad(chord, ya, yb, points=pts, limit=200, epsabs=1e-14, epsrel=1e-12)[0]

    pts = []
    for dy2 in [(y - cy) ** 2 for y in (y0, y1)] + [0.0]:
        for dz2 in [(z - cz) ** 2 for z in (z0, z1)] + [0.0]:
            if R * R - dy2 - dz2 > 0:
                pts += [cx - np.sqrt(R * R - dy2 - dz2), cx + np.sqrt(R * R - dy2 - dz2)]
    xa, xb = max(x0, cx - R), min(x1, cx + R)
    if xb <= xa:
        return 0.0
    pts = [q for q in pts if xa < q < xb] or None
    return quad(area, xa, xb, points=pts, limit=200, epsabs=1e-13, epsrel=1e-11)[0]


def box_halfspace_volume(bx, n, d):
    """Exact volume (cm3) of box bx inside the half-space n.x <= d (all n_i != 0): inclusion-exclusion over
    the box corners, V = sum_corners (-1)^k max(0, d - n.v)^3 / (6 n1 n2 n3), after reflecting axes so n > 0."""
    n = np.array(n, float)  # a copy: reflected below
    lo = np.array([b[0] for b in bx], float)
    size = np.array([b[1] - b[0] for b in bx], float)
    # shift the box corner to the origin; reflect axes with negative normal components
    d = d - n @ lo
    for i in range(3):
        if n[i] < 0:
            d -= n[i] * size[i]
            n[i] = -n[i]
    total = 0.0
    for eps in itertools.product((0, 1), repeat=3):
        total += (-1) ** sum(eps) * max(0.0, d - n @ (np.array(eps) * size)) ** 3
    return total / (6.0 * np.prod(n))


def two_media(surface_half, rho_in, rho_out, world=3.0):
    """A box of side 2*world split by a surface: density rho_in on the - side, rho_out on the + side."""
    cells = [Cell("in", box(-world, world, -world, world, -world, world) + (-surface_half,), "a", rho_in),
             Cell("out", box(-world, world, -world, world, -world, world) + (+surface_half,), "b", rho_out)]
    return Geometry(cells, [[-world, world]] * 3)


def test_cartesian_voxels_cut_by_a_sphere():
    """A lead ball in water and a water ball in air: every cut voxel's mass within 0.1 % of the analytic
    value (box-ball intersection by nested quadrature, 1e-11)."""
    c, R = (0.1, 0.2, 0.3), 1.3
    e = np.linspace(-1.5, 1.5, 7) + 0.05
    grid = Grid("cartesian", {"x_edges": e, "y_edges": e, "z_edges": e})
    vol = 0.5 ** 3
    frac = {}  # ball volume fraction of each cut voxel
    whole = {}  # True: inside the ball, False: outside
    for idx in np.ndindex(grid.shape):
        bx = np.array([[e[i], e[i + 1]] for i in idx])
        nearest = np.linalg.norm(np.clip(c, bx[:, 0], bx[:, 1]) - c)
        farthest = np.max(np.linalg.norm(np.array(list(itertools.product(*bx))) - c, axis=1))
        if nearest < R < farthest:
            frac[idx] = box_ball_volume(bx, c, R) / vol
        else:
            whole[idx] = farthest <= R
    assert len(frac) > 100
    for rho_in, rho_out in ((11.35, 1.0), (1.0, 1.205e-3)):
        masses = voxel_masses(grid, two_media(sphere(c, R), rho_in, rho_out))
        rel = [masses[i] / (vol * (rho_out + (rho_in - rho_out) * f)) - 1 for i, f in frac.items()]
        assert np.max(np.abs(rel)) < 1e-3, (rho_in, np.max(np.abs(rel)))
        for i, inside in whole.items():  # uncut voxels: rho * volume, to rounding
            assert masses[i] == pytest.approx(vol * (rho_in if inside else rho_out), rel=1e-12)


@pytest.mark.parametrize("normal", [(1.0, 0.0, 0.0), (0.6, -0.3, 0.742), (0.0, 1.0, 0.0)])
def test_cartesian_voxels_straddling_a_slab_interface(normal):
    """Lead (n.x < d) against water: voxels cut by an axis-aligned or oblique plane, mass within 0.1 %
    of the exact box/half-space volume."""
    n = np.asarray(normal) / np.linalg.norm(normal)
    d = 0.1234
    e = np.linspace(-1.0, 1.0, 5) + 0.01
    grid = Grid("cartesian", {"x_edges": e, "y_edges": e, "z_edges": e})
    masses = voxel_masses(grid, two_media(plane(n, d), 11.35, 1.0))
    checked = 0
    for idx in np.ndindex(grid.shape):
        bx = [[e[i], e[i + 1]] for i in idx]
        vol = np.prod([b[1] - b[0] for b in bx])
        if np.all(n != 0):
            v_in = box_halfspace_volume(bx, n, d)
        else:  # a plane normal to an axis: the slab part of the box
            a = int(np.flatnonzero(n)[0])
            v_in = vol * np.clip((d - bx[a][0]) / (bx[a][1] - bx[a][0]), 0, 1)
        ref = 1.0 * vol + (11.35 - 1.0) * v_in
        assert masses[idx] == pytest.approx(ref, rel=1e-3)
        checked += 0 < v_in < vol
    assert checked >= 8


def test_cylindrical_rings():
    """Rings in a water box are pi (r2^2 - r1^2) dz rho; rings cut by the plane x = a (lead on x < a)
    get the analytic circular-segment areas (0.1 %)."""
    r = np.array([0.0, 0.3, 0.75, 1.2, 2.0])
    z = np.array([-1.0, -0.2, 0.5, 1.0])
    grid = Grid("cylindrical", {"r_edges": r, "z_edges": z})
    water = Geometry([Cell("water", box(-3, 3, -3, 3, -3, 3), "water", 1.0)], [[-3, 3]] * 3)
    assert np.allclose(voxel_masses(grid, water), grid.volumes(), rtol=1e-12, atol=0)
    a = 0.4

    def right_of(rr):  # area of the disk of radius rr with x > a
        return rr * rr * np.arccos(a / rr) - a * np.sqrt(rr * rr - a * a) if rr > a else 0.0

    masses = voxel_masses(grid, two_media(xplane(a), 11.35, 1.0))
    for i in range(grid.shape[0]):
        ring = np.pi * (r[i + 1] ** 2 - r[i] ** 2)
        right = right_of(r[i + 1]) - right_of(r[i])
        area_mass = 1.0 * right + 11.35 * (ring - right)
        assert masses[i] == pytest.approx(area_mass * np.diff(z), rel=1e-3)


def test_spherical_shells():
    """Shells about an off-centre point in a water box are 4/3 pi (r2^3 - r1^3); shells cut by the plane
    z = a (lead below) get the analytic spherical-cap volumes (0.1 %)."""
    c = (0.2, -0.1, 0.3)
    r = np.array([0.0, 0.4, 0.9, 1.5, 2.2])
    grid = Grid("spherical", {"r_edges": r}, c)
    water = Geometry([Cell("water", box(-3, 3, -3, 3, -3, 3), "water", 1.0)], [[-3, 3]] * 3)
    assert np.allclose(voxel_masses(grid, water), grid.volumes(), rtol=1e-12, atol=0)
    a = 0.55
    h0 = a - c[2]  # plane height above the centre

    def above(rr):  # volume of the ball of radius rr above the plane (a cap of height rr - h0)
        h = rr - h0
        return 0.0 if h <= 0 else np.pi * h * h * (3 * rr - h) / 3

    masses = voxel_masses(grid, two_media(zplane(a), 11.35, 1.0))
    for i in range(grid.shape[0]):
        shell = 4 / 3 * np.pi * (r[i + 1] ** 3 - r[i] ** 3)
        up = above(r[i + 1]) - above(r[i])
        assert masses[i] == pytest.approx(1.0 * up + 11.35 * (shell - up), rel=1e-3)


def test_mesh_beyond_the_world_weighs_only_what_is_inside():
    """Voxels outside the world weigh 0, voxels cut by its faces the part inside.  The face x = -1 runs
    between rays: refined MAX_LINE = 20 times (error < 2^-20 of the column), plus the 1e-6 relative
    margin of the sampled column (kernels/mesh.py, _column_mass) on the part that differs: 1e-5."""
    water = Geometry([Cell("water", box(-1, 1, -1, 1, 0, 2), "water", 1.0)], [[-1, 1], [-1, 1], [0, 2]])
    grid = Grid("cartesian", {"x_edges": [-2.0, -1.5, -0.5, 0.5], "y_edges": [-0.5, 0.5],
                              "z_edges": [-1.0, -0.5, 0.5, 1.0]})
    expected = np.array([0.0, 0.5, 1.0])[:, None, None] * np.array([0.0, 0.5, 0.5])[None, None, :]
    assert np.allclose(voxel_masses(grid, water), expected, rtol=1e-5, atol=0)


def test_lattice_under_a_cartesian_mesh_is_weighed_exactly():
    """A voxel lattice (random densities) not aligned with the mesh, under a sphere of lead: the lattice part
    equals the overlap-volume sum of the two grids (1e-12); the mesh voxels above the lattice hold the ball."""
    from mcdose.geometry import Lattice
    rng = np.random.default_rng(5)
    xe, ye, ze = np.linspace(-2, 2, 8), np.linspace(-2, 2, 6), np.linspace(0, 2, 5)
    rho = rng.uniform(0.9, 1.1, (7, 5, 4))
    lat = Lattice(xe, ye, ze, np.zeros(rho.shape, int), rho, ("water",))
    ball = sphere((0.0, 0.0, -1.0), 0.8)
    geo = Geometry([Cell("ct", box(-2, 2, -2, 2, 0, 2), lattice=lat), Cell("ball", (-ball,), "lead", 11.35)],
                   [[-2, 2], [-2, 2], [-2, 2]])
    e = np.linspace(-2.0, 2.0, 6)
    grid = Grid("cartesian", {"x_edges": e, "y_edges": e, "z_edges": np.linspace(-2.0, 2.0, 5)})
    masses = voxel_masses(grid, geo)

    def overlaps(a, b):
        return np.clip(np.minimum(a[1:, None], b[None, 1:]) - np.maximum(a[:-1, None], b[None, :-1]), 0, None)

    ref = np.einsum("ia,jb,kc,abc->ijk", overlaps(e, xe), overlaps(e, ye),
                    overlaps(grid.edges["z_edges"], ze), rho)
    assert np.allclose(masses[:, :, 2:], ref[:, :, 2:], rtol=1e-12, atol=0)
    assert masses[:, :, :2].sum() == pytest.approx(11.35 * 4 / 3 * np.pi * 0.8 ** 3, rel=1e-3)
