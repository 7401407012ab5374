"""Geometry model and navigation kernels: distances against analytic chords, lattice
indexing at edges and corners, build-time errors.

Tolerance: 1e-9 cm on distances. The kernels and the references both work in
float64 on coordinates of at most ~30 cm (ulp ~ 4e-15 cm); the quadratic roots
lose at most a few hundred ulps away from grazing incidence, far below 1e-9 cm.
"""
import numpy as np
import pytest

from mcdose.errors import InputError
from mcdose.geometry import Cell, Geometry, Lattice, box, cone, cylinder, plane, sphere, xplane, zplane
from mcdose.kernels import geometry as kg

TOL = 1e-9  # cm
WORLD = [[-30, 30], [-30, 30], [-30, 30]]


def _directions(rng, n):
    d = rng.normal(size=(n, 3))
    return d / np.linalg.norm(d, axis=1)[:, None]


def _frame(axis):
    """Rows: an orthonormal basis whose last vector is the axis (an independent local frame)."""
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    e1 = np.cross(a, [1.0, 0, 0] if abs(a[0]) < 0.9 else [0, 1.0, 0])
    e1 /= np.linalg.norm(e1)
    return np.array([e1, np.cross(a, e1), a])


def _first_exit(polys, inside, p, u):
    """Smallest positive root of the polynomials along the ray after which the point is outside."""
    roots = sorted(r.real for poly in polys for r in np.roots(poly) if abs(r.imag) < 1e-12 and r.real > 0)
    for r in roots:
        if not inside(p + (r + 1e-7) * u):
            return r
    raise AssertionError("no exit found")


def _local_quadrics(center, axis, p, u):
    R = _frame(axis)
    return R @ (p - np.asarray(center, float)), R @ u


# One cell per surface kind, with an independent reference (local frame, np.roots).
def _sphere_case():
    c, r = np.array([1.0, -2.0, 3.0]), 4.0
    cell = Cell("ball", (-sphere(c, r),), "water", 1.0)

    def polys(p, u):
        d = p - c
        return [[u @ u, 2 * d @ u, d @ d - r * r]]
    return cell, polys, lambda q: np.linalg.norm(q - c) < r, c


def _capped_case(kind):
    """A tilted cylinder (r = 2) or cone (half angle 30 deg, apex at h = 0) capped at h = 1 and h = 6."""
    c, a = np.array([0.5, 1.0, -1.0]), np.array([1.0, 2.0, 2.0]) / 3.0
    t2 = np.tan(np.radians(30.0)) ** 2
    surf = cylinder(2.0, a, c) if kind == "cylinder" else cone(c, a, 30.0)
    cap1, cap2 = plane(a, a @ c + 1.0), plane(a, a @ c + 6.0)
    cell = Cell(kind, (-surf, +cap1, -cap2), "water", 1.0)

    def radial2(q, h):
        return q[0] ** 2 + q[1] ** 2 - (4.0 if kind == "cylinder" else t2 * h * h)

    def polys(p, u):
        q, d = _local_quadrics(c, a, p, u)
        quad = ([d[0] ** 2 + d[1] ** 2, 2 * (q[0] * d[0] + q[1] * d[1]), q[0] ** 2 + q[1] ** 2 - 4.0]
                if kind == "cylinder" else
                [d[0] ** 2 + d[1] ** 2 - t2 * d[2] ** 2, 2 * (q[0] * d[0] + q[1] * d[1] - t2 * q[2] * d[2]),
                 q[0] ** 2 + q[1] ** 2 - t2 * q[2] ** 2])
        return [quad, [d[2], q[2] - 1.0], [d[2], q[2] - 6.0]]

    def inside(p):
        q = _frame(a) @ (p - c)
        return radial2(q, q[2]) < 0 and 1.0 < q[2] < 6.0
    return cell, polys, inside, c + 3.5 * a


def _oblique_box_case():
    n = np.array([1.0, 1.0, 1.0]) / np.sqrt(3)
    cell = Cell("wedge", (*box(-3, 3, -3, 3, -3, 3), -plane(n, 1.0)), "water", 1.0)
    lo, hi = np.full(3, -3.0), np.full(3, 3.0)

    def polys(p, u):
        out = [[u[i], p[i] - b] for i in range(3) for b in (lo[i], hi[i])]
        return out + [[n @ u, n @ p - 1.0]]
    return cell, polys, lambda q: bool(np.all(q > lo) and np.all(q < hi) and n @ q < 1.0), np.array([-1.0, -1.0, -1.0])


@pytest.mark.parametrize("case", ["sphere", "cylinder", "cone", "planes"])
def test_distance_to_boundary_matches_analytic_chords(case):
    cell, polys, inside, centre = {"sphere": _sphere_case, "cylinder": lambda: _capped_case("cylinder"),
                                   "cone": lambda: _capped_case("cone"), "planes": _oblique_box_case}[case]()
    geo = Geometry([cell], WORLD).compile()
    rng = np.random.default_rng(3)
    points = [q for q in centre + rng.uniform(-4, 4, size=(4000, 3)) if inside(q)][:300]
    assert len(points) == 300
    for p, u in zip(points, _directions(rng, len(points))):
        assert kg.locate(geo, *p) == 0
        d = kg.distance_to_boundary(geo, 0, *p, *u)
        assert d == pytest.approx(_first_exit(polys(p, u), inside, p, u), abs=TOL)


def test_distance_from_a_point_on_the_surface_is_the_chord():
    """On a sphere moving inwards: the full chord 2 R cos(theta), not 0 (the t = 0 root is removed)."""
    geo = Geometry([Cell("ball", (-sphere((0, 0, 0), 2.0),), "water", 1.0)], WORLD).compile()
    for theta in np.radians([0.0, 10.0, 45.0, 80.0, 89.0]):
        u = np.array([np.sin(theta), 0.0, np.cos(theta)])        # from the pole (0, 0, -2) inwards
        assert kg.locate_dir(geo, 0.0, 0.0, -2.0, *u) == 0
        assert kg.distance_to_boundary(geo, 0, 0.0, 0.0, -2.0, *u) == pytest.approx(4 * np.cos(theta), abs=TOL)
        assert kg.locate_dir(geo, 0.0, 0.0, -2.0, *-u) == 1      # leaving: the world
        assert kg.distance_to_boundary(geo, 0, 0.0, 0.0, -2.0, *-u) == 0.0


def test_locate_world_and_outside():
    geo = Geometry([Cell("b", box(-1, 1, -1, 1, 0, 2), "water", 1.0)], [[-2, 2], [-2, 2], [-1, 3]]).compile()
    assert kg.locate(geo, 0.0, 0.0, 1.0) == 0
    assert kg.locate(geo, 0.0, 0.0, -0.5) == 1
    assert kg.locate(geo, 0.0, 0.0, 3.5) == -1
    assert kg.locate_dir(geo, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0) == 0   # on the surface entering
    assert kg.locate_dir(geo, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0) == 1
    assert kg.locate_dir(geo, 0.0, 0.0, 3.0, 0.0, 0.0, 1.0) == -1  # leaving the world
    assert kg.distance_to_boundary(geo, 1, 0.0, 0.0, -1.0, 0.0, 0.0, 1.0) == pytest.approx(1.0)


# ---- lattice -----------------------------------------------------------------------------------

def _lattice_geometry():
    x = np.array([-2.0, -0.5, 0.0, 1.5, 2.0])          # non-uniform
    y = np.array([-1.0, 0.0, 1.0])
    z = np.array([0.0, 0.25, 1.0, 3.0])
    shape = (4, 2, 3)
    ids = np.arange(np.prod(shape)).reshape(shape) % 2
    rho = 1.0 + np.arange(np.prod(shape)).reshape(shape) / 10
    lat = Lattice(x, y, z, ids, rho, ("water", "lung"))
    return Geometry([Cell("ct", box(-2, 2, -1, 1, 0, 3), lattice=lat)], [[-3, 3], [-3, 3], [-1, 4]]), shape


def _flat(ix, iy, iz, shape):
    return (ix * shape[1] + iy) * shape[2] + iz


def test_lattice_indexing_at_edges_and_corners():
    geo, shape = _lattice_geometry()
    a = geo.compile()
    # on the inner edge x = 0 (between ix 1 and 2): the voxel entered
    assert kg.cross(a, 0.0, 0.5, 0.5, 1.0, 0.0, 0.0) == (0, _flat(2, 1, 1, shape))
    assert kg.cross(a, 0.0, 0.5, 0.5, -1.0, 0.0, 0.0) == (0, _flat(1, 1, 1, shape))
    # on the corner (x, y, z) = (1.5, 0, 1): all three axes decided by the direction
    s = 1 / np.sqrt(3)
    assert kg.cross(a, 1.5, 0.0, 1.0, s, s, s) == (0, _flat(3, 1, 2, shape))
    assert kg.cross(a, 1.5, 0.0, 1.0, -s, -s, -s) == (0, _flat(2, 0, 1, shape))
    # outer corner of the lattice: entering -> corner voxel, leaving -> the world
    assert kg.cross(a, -2.0, -1.0, 0.0, s, s, s) == (0, _flat(0, 0, 0, shape))
    assert kg.cross(a, 2.0, 1.0, 3.0, s, s, s) == (1, -1)
    assert kg.cross(a, 2.0, 1.0, 3.0, -s, -s, -s) == (0, _flat(3, 1, 2, shape))
    # distance to leave a voxel, media of voxels, majorant
    assert kg.distance_to_boundary(a, 0, 0.0, 0.5, 0.5, 1.0, 0.0, 0.0) == pytest.approx(1.5)
    assert kg.distance_to_boundary(a, 0, 0.0, 0.5, 0.5, -1.0, 0.0, 0.0) == pytest.approx(0.5)
    v = _flat(3, 1, 2, shape)
    assert kg.medium(a, 0, v) == (geo.materials.index(("water", "lung")[v % 2]), pytest.approx(1.0 + v / 10))
    assert kg.majorant(a) == pytest.approx(1.0 + (np.prod(shape) - 1) / 10)


def test_trace_through_lattice_matches_siddon():
    """Per-voxel path lengths equal an independent parametric (Siddon 1985) computation."""
    geo, shape = _lattice_geometry()
    a = geo.compile()
    rng = np.random.default_rng(5)
    n = 256
    L, C, V, D = np.zeros(n), np.zeros(n, np.int32), np.zeros(n, np.int32), np.zeros(n)
    edges = [a.lat_x, a.lat_y, a.lat_z]
    for p, u in zip(rng.uniform(-2.5, 2.5, size=(200, 3)) + [0, 0, 1.5], _directions(rng, 200)):
        k = kg.trace_ray(a, *p, *u, 50.0, L, C, V, D)
        assert k > 0
        got = {}
        for j in range(k):
            if V[j] >= 0:
                got[V[j]] = got.get(V[j], 0.0) + L[j]
        alphas = sorted({0.0, 50.0} | {(e - p[i]) / u[i] for i in range(3) for e in edges[i]
                                       if u[i] != 0 and 0 < (e - p[i]) / u[i] < 50})
        want = {}
        for t0, t1 in zip(alphas[:-1], alphas[1:]):
            m = p + 0.5 * (t0 + t1) * u
            idx = [np.searchsorted(edges[i], m[i]) - 1 for i in range(3)]
            if all(0 <= idx[i] < shape[i] for i in range(3)):
                f = _flat(*idx, shape)
                want[f] = want.get(f, 0.0) + t1 - t0
        assert got.keys() == want.keys()
        for f in want:
            assert got[f] == pytest.approx(want[f], abs=TOL)


def test_trace_ray_full_arrays_returns_negative():
    geo, _ = _lattice_geometry()
    L, C, V, D = np.zeros(2), np.zeros(2, np.int32), np.zeros(2, np.int32), np.zeros(2)
    assert kg.trace_ray(geo.compile(), 0.1, 0.1, -0.5, 0.0, 0.0, 1.0, 10.0, L, C, V, D) == -2


# ---- build-time validation ---------------------------------------------------------------------

def test_overlapping_cells_are_named():
    cells = [Cell("water", box(-5, 5, -5, 5, 0, 10), "water", 1.0),
             Cell("lead disk", (-cylinder(2.0), +zplane(9.5), -zplane(10.5)), "lead", 11.35)]
    with pytest.raises(InputError, match="cells 'water' and 'lead disk' overlap"):
        Geometry(cells, WORLD)


def test_gap_inside_the_phantom_is_named():
    cells = [Cell("top", box(-5, 5, -5, 5, 0, 1), "water", 1.0), Cell("bottom", box(-5, 5, -5, 5, 1.2, 3), "lead", 11.35)]
    with pytest.raises(InputError, match="gap inside the phantom.*'top'|gap inside the phantom.*'bottom'"):
        Geometry(cells, WORLD, envelope=[[-5, 5], [-5, 5], [0, 3]])


def test_cell_without_material():
    with pytest.raises(InputError, match="cell 'mystery' has no material"):
        Geometry([Cell("mystery", box(-1, 1, -1, 1, 0, 1))], WORLD)


def test_lattice_that_does_not_fit_its_cell():
    lat = Lattice(np.linspace(-1, 1, 3), np.linspace(-1, 1, 3), np.linspace(0, 2, 3),
                  np.zeros((2, 2, 2), int), np.ones((2, 2, 2)), ("water",))
    with pytest.raises(InputError, match="lattice of cell 'ct' spans .* but the cell spans"):
        Geometry([Cell("ct", box(-1, 1, -1, 1, 0, 2.5), lattice=lat)], WORLD)
    with pytest.raises(InputError, match="must be a box of 6 axis planes"):
        Geometry([Cell("ct", (*box(-1, 1, -1, 1, 0, 2), -sphere((0, 0, 0), 5)), lattice=lat)], WORLD)


def test_unbounded_and_outside_cells():
    with pytest.raises(InputError, match="cell 'tube' is unbounded"):
        Geometry([Cell("tube", (-cylinder(1.0),), "water", 1.0)], WORLD)
    with pytest.raises(InputError, match="cell 'big' .* extends beyond the world"):
        Geometry([Cell("big", box(-40, 40, -1, 1, 0, 1), "water", 1.0)], WORLD)


def test_source_outside_the_world():
    geo = Geometry([Cell("b", box(-1, 1, -1, 1, 0, 1), "water", 1.0)], [[-2, 2], [-2, 2], [-1, 3]])
    geo.check_source_point(0.0, 0.0, -1.0, "source.position")
    with pytest.raises(InputError, match=r"source.position: \(0, 0, -5\) cm is outside the world"):
        geo.check_source_point(0.0, 0.0, -5.0, "source.position")


def test_compiled_arrays_follow_the_contract():
    geo = Geometry([Cell("b", (*box(-1, 1, -1, 1, 0, 1), +xplane(-1.0)), "water", 1.0)], WORLD,
                   world_material="air", world_density=1.2e-3)
    a = geo.compile()
    assert isinstance(a, kg.GeometryArrays)
    assert a.cell_start.dtype == np.int32 and a.cell_material.dtype == np.int32 and a.surf_type.dtype == np.int32
    assert a.surf_type.shape[0] == 6                                     # the repeated plane is shared
    assert list(a.cell_material) == [geo.materials.index("water"), geo.materials.index("air")]
    assert a.cell_density[-1] == pytest.approx(1.2e-3) and a.lat_cell[0] == -1
