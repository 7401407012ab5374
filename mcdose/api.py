"""``mcdose.run``: configuration in, :class:`~mcdose.results.Result` out (optionally written to HDF5)."""
from __future__ import annotations

from pathlib import Path

from .config import load_config
from .results import Result

RUN_KEYS = ("histories", "batches", "seed", "threads")


def run(config, output=None, force: bool = False, resume: bool = False, progress: bool = False,
        **overrides) -> Result:
    """Run a configuration (TOML path, dict or Spec) and return its Result.

    overrides: ``histories``, ``batches``, ``seed``, ``threads`` (the [run] keys) or any
    ``"section.key"`` (e.g. ``**{"source.energy": 0.03}``). ``output``: HDF5 file written
    atomically; each finished batch is kept in the checkpoint folder ``OUT.h5.partials`` until
    the run completes. ``resume``: continue an interrupted run from that folder (every batch file
    verified first); ``force``: overwrite an existing output and discard an earlier run's batches.
    """
    from . import problem as _problem
    from .outputs import config_inputs
    from .runner import check_run_output, execute
    dotted = {(f"run.{k}" if k in RUN_KEYS else k): v for k, v in overrides.items() if v is not None}
    if output is not None:     # before the (costly) problem build
        check_run_output(Path(output), force, resume, inputs=config_inputs(config, dotted))
    spec = load_config(config, **dotted)
    problem = _problem.build_problem(spec)
    return execute(problem, spec, Path(output) if output is not None else None, force=force, resume=resume,
                   progress=progress)
