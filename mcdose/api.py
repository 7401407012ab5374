"""``mcdose.run``: configuration in, :class:`~mcdose.results.Result` out (optionally written to HDF5)."""
from __future__ import annotations

from pathlib import Path

from .config import load_config
from .results import Result

RUN_KEYS = ("histories", "batches", "seed", "threads")


def run(config, output=None, force: bool = False, resume: bool = False, progress: bool = False,
        uncertainty=None, scheduler: str | None = None, cluster: str | None = None, **overrides) -> Result:
    """Run a configuration (TOML path, dict or Spec) and return its Result.

    overrides: ``histories``, ``batches``, ``seed``, ``threads`` (the [run] keys) or any
    ``"section.key"`` (e.g. ``**{"source.energy": 0.03}``). ``output``: HDF5 file written
    atomically; each finished batch is kept in the checkpoint folder ``OUT.h5.partials`` until
    the run completes. ``resume``: continue an interrupted run from that folder (every batch file
    verified first); ``force``: overwrite an existing output and discard an earlier run's batches.
    ``uncertainty``: a :class:`mcdose.goal.UncertaintyGoal` (the run stops at the first batch prefix that
    reaches it; histories and batches are the budget). ``scheduler`` ("tcp://HOST:8786") or ``cluster``
    ("local:N", "ssh:host1,host2"): run the batches on Dask workers (:mod:`mcdose.cluster`); the result is
    the same, bit for bit.
    """
    from . import problem as _problem
    from .outputs import config_inputs
    from .runner import check_run_output, execute
    dotted = {(f"run.{k}" if k in RUN_KEYS else k): v for k, v in overrides.items() if v is not None}
    if output is not None:     # before the (costly) problem build
        check_run_output(Path(output), force, resume, inputs=config_inputs(config, dotted))
    spec = load_config(config, **dotted)
    executor = None
    if scheduler is not None or cluster is not None:     # arguments checked before the problem is built
        from .cluster import DaskExecutor
        executor = DaskExecutor(spec, scheduler=scheduler, cluster=cluster)
    problem = _problem.build_problem(spec, ahead=executor is None)
    if uncertainty is not None:
        uncertainty.check_target(problem)
    return execute(problem, spec, Path(output) if output is not None else None, force=force, resume=resume,
                   progress=progress, executor=executor, goal=uncertainty)


def run_or_read(config: dict, path: Path | None, threads: int = 0, log=print, seed_label: str = "") -> Result:
    """The result of ``config`` (a dict): read from ``path`` when the file there was made by exactly this run
    (the same run digest: resolved configuration and the bytes of the files it reads), else run (``threads``,
    0 = all cores) and written there (when a path is given). ``log`` gets one line per run or read,
    ``seed_label`` names the run in it."""
    from .results import load
    from .runner import run_digest
    if path is not None and path.is_file():
        previous = load(path)
        if previous.metadata.get("run_digest") == run_digest(load_config(config)):
            log(f"{path.name}: read")
            return previous
    log(f"{seed_label or (path.name if path is not None else 'run')}: running {config['run']['histories']:,} histories")
    return run(config, output=path, force=True, threads=threads or None)
