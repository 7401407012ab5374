"""IAEA phase-space files (IAEA(NDS)-0484): round trips with particlezoo both ways, hand-made files
with every optional field in both byte orders, every malformed case refused in one line naming the
file and the record, the writer's atomicity and the streaming scan's history boundaries."""
import os
import tracemalloc

import numpy as np
import pytest

from mcdose.errors import InputError
from mcdose.phsp import (IAEA_CODE, KINDS, PhaseSpaceReader, PhaseSpaceWriter, info_text, paths, plot,
                         read_header)
from mcdose.phsp import iaea

F32 = np.float32


# ------------------------------------------------------------------------------------------ helpers

def beam(n, seed=1, gaps=True):
    """Random particles: kind, x, y, z, u, v, w, energy, weight, new_history, incremental (float32-exact)."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    cos = rng.uniform(-1, 1, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    sin = np.sqrt(1 - cos * cos)
    u, v = F32(sin * np.cos(phi)).astype(float), F32(sin * np.sin(phi)).astype(float)
    w = np.sign(cos) * np.sqrt(np.maximum(0, 1 - u * u - v * v))
    new = rng.random(n) < 0.4
    new[0] = True
    incr = np.where(new, rng.integers(1, 5, n) if gaps else 1, 0)
    f = lambda a: F32(a).astype(float)  # noqa: E731
    return dict(kind=kind, x=f(rng.normal(0, 3, n)), y=f(rng.normal(0, 3, n)), z=f(rng.normal(10, 1, n)), u=u, v=v,
                w=w, energy=f(rng.uniform(0.01, 20, n)), weight=f(rng.uniform(0.1, 3, n)), new_history=new,
                incremental=incr)


def synthetic(stem, fields: dict, *, stored=("x", "y", "z", "u", "v", "weight"), constants=(), xf=(), xl=(),
              order="<", w_flag=1, type_lines=True, sections=None, counts=None):
    """Write NAME.IAEAphsp from ``fields`` ('type', 'energy', stored ones, 'xf0'.., 'xl0'..) and a header
    by hand; ``constants``: RECORD_CONSTANT values in order; ``sections``: name -> text (None drops it)."""
    names = [("type", "i1"), ("energy", order + "f4")]
    names += [(k, order + "f4") for k in ("x", "y", "z", "u", "v", "weight") if k in stored]
    names += [(f"xf{i}", order + "f4") for i in range(len(xf))] + [(f"xl{i}", order + "i4") for i in range(len(xl))]
    dt = np.dtype(names)
    n = len(fields["type"])
    rec = np.zeros(n, dt)
    for k, _ in names:
        rec[k] = fields[k]
    hpath, dpath = paths(stem)
    dpath.write_bytes(rec.tobytes())
    if counts is None:
        a = np.abs(np.asarray(fields["type"]))
        counts = {IAEA_CODE[k]: int((a == IAEA_CODE[k]).sum()) for k in IAEA_CODE}
    flags = [int(k in stored) for k in ("x", "y", "z", "u", "v")] + [w_flag, int("weight" in stored)]
    contents = [f"  {f}   // {k} is stored ?" for f, k in zip(flags, "XYZUVW") ] + [f"  {flags[6]}  // Weight"]
    contents += [f"  {len(xf)}  // Extra floats stored ?", f"  {len(xl)}  // Extra longs stored ?"]
    if type_lines:
        contents += [f"  {c}  // extra float type" for c in xf] + [f"  {c}  // extra long type" for c in xl]
    sec = {"IAEA_INDEX": "1000  // test", "TITLE": "hand-made test file", "FILE_TYPE": "0",
           "CHECKSUM": str(n * dt.itemsize), "RECORD_CONTENTS": "\n".join(contents),
           "RECORD_CONSTANT": "\n".join(f"  {c!r}   // constant" for c in constants),
           "RECORD_LENGTH": str(dt.itemsize), "BYTE_ORDER": "1234" if order == "<" else "4321",
           "ORIG_HISTORIES": str(10 * n + 7), "PARTICLES": str(n)}
    for name, code in (("PHOTONS", 1), ("ELECTRONS", 2), ("POSITRONS", 3), ("NEUTRONS", 4), ("PROTONS", 5)):
        if counts.get(code):
            sec[name] = str(counts[code])
    sec["COORDINATE_SYSTEM_DESCRIPTION"] = "cm, beam along +z // http://example.org stays"
    sec.update(sections or {})
    hpath.write_text("// hand-made\n" + "".join(f"${k}:\n{v}\n\n" for k, v in sec.items() if v is not None))
    return stem


def plain(n=10, **over):
    """Fields of n valid photons (all stored), overridable per field."""
    f = {"type": np.ones(n, np.int8), "energy": np.full(n, 1.25, F32), "x": np.arange(n, dtype=F32),
         "y": np.zeros(n, F32), "z": np.full(n, 5.0, F32), "u": np.full(n, 0.6, F32), "v": np.zeros(n, F32),
         "weight": np.ones(n, F32)}
    f["energy"][::3] *= -1
    f.update(over)
    return f


def one_line(exc, *needles):
    text = str(exc.value)
    assert "\n" not in text, text
    for needle in needles:
        assert needle in text, text
    return text


# ------------------------------------------------------------------------------------- particlezoo

pz = pytest.importorskip("particlezoo")
PZ_TYPES = {0: "Photon", 1: "Electron", 2: "Positron"}
# particlezoo renormalises (u, v, w) in float32 when it makes a Particle and computes w = sqrt(1 - u^2 - v^2)
# in float32: u, v agree to a float32 step, w to ~1e-7 / |w| (cancellation where w is small)
W_TOL = 1e-5


def pz_particles(path):
    r = pz.create_reader(str(path))
    out = []
    while r.has_more_particles():
        q = r.get_next_particle()
        out.append((q.type, q.kinetic_energy, q.x, q.y, q.z, q.px, q.py, q.pz, q.weight, q.is_new_history,
                    q.get_incremental_histories()))
    return r, out


def test_particlezoo_units_are_cm_and_mev():
    assert pz.cm == 1.0 and pz.MeV == 1.0


@pytest.mark.parametrize("constant_z", [None, 12.345678])
@pytest.mark.parametrize("incremental", [True, False])
def test_mcdose_writes_particlezoo_reads(tmp_path, constant_z, incremental):
    b = beam(500)
    if constant_z is not None:
        b["z"] = np.full(500, F32(constant_z), float)
    if not incremental:
        b["incremental"] = None
    w = PhaseSpaceWriter(tmp_path / "out", title="round trip", constant_z=constant_z, incremental=incremental)
    w.write(b["kind"][:200], *(b[k][:200] for k in ("x", "y", "z", "u", "v", "w", "energy", "weight",
                                                     "new_history")),
            None if b["incremental"] is None else b["incremental"][:200])
    w.write(b["kind"][200:], *(b[k][200:] for k in ("x", "y", "z", "u", "v", "w", "energy", "weight",
                                                     "new_history")),
            None if b["incremental"] is None else b["incremental"][200:])
    histories = int(b["incremental"].sum()) + 3 if incremental else int(b["new_history"].sum()) + 3
    w.close(histories)
    r, got = pz_particles(tmp_path / "out.IAEAphsp")
    assert r.get_number_of_particles() == 500
    assert r.get_number_of_original_histories() == histories
    for i, (t, e, x, y, z, u, v, ww, wt, new, inc) in enumerate(got):
        assert t == getattr(pz.ParticleType, PZ_TYPES[b["kind"][i]])
        assert (e, x, y, z, wt) == (b["energy"][i], b["x"][i], b["y"][i], b["z"][i], b["weight"][i])
        # particlezoo renormalises (u, v, w) in float32 on reading: one float32 step at most
        for got_c, c in ((u, b["u"][i]), (v, b["v"][i]), (ww, b["w"][i])):
            assert got_c == pytest.approx(c, abs=W_TOL)
        assert np.sign(ww) == np.sign(b["w"][i]) or b["w"][i] == 0
        assert new == b["new_history"][i]
        assert inc == (b["incremental"][i] if incremental else int(b["new_history"][i]))
    # and mcdose reads its own file back identically
    p = PhaseSpaceReader(tmp_path / "out").read(0, 500)
    for k in ("x", "y", "z", "u", "v", "energy", "weight", "new_history"):
        np.testing.assert_array_equal(getattr(p, k), b[k])
    np.testing.assert_allclose(p.w, b["w"], atol=1e-7)
    np.testing.assert_array_equal(p.kind, b["kind"])
    assert (p.incremental is None) == (not incremental)


def _pz_write(path, b, options, fixed):
    w = pz.create_writer(str(path), options, fixed)
    for i in range(len(b["kind"])):
        q = pz.Particle(getattr(pz.ParticleType, PZ_TYPES[b["kind"][i]]), b["energy"][i], b["x"][i], b["y"][i],
                        b["z"][i], b["u"][i], b["v"][i], b["w"][i], bool(b["new_history"][i]), b["weight"][i])
        if b["incremental"] is not None and b["incremental"][i] > 0:
            q.set_incremental_histories(int(b["incremental"][i]))
        w.write_particle(q)
    w.add_additional_histories(4)
    w.close()


@pytest.fixture(scope="module")
def pz_incremental_options():
    """particlezoo's writer options with the incremental history number (ArgParser parses once per process)."""
    return pz.ArgParser.parse_args(["mcdose-test", "--IAEA-incrementals"])


@pytest.mark.parametrize("incremental", [True, False])
def test_particlezoo_writes_mcdose_reads(tmp_path, incremental, pz_incremental_options):
    b = beam(300, seed=2, gaps=incremental)
    b["z"] = np.full(300, 12.5)
    fixed = pz.FixedValues()
    fixed.z_is_constant, fixed.constant_z = True, 12.5
    if not incremental:
        b["incremental"] = None
    _pz_write(tmp_path / "pz.IAEAphsp", b, pz_incremental_options if incremental else pz.UserOptions(), fixed)
    h = read_header(tmp_path / "pz.IAEAheader")
    if incremental and iaea.INCREMENTAL not in h.extra_longs:
        pytest.skip("particlezoo's ArgParser was already used with other options in this process")
    assert not h.stored["z"] and h.constants["z"] == 12.5
    _, ref = pz_particles(tmp_path / "pz.IAEAphsp")
    reader = PhaseSpaceReader(tmp_path / "pz")
    p = reader.read(0, reader.n_particles)
    ref = list(zip(*ref))
    np.testing.assert_array_equal(p.kind, b["kind"])
    for j, k in enumerate(("energy", "x", "y", "z")):
        np.testing.assert_array_equal(getattr(p, k), np.array(ref[j + 1]), err_msg=k)
        np.testing.assert_array_equal(getattr(p, k), F32(b[k]), err_msg=k)
    for j, k in enumerate(("u", "v", "w")):         # particlezoo renormalises in float32 on writing and reading
        np.testing.assert_allclose(getattr(p, k), np.array(ref[j + 5]), atol=W_TOL, err_msg=k)
        np.testing.assert_allclose(getattr(p, k), b[k], atol=W_TOL, err_msg=k)
    np.testing.assert_array_equal(np.sign(p.w), np.sign(b["w"]))
    np.testing.assert_array_equal(p.weight, np.array(ref[8]))
    np.testing.assert_array_equal(p.new_history, b["new_history"])
    histories = (int(b["incremental"].sum()) if incremental else int(b["new_history"].sum())) + 4
    assert h.orig_histories == histories
    if incremental:
        np.testing.assert_array_equal(p.incremental, b["incremental"])
        assert reader.scan().incremental_histories == histories - 4
    else:
        assert p.incremental is None
    s = reader.scan()
    assert s.counts == {k: int((b["kind"] == c).sum()) for c, k in enumerate(KINDS)}
    assert s.histories == int(b["new_history"].sum())


# ------------------------------------------------------------------------------- hand-made files

@pytest.mark.parametrize("order", ["<", ">"])
def test_every_optional_field(tmp_path, order):
    n = 6
    f = plain(n, type=np.array([1, -2, 3, -1, 2, 3], np.int8), u=np.array([0.6, 0, 0.5, 0, 0.8, 1], F32),
              v=np.array([0, 0.8, -0.5, 0, 0, 0], F32))
    f["energy"] = np.array([-1.5, 2.5, 0.5, -6.0, 7.0, -0.25], F32)
    f.update(xf0=np.arange(n, dtype=F32) + 0.5, xf1=-np.arange(n, dtype=F32), xl0=np.arange(n) * 7 - 3,
             xl1=np.array([3, 0, 0, 1, 0, 2]))
    synthetic(tmp_path / "all", f, xf=(1, 3), xl=(2, 1), order=order)
    h = read_header(tmp_path / "all.IAEAphsp")
    assert h.byte_order == order and h.record_length == 1 + 4 * 9 + 4 * 2 == h.dtype().itemsize
    assert h.extra_floats == (1, 3) and h.extra_longs == (2, 1) and h.incremental_field == "xl1"
    assert h.counts == {"photon": 2, "electron": 2, "positron": 2, "neutron": 0, "proton": 0}
    assert h.sections["COORDINATE_SYSTEM_DESCRIPTION"] == ("cm, beam along +z // http://example.org stays",)
    assert h.orig_histories == 67 and h.title == "hand-made test file" and h.index == "1000"
    r = PhaseSpaceReader(tmp_path / "all")
    p = r.read(0, n)
    np.testing.assert_array_equal(p.kind, [0, 1, 2, 0, 1, 2])
    np.testing.assert_array_equal(p.energy, np.abs(f["energy"]))
    np.testing.assert_array_equal(p.new_history, [True, False, False, True, False, True])
    np.testing.assert_array_equal(p.incremental, [3, 0, 0, 1, 0, 2])
    np.testing.assert_allclose(p.w, [0.8, -0.6, np.sqrt(0.5), -1.0, 0.6, 0.0], atol=1e-7)
    np.testing.assert_allclose(p.u * p.u + p.v * p.v + p.w * p.w, 1.0, atol=1e-12)
    np.testing.assert_array_equal(p.x, f["x"])
    s = r.scan([0, 1, 2, 3])
    assert s.histories == 3 and s.max_history_particles == 3 and s.incremental_histories == 6
    np.testing.assert_array_equal(s.boundaries, [0, 3, 5, 6])
    np.testing.assert_array_equal(r.history_starts(0, n), [0, 3, 5, 6])
    np.testing.assert_array_equal(r.history_starts(3, 5), [3, 5])


@pytest.mark.parametrize("w_constant", [True, False])
def test_constants_pencil_beam(tmp_path, w_constant):
    """x, y, u, v and weight constant (z stored); the W flag 0 with or without a W constant line."""
    n = 5
    f = {"type": np.array([1, -1, 2, 3, -2], np.int8), "energy": np.array([-1, 1, -2, 3, 4], F32),
         "z": np.linspace(0, 1, n, dtype=F32)}
    consts = [1.5, -2.25, 0.0, 0.0] + ([1.0] if w_constant else []) + [0.5]
    synthetic(tmp_path / "pencil", f, stored=("z",), constants=consts, w_flag=0 if w_constant else 1)
    h = read_header(tmp_path / "pencil")
    assert h.stored == {"x": False, "y": False, "z": True, "u": False, "v": False, "weight": False}
    assert h.constants["weight"] == 0.5 and h.constants["y"] == -2.25 and h.record_length == 9
    p = PhaseSpaceReader(tmp_path / "pencil").read(0, n)
    np.testing.assert_array_equal(p.x, 1.5)
    np.testing.assert_array_equal(p.weight, 0.5)
    np.testing.assert_array_equal(p.w, [1, -1, 1, 1, -1])


def test_old_library_header_without_type_lines(tmp_path):
    f = plain(4, xl0=np.array([1, 0, 0, 1]))
    synthetic(tmp_path / "old", f, xl=(0,), type_lines=False)
    h = read_header(tmp_path / "old")
    assert h.extra_longs == (0,) and h.incremental_field is None


def test_without_history_flags(tmp_path):
    f = plain(7)
    f["energy"] = np.abs(f["energy"])
    synthetic(tmp_path / "flat", f)
    r = PhaseSpaceReader(tmp_path / "flat")
    assert not r.has_history_flags
    s = r.scan([0, 3, 7])
    assert s.histories == 7 and s.max_history_particles == 1 and not s.has_history_flags
    np.testing.assert_array_equal(s.boundaries, [0, 3, 7])
    np.testing.assert_array_equal(r.history_starts(2, 5), [2, 3, 4, 5])
    assert not r.read(0, 7).new_history.any()


def test_64_bit_counts(tmp_path):
    big = 5_000_000_017
    synthetic(tmp_path / "big", plain(10), sections={"PARTICLES": str(big), "PHOTONS": str(big),
                                                    "CHECKSUM": str(big * 29), "ORIG_HISTORIES": "5.0E+12"})
    h = read_header(tmp_path / "big")
    assert h.particles == big > 2 ** 32 and h.counts["photon"] == big and h.checksum == big * 29
    assert h.orig_histories == 5 * 10 ** 12
    with pytest.raises(InputError) as e:
        PhaseSpaceReader(tmp_path / "big")
    one_line(e, "big.IAEAphsp", "truncated", f"declares {big} records", "holds 10 records")


def test_negative_type_is_negative_w(tmp_path):
    """The sign of the type code is the sign of w (IAEA(NDS)-0484; cf. ParticlePhaseSpace issues 181/182)."""
    f = plain(4, type=np.array([1, -1, -2, -3], np.int8), u=np.array([0.6, 0.6, 0, 0], F32),
              v=np.array([0, 0, 0.8, 0], F32))
    synthetic(tmp_path / "neg", f)
    p = PhaseSpaceReader(tmp_path / "neg").read(0, 4)
    np.testing.assert_allclose(p.w, [0.8, -0.8, -0.6, -1.0], atol=1e-7)
    np.testing.assert_array_equal(p.kind, [0, 0, 1, 2])


def test_float32_excess_is_clamped(tmp_path):
    u = F32(np.sqrt(0.5 + 4e-6))
    f = plain(2, u=np.array([u, 0.6], F32), v=np.array([u, 0], F32))
    synthetic(tmp_path / "clamp", f)
    p = PhaseSpaceReader(tmp_path / "clamp").read(0, 2)
    assert p.w[0] == 0 and p.u[0] ** 2 + p.v[0] ** 2 == pytest.approx(1, abs=1e-15)


# ------------------------------------------------------------------------------------ malformed

def test_truncated_and_padded(tmp_path):
    stem = synthetic(tmp_path / "t", plain(10))
    data = paths(stem)[1]
    raw = data.read_bytes()
    data.write_bytes(raw[:-5])
    with pytest.raises(InputError) as e:
        PhaseSpaceReader(stem)
    one_line(e, "t.IAEAphsp", "truncated", "holds 9 records", "24 bytes of a partial record")
    data.write_bytes(raw + raw[:29])
    with pytest.raises(InputError) as e:
        PhaseSpaceReader(stem)
    one_line(e, "t.IAEAphsp", "longer than its header says", "holds 11 records")
    data.unlink()
    with pytest.raises(InputError) as e:
        PhaseSpaceReader(stem)
    one_line(e, "t.IAEAphsp", "not found")


def test_checksum_disagrees(tmp_path):
    synthetic(tmp_path / "c", plain(10), sections={"CHECKSUM": "291"})
    with pytest.raises(InputError) as e:
        PhaseSpaceReader(tmp_path / "c")
    one_line(e, "c.IAEAheader", "$CHECKSUM 291")


def test_counts_per_kind_disagree_with_data(tmp_path):
    f = plain(10, type=np.array([1] * 5 + [2] * 5, np.int8))
    synthetic(tmp_path / "k", f, counts={1: 6, 2: 4})
    r = PhaseSpaceReader(tmp_path / "k")
    with pytest.raises(InputError) as e:
        r.scan()
    one_line(e, "k.IAEAheader", "$PHOTONS says 6 photons", "holds 5")


HEADER_CASES = {
    "particles not the sum": ({"PARTICLES": "11"}, "$PARTICLES 11 is not the sum"),
    "record length": ({"RECORD_LENGTH": "33"}, "$RECORD_LENGTH 33 disagrees"),
    "stored flag 2": ({"RECORD_CONTENTS": "1\n1\n2\n1\n1\n1\n1\n0\n0"}, "'z is stored' flag is 2"),
    "too few contents": ({"RECORD_CONTENTS": "1\n1\n1\n1\n1\n1\n1"}, "$RECORD_CONTENTS has 7 values"),
    "unknown extra long": ({"RECORD_CONTENTS": "1\n1\n1\n1\n1\n1\n1\n0\n1\n9", "RECORD_LENGTH": "33"},
                           "unknown extra-long type code 9"),
    "type lines": ({"RECORD_CONTENTS": "1\n1\n1\n1\n1\n1\n1\n0\n1\n1\n2", "RECORD_LENGTH": "33"},
                   "2 extra type codes for 0 extra floats and 1 extra longs"),
    "non-numeric": ({"PARTICLES": "ten"}, "$PARTICLES: 'ten' is not a non-negative integer"),
    "missing key": ({"CHECKSUM": None}, "mandatory key $CHECKSUM is missing"),
    "byte order": ({"BYTE_ORDER": "3412"}, "$BYTE_ORDER 3412 is not supported"),
    "generator": ({"FILE_TYPE": "1"}, "not event generators"),
    "missing constant": ({"RECORD_CONTENTS": "1\n1\n0\n1\n1\n1\n1\n0\n0", "RECORD_LENGTH": "25"},
                         "$RECORD_CONSTANT has 0 values for the 1 constants z"),
    "duplicate": ({"TITLE": "a\n$PARTICLES:\n10"}, "$PARTICLES appears twice"),
}


@pytest.mark.parametrize("case", HEADER_CASES)
def test_bad_header(tmp_path, case):
    sections, message = HEADER_CASES[case]
    synthetic(tmp_path / "h", plain(10), sections=sections)
    with pytest.raises(InputError) as e:
        PhaseSpaceReader(tmp_path / "h")
    one_line(e, "h.IAEAheader", message)


RECORD_CASES = {
    "type 0": (dict(type=0), "unknown particle type code 0"),
    "type 7": (dict(type=7), "unknown particle type code 7"),
    "type -9": (dict(type=-9), "unknown particle type code -9"),
    "neutron": (dict(type=4), "neutron (IAEA code 4): mcdose transports photons, electrons and positrons only"),
    "proton": (dict(type=-5), "proton (IAEA code -5)"),
    "nan energy": (dict(energy=np.nan), "kinetic energy nan MeV is not finite"),
    "inf energy": (dict(energy=-np.inf), "is not finite"),
    "zero energy": (dict(energy=0.0), "kinetic energy is zero"),
    "negative zero energy": (dict(energy=-0.0), "kinetic energy is zero"),
    "nan position": (dict(y=np.nan), "position (3.0, nan, 5.0) cm is not finite"),
    "u2+v2 = 1.5": (dict(u=np.sqrt(0.75), v=np.sqrt(0.75)), "u^2 + v^2 = 1.5 > 1"),
    "nan u": (dict(u=np.nan), "are not finite"),
    "zero weight": (dict(weight=0.0), "weight 0.0 must be > 0"),
    "negative weight": (dict(weight=-1.0), "weight -1.0 must be > 0"),
    "inf weight": (dict(weight=np.inf), "weight inf is not finite"),
}


@pytest.mark.parametrize("case", RECORD_CASES)
def test_bad_record(tmp_path, case):
    change, message = RECORD_CASES[case]
    f = plain(10)
    for k, value in change.items():
        f[k][3] = value
        f[k][7] = value                          # the first bad record is named
    synthetic(tmp_path / "r", f, counts={1: 10})
    r = PhaseSpaceReader(tmp_path / "r")
    with pytest.raises(InputError) as e:
        r.read(0, 10)
    one_line(e, "r.IAEAphsp", "record 3: ", message)
    with pytest.raises(InputError) as e:
        r.read(5, 10)
    one_line(e, "record 7: ")
    r.read(0, 3)                                # the good ones still read
    with pytest.raises(InputError) as e:
        r.scan()
    one_line(e, "record 3: ")


def test_bad_incremental(tmp_path):
    synthetic(tmp_path / "i", plain(4, xl0=np.array([1, 0, -2, 0])), xl=(1,))
    with pytest.raises(InputError) as e:
        PhaseSpaceReader(tmp_path / "i").read(0, 4)
    one_line(e, "record 2: incremental history number -2 < 0")


# ----------------------------------------------------------------------------------------- writer

def _write_some(w, n=20):
    b = beam(n)
    if w.constant_z is not None:
        b["z"] = None
    w.write(b["kind"], *(b[k] for k in ("x", "y", "z", "u", "v", "w", "energy", "weight", "new_history")),
            b["incremental"] if w.incremental else None)
    return b


def test_writer_refuses_existing_file(tmp_path):
    stem = tmp_path / "e"
    paths(stem)[0].write_text("old")
    with pytest.raises(InputError) as e:
        PhaseSpaceWriter(stem, title="x")
    one_line(e, "e.IAEAheader", "exists")
    w = PhaseSpaceWriter(stem, title="x", overwrite=True)
    b = _write_some(w)
    w.close(int(b["incremental"].sum()))
    assert PhaseSpaceReader(stem).n_particles == 20


@pytest.mark.parametrize("which", [0, 1])
def test_writer_refuses_symlink(tmp_path, which):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    os.symlink(target, paths(tmp_path / "s")[which])
    with pytest.raises(InputError) as e:
        PhaseSpaceWriter(tmp_path / "s", title="x", overwrite=True)
    one_line(e, "symbolic link")
    assert target.read_text() == "keep"


def test_writer_abort_and_atomic_close(tmp_path, monkeypatch):
    w = PhaseSpaceWriter(tmp_path / "a", title="x")
    _write_some(w)
    w.abort()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError):
        with PhaseSpaceWriter(tmp_path / "a", title="x") as w:
            _write_some(w)
            raise RuntimeError("simulation failed")
    assert list(tmp_path.iterdir()) == []

    replaced = []
    real = os.replace
    monkeypatch.setattr(iaea.os, "replace", lambda a, b: (replaced.append(os.path.basename(b)), real(a, b)))
    w = PhaseSpaceWriter(tmp_path / "a", title="x")
    b = _write_some(w)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == []
    w.close(int(b["incremental"].sum()) + 2)
    assert replaced == ["a.IAEAheader", "a.IAEAphsp"]          # never a data file without its header
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.IAEAheader", "a.IAEAphsp"]
    assert read_header(tmp_path / "a").orig_histories == int(b["incremental"].sum()) + 2


def test_writer_refuses_bad_particles(tmp_path):
    w = PhaseSpaceWriter(tmp_path / "b", title="x", constant_z=5.0)
    one = dict(kind=[0], x=[0.0], y=[0.0], z=[5.0], u=[0.0], v=[0.0], w=[1.0], energy=[1.0], weight=[1.0],
               new_history=[True])
    for change, message in ((dict(energy=[0.0]), "kinetic energy 0.0 MeV must be finite and > 0"),
                            (dict(weight=[-1.0]), "weight -1.0"), (dict(z=[6.0]), "off the plane"),
                            (dict(w=[0.5]), "not a unit vector"), (dict(kind=[3]), "particle kind")):
        with pytest.raises(InputError) as e:
            w.write(**{**one, **change})
        one_line(e, "b.IAEAphsp", message)
    w.write(**one)
    with pytest.raises(InputError) as e:
        w.close(0)
    one_line(e, "orig_histories 0 is less than the 1 histories")
    assert list(tmp_path.iterdir()) == []


def test_writer_header_keys(tmp_path):
    w = PhaseSpaceWriter(tmp_path / "k", title="keys", constant_z=-3.5)
    b = _write_some(w, 50)
    w.close(10 ** 10)
    h = read_header(tmp_path / "k")
    for key in ("IAEA_INDEX", "TITLE", "FILE_TYPE", "CHECKSUM", "RECORD_CONTENTS", "RECORD_CONSTANT",
                "RECORD_LENGTH", "BYTE_ORDER", "ORIG_HISTORIES", "PARTICLES", "TRANSPORT_PARAMETERS",
                "MACHINE_TYPE", "MONTE_CARLO_CODE_VERSION", "GLOBAL_PHOTON_ENERGY_CUTOFF",
                "GLOBAL_PARTICLE_ENERGY_CUTOFF", "COORDINATE_SYSTEM_DESCRIPTION",
                "STATISTICAL_INFORMATION_PARTICLES", "STATISTICAL_INFORMATION_GEOMETRY"):
        assert h.sections.get(key), key
    assert h.orig_histories == 10 ** 10 and h.constants == {"z": -3.5} and h.record_length == 29
    assert sum(h.counts.values()) == 50 and h.counts["photon"] == int((b["kind"] == 0).sum())
    stats = [line.split() for line in h.sections["STATISTICAL_INFORMATION_PARTICLES"] if "PHOTONS" in line][0]
    sel = b["kind"] == 0
    assert float(stats[0]) == pytest.approx(b["weight"][sel].sum(), rel=1e-7)
    assert F32(stats[5]) == b["energy"][sel].max() and F32(stats[1]) == b["weight"][sel].min()
    geometry = [F32(t) for line in h.sections["STATISTICAL_INFORMATION_GEOMETRY"] for t in line.split()]
    assert geometry == [b["x"].min(), b["x"].max(), b["y"].min(), b["y"].max()]


# --------------------------------------------------------------------------------- scan boundaries

def test_scan_boundaries_across_chunks(tmp_path):
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 9, 300)
    n = int(sizes.sum())
    starts = np.concatenate([[0], np.cumsum(sizes)])
    f = plain(n)
    e = np.full(n, 2.0, F32)
    e[starts[:-1]] *= -1
    f["energy"] = e
    synthetic(tmp_path / "h", f)
    r = PhaseSpaceReader(tmp_path / "h")
    want = [0, 1, 17, 100, 101, 299, 300]
    for chunk in (1, 7, 64, n):
        s = r.scan(want, chunk=chunk)
        assert s.histories == 300 and s.max_history_particles == sizes.max()
        np.testing.assert_array_equal(s.boundaries, starts[want])
    np.testing.assert_array_equal(r.history_starts(int(starts[17]), int(starts[40])), starts[17:41])
    with pytest.raises(ValueError):
        r.scan([301])


def test_scan_memory_is_o_boundaries(tmp_path):
    """10^6 records, 5 x 10^5 histories, 4 boundaries requested: the scan's peak memory stays at a few
    chunks (an array of all history starts would take 4 MB)."""
    n = 1_000_000
    f = {"type": np.ones(n, np.int8), "energy": np.where(np.arange(n) % 2 == 0, -1.0, 1.0).astype(F32)}
    synthetic(tmp_path / "m", f, stored=(), constants=[0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    r = PhaseSpaceReader(tmp_path / "m")
    tracemalloc.start()
    s = r.scan([0, 1000, 499_999, 500_000], chunk=1 << 12)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_array_equal(s.boundaries, [0, 2000, 999_998, n])
    assert s.histories == 500_000 and s.max_history_particles == 2
    assert peak < 1_000_000, peak


# ----------------------------------------------------------------------------------------- report

def test_info_text_and_plot(tmp_path):
    w = PhaseSpaceWriter(tmp_path / "r", title="report test")
    b = _write_some(w, 400)
    w.close(int(b["incremental"].sum()))
    text = info_text(tmp_path / "r.IAEAheader", bins=8)
    assert "report test" in text and "history flags: yes" in text and "photon energy histogram" in text
    assert f"particles:    {400}" in text
    out = plot(tmp_path / "r", tmp_path / "r.png", bins=30)
    assert out == tmp_path / "r.png" and out.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.IAEAheader", "r.IAEAphsp", "r.png"]
