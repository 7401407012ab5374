"""Scenes: a phantom plus [[parts]] painted over it in order.

References are independent of the cells the painter makes: analytic chords of a bevelled
tube (closed-form roots), membership of each solid from its definition in its own frame
(numpy), the volume of the world; the run checks energy conservation. Tolerance 1e-9 cm on
path lengths, as in test_geometry (float64 on coordinates <= ~100 cm).
"""
import math
import re
import textwrap

import numpy as np
import pytest

import mcdose
from mcdose.config import load_config, tomllib, validate
from mcdose.errors import InputError
from mcdose.geometry.scene import frame
from mcdose.kernels import geometry as kg
from mcdose.kernels._jit import jit
from mcdose.phantoms import build, from_spec

TOL = 1e-9          # cm
BEVEL = [{"point": [0.0, 0.0, 0.0], "normal": [0.0, math.sin(math.radians(30)), math.cos(math.radians(30))]}]
APPLICATOR = """
[run]
histories = 300
batches = 3

[source]
type = "point"
particle = "photon"
energy = 0.1
position = [0.0, 0.0, -60.0]
direction = [0.0, 0.0, 1.0]
half_angle = 6.0

[phantom]
type = "cylinder"
material = "water"
radius = 15.0
length = 20.0
world_margin = 31.0

[scoring]
mesh = "cylindrical"
r_edges = [0.0, 2.0, 5.0, 15.0]
z = { min = 0.0, max = 20.0, step = 2.0 }

[[parts]]
shape = "cylinder"
material = "air"
radius = 5.0
z = [-30.0, 0.0]

[[parts]]
shape = "tube"
name = "applicator"
material = "pmma"
inner_radius = 5.0
outer_radius = 5.5
z = [-30.0, 0.0]
"""


def _phantom():
    return {"type": "box", "material": "water", "size": [20.0, 20.0, 16.0], "world_margin": 4.0}


def _every_shape():
    """One part of each shape, tilted and clipped, over a water box; a vacuum part last."""
    tilt = [0.3, -0.4, 1.0]
    return [
        {"shape": "box", "material": "pmma", "size": [6.0, 4.0, 3.0], "center": [-4.0, 3.0, 4.0], "axis": tilt},
        {"shape": "cylinder", "material": "copper", "radius": 2.0, "z": [-2.0, 3.0], "center": [3.0, -3.0, 6.0],
         "axis": [1.0, 0.0, 0.2], "clip": [{"point": [3.0, -3.0, 6.5], "normal": BEVEL[0]["normal"]}]},
        {"shape": "tube", "material": "air", "inner_radius": 1.0, "outer_radius": 1.6, "z": [-12.0, 2.0],
         "center": [0.0, 0.0, 2.0], "clip": [{"point": [0.0, 0.0, 2.0], "normal": BEVEL[0]["normal"]}]},
        {"shape": "sphere", "material": "cortical_bone", "radius": 2.5, "center": [-3.0, -4.0, 10.0]},
        {"shape": "shell", "material": "aluminium", "inner_radius": 1.5, "outer_radius": 2.0, "center": [4.0, 4.0, 12.0],
         "clip": [{"point": [4.0, 4.0, 12.5], "normal": [0.0, 0.0, 1.0]}]},
        {"shape": "cone", "material": "lead", "radii": [0.0, 2.0], "z": [0.0, 5.0], "center": [0.0, 5.0, 1.0],
         "axis": tilt},
        {"shape": "cone", "material": "pmma", "radii": [1.5, 0.5], "z": [-1.0, 2.0], "center": [-6.0, -6.0, -3.0]},
        {"shape": "sphere", "material": "vacuum", "radius": 1.2, "center": [-3.0, -4.0, 9.0]},
    ]


def _scene(parts, phantom=None):
    spec = validate({"source": {"type": "point", "particle": "photon", "energy": 0.1, "position": [0.0, 0.0, 1.0]},
                     "phantom": phantom or _phantom(),
                     "scoring": {"mesh": "cartesian", "x": [-1.0, 1.0], "y": [-1.0, 1.0], "z": [0.0, 1.0]},
                     "parts": parts})
    return spec, from_spec(spec)


# ---- independent membership of each solid ------------------------------------------------------

def _local(part, p):
    """Coordinates of points p (n, 3) in the part's frame (the documented convention for boxes)."""
    axis = np.asarray(part.get("axis", (0.0, 0.0, 1.0)), float)
    return (p - np.asarray(part.get("center", (0.0, 0.0, 0.0)), float)) @ frame(axis / np.linalg.norm(axis)).T


def _inside(part, p):
    q = _local(part, p)
    r = np.hypot(q[:, 0], q[:, 1])
    rho = np.linalg.norm(q, axis=1)
    shape = part["shape"]
    if shape == "box":
        inside = np.all(np.abs(q) < np.asarray(part["size"]) / 2, axis=1)
    elif shape in ("sphere", "shell"):
        inside = rho < part.get("radius", part.get("outer_radius"))
        inside &= rho > part.get("inner_radius", 0.0)
    else:
        z0, z1 = part["z"]
        inside = (q[:, 2] > z0) & (q[:, 2] < z1)
        if shape == "cone":
            (r0, r1) = part["radii"]
            inside &= r < r0 + (r1 - r0) * (q[:, 2] - z0) / (z1 - z0)
        else:
            inside &= (r < part.get("radius", part.get("outer_radius"))) & (r > part.get("inner_radius", 0.0))
    for cut in part.get("clip", ()):
        inside &= (p - np.asarray(cut["point"])) @ np.asarray(cut["normal"]) < 0
    return inside


def _locate_all(arrays, points):
    n = len(points)
    count, cell, voxel = np.zeros(n, np.int32), np.zeros(n, np.int32), np.zeros(n, np.int32)
    kg.classify_points(arrays, np.ascontiguousarray(points), count, cell, voxel)
    return count, cell


def test_painters_rule_matches_direct_evaluation():
    """At 200 000 random points: the cell found is the last part holding the point, else the phantom's
    (same material as the phantom alone there); no point lies in two cells."""
    parts = _every_shape()
    spec, geo = _scene(parts)
    phantom = build(spec.phantom)
    rng = np.random.default_rng(3)
    w = geo.world
    p = w[:, 0] + (w[:, 1] - w[:, 0]) * rng.random((200_000, 3))
    want = np.full(len(p), -1)
    for i, part in enumerate(parts):
        want[_inside(part, p)] = i
    count, cell = _locate_all(geo.compile(), p)
    assert count.max() == 1
    names = [c.name for c in geo.cells] + ["(world)"]
    index = [int(m.group(1)) if (m := re.match(r"parts\[(\d+)\]", n)) else -1 for n in names]  # pieces too
    got = np.asarray(index)[cell]
    assert np.array_equal(got, want), f"{np.sum(got != want)} points disagree"
    _, base = _locate_all(phantom.compile(), p)
    mats = np.append(phantom.compile().cell_material, -1)
    scene_mats = np.append(geo.compile().cell_material, -1)
    under = want < 0
    assert np.array_equal([geo.materials[m] if m >= 0 else "vacuum" for m in scene_mats[cell[under]]],
                          [phantom.materials[m] if m >= 0 else "vacuum" for m in mats[base[under]]])
    assert len(geo.cells) > 12


def test_parts_outside_the_phantom_grow_the_world():
    _, geo = _scene([{"shape": "sphere", "material": "lead", "radius": 1.0, "center": [0.0, 0.0, -40.0]}])
    assert geo.world[2, 0] == pytest.approx(-41.0 - 4.0)        # the sphere's box grown by world_margin
    assert geo.world[0].tolist() == pytest.approx([-14.0, 14.0])


# ---- the bevelled tube against analytic chords ------------------------------------------------------

def _cyl_interval(p, u, r):
    """(t_in, t_out) of the infinite z cylinder of radius r along p + t u, or None."""
    a = u[0] ** 2 + u[1] ** 2
    b = 2 * (p[0] * u[0] + p[1] * u[1])
    c = p[0] ** 2 + p[1] ** 2 - r * r
    if a == 0:
        return (-np.inf, np.inf) if c < 0 else None
    disc = b * b - 4 * a * c
    if disc <= 0:
        return None
    return (-b - math.sqrt(disc)) / (2 * a), (-b + math.sqrt(disc)) / (2 * a)


def _half_line(p, u, n, d):
    """t range where n.(p + t u) < d."""
    a, b = n @ u, d - n @ p
    if a == 0:
        return (-np.inf, np.inf) if b > 0 else (0.0, 0.0)
    return (-np.inf, b / a) if a > 0 else (b / a, np.inf)


def _tube_chord(p, u, length, inner, outer, z0, z1, n):
    """Length of the ray [0, length] inside inner < r < outer, z0 < z < z1, n.x < 0 (analytic)."""
    out = _cyl_interval(p, u, outer)
    if out is None:
        return 0.0
    ez = np.array([0.0, 0.0, 1.0])
    lo, hi = max(out[0], 0.0), min(out[1], length)
    for rng_ in (_half_line(p, u, ez, z1), _half_line(p, u, -ez, -z0), _half_line(p, u, n, 0.0)):
        lo, hi = max(lo, rng_[0]), min(hi, rng_[1])
    if hi <= lo:
        return 0.0
    hole = _cyl_interval(p, u, inner)
    cut = 0.0 if hole is None else max(0.0, min(hi, hole[1]) - max(lo, hole[0]))
    return hi - lo - cut


def test_bevelled_tube_chords_are_analytic():
    """2000 random lines through a tube (inner 5, outer 5.5, z in [-30, 0]) bevelled at 30 degrees over a
    water cylinder (the phantom): the tube's segment lengths equal the analytic chords, and the
    water's segments the cylinder chord below z = 0 (the tube does not reach it)."""
    parts = [{"shape": "tube", "material": "pmma", "inner_radius": 5.0, "outer_radius": 5.5, "z": [-30.0, 0.0],
              "clip": BEVEL, "name": "bevel"}]
    _, geo = _scene(parts, {"type": "cylinder", "material": "water", "radius": 15.0, "length": 20.0,
                            "world_margin": 30.0})
    a = geo.compile()
    tube, water = ([c.name for c in geo.cells].index(n) for n in ("bevel", "water"))
    n = np.asarray(BEVEL[0]["normal"])
    rng = np.random.default_rng(11)
    seg_len, seg_density = np.zeros(512), np.zeros(512)
    seg_cell, seg_voxel = np.zeros(512, np.int32), np.zeros(512, np.int32)
    checked = 0
    for _ in range(2000):
        q = np.array([0.0, 0.0, -3.0]) + rng.uniform(-7.0, 7.0, 3) * [1.0, 1.0, 3.0]
        u = rng.normal(size=3)
        if rng.random() < 0.3:
            u[2] *= 0.05                                            # nearly across the axis: long wall chords
        u /= np.linalg.norm(u)
        p = q - 30.0 * u
        k = kg.trace_ray(a, *p, *u, 60.0, seg_len, seg_cell, seg_voxel, seg_density)
        assert k > 0
        got = seg_len[:k][seg_cell[:k] == tube].sum()
        want = _tube_chord(p, u, 60.0, 5.0, 5.5, -30.0, 0.0, n)
        assert got == pytest.approx(want, abs=TOL)
        w_in = _cyl_interval(p, u, 15.0)
        want_w = 0.0
        if w_in is not None:
            lo, hi = max(w_in[0], 0.0), min(w_in[1], 60.0)
            for r in (_half_line(p, u, np.array([0.0, 0.0, -1.0]), 0.0),
                      _half_line(p, u, np.array([0.0, 0.0, 1.0]), 20.0)):
                lo, hi = max(lo, r[0]), min(hi, r[1])
            want_w = max(hi - lo, 0.0)
        assert seg_len[:k][seg_cell[:k] == water].sum() == pytest.approx(want_w, abs=TOL)
        checked += want > 0
    assert checked > 300


# ---- random rays: none stuck, lost or leaked ---------------------------------------------------------

MAX_STEPS = 10_000


@jit(refcount=True)
def _near_surface(geo, x, y, z):
    """Within 10 EPS of a surface, where the side is the tolerance rule's choice (a graze)."""
    for s in range(geo.surf_type.shape[0]):
        if abs(kg.surface_quadratic(geo.surf_type, geo.surf_par, s, x, y, z, 0.0, 0.0, 0.0)[3]) < 10 * kg.EPS:
            return True
    return False


@jit(refcount=True)
def _walk(geo, starts, dirs, status):
    """Step boundary to boundary until the ray leaves the world. status: 0 ok, 1 stuck (no positive
    step, or more than MAX_STEPS), 2 lost (the path length differs from the world exit), 3 leak (a
    segment's midpoint, clear of every surface, is located in another cell)."""
    wb = geo.world
    for i in range(starts.shape[0]):
        x, y, z = starts[i, 0], starts[i, 1], starts[i, 2]
        u, v, w = dirs[i, 0], dirs[i, 1], dirs[i, 2]
        t_end = np.inf
        for ax, (q, d) in enumerate(((x, u), (y, v), (z, w))):
            if d != 0.0:
                t_end = min(t_end, ((wb[2 * ax + 1] if d > 0 else wb[2 * ax]) - q) / d)
        cell, _ = kg.cross(geo, x, y, z, u, v, w)
        t = 0.0
        steps = 0
        while cell >= 0:
            steps += 1
            d = kg.distance_to_boundary(geo, cell, x + t * u, y + t * v, z + t * w, u, v, w)
            if not d > 0.0 or steps > MAX_STEPS:
                status[i] = 1
                break
            m = t + 0.5 * d
            if (d > 1e-8 and not _near_surface(geo, x + m * u, y + m * v, z + m * w)
                    and kg.locate(geo, x + m * u, y + m * v, z + m * w) != cell):
                status[i] = 3
                break
            t += d
            cell, _ = kg.cross(geo, x + t * u, y + t * v, z + t * w, u, v, w)
        if status[i] == 0 and abs(t - t_end) > 1e-9:
            status[i] = 2


def _rays(a, n, rng):
    """Starts uniform in the world (a third of them moved onto a random plane of the geometry);
    directions isotropic, a fifth along an axis."""
    world = a.world.reshape(3, 2)
    p = world[:, 0] + (world[:, 1] - world[:, 0]) * rng.random((n, 3))
    planes = a.surf_par[a.surf_type == kg.PLANE]
    on = rng.random(n) < 1 / 3
    pick = planes[rng.integers(0, len(planes), on.sum())]
    p[on] -= (np.sum(p[on] * pick[:, :3], axis=1) - pick[:, 3])[:, None] * pick[:, :3]
    p = np.clip(p, world[:, 0], world[:, 1])
    u = rng.normal(size=(n, 3))
    axis = rng.random(n) < 0.2
    u[axis] = 0.0
    u[axis, rng.integers(0, 3, axis.sum())] = rng.choice([-1.0, 1.0], axis.sum())
    return np.ascontiguousarray(p), np.ascontiguousarray(u / np.linalg.norm(u, axis=1)[:, None])


def _geometries(tmp_path):
    vox = tmp_path / "ids.npy"
    np.save(vox, np.random.default_rng(1).integers(0, 3, (10, 8, 12)))
    out = {f"{p['shape']} ({p['material']})": _scene([p])[1] for p in _every_shape()}
    out["every shape"] = _scene(_every_shape())[1]
    out["applicator"] = from_spec(validate(tomllib.loads(APPLICATOR)))
    out["bevelled applicator"] = _scene([{"shape": "cylinder", "material": "air", "radius": 5.0, "z": [-30.0, 0.0],
                                          "clip": BEVEL},
                                         {"shape": "tube", "material": "pmma", "inner_radius": 5.0, "outer_radius": 5.5,
                                          "z": [-30.0, 0.0], "clip": BEVEL}],
                                        {"type": "cylinder", "material": "water", "radius": 15.0, "length": 20.0})[1]
    out["voxels + parts beside"] = _scene([{"shape": "sphere", "material": "lead", "radius": 1.0,
                                            "center": [0.0, 0.0, -3.0]}],
                                          {"type": "voxels", "file": str(vox), "voxel_size": [0.5, 0.5, 0.5],
                                           "voxel_materials": "water, lung, cortical_bone"})[1]
    for name, p in {"water_box": {}, "slabs": {"size": [30.0, 20.0], "layers": [
            {"material": "water", "thickness": 1.5}, {"material": "lead", "thickness": 0.3}]},
            "breast_shield": {}, "spherical_cavity": {}, "cylinder": {"material": "water", "radius": 5.0, "length": 8.0}
            }.items():
        out[name] = build({"type": name, **p})
    return out


RAYS = 200_000      # per geometry: ~2 s each on one core (3.6 million rays in all)


def test_random_rays_are_never_stuck_lost_or_leaked(tmp_path):
    """200 000 rays through each geometry (every shape alone and together, the applicator scenes, a
    voxel phantom with a part beside it, the library phantoms)."""
    rng = np.random.default_rng(5)
    for name, geo in _geometries(tmp_path).items():
        a = geo.compile()
        p, u = _rays(a, RAYS, rng)
        status = np.zeros(RAYS, np.int8)
        _walk(a, p, u, status)
        counts = np.bincount(status, minlength=4)
        assert counts[1:].sum() == 0, f"{name}: stuck {counts[1]}, lost {counts[2]}, leaked {counts[3]}"


# ---- a run ----------------------------------------------------------------------------------------------

def test_applicator_scene_runs_and_conserves_energy(tmp_path):
    """The applicator (air-filled PMMA tube, 10 cm diameter, 0.5 cm wall, 30 cm) on a water cylinder, built
    from TOML parts alone, a point source 30 cm above the tube entrance: energy is conserved, nothing lost."""
    path = tmp_path / "applicator.toml"
    path.write_text(textwrap.dedent(APPLICATOR))
    spec = load_config(path)
    geo = from_spec(spec)
    assert {"water", "air", "pmma"} <= set(geo.materials)
    result = mcdose.run(path)
    m = result.metadata
    emitted = m["energy_emitted_MeV_per_particle"]
    assert emitted == pytest.approx(0.1)
    assert m["lost_particles"] == 0 and m["energy_lost_MeV_per_particle"] == 0.0
    assert (m["energy_deposited_MeV_per_particle"] + m["energy_escaped_MeV_per_particle"]
            == pytest.approx(emitted, rel=1e-9))                    # fixed-point scores (kernels/tally.py)
    assert m["energy_deposited_MeV_per_particle"] > 0.0 and result.energy_deposited.sum() > 0.0


# ---- refusals ----------------------------------------------------------------------------------------------

def test_a_part_may_not_cut_a_voxel_lattice(tmp_path):
    vox = tmp_path / "ids.npy"
    np.save(vox, np.zeros((4, 4, 4), np.int16))
    with pytest.raises(InputError, match=r"parts\[0\] .* meets the voxel lattice of cell .* a lattice cannot be cut"):
        _scene([{"shape": "sphere", "material": "lead", "radius": 0.5, "center": [0.0, 0.0, 1.0]}],
               {"type": "voxels", "file": str(vox), "voxel_size": [1.0, 1.0, 1.0], "voxel_materials": "water"})


def test_a_part_name_must_be_new():
    with pytest.raises(InputError, match="water: this name is taken by a cell of the scene"):
        _scene([{"shape": "sphere", "material": "lead", "radius": 0.5, "center": [0.0, 0.0, 1.0], "name": "water"}],
               {"type": "cylinder", "material": "water", "radius": 5.0, "length": 8.0})


@pytest.mark.parametrize("part, message", [
    ({"shape": "pyramid", "material": "pmma"}, r"parts\[1\]\.shape: 'pyramid' is not allowed: must be one of 'box'"),
    ({"material": "pmma", "radius": 1.0}, r"parts\[1\]\.shape: missing"),
    ({"shape": "sphere", "radius": 1.0}, r"parts\[1\]\.material: missing"),
    ({"shape": "sphere", "material": "unobtainium", "radius": 1.0}, r"parts\[1\]\.material: unknown material"),
    ({"shape": "sphere", "material": "pmma", "radius": 0.0}, r"parts\[1\]\.radius: 0\.0 is not allowed: cm, must be > 0"),
    ({"shape": "sphere", "material": "pmma"}, r"parts\[1\]\.radius: missing"),
    ({"shape": "sphere", "material": "pmma", "radius": 1.0, "z": [0, 1]}, r"parts\[1\]\.z: not used with shape"),
    ({"shape": "tube", "material": "pmma", "inner_radius": 5.0, "outer_radius": 4.0, "z": [0, 1]},
     r"parts\[1\]\.outer_radius: 4 is not allowed: cm, must be > inner_radius 5"),
    ({"shape": "shell", "material": "pmma", "inner_radius": 2.0, "outer_radius": 2.0},
     r"parts\[1\]\.outer_radius: 2 is not allowed"),
    ({"shape": "cylinder", "material": "pmma", "radius": 1.0, "z": [1.0, 0.0]},
     r"parts\[1\]\.z: \[1\.0, 0\.0\] is not allowed: cm, must be \[z_start, z_end\] with z_end > z_start"),
    ({"shape": "cylinder", "material": "pmma", "radius": 1.0, "z": [0.0, 1.0, 2.0]},
     r"parts\[1\]\.z: .* must be an array of 2 numbers"),
    ({"shape": "cone", "material": "pmma", "radii": [0.0, 0.0], "z": [0.0, 1.0]}, r"parts\[1\]\.radii: .* at most one may be 0"),
    ({"shape": "cone", "material": "pmma", "radii": [-1.0, 1.0], "z": [0.0, 1.0]},
     r"parts\[1\]\.radii\[0\]: -1\.0 is not allowed: cm, must be >= 0"),
    ({"shape": "box", "material": "pmma", "size": [1.0, 1.0, 1.0], "axis": [0, 0, 0]},
     r"parts\[1\]\.axis: .* must not be all 0"),
    ({"shape": "box", "material": "pmma", "size": [1.0, 1.0]}, r"parts\[1\]\.size: .* must be an array of 3 numbers"),
    ({"shape": "box", "material": "pmma", "size": [1.0, 1.0, 1.0], "colour": "red"}, r"parts\[1\]\.colour: unknown key"),
    ({"shape": "sphere", "material": "pmma", "radius": 1.0, "clip": [{"point": [0, 0, 0]}]},
     r"parts\[1\]\.clip\[0\]: .* must be \{ point = \[x, y, z\], normal = \[nx, ny, nz\] \}"),
    ({"shape": "sphere", "material": "pmma", "radius": 1.0, "clip": [{"point": [0, 0, 0], "normal": [0, 0, 0]}]},
     r"parts\[1\]\.clip\[0\]\.normal: .* must not be all 0"),
    ({"shape": "sphere", "material": "vacuum", "radius": 1.0, "density": 1.0},
     r"parts\[1\]\.density: not used with material = 'vacuum'"),
    ({"shape": "sphere", "material": "pmma", "radius": 1.0, "density": 40.0},
     r"parts\[1\]\.density: 40\.0 is not allowed: g/cm3, must be > 0 and <= 30"),    ({"shape": "sphere", "material": "pmma", "radius": 1.0, "max_step": 0.0},
     r"parts\[1\]\.max_step: 0\.0 is not allowed: cm, must be > 0"),
])
def test_bad_parts_are_refused(part, message):
    with pytest.raises(InputError, match=message):
        _scene([{"shape": "sphere", "material": "air", "radius": 1.0}, part])


def test_each_part_caps_its_steps_and_the_world_is_the_last_region():
    """A part's step cap is its max_step, else a tenth of its thinnest bounding-box extent (cm); the kernels'
    regions are the phantom, each part and then the world (the arrays are compiled after the parts are known)."""
    foil = {"shape": "cylinder", "material": "aluminium", "radius": 2.0, "z": [-5.0, -4.92]}
    ring = {"shape": "tube", "material": "pmma", "inner_radius": 1.0, "outer_radius": 1.5, "z": [-4.0, 0.0],
            "max_step": 0.05}
    _, geo = _scene([foil, ring])
    arrays = geo.compile()
    assert geo.regions == ("phantom", "parts[0]", "parts[1]", "world")
    np.testing.assert_allclose(arrays.region_params, [np.inf, 0.008, 0.05, np.inf, 1.0, 1.0, 1.0, 1.0], rtol=1e-12)
    assert arrays.cell_region[-1] == 3
    assert set(arrays.cell_region[:-1]) == {0, 1, 2}


def test_parts_are_refused_as_a_table():
    with pytest.raises(InputError, match=r"parts: must be an array of tables \[\[parts\]\]"):
        _scene({"shape": "sphere"})


def test_clip_that_leaves_nothing_is_refused():
    with pytest.raises(InputError, match=r"parts\[0\]: the solid is empty"):
        _scene([{"shape": "sphere", "material": "pmma", "radius": 1.0, "center": [0.0, 0.0, 5.0],
                 "clip": [{"point": [0.0, 0.0, 3.0], "normal": [0.0, 0.0, 1.0]}]}])


def test_resolved_configuration_round_trips_parts():
    spec = load_config(tomllib.loads(APPLICATOR) | {"parts": _every_shape()})
    again = load_config(tomllib.loads(spec.text))
    assert again.to_dict() == spec.to_dict() and len(again.parts) == len(_every_shape())
    assert spec.parts[2].axis == (0.0, 0.0, 1.0) and spec.parts[2].clip[0]["normal"][1] == pytest.approx(0.5)
    assert spec.text.count("[[parts]]") == len(_every_shape())


def test_geometry_plot_shows_parts(tmp_path):
    """The x-z slice through the applicator scene holds air and PMMA above the water; the figure is written."""
    from mcdose.plotting import material_colours, material_slice, plot_geometry
    spec = validate(tomllib.loads(APPLICATOR))
    geo = from_spec(spec)
    names, _ = material_colours(geo)
    x, z = np.linspace(-8.0, 8.0, 321), np.linspace(-29.0, 10.0, 79)
    code = material_slice(geo.compile(), (0, 2), 1, 0.0, x, z, len(names))
    above = code[z < 0]
    assert {names.index("air"), names.index("pmma")} <= set(np.unique(above))
    assert set(np.unique(code[z > 0])) == {names.index("water")}
    assert plot_geometry(spec, tmp_path / "scene.png").stat().st_size > 0


# --- parts a source family adds (issue 14: a family may add parts to the scene) ---------------------

def _with_applicator(monkeypatch, material="pmma"):
    """The point family, plus an applicator tube it adds to the scene (as a machine family will)."""
    from types import SimpleNamespace

    from mcdose.sources import FAMILIES, point, registry
    tube = {"shape": "tube", "material": material, "inner_radius": 1.0, "outer_radius": 1.5, "z": [-5.0, 0.0]}
    family = SimpleNamespace(**{k: getattr(point, k) for k in ("FIELDS", "arrays", "check", "check_world")},
                             parts=lambda section: [tube])
    monkeypatch.setitem(registry.FAMILIES, "point", family)
    assert FAMILIES["point"] is family


FAMILY_SCENE = {
    "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0.0, 0.0, -8.0]},
    "phantom": {"type": "box", "material": "water", "size": [10.0, 10.0, 5.0], "world_margin": 6.0},
    "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0], "z_edges": [0.0, 1.0]},
    "parts": [{"shape": "cylinder", "material": "copper", "radius": 1.25, "z": [-1.0, 0.0]}],
}


def test_a_family_s_parts_come_first_and_are_not_written_back(monkeypatch):
    _with_applicator(monkeypatch)
    spec = validate(FAMILY_SCENE)
    assert [p["material"] for p in spec.scene_parts] == ["pmma", "copper"]
    again = validate(tomllib.loads(spec.text))            # the family adds its tube again, once
    assert spec.text.count("[[parts]]") == 1 and again.text == spec.text
    assert [p["material"] for p in again.scene_parts] == ["pmma", "copper"]
    geo = from_spec(spec)
    arrays = geo.compile()

    def material_at(x, z):
        cell = kg.locate(arrays, x, 0.0, z)
        return geo.materials[arrays.cell_material[cell]] if cell < len(geo.cells) else "world"
    assert material_at(1.3, -3.0) == "pmma"               # the family's tube wall
    assert material_at(1.2, -0.5) == "copper"             # the user's part paints over the wall
    assert material_at(1.4, -0.5) == "pmma"               # outside the copper disk: the tube again
    assert material_at(0.5, -3.0) == "world" and material_at(0.5, 1.0) == "water"


def test_a_family_s_bad_part_is_named_as_such(monkeypatch):
    _with_applicator(monkeypatch, material="unobtainium")
    with pytest.raises(InputError, match=r"^source parts\[0\]\.material"):
        validate(FAMILY_SCENE)
