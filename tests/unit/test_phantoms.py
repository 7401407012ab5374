"""The phantom library: path lengths along random rays against analytic chords
(1e-9 cm), robustness of navigation on boundaries, parameter errors.

Tolerance: 1e-9 cm, as in test_geometry (float64 on coordinates <= ~40 cm).
"""
import h5py
import numba
import numpy as np
import pytest

from mcdose.cli import main
from mcdose.config import validate
from mcdose.errors import InputError
from mcdose.kernels import geometry as kg
from mcdose.kernels._jit import jit
from mcdose.materials import get as material_data
from mcdose.phantoms import PHANTOMS, build, check_source, from_spec

TOL = 1e-9  # cm
LAYERS = [{"material": "water", "thickness": 1.5}, {"material": "lead", "thickness": 0.3},
          {"material": "water", "thickness": 10.0}]


@pytest.fixture(scope="module")
def voxel_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("vox") / "ids.npy"
    np.save(path, np.random.default_rng(1).integers(0, 3, (20, 16, 30)))
    return path


def _specs(voxel_file):
    return {
        "water_box": {"type": "water_box", "size": [30.0, 30.0, 20.0]},
        "slabs": {"type": "slabs", "size": [30.0, 20.0], "layers": LAYERS, "world": "air"},
        "breast_shield": {"type": "breast_shield", "size": [20.0, 20.0, 8.0], "tissue_thickness": 1.5,
                          "shield_layers": [{"material": "aluminium", "thickness": 0.2},
                                            {"material": "lead", "thickness": 0.4}], "shield_diameter": 7.0},
        "spherical_cavity": {"type": "spherical_cavity", "size": [12.0, 12.0, 12.0], "applicator_diameter": 4.0,
                             "wall": 0.25, "applicator_center": [0.5, 0.0, 5.0]},
        "voxels": {"type": "voxels", "file": str(voxel_file), "voxel_size": [0.5, 0.7, 0.4],
                   "voxel_materials": "water, lung, cortical_bone", "world": "air"},
    }


# ---- analytic intervals along a ray p + t u ---------------------------------------------------

def _box(p, u, lo, hi):
    t0, t1 = -np.inf, np.inf
    for i in range(3):
        if u[i] == 0:
            if not lo[i] < p[i] < hi[i]:
                return 0.0, 0.0
            continue
        a, b = (lo[i] - p[i]) / u[i], (hi[i] - p[i]) / u[i]
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
    return t0, t1


def _sphere(p, u, c, r):
    d = p - c
    b, disc = d @ u, (d @ u) ** 2 - (d @ d - r * r)
    return (-b - np.sqrt(disc), -b + np.sqrt(disc)) if disc > 0 else (0.0, 0.0)


def _zcyl(p, u, r):
    a, b, c = u[0] ** 2 + u[1] ** 2, p[0] * u[0] + p[1] * u[1], p[0] ** 2 + p[1] ** 2 - r * r
    if a == 0:
        return (-np.inf, np.inf) if c < 0 else (0.0, 0.0)
    disc = b * b - a * c
    return ((-b - np.sqrt(disc)) / a, (-b + np.sqrt(disc)) / a) if disc > 0 else (0.0, 0.0)


def _chord(t_end, *intervals):
    t0 = max([0.0] + [i[0] for i in intervals])
    t1 = min([t_end] + [i[1] for i in intervals])
    return max(0.0, t1 - t0)


def _analytic(name, geo, spec, p, u):
    """{material: path length} inside the phantom, from its parameters, independently of the geometry code
    (the cells are keyed by material: a library phantom built from parts splits its base into pieces)."""
    env = geo.envelope
    t_end = _chord(np.inf, _box(p, u, geo.world[:, 0], geo.world[:, 1]))
    slab = lambda z0, z1: _box(p, u, [env[0, 0], env[1, 0], z0], [env[0, 1], env[1, 1], z1])  # noqa: E731
    out = {}

    def add(material, length):
        out[material] = out.get(material, 0.0) + length

    if name in ("water_box", "voxels"):
        add(geo.cells[0].material or "lattice", _chord(t_end, slab(env[2, 0], env[2, 1])))
    elif name == "slabs":
        z = np.cumsum([0.0] + [layer["thickness"] for layer in spec["layers"]])
        for i, layer in enumerate(spec["layers"]):
            add(layer["material"], _chord(t_end, slab(z[i], z[i + 1])))
    elif name == "breast_shield":
        t = spec["tissue_thickness"]
        z = t + np.cumsum([0.0] + [layer["thickness"] for layer in spec["shield_layers"]])
        cyl = _zcyl(p, u, spec["shield_diameter"] / 2)
        add(spec.get("tissue_material", "breast"), _chord(t_end, slab(0, t)))
        for i, layer in enumerate(spec["shield_layers"]):
            add(layer["material"], _chord(t_end, cyl, slab(z[i], z[i + 1])))
        add(spec.get("backing_material", "water"),
            _chord(t_end, slab(t, env[2, 1])) - _chord(t_end, cyl, slab(t, z[-1])))
    else:
        c, r = np.array(spec["applicator_center"]), spec["applicator_diameter"] / 2
        inner, outer = _chord(t_end, _sphere(p, u, c, r - spec["wall"])), _chord(t_end, _sphere(p, u, c, r))
        add(spec.get("cavity_material", "air"), inner)
        add(spec.get("applicator_material", "polyetherimide"), outer - inner)
        add(spec.get("medium", "water"), _chord(t_end, slab(0, env[2, 1])) - outer)
    out["world"] = t_end - sum(out.values())
    return out


@pytest.mark.parametrize("name", ["water_box", "slabs", "breast_shield", "spherical_cavity", "voxels"])
def test_path_lengths_equal_analytic_chords(name, voxel_file):
    spec = _specs(voxel_file)[name]
    geo = build(spec)
    a = geo.compile()
    keys = [c.material or "lattice" for c in geo.cells] + ["world"]
    rng = np.random.default_rng(11)
    n = 4096
    L, C, V, D = np.zeros(n), np.zeros(n, np.int32), np.zeros(n, np.int32), np.zeros(n)
    starts = geo.world[:, 0] + (geo.world[:, 1] - geo.world[:, 0]) * rng.random((300, 3))
    dirs = rng.normal(size=(300, 3))
    for p, u in zip(starts, dirs / np.linalg.norm(dirs, axis=1)[:, None]):
        k = kg.trace_ray(a, *p, *u, 1e3, L, C, V, D)
        assert k > 0
        got = dict.fromkeys(keys, 0.0)
        for j in range(k):
            got[keys[C[j]]] += L[j]
            assert D[j] == pytest.approx(kg.medium(a, C[j], V[j])[1])
        want = _analytic(name, geo, spec, p, u)
        assert set(want) == set(got)
        for key in want:
            assert got[key] == pytest.approx(want[key], abs=TOL), key


# ---- the library phantoms built from parts: point location against the parameters -------------------

@jit(refcount=True)
def _locate_media(geo, points, material, density):
    for i in range(points.shape[0]):
        cell = kg.locate(geo, points[i, 0], points[i, 1], points[i, 2])
        material[i], density[i] = kg.medium(geo, cell, -1)


def _expected_media(name, spec, world, pts):
    """(material name, distance to the nearest boundary) per point, from the phantom's parameters alone."""
    size = np.array(spec["size"], dtype=float)
    lo, hi = np.array([-size[0] / 2, -size[1] / 2, 0.0]), np.array([size[0] / 2, size[1] / 2, size[2]])
    out = np.full(len(pts), spec.get("world", "vacuum"), dtype=object)
    inside = np.all((pts > lo) & (pts < hi), axis=1)
    gap = np.min(np.abs(np.concatenate([pts - lo, pts - hi], axis=1)), axis=1)
    if name == "breast_shield":
        t = spec["tissue_thickness"]
        z = t + np.cumsum([0.0] + [layer["thickness"] for layer in spec["shield_layers"]])
        r = np.hypot(pts[:, 0], pts[:, 1])
        out[inside] = spec.get("backing_material", "water")
        out[inside & (pts[:, 2] < t)] = spec.get("tissue_material", "breast")
        for i, layer in enumerate(spec["shield_layers"]):
            out[inside & (r < spec["shield_diameter"] / 2) & (pts[:, 2] > z[i]) & (pts[:, 2] < z[i + 1])] = layer["material"]
        gap = np.minimum(gap, np.min(np.abs(pts[:, 2:3] - z[None, :]), axis=1))
        gap = np.minimum(gap, np.where(pts[:, 2] > t, np.abs(r - spec["shield_diameter"] / 2), np.inf))
    else:
        d = np.linalg.norm(pts - np.array(spec["applicator_center"]), axis=1)
        r_out = spec["applicator_diameter"] / 2
        r_in = r_out - spec["wall"]
        out[inside] = spec.get("medium", "water")
        out[d < r_out] = spec.get("applicator_material", "polyetherimide")
        out[d < r_in] = spec.get("cavity_material", "air")
        gap = np.minimum(gap, np.minimum(np.abs(d - r_out), np.abs(d - r_in)))
    return out, gap


LIBRARY_SCENES = {
    "breast_shield default": ("breast_shield", {"size": [20.0, 20.0, 10.0], "tissue_thickness": 1.5,
                                                "shield_layers": [{"material": "pmma", "thickness": 0.7},
                                                                  {"material": "copper", "thickness": 0.25}],
                                                "shield_diameter": 6.0}),
    "breast_shield 3 layers in air": ("breast_shield", {
        "size": [12.0, 16.0, 6.0], "tissue_thickness": 0.8, "tissue_material": "adipose", "backing_material": "muscle",
        "shield_layers": [{"material": "aluminium", "thickness": 0.2}, {"material": "lead", "thickness": 0.4},
                          {"material": "pmma", "thickness": 0.5}], "shield_diameter": 12.0, "world": "air"}),
    "spherical_cavity default": ("spherical_cavity", {"size": [20.0, 20.0, 20.0], "applicator_diameter": 3.0,
                                                      "wall": 0.2, "applicator_center": [0.0, 0.0, 10.0]}),
    "spherical_cavity off-centre": ("spherical_cavity", {
        "size": [12.0, 12.0, 12.0], "applicator_diameter": 4.0, "wall": 0.25, "applicator_center": [0.5, -1.0, 5.0],
        "medium": "muscle", "applicator_material": "pmma", "cavity_material": "water", "world": "air"}),
}


@pytest.mark.parametrize("case", list(LIBRARY_SCENES))
def test_library_scene_locates_the_analytic_material_and_density(case):
    """breast_shield and spherical_cavity are a base box plus parts (mcdose.geometry.scene): at 400 000
    random points (half in the world, half around the disk or applicator) the kernels' point location
    gives the material and nominal density the phantom's parameters say (points within 1e-7 cm of a
    boundary skipped: none in practice)."""
    name, params = LIBRARY_SCENES[case]
    spec = {"type": name, **params}
    geo = build({"type": name} if case.endswith("default") else spec)     # the defaults: the type alone
    a = geo.compile()
    assert geo.parts
    rng = np.random.default_rng(17)
    n = 200_000
    if name == "breast_shield":
        t, r = params["tissue_thickness"], params["shield_diameter"] / 2
        disk = sum(layer["thickness"] for layer in params["shield_layers"])
        focus = np.array([[-r - 1, r + 1], [-r - 1, r + 1], [t - 1, t + disk + 1]])
    else:
        c, r = np.array(params["applicator_center"]), params["applicator_diameter"] / 2
        focus = np.stack([c - r - 0.5, c + r + 0.5], axis=1)
    pts = np.concatenate([geo.world[:, 0] + (geo.world[:, 1] - geo.world[:, 0]) * rng.random((n, 3)),
                          focus[:, 0] + (focus[:, 1] - focus[:, 0]) * rng.random((n, 3))])
    want, gap = _expected_media(name, spec, geo.world, pts)
    keep = gap > 1e-7
    assert keep.mean() > 0.9999
    mat, rho = np.zeros(len(pts), np.int32), np.zeros(len(pts))
    _locate_media(a, np.ascontiguousarray(pts), mat, rho)
    names = np.array(["vacuum"] + list(geo.materials), dtype=object)
    got = names[mat + 1]
    bad = keep & (got != want)
    assert not bad.any(), f"{bad.sum()} points differ, e.g. {pts[bad][:3].tolist()}: {got[bad][:3]} != {want[bad][:3]}"
    density = {m: 0.0 if m == "vacuum" else material_data(m).density for m in set(want)}
    np.testing.assert_array_equal(rho[keep], np.array([density[m] for m in want[keep]]))
    assert set(want[keep]) == set(geo.materials) | ({"vacuum"} if geo.world_material == "vacuum" else set())


def _composed(base_config, name):
    """The library phantom's defaults written by hand as a box phantom + [[parts]] (as a user would)."""
    if name == "breast_shield":
        z1, z2 = 1.5 + 0.7, 1.5 + 0.7 + 0.25      # the disk's planes, summed as the builder sums them
        phantom = {"type": "box", "material": "water", "size": [20.0, 20.0, 10.0]}
        parts = [{"name": "tissue: breast", "shape": "box", "material": "breast", "size": [20.0, 20.0, 1.5],
                  "center": [0.0, 0.0, 0.75]},
                 {"name": "shield 0: pmma", "shape": "cylinder", "material": "pmma", "radius": 3.0, "z": [1.5, z1]},
                 {"name": "shield 1: copper", "shape": "cylinder", "material": "copper", "radius": 3.0, "z": [z1, z2]}]
    else:
        phantom = {"type": "box", "material": "water", "size": [20.0, 20.0, 20.0]}
        parts = [{"name": "inside the applicator: air", "shape": "sphere", "material": "air", "radius": 1.5 - 0.2,
                  "center": [0.0, 0.0, 10.0]},
                 {"name": "applicator wall: polyetherimide", "shape": "shell", "material": "polyetherimide",
                  "inner_radius": 1.5 - 0.2, "outer_radius": 1.5, "center": [0.0, 0.0, 10.0]}]
    return from_spec(validate(dict(base_config, phantom=phantom, parts=parts)))


@pytest.mark.parametrize("name", ["breast_shield", "spherical_cavity"])
def test_library_phantom_is_a_box_plus_parts(name, base_config):
    """breast_shield and spherical_cavity (defaults) compile to the same kernel arrays, bit for bit, as a
    water box with the same solids given as [[parts]]: the library composes the way users do."""
    lib = from_spec(validate(dict(base_config, phantom={"type": name})))
    user = _composed(base_config, name)
    assert lib.parts == user.parts and lib.materials == user.materials
    assert [(c.material, c.density) for c in lib.cells] == [(c.material, c.density) for c in user.cells]
    a, b = lib.compile(), user.compile()
    for field in a._fields:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


# ---- robustness: rays started on surfaces, along axes and tangents -------------------------------

@jit(refcount=True)
def _clear_of_surfaces(geo, x, y, z):
    """False within 10 EPS of a surface, where which side a point lies on is a matter of the
    tolerance rule (e.g. the midpoint of a grazing chord, whose sagitta chord^2 / 8R can be < EPS)."""
    for s in range(geo.surf_type.shape[0]):
        if abs(kg.surface_quadratic(geo.surf_type, geo.surf_par, s, x, y, z, 0.0, 0.0, 0.0)[3]) < 10 * kg.EPS:
            return False
    return True


@jit(parallel=True, refcount=True)
def _check_rays(geo, starts, dirs, status, n_chunks):
    """status per ray: 0 ok, 1 incomplete (stuck or arrays full), 2 length != world exit, 3 leak (the
    midpoint of a segment longer than 1e-8 cm, clear of every surface, located in another region)."""
    n = starts.shape[0]
    for chunk in numba.prange(n_chunks):
        seg_len, seg_density = np.zeros(8192), np.zeros(8192)
        seg_cell, seg_voxel = np.zeros(8192, np.int32), np.zeros(8192, np.int32)
        for i in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            x, y, z = starts[i, 0], starts[i, 1], starts[i, 2]
            u, v, w = dirs[i, 0], dirs[i, 1], dirs[i, 2]
            k = kg.trace_ray(geo, x, y, z, u, v, w, 1e4, seg_len, seg_cell, seg_voxel, seg_density)
            if k < 0:
                status[i] = 1
                continue
            t_end = np.inf
            for ax, (q, d) in enumerate(((x, u), (y, v), (z, w))):
                if d != 0.0:
                    t_end = min(t_end, ((geo.world[2 * ax + 1] if d > 0 else geo.world[2 * ax]) - q) / d)
            total = 0.0
            for j in range(k):
                m = total + 0.5 * seg_len[j]
                if seg_len[j] > 1e-8 and _clear_of_surfaces(geo, x + m * u, y + m * v, z + m * w):
                    cell = kg.locate(geo, x + m * u, y + m * v, z + m * w)
                    vox = kg.voxel_index(geo, x + m * u, y + m * v, z + m * w, 0.0, 0.0, 0.0) if seg_voxel[j] >= 0 else -1
                    if cell != seg_cell[j] or vox != seg_voxel[j]:
                        status[i] = 3
                total += seg_len[j]
            if status[i] == 0 and abs(total - t_end) > 1e-9:
                status[i] = 2


def _hard_rays(a, n, rng):
    """Starts: a third anywhere, a third on a random surface, a third with coordinates snapped to planes
    or voxel edges; directions: isotropic, along an axis, or tangent to the surface."""
    world = a.world.reshape(3, 2)
    p = world[:, 0] + (world[:, 1] - world[:, 0]) * rng.random((n, 3))
    u = rng.normal(size=(n, 3))
    third = n // 3
    on = np.arange(third, 2 * third)
    normal = np.zeros((len(on), 3))
    s = rng.integers(0, len(a.surf_type), len(on))
    for j, (i, k) in enumerate(zip(on, s)):
        par = a.surf_par[k]
        if a.surf_type[k] == kg.PLANE:
            n_ = par[:3]
            p[i] -= (n_ @ p[i] - par[3]) * n_
        elif a.surf_type[k] == kg.SPHERE:
            d = p[i] - par[:3]
            p[i] = par[:3] + par[3] * d / np.linalg.norm(d)
            n_ = d
        else:                                       # cylinder (the library's are along z)
            d = p[i] - par[:3]
            d -= (d @ par[3:6]) * par[3:6]
            p[i] -= d
            p[i] += par[6] * d / np.linalg.norm(d)
            n_ = d
        normal[j] = n_ / np.linalg.norm(n_)
    tangent = rng.random(len(on)) < 0.3
    u[on[tangent]] -= np.sum(u[on[tangent]] * normal[tangent], axis=1)[:, None] * normal[tangent]
    special = [np.unique(np.concatenate([e, [0.0]])) for e in (a.lat_x, a.lat_y, a.lat_z)]
    planes = a.surf_par[a.surf_type == kg.PLANE]
    for ax in range(3):
        special[ax] = np.concatenate([special[ax], planes[np.abs(planes[:, ax]) == 1.0, 3] * planes[np.abs(planes[:, ax]) == 1.0, ax]])
        snap = np.arange(2 * third, n)[rng.random(n - 2 * third) < 0.6]
        p[snap, ax] = rng.choice(special[ax], len(snap))
    axis_dir = rng.random(n) < 0.3
    u[axis_dir] = 0.0
    u[axis_dir, rng.integers(0, 3, axis_dir.sum())] = rng.choice([-1.0, 1.0], axis_dir.sum())
    return np.ascontiguousarray(p), np.ascontiguousarray(u / np.linalg.norm(u, axis=1)[:, None])


def _robustness(voxel_file, n_rays):
    rng = np.random.default_rng(2024)
    for name, spec in _specs(voxel_file).items():
        a = build(spec).compile()
        done = 0
        while done < n_rays:
            m = min(1_000_000, n_rays - done)
            p, u = _hard_rays(a, m, rng)
            status = np.zeros(m, np.int8)
            _check_rays(a, p, u, status, 64)
            counts = np.bincount(status, minlength=4)
            assert counts[1:].sum() == 0, f"{name}: stuck/full {counts[1]}, lost length {counts[2]}, leaked {counts[3]}"
            done += m


def test_no_ray_stuck_lost_or_leaked_1e5(voxel_file):
    _robustness(voxel_file, 100_000)


@pytest.mark.slow
def test_no_ray_stuck_lost_or_leaked_1e7(voxel_file):
    _robustness(voxel_file, 10_000_000)


# ---- configuration, registry, parameter errors ---------------------------------------------------

def test_registry_documents_each_phantom():
    for name in ("water_box", "slabs", "breast_shield", "spherical_cavity", "voxels", "box"):
        entry = PHANTOMS[name]
        assert entry.doc
        assert ("size" in entry.params) == (name != "voxels")
    assert PHANTOMS["breast_shield"].params["shield_diameter"].unit == "cm"


def test_from_spec_and_source_checks(base_config):
    base_config["phantom"] = {"type": "breast_shield", "size": [20.0, 20.0, 8.0]}
    spec = validate(base_config)
    geo = from_spec(spec)
    assert geo.materials == ["water", "breast", "pmma", "copper"]      # the backing box first, then the parts
    assert geo.parts == ("tissue: breast", "shield 0: pmma", "shield 1: copper")
    bad = dict(base_config, source=dict(base_config["source"], z=-10.0))
    with pytest.raises(InputError, match="outside the world"):
        check_source(geo, validate(bad).source)
    point = dict(base_config, source={"type": "point", "particle": "photon", "energy": 0.03, "position": [0, 0, 4]},
                 phantom={"type": "spherical_cavity", "size": [10.0, 10.0, 10.0]})
    assert np.allclose(from_spec(validate(point)).center, [0, 0, 4])


JOB = """[source]
particle = "electron"
energy = 6.0
radius = 3.0

[phantom]
{phantom}

[scoring]
mesh = "cylindrical"
r = {{ min = 0.0, max = 5.0, step = 1.0 }}
z = {{ min = 0.0, max = 5.0, step = 1.0 }}
"""


@pytest.mark.parametrize("name, size", [("water_box", [30.0, 30.0, 30.0]), ("breast_shield", [20.0, 20.0, 10.0]),
                                        ("spherical_cavity", [20.0, 20.0, 20.0])])
def test_library_phantom_by_name_alone_has_standard_size(name, size, tmp_path, capsys):
    path = tmp_path / "job.toml"
    path.write_text(JOB.format(phantom=f'type = "{name}"'))
    assert main(["check", str(path)]) == 0
    assert f"size = {size}" in capsys.readouterr().out
    world = build({"type": name}).world           # the phantom's box grown by world_margin = 5 cm
    np.testing.assert_allclose(world, [[-size[0] / 2 - 5, size[0] / 2 + 5], [-size[1] / 2 - 5, size[1] / 2 + 5],
                                       [-5.0, size[2] + 5]])


@pytest.mark.parametrize("phantom", ['type = "box"\nmaterial = "water"',
                                     'type = "slabs"\nlayers = [{ material = "water", thickness = 10.0 }]'])
def test_box_and_slabs_still_need_a_size(phantom, tmp_path, capsys):
    path = tmp_path / "job.toml"
    path.write_text(JOB.format(phantom=phantom))
    assert main(["check", str(path)]) == 2
    assert "phantom.size: missing" in capsys.readouterr().err


@pytest.mark.parametrize("spec, message", [
    ({"type": "breast_shield", "size": [20.0, 20.0, 2.0]}, "phantom.size.*must exceed tissue_thickness"),
    ({"type": "breast_shield", "size": [5.0, 5.0, 8.0]}, "phantom.shield_diameter: 6.0"),
    ({"type": "spherical_cavity", "size": [3.0, 3.0, 3.0]}, "phantom.applicator_diameter.*inside the phantom box"),
    ({"type": "spherical_cavity", "size": [9.0, 9.0, 9.0], "wall": 2.0}, "phantom.wall: 2.0"),
    ({"type": "voxels", "file": "missing.npy", "voxel_size": [1, 1, 1], "voxel_materials": "water"}, "file not found"),
    ({"type": "slabs", "size": [10.0, 10.0], "layers": [{"material": "unobtainium", "thickness": 1.0}]}, "unobtainium"),
])
def test_parameter_errors(spec, message):
    with pytest.raises(InputError, match=message):
        build(spec)


def test_voxel_files(tmp_path):
    ids = np.zeros((2, 3, 4), np.int16)
    ids[1] = 1
    np.save(tmp_path / "obj.npy", np.array([None, 1], dtype=object))
    with pytest.raises(InputError, match="not a plain .npy"):
        build({"type": "voxels", "file": str(tmp_path / "obj.npy"), "voxel_size": [1, 1, 1], "voxel_materials": "water"})
    np.save(tmp_path / "ids.npy", ids)
    with pytest.raises(InputError, match="must index the 1 material names"):
        build({"type": "voxels", "file": str(tmp_path / "ids.npy"), "voxel_size": [1, 1, 1], "voxel_materials": "water"})
    with h5py.File(tmp_path / "ct.h5", "w") as f:
        f["material"] = ids
        f["density"] = np.full(ids.shape, 1.05)
        f["x_edges"], f["y_edges"], f["z_edges"] = [-1.0, 0.2, 1.0], [-1.5, -1, 0.5, 1.5], [0, 1, 2, 4, 8.5]
        f.attrs["materials"] = ["water", "lung"]
    geo = build({"type": "voxels", "file": "ct.h5"}, base_dir=tmp_path)
    a = geo.compile()
    assert geo.materials == ["water", "lung"] and kg.majorant(a) == pytest.approx(1.05)
    assert kg.medium(a, 0, kg.voxel_index(a, 0.5, 0.0, 3.0, 0.0, 0.0, 1.0)) == (1, pytest.approx(1.05))


def test_cylinder_phantom_chords():
    """A ray along a diameter crosses 2 R of the cylinder; an axial ray crosses its length."""
    import numpy as np

    from mcdose.kernels.geometry import locate, trace_ray
    from mcdose.phantoms import build
    geo = build({"type": "cylinder", "material": "water", "radius": 10.0, "length": 20.0}).compile()
    seg_len, seg_cell = np.empty(16), np.empty(16, dtype=np.int32)
    seg_voxel, seg_density = np.empty(16, dtype=np.int32), np.empty(16)
    for start, direction, expected in (((-14.0, 0.0, 10.0), (1.0, 0.0, 0.0), 20.0),
                                       ((3.0, 4.0, -4.0), (0.0, 0.0, 1.0), 20.0),
                                       ((-14.0, -14.0, 5.0), (2 ** -0.5, 2 ** -0.5, 0.0), 20.0)):
        n = trace_ray(geo, *start, *direction, 40.0, seg_len, seg_cell, seg_voxel, seg_density)
        inside = sum(seg_len[k] for k in range(n) if seg_density[k] > 0)
        assert abs(inside - expected) < 1e-9
    assert locate(geo, 9.9, 0.0, 1.0) == 0 and locate(geo, 7.1, 7.1, 1.0) != 0
