"""Runs spread over any scheduler: ``mcdose run-batch`` writes part files, ``mcdose merge`` adds them.

A run of B batches can be cut into jobs of any batch ranges -- a Slurm array, GNU parallel, an ssh
loop -- with no scheduler in mcdose's sight::

    mcdose run-batch plan.toml --batches 0-9   -o part_0.h5
    mcdose run-batch plan.toml --batches 10-19 -o part_1.h5
    mcdose merge part_*.h5 -o dose.h5

:func:`run_batches` builds the problem once, runs the batches it is given with
:func:`mcdose.runner.run_batch` (batch b draws from the streams (seed, b, history), so the machine and
the thread count do not matter) and writes them into ONE part file, atomically (a temporary renamed
once complete and fsync'd: a killed job leaves no file that looks complete). :func:`merge_files`
reads part files in any order, verifies every batch (format, types, checksum, energy balance, the run
it belongs to), refuses parts of different runs, a batch given twice and missing batches, and adds
them with :class:`mcdose.runner.Merger` in batch order: the dose is bit-identical to the in-process
``mcdose run`` of the same configuration, whatever file order and whatever batches went into which
file.

Part file layout (HDF5)::

    attributes  format = "mcdose-batches", format_version = 1,
                seed, batches (the run's batch count), histories (the run's), int64
                config_sha256 (mcdose.runner.run_digest), mcdose_version, config (resolved TOML text),
                config_source_path (the configuration file's absolute path; "" for a dict),
                batch_indices (int64 array: the batches held, ascending), elapsed_seconds (float64)
    /batch-000003 ...  one group per batch, the layout of a partial (mcdose.partials: attributes
                format = "mcdose-partial", batch, histories, seed, config_sha256, mcdose_version,
                checksum, counter_*; datasets edep, regions, phase_space), each with its own checksum

The merge rebuilds the problem from the configuration text stored in the part files, resolving its
relative file names (phantom.file, a phase-space source.file, machine files) against the folder of
``config_source_path``: the configuration's files must still be where they were when the batches ran.
A spectrum_file is read into the resolved configuration, so it is not needed again.
"""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import h5py
import numpy as np

from .errors import InputError
from .partials import read_partial_group, regular_file, write_partial
from .results import describe_attr, plain_attr, read_attr

FORMAT = "mcdose-batches"
FORMAT_VERSION = 1
GROUP = re.compile(r"batch-(\d{6,})")
RUN_ATTRS = ("mcdose_version", "seed", "batches", "histories", "config_sha256")   # the same in every part of a run


def group_name(batch: int) -> str:
    """The group of batch ``batch`` in a part file."""
    return f"batch-{batch:06d}"


# ---------------------------------------------------------------------------------------- batch lists

def parse_batches(text: str, total: int) -> list:
    """The batch indices of ``"i"``, ``"i-j"`` (inclusive) or a comma-separated list of those
    (``"0,3,5-9"``), ascending; each must be inside ``0..total-1`` and given once. InputError otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"--batches: {text!r} is not allowed: give batch indices like 0-9, 4 or 0,3,5-9 "
                         f"(this run has batches 0..{total - 1})")
    found = []
    for token in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", token)
        if not m:
            raise InputError(f"--batches: {token.strip()!r} in {text!r} is not allowed: each item is a batch "
                             f"index i or a range i-j of non-negative integers, e.g. 0-9 or 0,3,5-9")
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) is not None else first
        if last < first:
            raise InputError(f"--batches: range {token.strip()!r} is not allowed: it ends before it starts "
                             f"(write {last}-{first})")
        if last > total - 1:
            raise InputError(f"--batches: {token.strip()!r} is outside this run's batches 0..{total - 1} "
                             f"(run.batches = {total})")
        found.extend(range(first, last + 1))
    return _checked(found, total, "--batches")


def _checked(batches, total: int, what: str = "batches") -> list:
    """Batch indices (ints) inside 0..total-1, each once, ascending."""
    if isinstance(batches, str):
        return parse_batches(batches, total)
    try:
        values = [b for b in batches]
    except TypeError:
        raise InputError(f"{what}: {batches!r} is not allowed: a range or list of batch indices") from None
    if not values:
        raise InputError(f"{what}: no batch given; this run has batches 0..{total - 1}")
    for b in values:
        if isinstance(b, bool) or not isinstance(b, (int, np.integer)):
            raise InputError(f"{what}: {b!r} is not allowed: batch indices are integers 0..{total - 1}")
        if not 0 <= b < total:
            raise InputError(f"{what}: batch {b} is outside this run's batches 0..{total - 1} "
                             f"(run.batches = {total})")
    values = [int(b) for b in values]
    twice = sorted({b for b in values if values.count(b) > 1})
    if twice:
        raise InputError(f"{what}: batch(es) {format_batches(twice)} given more than once")
    return sorted(values)


def format_batches(batches, sep: str = ", ") -> str:
    """Ascending batch indices as ranges: [3, 7, 8, 9] -> "3, 7-9" (sep "," gives the --batches form)."""
    items, batches = [], sorted(batches)
    i = 0
    while i < len(batches):
        j = i
        while j + 1 < len(batches) and batches[j + 1] == batches[j] + 1:
            j += 1
        items.append(str(batches[i]) if i == j else f"{batches[i]}-{batches[j]}")
        i = j + 1
    return sep.join(items)


# ---------------------------------------------------------------------------------------- run-batch

def run_batches(config, batches, output, force: bool = False, threads: int | None = None,
                progress: bool = False, stream=None) -> Path:
    """Run batches ``batches`` of a configuration and write them into one part file ``output``.

    config: TOML path, dict or Spec (its files -- phantom.file, a phase space, a machine -- must still be
    where they are when the parts are merged: the merge rebuilds the problem from the stored
    configuration); batches: a range, a list of indices or a string like ``"0-9"``
    (:func:`parse_batches`), each inside ``0..run.batches-1``; output: the part file, written atomically
    (refused over an input, a link or, without ``force``, an existing file -- before any work);
    threads: overrides run.threads (which does not change a bit of the result). Returns the path.
    """
    from .config import load_config
    from .outputs import atomic_write, check_output, config_inputs
    from .problem import build_problem
    from .runner import Progress, RunPlan, run_batch
    output = Path(output)
    overrides = {"run.threads": threads} if threads is not None else {}
    check_output(output, force, inputs=config_inputs(config, overrides))     # before the (costly) build
    spec = load_config(config, **overrides)
    indices = _checked(batches, spec.run.batches)
    check_output(output, force, inputs=config_inputs(spec))
    problem = build_problem(spec, ahead=True)
    plan = RunPlan.of(spec, problem)
    bar = Progress(sum(plan.sizes[b] for b in indices), stream or sys.stderr, enabled=progress)
    prepare = getattr(problem, "prepare", None)
    if prepare is not None:
        bar.note("preparing the transport kernels (compiled once per installation, then cached) ... ")
        t = time.perf_counter()
        prepare()
        bar.note(f"ready in {time.perf_counter() - t:.1f} s\n")
    bar.start(0)

    def write(tmp):
        t0 = time.perf_counter()
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = np.int64(FORMAT_VERSION)
            for key, value in (("seed", plan.seed), ("batches", plan.batches), ("histories", spec.run.histories)):
                f.attrs[key] = np.int64(value)
            f.attrs["config_sha256"] = plan.digest
            f.attrs["mcdose_version"] = plan.version
            f.attrs["config"] = spec.text
            f.attrs["config_source_path"] = str(spec.source_path or "")
            f.attrs["batch_indices"] = np.asarray(indices, dtype=np.int64)
            done = 0
            for i, b in enumerate(indices):
                partial = run_batch(problem, plan, b, spec.run.threads)
                write_partial(f.create_group(group_name(b)), partial)
                done += partial.histories
                bar.update(i + 1, len(indices), done)
            f.attrs["elapsed_seconds"] = np.float64(time.perf_counter() - t0)

    return atomic_write(output, write)


# ---------------------------------------------------------------------------------------- merge

class _Part:
    """One part file's run attributes and batch groups, checked without reading the batches."""

    def __init__(self, path: Path):
        self.path = Path(path)
        regular_file(self.path, self.bad)
        try:
            f = h5py.File(self.path, "r")
        except OSError:
            raise self.bad("not a readable HDF5 file (truncated, still being written, or not HDF5)") from None
        with f:
            try:
                self._read_root(f)
            except InputError:
                raise
            except (OSError, KeyError, RuntimeError, ValueError) as exc:
                raise self.bad(f"cannot be read, the file is damaged ({type(exc).__name__}: {exc})") from None

    def bad(self, what: str) -> InputError:
        return InputError(f"part file {str(self.path)!r}: {what}")

    def _read_root(self, f: h5py.File) -> None:
        attrs = f.attrs
        if plain_attr(read_attr(attrs, "format")) != FORMAT:
            raise self.bad(f"not an mcdose part file (no format = {FORMAT!r} attribute; "
                           "mcdose run-batch writes them)")
        version = plain_attr(read_attr(attrs, "format_version"))
        if version != FORMAT_VERSION:
            raise self.bad(f"part-file format version {describe_attr(read_attr(attrs, 'format_version'))}; this "
                           f"mcdose reads version {FORMAT_VERSION}")
        kinds = {"seed": int, "batches": int, "histories": int, "config_sha256": str, "mcdose_version": str,
                 "config": str, "config_source_path": str, "elapsed_seconds": float}
        self.attrs = {}
        for key, kind in kinds.items():
            raw = read_attr(attrs, key)
            value = plain_attr(raw)
            if type(value) is not kind or (kind is float and not (np.isfinite(value) and value >= 0)):
                what = {int: "an integer", str: "a string", float: "a finite number >= 0"}[kind]
                raise self.bad(f"attribute {key!r} must be {what}, got {describe_attr(raw)}")
            self.attrs[key] = value
        if self.attrs["batches"] < 1:
            raise self.bad(f"attribute 'batches' must be >= 1, got {self.attrs['batches']}")
        self.batches = {}                 # batch index -> group name
        for name in f:
            m = GROUP.fullmatch(name)
            if not m or not isinstance(f.get(name, getlink=True), h5py.HardLink) or \
                    not isinstance(f.get(name), h5py.Group):
                raise self.bad(f"holds {name!r}, which is not a batch group mcdose writes (batch-NNNNNN)")
            b = int(m.group(1))
            if name != group_name(b) or not 0 <= b < self.attrs["batches"]:
                raise self.bad(f"group {name!r} is not a batch of this run's 0..{self.attrs['batches'] - 1}")
            self.batches[b] = name
        listed = read_attr(attrs, "batch_indices")
        listed = np.asarray(listed) if listed is not None else np.zeros(0)
        if listed.dtype.kind not in "iu" or listed.ndim != 1 or sorted(self.batches) != listed.tolist():
            raise self.bad("its batch groups are not the batches its attribute 'batch_indices' lists "
                           "(the file was changed or damaged)")
        if not self.batches:
            raise self.bad("holds no batch")

    def read(self, b: int, plan):
        """The verified partial of batch ``b``."""
        name = self.batches[b]

        def bad(what):
            return self.bad(f"batch group {name!r}: {what}")

        with h5py.File(self.path, "r") as f:
            partial = read_partial_group(f[name], plan, bad)
        if partial.batch != b:
            raise bad(f"holds batch {partial.batch}, not the batch its name says")
        return partial


def merge_files(paths, output=None, force: bool = False, allow_missing: bool = False):
    """The Result of part files written by :func:`run_batches` (any order), optionally written to ``output``.

    Every file is input and checked as such (a regular file, not a link; its format, attributes and every
    batch group: types, checksum, energy balance, the run it belongs to), and the error names the file and
    what is wrong. All parts must be of one run (same mcdose version, seed, batch count, histories and
    configuration digest), each batch in one file only; missing batches are refused with the command that
    runs them, unless ``allow_missing`` -- then the result holds the batches found and is marked like a
    stopped run (metadata ``batches`` < ``batches_requested``, ``stopped_by`` naming the missing ones).
    The problem is rebuilt from the configuration stored in the part files: its files (phantom.file, a
    phase-space source.file, a machine file) must still be where they were when the batches ran.
    The batches are added in batch order (:class:`mcdose.runner.Merger`), so the dose is bit-identical
    to ``mcdose.api.run(config)`` whatever the file order and split. ``output``: written atomically,
    refused over an input (a part file, the configuration or its files) or, without ``force``, an
    existing file; [[scoring.phase_space]] files are written beside it, as a run writes them.
    """
    from . import runner
    from .config import tomllib, validate
    from .outputs import check_output, config_inputs
    from .problem import build_problem
    from .runner import Merger, RunPlan, run_digest
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("merge: no part file given")
    seen_paths = set()
    for p in paths:
        key = os.path.normpath(os.path.abspath(p))
        if key in seen_paths:
            raise InputError(f"part file {str(p)!r} is given twice; give each file once")
        seen_paths.add(key)
    inputs = [("a part file", p) for p in paths]
    if output is not None:
        check_output(Path(output), force, inputs=inputs)
    parts = [_Part(p) for p in paths]
    first = parts[0]
    for part in parts[1:]:
        for key in RUN_ATTRS:
            a, b = first.attrs[key], part.attrs[key]
            if a != b:
                what = "configuration digest (config_sha256)" if key == "config_sha256" else key
                raise InputError(f"part files {str(first.path)!r} and {str(part.path)!r} are of different runs: "
                                 f"{what} {a} vs {b}; merge only the parts of one run")
    owner = {}
    for part in parts:
        for b in part.batches:
            if b in owner:
                raise InputError(f"batch {b} is in both {str(owner[b].path)!r} and {str(part.path)!r}; each batch "
                                 "merges once: leave one of the files out (or run the batches again without overlap)")
            owner[b] = part
    total = first.attrs["batches"]
    missing = [b for b in range(total) if b not in owner]
    source_path = first.attrs["config_source_path"] or None
    config_name = source_path or "CONFIG"
    if missing and not allow_missing:
        noun = "batch" if len(missing) == 1 else "batches"
        verb = "is" if len(missing) == 1 else "are"
        raise InputError(f"{noun} {format_batches(missing)} of {total} {verb} missing; run them with "
                         f"mcdose run-batch {config_name} --batches {format_batches(missing, ',')} -o PART.h5 "
                         "and merge again (or merge with --allow-missing for a result of the batches found)")
    try:
        spec = validate(tomllib.loads(first.attrs["config"]), source_path=source_path)
    except tomllib.TOMLDecodeError as exc:
        raise first.bad(f"attribute 'config' is not TOML text ({exc})") from None
    except InputError as exc:
        raise first.bad(f"its configuration cannot be rebuilt here: {exc} (are the configuration's files "
                        "still where they were?)") from None
    if run_digest(spec) != first.attrs["config_sha256"]:
        raise first.bad("its stored configuration does not give its configuration digest (the file was changed, "
                        "or this mcdose resolves the configuration differently)")
    if spec.run.batches != total or spec.run.seed != first.attrs["seed"] or \
            spec.run.histories != first.attrs["histories"]:
        raise first.bad("its attributes seed/batches/histories differ from its stored configuration")
    if output is not None:
        check_output(Path(output), force, inputs=inputs + config_inputs(spec))
    problem = build_problem(spec)
    plan = RunPlan.of(spec, problem)
    if plan.version != first.attrs["mcdose_version"]:
        raise first.bad(f"made by mcdose {first.attrs['mcdose_version']}, this is {plan.version}; run the batches "
                        "again with this version (or merge with the version that made them)")
    elapsed = sum(part.attrs["elapsed_seconds"] for part in parts)
    stopped_by = f"merge: batches {format_batches(missing)} missing" if missing else ""
    out = Path(output) if output is not None else None
    with runner._scored_files(problem, spec, out, force) as files:
        merger = Merger(problem, spec, files)
        for b in sorted(owner):                 # batch order: nothing waits in memory
            merger.add(owner[b].read(b, plan))
        result = merger.result(elapsed, stopped_by)
        if out is not None:
            result.save(out, force=True)        # checked above (force or a new file)
    return result


# ---------------------------------------------------------------------------------------- CLI

def cli_run_batch(args) -> int:
    """``mcdose run-batch CONFIG --batches I-J -o PART.h5 [--force] [--threads N] [--quiet]``."""
    t0 = time.perf_counter()
    out = run_batches(args.config, args.batches, args.output, force=args.force,
                      threads=getattr(args, "threads", None), progress=not getattr(args, "quiet", False))
    with h5py.File(out, "r") as f:
        held, total = [int(b) for b in f.attrs["batch_indices"]], int(f.attrs["batches"])
        histories = sum(int(f[group_name(b)].attrs["histories"]) for b in held)
    print(f"wrote {out}: batches {format_batches(held)} of 0..{total - 1}, {histories:,} histories, "
          f"{time.perf_counter() - t0:.1f} s")
    return 0


def cli_merge(args) -> int:
    """``mcdose merge PART.h5 ... -o OUT.h5 [--force] [--allow-missing]``."""
    result = merge_files(args.parts, args.output, force=args.force, allow_missing=args.allow_missing)
    md = result.metadata
    print(f"wrote {args.output}: {md['histories']:,} histories in {md['batches']} of {md['batches_requested']} "
          f"batches from {len(args.parts)} part file(s)")
    if "stopped_by" in md:
        print(f"incomplete: {md['stopped_by']}", file=sys.stderr)
    return 0
