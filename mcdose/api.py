"""``mcdose.run``: configuration in, :class:`~mcdose.results.Result` out (optionally written to HDF5)."""
from __future__ import annotations

from pathlib import Path

from .config import load_config
from .results import Result

RUN_KEYS = ("histories", "batches", "seed", "threads")


def run(config, output=None, force: bool = False, progress: bool = False, **overrides) -> Result:
    """Run a configuration (TOML path, dict or Spec) and return its Result.

    overrides: ``histories``, ``batches``, ``seed``, ``threads`` (the [run] keys) or any
    ``"section.key"`` (e.g. ``**{"source.energy": 0.03}``). ``output``: HDF5 file written
    atomically, checkpointed per batch and resumed if a checkpoint of the same configuration
    exists; an existing file is kept unless ``force``.
    """
    from .problem import build_problem
    from .results import check_output
    if output is not None:
        check_output(Path(output), force)     # before the (costly) problem build
    dotted = {(f"run.{k}" if k in RUN_KEYS else k): v for k, v in overrides.items() if v is not None}
    spec = load_config(config, **dotted)
    problem = build_problem(spec)
    from .runner import execute
    return execute(problem, spec, Path(output) if output is not None else None, force=force, progress=progress)
