"""INTRABEAM probe tip and spherical applicators as scene parts (mcdose.sources.intrabeam_probe).

References are the chosen dimensions (docs/intrabeam_geometry.md, ProbeGeometry fields) and the
documented frame: the tip at the cap centre, the shaft along +back, the electrons along -back.
Materials are read back from the built scene by point location and by tracing the beam axis
(chord lengths of the thin layers to 1e-9 cm, as in test_scenes).
"""
import dataclasses
import math

import numpy as np
import pytest

from mcdose.config import validate
from mcdose.errors import InputError
from mcdose.kernels import geometry as kg
from mcdose.phantoms import from_spec
from mcdose.sources.intrabeam_probe import (APPLICATOR_DIAMETERS, PROBE, ProbeGeometry, applicator_parts,
                                            electron_start, probe_parts)

TIP = (0.0, 0.0, 5.0)
TOL = 1e-9


def _scene(parts, source=None):
    """The brief's scene: a 10 cm water box (z 0..10, x and y centred) with ``parts``."""
    spec = validate({"source": source or {"type": "point", "particle": "photon", "energy": 0.03,
                                          "position": [0.0, 0.0, 0.0]},
                     "phantom": {"type": "box", "material": "water", "size": [10.0, 10.0, 10.0]},
                     "scoring": {"mesh": "cartesian", "x": [-1.0, 1.0], "y": [-1.0, 1.0], "z": [0.0, 1.0]},
                     "parts": parts})
    return from_spec(spec)


def _materials(geo, points):
    """Material name at each point ('vacuum' for vacuum cells and outside the world), with the count of
    cells holding it (1 everywhere inside the world: the painted cells are disjoint and cover it)."""
    a = geo.compile()
    p = np.ascontiguousarray(np.asarray(points, dtype=float).reshape(-1, 3))
    count, cell, voxel = (np.zeros(len(p), np.int32) for _ in range(3))
    kg.classify_points(a, p, count, cell, voxel)
    mats = np.append(a.cell_material, -1)
    return [geo.materials[m] if m >= 0 else "vacuum" for m in mats[cell]], count


def _material(geo, point):
    return _materials(geo, [point])[0][0]


def _at(tip, direction, r):
    d = np.asarray(direction, float)
    return np.asarray(tip, float) + r * d / np.linalg.norm(d)


# radii of the layers (cm), from the chosen geometry
R_AU = 0.5 * (PROBE.target_inner_radius + PROBE.cap_inner_radius)      # middle of the gold
R_BE = 0.5 * (PROBE.cap_inner_radius + PROBE.outer_radius)             # middle of the beryllium
R_TUBE = 0.5 * (PROBE.tube_inner_radius + PROBE.outer_radius)          # middle of the tube wall


def test_chosen_geometry_is_consistent():
    g = PROBE
    assert isinstance(g, ProbeGeometry)
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.length = 5.0                                                   # frozen
    assert g.length == 10.0 and g.outer_radius == 0.16                   # 10 cm, 3.2 mm diameter
    assert g.cap_thickness == 0.05 and g.target_thickness == pytest.approx(1e-4)
    assert g.cap_inner_radius == pytest.approx(g.tube_inner_radius)      # tube bore meets the cap
    assert 0.0 < g.target_inner_radius < g.cap_inner_radius < g.outer_radius
    assert APPLICATOR_DIAMETERS == (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
    assert g.applicator_material == "polyetherimide" and g.applicator_density == 1.27
    assert g.outer_radius < g.sleeve_outer_radius < 0.5 * g.hollow_from - g.shell_wall
    assert 0.0 < g.beam_radius < g.target_inner_radius


def test_brief_scene_validates_builds_and_places_the_materials():
    """applicator_parts(4.0) + probe_parts at (0, 0, 5) over the water box: the layers of the tip at
    their radii (forward and oblique), the shaft vacuum and tube, the applicator's PEI wall, air
    cavity and sleeve, water beyond the sphere."""
    geo = _scene(applicator_parts(4.0, tip=TIP) + probe_parts(tip=TIP))
    names = {c.name.split("/")[0] for c in geo.cells}
    assert {"intrabeam shaft vacuum", "intrabeam tip vacuum", "intrabeam tube", "intrabeam beryllium cap",
            "intrabeam gold target", "intrabeam applicator 4.0 cm", "intrabeam applicator 4.0 cm cavity",
            "intrabeam applicator 4.0 cm sleeve", "water"} <= names    # the bore: all under the probe
    forward = [(0.0, 0.0, 1.0), (1.0, 0.0, 1.0), (0.0, -1.0, 2.0), (1.0, 1.0, 0.05)]
    want = {}
    for d in forward:
        want[tuple(_at(TIP, d, 0.05))] = "vacuum"                       # inside the cap
        want[tuple(_at(TIP, d, R_AU))] = "gold"
        want[tuple(_at(TIP, d, R_BE))] = "beryllium"
    want.update({
        TIP: "vacuum",                                                   # the tip itself: cap centre
        (0.0, 0.0, 4.0): "vacuum",                                       # the shaft, 1 cm up
        (0.0, 0.0, 0.5): "vacuum",                                       # the shaft outside the box
        (R_TUBE, 0.0, 4.0): "stainless_steel", (0.0, -R_TUBE, 4.999): "stainless_steel",
        (0.0, R_TUBE, 0.5): "stainless_steel",
        (1.75, 0.0, 5.0): "polyetherimide", (0.0, 0.0, 6.75): "polyetherimide",   # the 5 mm wall
        (-1.2, 1.2, 5.3): "polyetherimide",
        (1.0, 0.0, 5.0): "air", (0.0, 0.0, 5.5): "air", (0.0, 0.7, 4.3): "air",  # the cavity
        (0.21, 0.0, 4.0): "polyetherimide",                              # the sleeve round the probe
        (2.1, 0.0, 5.0): "water", (0.0, 0.0, 7.1): "water", (0.0, -2.1, 5.0): "water",
        tuple(_at(TIP, (1.0, 1.0, 1.0), 2.1)): "water", (0.4, 0.0, 2.8): "water",
    })
    got, count = _materials(geo, list(want))
    assert dict(zip(want, got)) == want
    assert count.tolist() == [1] * len(want)


def test_the_beam_axis_crosses_gold_and_beryllium_of_the_chosen_thicknesses():
    """Tracing from the electron start along -back: vacuum to the target, 1 um gold, 0.5 mm Be, then the
    applicator's cavity air and 5 mm PEI wall, then water."""
    geo = _scene(applicator_parts(4.0, tip=TIP) + probe_parts(tip=TIP))
    a = geo.compile()
    start = electron_start(TIP)
    n = 64
    seg_len, seg_density = np.zeros(n), np.zeros(n)
    seg_cell, seg_voxel = np.zeros(n, np.int32), np.zeros(n, np.int32)
    k = kg.trace_ray(a, *map(float, start["start"]), *map(float, start["direction"]), 4.0, seg_len, seg_cell,
                     seg_voxel, seg_density)
    assert k > 0
    mats = [geo.materials[m] if m >= 0 else "vacuum" for m in a.cell_material[seg_cell[:k]]]
    merged = []
    for m, length in zip(mats, seg_len[:k]):
        if merged and merged[-1][0] == m:
            merged[-1][1] += length
        else:
            merged.append([m, length])
    assert [m for m, _ in merged] == ["vacuum", "gold", "beryllium", "air", "polyetherimide", "water"]
    lengths = dict(merged)
    assert lengths["vacuum"] == pytest.approx(PROBE.beam_start + PROBE.target_inner_radius, abs=TOL)
    assert lengths["gold"] == pytest.approx(PROBE.target_thickness, abs=TOL)
    assert lengths["beryllium"] == pytest.approx(PROBE.cap_thickness, abs=TOL)
    assert lengths["air"] == pytest.approx(2.0 - PROBE.shell_wall - PROBE.outer_radius, abs=TOL)
    assert lengths["polyetherimide"] == pytest.approx(PROBE.shell_wall, abs=TOL)


@pytest.mark.parametrize("diameter", APPLICATOR_DIAMETERS)
def test_every_applicator_builds(diameter):
    """Each diameter builds over the water box with the probe; PEI just inside its surface, water just
    outside (sideways, forwards, obliquely backwards), solid PEI inside the small ones, air inside the
    large ones."""
    r = 0.5 * diameter
    parts = applicator_parts(diameter, tip=TIP)
    assert parts[0]["name"] == f"intrabeam applicator {diameter:.1f} cm" and parts[0]["radius"] == r
    assert all(p.get("density", 1.27) == 1.27 for p in parts if p["material"] == "polyetherimide")
    geo = _scene(parts + probe_parts(tip=TIP))
    inner = "air" if diameter >= 3.5 else "polyetherimide"
    want = {}
    for d in [(1.0, 0.0, 0.0), (0.0, 0.0, 1.0), (0.0, 1.0, -1.0)]:
        want[tuple(_at(TIP, d, r - 0.05))] = "polyetherimide"
        want[tuple(_at(TIP, d, r + 0.05))] = "water"
        want[tuple(_at(TIP, d, 0.5 * r))] = inner
    want[tuple(_at(TIP, (0.0, 0.0, 1.0), R_AU))] = "gold"
    got, count = _materials(geo, list(want))
    assert dict(zip(want, got)) == want
    assert count.tolist() == [1] * len(want)


@pytest.mark.parametrize("diameter", [1.2, 5.5, 4.2, 0.0, -1.5, "large", None])
def test_other_diameters_are_refused(diameter):
    with pytest.raises(InputError, match=r"^source\.applicator: .* is not allowed: .*must be one of "
                                         r"1\.5, 2\.0, 2\.5, 3\.0, 3\.5, 4\.0, 4\.5, 5\.0"):
        applicator_parts(diameter)


def test_diameters_given_as_ints_or_near_floats_are_accepted():
    assert applicator_parts(4)[0]["radius"] == 2.0
    assert applicator_parts(3.5 + 1e-12)[0]["radius"] == 1.75


def test_probe_alone_no_overlaps_no_gaps_near_the_tip():
    """20 000 random points in a 1 cm box round the tip (probe over water, no applicator): each in
    exactly one cell; the materials where the solids' definitions put them."""
    geo = _scene(probe_parts(tip=TIP))
    rng = np.random.default_rng(7)
    p = np.asarray(TIP) + rng.uniform(-0.5, 0.5, (20_000, 3))
    got, count = _materials(geo, p)
    assert count.min() == 1 and count.max() == 1
    q = p - np.asarray(TIP)
    rho = np.linalg.norm(q, axis=1)
    r = np.hypot(q[:, 0], q[:, 1])
    ahead = q[:, 2] > 0                                                  # forward = -back = +z
    want = np.full(len(p), "water", dtype=object)
    g = PROBE
    shaft = ~ahead & (r < g.outer_radius)
    want[shaft] = np.where(r[shaft] < g.tube_inner_radius, "vacuum", "stainless_steel")
    cap = ahead & (rho < g.outer_radius)
    want[cap] = np.where(rho[cap] < g.target_inner_radius, "vacuum",
                         np.where(rho[cap] < g.cap_inner_radius, "gold", "beryllium"))
    assert (np.asarray(got, dtype=object) == want).all()


def test_tilted_probe_places_the_layers_along_its_axis():
    back = np.array([1.0, -2.0, -2.0]) / 3.0
    tip = (0.5, -0.3, 5.2)
    geo = _scene(applicator_parts(2.0, tip=tip, back=back) + probe_parts(tip=tip, back=back))
    fwd = -back
    side = np.cross(back, [0.0, 0.0, 1.0])
    side /= np.linalg.norm(side)
    want = {
        tuple(_at(tip, fwd, R_AU)): "gold", tuple(_at(tip, fwd, R_BE)): "beryllium",
        tuple(_at(tip, fwd + 0.5 * side, R_BE)): "beryllium",
        tuple(np.asarray(tip) + 2.0 * back): "vacuum",
        tuple(np.asarray(tip) + 2.0 * back + R_TUBE * side): "stainless_steel",
        tuple(_at(tip, side, 0.7)): "polyetherimide", tuple(_at(tip, fwd, 0.95)): "polyetherimide",
        tuple(_at(tip, side, 1.05)): "water", tuple(_at(tip, fwd, 1.05)): "water",
    }
    got, count = _materials(geo, list(want))
    assert dict(zip(want, got)) == want
    assert count.tolist() == [1] * len(want)
    start = electron_start(tip, back)
    assert start["start"] == pytest.approx(np.asarray(tip) + PROBE.beam_start * back)
    assert start["direction"] == pytest.approx(fwd)
    assert start["z0"] == pytest.approx(float(np.dot(start["start"], fwd)))
    assert _material(geo, start["start"]) == "vacuum"


def test_non_unit_back_is_normalised_and_a_zero_back_refused():
    a = probe_parts(tip=TIP, back=(0.0, 0.0, -4.0))
    b = probe_parts(tip=TIP)
    assert a == b
    with pytest.raises(InputError, match="back: .* is not allowed"):
        probe_parts(back=(0.0, 0.0, 0.0))
    with pytest.raises(InputError, match="tip: .* is not allowed"):
        applicator_parts(3.0, tip=(0.0, math.nan, 0.0))


def test_probe_length_option():
    geo = _scene(probe_parts(tip=TIP, length=2.0))
    assert _material(geo, (0.0, 0.0, 3.5)) == "vacuum"
    assert _material(geo, (R_TUBE, 0.0, 3.5)) == "stainless_steel"
    assert _material(geo, (0.0, 0.0, 2.5)) == "water"                  # beyond the 2 cm of shaft
    full = probe_parts(tip=TIP)
    assert full[0]["z"] == [0.0, PROBE.length] and full[2]["z"] == [0.0, PROBE.length]
    for bad in (0.0, -1.0, PROBE.length + 0.5):
        with pytest.raises(InputError, match=r"^length: .* is not allowed"):
            probe_parts(length=bad)


def test_parts_are_plain_tables_in_painting_order():
    probe = probe_parts(tip=TIP)
    assert [p["name"] for p in probe] == ["intrabeam shaft vacuum", "intrabeam tip vacuum", "intrabeam tube",
                                          "intrabeam beryllium cap", "intrabeam gold target"]
    assert [p["material"] for p in probe] == ["vacuum", "vacuum", "stainless_steel", "beryllium", "gold"]
    for p in probe + applicator_parts(5.0, tip=TIP) + applicator_parts(1.5, tip=TIP):
        for v in p.values():
            assert isinstance(v, (str, float, list))
    small = [p["name"] for p in applicator_parts(3.0)]
    large = [p["name"] for p in applicator_parts(3.5)]
    assert small == ["intrabeam applicator 3.0 cm", "intrabeam applicator 3.0 cm bore"]
    assert large == ["intrabeam applicator 3.5 cm", "intrabeam applicator 3.5 cm cavity",
                     "intrabeam applicator 3.5 cm sleeve", "intrabeam applicator 3.5 cm bore"]


def test_electron_start_default_and_as_a_beam_source():
    """1 cm up the shaft, travelling +z: a circle beam source at z = z0 with the spot radius builds
    (its start disc lies in the world) and starts in the shaft vacuum."""
    s = electron_start()
    assert s["z0"] == -1.0 and s["radius"] == PROBE.beam_radius
    assert s["start"] == [0.0, 0.0, -1.0] and s["direction"] == pytest.approx([0.0, 0.0, 1.0])
    s = electron_start(TIP)
    source = {"type": "beam", "particle": "electron", "energy": 0.05, "shape": "circle", "radius": s["radius"],
              "z": s["z0"]}
    geo = _scene(applicator_parts(3.0, tip=TIP) + probe_parts(tip=TIP), source=source)
    assert s["z0"] == 4.0
    got, _ = _materials(geo, [(x, y, s["z0"]) for x, y in [(0.0, 0.0), (s["radius"], 0.0), (0.0, -s["radius"])]])
    assert got == ["vacuum"] * 3
