"""IAEA phase spaces in runs (issue 16): files written at a plane by a run, read back as a source.

References: the in-memory plane scorer of the same plane (the same crossings), particlezoo (an independent
IAEA reader), the energy balance (what the source emits is exactly the file's energy times weight times
H / N_orig, each particle once per use), the geometry of the placement (mirror, turn, frame) computed with
numpy, and the direct run of the same problem (dose below the plane within statistics).
"""
import hashlib

import numpy as np
import pytest

import mcdose
from mcdose.bench import phase_space
from mcdose.errors import InputError
from mcdose.kernels.codes import MEC2
from mcdose.phsp import PhaseSpaceReader, PhaseSpaceWriter

pz = pytest.importorskip("particlezoo")

PLANE = 1.0
WRITER = {
    "run": {"histories": 4000, "batches": 4, "seed": 5},
    "source": {"type": "beam", "particle": "electron", "energy": 4.0, "radius": 1.0, "z": -0.5},
    "phantom": {"type": "box", "size": [8.0, 8.0, 4.0], "material": "water"},
    "scoring": {"x": [-2.0, 2.0], "y": [-2.0, 2.0], "z": [0.0, 1.0, 2.0, 3.0],
                "phase_space": [{"z": PLANE, "file": "plane.IAEAheader"}]},
    "scorers": [{"z": PLANE, "max_records": 1_000_000}],
}


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The writer run on 2 threads: (folder, result)."""
    folder = tmp_path_factory.mktemp("phsp")
    result = mcdose.run(WRITER, output=folder / "dose.h5", threads=2)
    return folder, result


def test_file_holds_the_planes_crossings_and_every_history(written):
    """The file's particles are the in-memory scorer's crossings of the same plane, in the same order
    (float32), with z the plane's; $ORIG_HISTORIES counts every history, those that crossed nothing too."""
    folder, result = written
    records = result.phase_space.records
    col = {k: result.phase_space.column(k) for k in ("history", "x", "y", "u", "v", "w", "energy", "weight", "kind")}
    reader = PhaseSpaceReader(folder / "plane.IAEAheader")
    assert reader.header.orig_histories == WRITER["run"]["histories"]
    assert reader.n_particles == len(records) > 1000
    p = reader.read(0, reader.n_particles)
    for key in ("x", "y", "u", "v", "energy", "weight"):
        np.testing.assert_allclose(getattr(p, key), col[key], rtol=2e-7, atol=1e-7)
    np.testing.assert_array_equal(np.sign(p.w), np.sign(col["w"]))
    np.testing.assert_array_equal(p.kind, col["kind"].astype(np.int8))
    assert np.all(p.z == np.float32(PLANE))
    batch_history = result.phase_space.column("batch") * 10**6 + col["history"]
    first = np.concatenate([[True], batch_history[1:] != batch_history[:-1]])
    np.testing.assert_array_equal(p.new_history, first)
    assert p.incremental.sum() <= WRITER["run"]["histories"]


def test_particlezoo_reads_the_runs_file(written):
    """An independent reader: the same count, original histories, first particles and new-history flags."""
    folder, _ = written
    ours = PhaseSpaceReader(folder / "plane.IAEAheader").read(0, 50)
    reader = pz.create_reader(str(folder / "plane.IAEAphsp"))
    assert reader.get_number_of_original_histories() == WRITER["run"]["histories"]
    assert reader.get_number_of_particles() == PhaseSpaceReader(folder / "plane.IAEAheader").n_particles
    cm, mev = pz.cm, pz.MeV
    for i in range(50):
        q = reader.get_next_particle()
        assert q.kinetic_energy / mev == pytest.approx(ours.energy[i], rel=1e-6)
        assert q.x / cm == pytest.approx(ours.x[i], rel=1e-6, abs=1e-6)
        assert q.pz == pytest.approx(ours.w[i], rel=1e-5, abs=1e-6)
        assert q.is_new_history == bool(ours.new_history[i])
    reader.close()


def test_file_is_the_same_bits_on_one_thread(written, tmp_path):
    folder, _ = written
    mcdose.run(WRITER, output=tmp_path / "dose.h5", threads=1)
    assert _digest(tmp_path / "plane.IAEAphsp") == _digest(folder / "plane.IAEAphsp")
    assert (tmp_path / "plane.IAEAheader").read_text() == (folder / "plane.IAEAheader").read_text()


def _reader_config(folder, **source):
    return {
        "run": {"histories": 1000, "batches": 3, "seed": 2},
        "source": {"type": "phase_space", "file": str(folder / "plane.IAEAheader"), **source},
        "phantom": {"type": "box", "size": [8.0, 8.0, 4.0], "material": "water"},
        "scoring": {"x": [-2.0, 2.0], "y": [-2.0, 2.0], "z": [1.0, 2.0, 3.0]},
    }


def _file_energy(folder, histories=None) -> tuple:
    """(sum of E w (positrons: E + 2 mc2) over the first ``histories`` histories, histories in the file,
    original histories), read by particlezoo."""
    reader = pz.create_reader(str(folder / "plane.IAEAphsp"))
    total, seen = 0.0, 0
    while reader.has_more_particles():
        q = reader.get_next_particle()
        if q.is_new_history:
            seen += 1
        if histories is not None and seen > histories:
            continue
        rest = 2 * MEC2 if q.get_pdg_code() == -11 else 0.0
        total += (q.kinetic_energy / pz.MeV + rest) * q.weight
    orig = reader.get_number_of_original_histories()
    reader.close()
    return total, seen, orig


@pytest.mark.parametrize("recycle, fraction", [(0, 1.0), (2, 1.0), (0, 0.37)])
def test_each_particle_is_emitted_once_per_use(written, recycle, fraction):
    """Disjoint batch segments: the energy emitted is exactly the file's (particlezoo's sum) times the uses,
    times H / N_orig; a run of part of the file emits its first histories' energy only."""
    folder, _ = written
    _, histories, orig = _file_energy(folder)
    n = int(fraction * histories)
    expected, _, _ = _file_energy(folder, n)
    config = _reader_config(folder, recycle=recycle, rotate="random")
    result = mcdose.run(config, histories=n * (recycle + 1), batches=3, threads=2)
    emitted = result.metadata["energy_emitted_MeV_per_particle"] * result.metadata["histories"]
    assert emitted == pytest.approx(expected * (recycle + 1) * histories / orig, rel=1e-6)


def test_dose_is_the_same_bits_for_any_thread_count(written):
    folder, _ = written
    config = _reader_config(folder, recycle=1, rotate="random")
    one = mcdose.run(config, threads=1)
    two = mcdose.run(config, threads=2)
    np.testing.assert_array_equal(one.dose, two.dose)
    assert one.dose.max() > 0


def test_run_needing_more_histories_than_the_file_is_refused(written):
    folder, _ = written
    _, histories, _ = _file_energy(folder)
    with pytest.raises(InputError, match=r"run.histories.*source.recycle to at least 1"):
        mcdose.run(_reader_config(folder), histories=histories + 1)


@pytest.mark.parametrize("bad, match", [({"particle": "photon"}, "source.particle"),
                                        ({"energy": 1.0}, "source.energy: not used"),
                                        ({"axis": [0.0, 0.0, 0.0]}, "source.axis")])
def test_bad_source_keys_are_refused(written, bad, match):
    folder, _ = written
    with pytest.raises(InputError, match=match):
        mcdose.run(_reader_config(folder, **bad), histories=10)


def test_output_file_is_never_an_input_nor_overwritten(written, tmp_path):
    """Writing the phase space the run reads is refused before any work, and so is an existing file."""
    folder, _ = written
    config = _reader_config(folder)
    config["scoring"]["phase_space"] = [{"z": 2.0, "file": "plane.IAEAheader"}]
    with pytest.raises(InputError, match="plane.IAEA"):
        mcdose.run(config, output=folder / "again.h5", histories=10)
    (tmp_path / "exit.IAEAphsp").write_bytes(b"")
    config["scoring"]["phase_space"] = [{"z": 2.0, "file": "exit.IAEAheader"}]
    with pytest.raises(InputError, match="exit.IAEAphsp"):
        mcdose.run(config, output=tmp_path / "again.h5", histories=10)


def _synthetic(path, n=200, seed=3):
    """A file of n histories of one electron each, leaving z = 0 at various points and directions."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    theta, phi = rng.uniform(0, 0.5, n), rng.uniform(0, 2 * np.pi, n)
    u, v, w = np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)
    with PhaseSpaceWriter(path, title="synthetic", constant_z=0.0) as writer:
        writer.write(np.full(n, 1, dtype=np.int8), x, y, np.zeros(n), u, v, w, np.full(n, 2.0), np.ones(n),
                     np.ones(n, dtype=bool), np.ones(n, dtype=np.int64))
        writer.close(orig_histories=n)
    p = PhaseSpaceReader(path).read(0, n)
    return np.column_stack([p.x, p.y, p.z]), np.column_stack([p.u, p.v, p.w])


@pytest.mark.parametrize("mirror, angle", [("none", 0.0), ("x", 90.0), ("y", 30.0)])
def test_placement_mirrors_turns_and_moves_the_file(tmp_path, mirror, angle):
    """In vacuum a particle flies straight: the crossings of a plane 1 cm along the placed axis are the
    file's points mirrored, turned about z, turned to ``axis`` and moved to ``center`` (numpy)."""
    pos, dirs = _synthetic(tmp_path / "s.IAEAheader")
    axis = np.array([0.0, 0.6, 0.8])
    center = np.array([0.5, -0.3, 3.0])
    config = {
        "run": {"histories": 200, "batches": 2},
        "source": {"type": "phase_space", "file": str(tmp_path / "s.IAEAheader"), "mirror": mirror,
                   "rotate": "fixed", "rotate_angle": angle, "center": center.tolist(), "axis": axis.tolist()},
        "phantom": {"type": "box", "size": [1.0, 1.0, 1.0], "material": "water", "world_margin": 10.0},
        "scoring": {"x": [-0.5, 0.5], "y": [-0.5, 0.5], "z": [0.0, 1.0]},
        "scorers": [{"point": (center + axis).tolist(), "normal": axis.tolist()}],
    }
    result = mcdose.run(config, threads=2)
    ps = result.phase_space
    assert len(ps.records) == 200
    flip = {"none": np.ones(3), "x": np.array([-1.0, 1, 1]), "y": np.array([1.0, -1, 1])}[mirror]
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    turn = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    from mcdose.geometry.scene import frame
    rotation = frame(axis).T @ turn
    d = (dirs * flip) @ rotation.T
    start = (pos * flip) @ rotation.T + center
    along = 1.0 / (d @ axis)
    expected = start + along[:, None] * d
    got = np.column_stack([ps.column("x"), ps.column("y"), ps.column("z")])
    order = ps.column("history").astype(int) + 100 * ps.column("batch").astype(int)
    np.testing.assert_allclose(got[np.argsort(order)], expected, atol=1e-9)
    got_d = np.column_stack([ps.column("u"), ps.column("v"), ps.column("w")])
    np.testing.assert_allclose(got_d[np.argsort(order)], d, atol=1e-12)


@pytest.mark.parametrize("size", ["ci", pytest.param("slow", marks=pytest.mark.slow)])
def test_ioert_phase_space_below_the_applicator_gives_the_direct_dose(tmp_path, size):
    """The IOERT workflow (mcdose.bench.phase_space, also run by mcdose bench): a NOVAC7-type 7 MeV 5-cm
    applicator on water scores a phase space 1 mm below the applicator exit (z = 0.1 cm, in the water); a run
    from it in water that starts there gives the direct run's axis dose below the plane: R50 within 0.5 mm and
    every 1-mm bin within 3 sigma. The sigmas come from 50 batches (good to about 10 %) and are added as if the
    runs were independent; they share the particles above the plane, so the differences spread less than that."""
    direct, rerun = phase_space.run(tmp_path, phase_space.HISTORIES[size])
    comparison = phase_space.compare(direct, rerun)
    assert comparison.passes, "\n" + comparison.table()
    assert comparison["R50"].reference > 2.0


def test_phsp_info_and_plot_commands(written, tmp_path, capsys):
    """`mcdose phsp info` prints the counts the scan finds; `plot` writes a figure; a missing file is one
    error line with exit status 2."""
    from mcdose import cli
    folder, _ = written
    scan = PhaseSpaceReader(folder / "plane.IAEAheader").scan()
    assert cli.main(["phsp", "info", str(folder / "plane.IAEAphsp")]) == 0
    out = capsys.readouterr().out
    assert f"{scan.counts['electron']:,}" in out and f"{WRITER['run']['histories']:,}" in out
    assert cli.main(["phsp", "plot", str(folder / "plane.IAEAheader"), "-o", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    assert cli.main(["phsp", "info", str(tmp_path / "missing.IAEAheader")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcdose: error: ") and err.count("\n") == 1 and "missing.IAEA" in err


def test_no_record_is_dropped_when_the_buffer_is_small(written, tmp_path, monkeypatch):
    """A record buffer of 10 overflows at once: the calls run again with more room and the file is the
    same bits as with room to spare."""
    from mcdose import problem
    folder, _ = written
    monkeypatch.setattr(problem, "FILE_RECORDS", 10)
    config = {**WRITER, "scorers": []}
    mcdose.run(config, output=tmp_path / "dose.h5", threads=2)
    assert _digest(tmp_path / "plane.IAEAphsp") == _digest(folder / "plane.IAEAphsp")


def test_missing_data_and_empty_files_are_refused(tmp_path):
    """A header without its data file, and a phase space of no particles: one clear error each."""
    with PhaseSpaceWriter(tmp_path / "empty.IAEAheader", title="empty", constant_z=0.0) as writer:
        writer.close(orig_histories=10)
    with pytest.raises(InputError, match="holds no particles"):
        mcdose.run({**_reader_config(tmp_path), "source": {"type": "phase_space",
                                                           "file": str(tmp_path / "empty.IAEAheader")}}, histories=10)
    _synthetic(tmp_path / "s.IAEAheader")
    (tmp_path / "s.IAEAphsp").unlink()
    with pytest.raises(InputError, match="s.IAEAphsp"):
        mcdose.run({**_reader_config(tmp_path), "source": {"type": "phase_space",
                                                           "file": str(tmp_path / "s.IAEAheader")}}, histories=10)
