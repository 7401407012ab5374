"""run-batch / merge (issue 18, item 2): part files of any batch ranges, merged in any order, give the
in-process run's bits; parts of other runs, batches given twice, missing batches and damaged files are
refused, naming the file."""
import itertools
import os
import random
import types

import h5py
import numpy as np
import pytest

import mcdose.api
from mcdose.batch_files import (cli_merge, cli_run_batch, format_batches, group_name, merge_files, parse_batches,
                                run_batches)
from mcdose.config import dumps_toml
from mcdose.errors import InputError
from mcdose.results import load

BATCHES = 6
CONFIG = {"run": {"histories": 3000, "batches": BATCHES, "seed": 11, "threads": 2},
          "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0.0, 0.0, 1.0]},
          "phantom": {"type": "box", "material": "water", "size": [4.0, 4.0, 4.0]},
          "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 0.5, 1.0, 2.0], "z_edges": [0.0, 0.5, 1.0, 2.0, 4.0]}}
SPLIT = ([0], [1, 2, 3], [4, 5])          # uneven, as three jobs


def _write_config(folder, config=CONFIG, name="run.toml"):
    path = folder / name
    path.write_text(dumps_toml(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The configuration file, its three part files and the in-process run (1 thread) to compare with."""
    folder = tmp_path_factory.mktemp("batch_files")
    config = _write_config(folder)
    parts = [run_batches(config, batches, folder / f"part_{i}.h5", threads=1 + i % 2)
             for i, batches in enumerate(SPLIT)]
    reference = mcdose.api.run(config, threads=1)
    return types.SimpleNamespace(folder=folder, config=config, parts=parts, reference=reference)


def _assert_same_bits(result, reference):
    for name in ("dose", "uncertainty", "energy_deposited", "batch_dose"):
        np.testing.assert_array_equal(getattr(result, name), getattr(reference, name), err_msg=name)
    np.testing.assert_array_equal(result.regions.energy, reference.regions.energy)
    np.testing.assert_array_equal(result.regions.uncertainty, reference.regions.uncertainty)
    for key in ("histories", "batches", "batches_requested", "seed", "energy_emitted_MeV_per_particle",
                "energy_deposited_MeV_per_particle", "energy_escaped_MeV_per_particle"):
        assert result.metadata[key] == reference.metadata[key], key
    assert _less_threads(result.metadata["config"]) == _less_threads(reference.metadata["config"])


def _less_threads(text):
    """The configuration text less run.threads (the reference ran on 1 thread, the parts on 1 and 2)."""
    return [line for line in text.splitlines() if not line.startswith("threads")]


def test_part_file_layout(run):
    with h5py.File(run.parts[1], "r") as f:
        assert f.attrs["format"] == "mcdose-batches" and f.attrs["format_version"] == 1
        assert f.attrs["batches"] == BATCHES and f.attrs["seed"] == 11 and f.attrs["histories"] == 3000
        assert f.attrs["mcdose_version"] == mcdose.__version__ and len(f.attrs["config_sha256"]) == 64
        assert f.attrs["config_source_path"] == str(run.config.resolve())
        assert "[run]" in f.attrs["config"]
        assert list(f.attrs["batch_indices"]) == [1, 2, 3]
        assert sorted(f) == [group_name(b) for b in (1, 2, 3)]
        g = f[group_name(2)]
        assert g.attrs["format"] == "mcdose-partial" and g.attrs["batch"] == 2 and g.attrs["histories"] == 500
        assert "checksum" in g.attrs and g["edep"].shape == (12,)
    assert not [p for p in os.listdir(run.folder) if p.endswith(".tmp")]


def test_merge_in_any_file_order_gives_the_in_process_bits(run, tmp_path):
    assert run.reference.batch_dose is not None
    orders = list(itertools.permutations(run.parts))
    random.Random(5).shuffle(orders)
    for order in orders[:3]:
        _assert_same_bits(merge_files(order), run.reference)
    out = tmp_path / "merged.h5"
    merged = merge_files(run.parts[::-1], out)
    _assert_same_bits(merged, run.reference)
    _assert_same_bits(load(out), run.reference)
    assert "stopped_by" not in load(out).metadata


def test_another_split_of_the_batches_gives_the_same_bits(run, tmp_path):
    other = [run_batches(run.config, "0-1,5", tmp_path / "a.h5"),
             run_batches(run.config, range(2, 5), tmp_path / "b.h5")]
    _assert_same_bits(merge_files([other[1], other[0]]), run.reference)


def test_a_batch_in_two_files_is_refused(run, tmp_path):
    extra = run_batches(run.config, [3], tmp_path / "again.h5")
    with pytest.raises(InputError, match=r"batch 3 is in both '.*part_1\.h5' and '.*again\.h5'"):
        merge_files(run.parts + [extra])
    with pytest.raises(InputError, match="given twice"):
        merge_files(run.parts + [run.parts[0]])


def test_missing_batches_are_refused_with_the_command_that_runs_them(run):
    with pytest.raises(InputError, match=r"batches 1-3 of 6 are missing; run them with mcdose run-batch "
                                         r".*run\.toml --batches 1-3 -o"):
        merge_files([run.parts[0], run.parts[2]])
    with pytest.raises(InputError, match=r"batch 0 of 6 is missing.*--batches 0 "):
        merge_files(run.parts[1:])


def test_allow_missing_gives_a_stopped_run_result(run, tmp_path):
    out = tmp_path / "incomplete.h5"
    result = merge_files([run.parts[2], run.parts[0]], out, allow_missing=True)
    md = load(out).metadata
    assert md["batches"] == 3 and md["batches_requested"] == BATCHES and md["histories"] == 1500
    assert "1-3" in md["stopped_by"] and md["stopped_by"] == result.metadata["stopped_by"]
    assert np.all(np.isfinite(result.dose)) and result.dose.max() > 0
    assert result.batch_dose is None                   # incomplete batch groups are not kept


def test_parts_of_another_seed_or_configuration_are_refused(run, tmp_path):
    seed = _write_config(tmp_path, {**CONFIG, "run": {**CONFIG["run"], "seed": 12}}, "seed.toml")
    other_seed = run_batches(seed, [1, 2, 3], tmp_path / "seed.h5")
    with pytest.raises(InputError, match=r"'.*part_0\.h5' and '.*seed\.h5' are of different runs: seed 11 vs 12"):
        merge_files([run.parts[0], other_seed, run.parts[2]])
    changed = _write_config(tmp_path, {**CONFIG, "source": {**CONFIG["source"], "energy": 0.06}}, "energy.toml")
    other_config = run_batches(changed, [1, 2, 3], tmp_path / "energy.h5")
    with pytest.raises(InputError, match=r"different runs: configuration digest"):
        merge_files([run.parts[0], other_config, run.parts[2]])


def test_threads_do_not_enter_the_digest(run, tmp_path):
    threads = _write_config(tmp_path, {**CONFIG, "run": {**CONFIG["run"], "threads": 3}}, "threads.toml")
    part = run_batches(threads, [1, 2, 3], tmp_path / "threads.h5")
    _assert_same_bits(merge_files([run.parts[0], part, run.parts[2]]), run.reference)


def _copy(src, dst):
    dst.write_bytes(src.read_bytes())
    return dst


def test_damaged_part_files_are_refused_naming_the_file(run, tmp_path):
    flipped = _copy(run.parts[1], tmp_path / "flipped.h5")
    with h5py.File(flipped, "r") as f:
        offset = f[group_name(2)]["edep"].id.get_offset()
    data = bytearray(flipped.read_bytes())
    data[offset + 3] ^= 0xFF
    flipped.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"part file '.*flipped\.h5': batch group 'batch-000002': "
                                         r"(checksum does not match|.*negative)"):
        merge_files([run.parts[0], flipped, run.parts[2]])
    truncated = _copy(run.parts[1], tmp_path / "truncated.h5")
    truncated.write_bytes(run.parts[1].read_bytes()[:len(run.parts[1].read_bytes()) // 2])
    with pytest.raises(InputError, match=r"part file '.*truncated\.h5': (not a readable HDF5|cannot be read)"):
        merge_files([run.parts[0], truncated, run.parts[2]])
    edited = _copy(run.parts[1], tmp_path / "edited.h5")
    with h5py.File(edited, "r+") as f:
        f[group_name(3)].attrs["counter_escaped"] = f[group_name(3)].attrs["counter_escaped"] + 1.0
    with pytest.raises(InputError, match=r"edited\.h5': batch group 'batch-000003': checksum"):
        merge_files([run.parts[0], edited, run.parts[2]])
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f.attrs["format"] = "mcdose-result"
    with pytest.raises(InputError, match=r"foreign\.h5': not an mcdose part file"):
        merge_files([foreign])
    link = tmp_path / "link.h5"
    link.symlink_to(run.parts[1])
    with pytest.raises(InputError, match=r"link\.h5': is not a regular file"):
        merge_files([run.parts[0], link, run.parts[2]])
    with pytest.raises(InputError, match=r"nothere\.h5': cannot be read"):
        merge_files([tmp_path / "nothere.h5"])


def test_parse_batches():
    assert parse_batches("0-9", 20) == list(range(10))
    assert parse_batches("4", 5) == [4]
    assert parse_batches(" 7, 0,3-4 ", 8) == [0, 3, 4, 7]
    for text, message in (("", "give batch indices"), ("a-b", "'a-b' in 'a-b' is not allowed"),
                          ("-1", "is not allowed"), ("5-3", "ends before it starts"),
                          ("0-20", r"'0-20' is outside this run's batches 0\.\.19"),
                          ("1,1", "given more than once"), ("0-3,2", r"batch\(es\) 2 given more than once"),
                          ("1.5", "not allowed")):
        with pytest.raises(InputError, match=message):
            parse_batches(text, 20)
    assert format_batches([3, 7, 8, 9]) == "3, 7-9" and format_batches([3, 7, 8, 9], ",") == "3,7-9"


def test_run_batches_refuses_bad_indices_and_outputs_before_any_work(run, tmp_path):
    with pytest.raises(InputError, match=r"batch 6 is outside this run's batches 0\.\.5"):
        run_batches(run.config, [2, 6], tmp_path / "p.h5")
    with pytest.raises(InputError, match="given more than once"):
        run_batches(run.config, [2, 2], tmp_path / "p.h5")
    with pytest.raises(InputError, match="no batch given"):
        run_batches(run.config, [], tmp_path / "p.h5")
    with pytest.raises(InputError, match="is an input of this run"):
        run_batches(run.config, [0], run.config, force=True)
    with pytest.raises(InputError, match="exists; use --force"):
        run_batches(run.config, [0], run.parts[0])
    link = tmp_path / "l.h5"
    link.symlink_to(tmp_path / "target.h5")
    with pytest.raises(InputError, match="symbolic link"):
        run_batches(run.config, [0], link)
    assert sorted(os.listdir(tmp_path)) == ["l.h5"]


def test_merge_refuses_an_output_over_an_input(run, tmp_path):
    with pytest.raises(InputError, match="is an input of this run"):
        merge_files(run.parts, run.parts[0], force=True)
    with pytest.raises(InputError, match="is an input of this run"):
        merge_files(run.parts, run.config, force=True)
    out = _copy(run.parts[0], tmp_path / "exists.h5")
    with pytest.raises(InputError, match="exists; use --force"):
        merge_files(run.parts, out)


def test_cli_functions(run, tmp_path, capsys):
    part = tmp_path / "cli_part.h5"
    from mcdose.cli import main
    assert main(["run-batch", str(run.config), "--batches", "1-3", "-o", str(part), "--quiet"]) == 0
    assert capsys.readouterr().out.strip().startswith(f"wrote {part}: batches 1-3 of 0..5, 1,500 histories")
    assert main(["run-batch", str(run.config), "--batches", "1-9", "-o", str(tmp_path / "x.h5")]) == 2
    assert "0..5" in capsys.readouterr().err
    args = types.SimpleNamespace(config=str(run.config), batches="1-3", output=str(part), force=True, threads=None,
                                 quiet=True)
    assert cli_run_batch(args) == 0
    assert capsys.readouterr().out.strip().startswith(f"wrote {part}: batches 1-3 of 0..5, 1,500 histories")
    out = tmp_path / "cli_out.h5"
    args = types.SimpleNamespace(parts=[str(run.parts[2]), str(part), str(run.parts[0])], output=str(out),
                                 force=False, allow_missing=False)
    assert cli_merge(args) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}: 3,000 histories in 6 of 6 batches from 3 part file(s)"
    _assert_same_bits(load(out), run.reference)


def test_plane_scorers_and_phase_space_files_match_the_in_process_run(tmp_path):
    """[[scorers]] records come back in batch order; a [[scoring.phase_space]] file is written beside the merged
    output, byte for byte the in-process run's."""
    config = {**CONFIG, "run": {**CONFIG["run"], "histories": 1200, "batches": 4},
              "scoring": {**CONFIG["scoring"], "phase_space": [{"z": 2.0, "file": "plane.IAEAheader"}]},
              "scorers": [{"z": 2.0}]}
    (tmp_path / "inproc").mkdir()
    (tmp_path / "parts").mkdir()
    path = _write_config(tmp_path, config)
    reference = mcdose.api.run(path, output=tmp_path / "inproc" / "dose.h5", threads=1)
    parts = [run_batches(path, b, tmp_path / "parts" / f"p{i}.h5") for i, b in enumerate(("2", "0-1", "3"))]
    merged = merge_files(parts, tmp_path / "parts" / "dose.h5")
    np.testing.assert_array_equal(merged.dose, reference.dose)
    assert len(merged.phase_space.records) > 0
    np.testing.assert_array_equal(merged.phase_space.records, reference.phase_space.records)
    for name in ("plane.IAEAheader", "plane.IAEAphsp"):
        assert (tmp_path / "parts" / name).read_bytes() == (tmp_path / "inproc" / name).read_bytes(), name
    with pytest.raises(InputError, match="exists"):           # the phase-space file, like the output, needs --force
        merge_files(parts, tmp_path / "parts" / "again.h5")


def test_a_run_with_variance_reduction_merges_to_the_in_process_bits(tmp_path):
    """Splitting and enhancement conserve energy on average only, so their partials are not refused for an
    energy balance that does not close history by history (it closes exactly only in analog runs)."""
    config = {**CONFIG, "source": {"type": "point", "particle": "electron", "energy": 0.1, "position": [0.0, 0.0, 1.0]},
              "phantom": {"type": "box", "material": "gold", "size": [4.0, 4.0, 4.0]},
              "variance_reduction": {"brems_splitting": 5, "brems_enhancement": 4.0}}
    path = _write_config(tmp_path, config)
    parts = [run_batches(path, batches, tmp_path / f"vr_{i}.h5") for i, batches in enumerate(SPLIT)]
    merged = merge_files(parts[::-1])
    reference = mcdose.api.run(path, threads=1)
    _assert_same_bits(merged, reference)
    m = merged.metadata
    assert m["energy_emitted_MeV_per_particle"] != m["energy_deposited_MeV_per_particle"] + \
        m["energy_escaped_MeV_per_particle"]                   # the balance closes on average only
