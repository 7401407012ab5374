"""Benchmark: a run on a Dask LocalCluster of 1 and 2 worker processes, and Dask's overhead per batch.

Run: python -m benchmarks.cluster [--histories N] [--batches B] [--tiny B]
(needs the ``cluster`` extra: pip install 'mcdose[cluster]').

1. Parallel efficiency: a fixed problem (50 keV photons from a point in a water box, cylindrical mesh), N
   histories in B batches, in this process on one Numba thread (LocalExecutor), then on a LocalCluster
   of 1 and of 2 worker processes (one Numba thread each). The times are the run's elapsed_seconds: from
   the first batch to the merged result, after the kernels were loaded and the problem was built on each
   worker (both outside the clock, as in a long run). Parallel efficiency = T(1 worker) / (2 T(2 workers)).
   Every result is checked bit for bit against the in-process one.
2. Overhead per batch: the same many tiny batches in this process and on one Dask worker; the difference
   per batch is what Dask adds (submit, schedule, run the task, send the partial back, merge) -- for a
   small mesh and for a mesh of 250,000 bins (2 MB per partial). From it and this problem's seconds per
   history: the histories per batch that keep the overhead below 2 % (a batch of at least overhead / 0.02
   seconds of transport).
"""
import argparse
import os

import numpy as np

PROBLEM = {"source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0.0, 0.0, 0.0]},
           "phantom": {"type": "box", "material": "water", "size": [10.0, 10.0, 10.0]},
           "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 0.5, 1.0, 2.0, 3.0, 5.0],
                       "z_edges": [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0]}}
BIG_MESH = {"mesh": "cartesian", "x_edges": list(np.linspace(-5, 5, 51)), "y_edges": list(np.linspace(-5, 5, 51)),
            "z_edges": list(np.linspace(0, 10, 101))}                                   # 250,000 bins
TARGET = 0.02


def _config(histories, batches, seed=1, scoring=None):
    return {"run": {"histories": histories, "batches": batches, "seed": seed, "threads": 1},
            **PROBLEM, "scoring": scoring or PROBLEM["scoring"]}


def _timed(config, executor_of):
    """(elapsed_seconds, Result) of ``config`` through the executor ``executor_of(spec)`` (None: in process)."""
    from mcdose.config import load_config
    from mcdose.problem import build_problem
    from mcdose.runner import execute
    spec = load_config(config)
    problem = build_problem(spec)
    executor = executor_of(spec) if executor_of else None
    result = execute(problem, spec, executor=executor, progress=False)
    return result.metadata["elapsed_seconds"], result


def _same(a, b):
    np.testing.assert_array_equal(a.dose, b.dose)
    np.testing.assert_array_equal(a.uncertainty, b.uncertainty)


def _cluster(n):
    from mcdose.cluster import DaskExecutor
    return lambda spec: DaskExecutor(spec, cluster=f"local:{n}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--histories", type=int, default=2_000_000)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--tiny", type=int, default=100, help="tiny batches for the overhead (default 100)")
    args = ap.parse_args(argv)
    import distributed
    import mcdose
    print(f"mcdose {mcdose.__version__}, dask distributed {distributed.__version__}, {os.cpu_count()} CPU cores")

    config = _config(args.histories, args.batches)
    _timed(_config(20_000, 2), None)                          # kernels loaded, tables cached
    rows = [("in process, 1 thread", 1, *_timed(config, None))]
    for n in (1, 2):
        rows.append((f"LocalCluster, {n} worker{'s' * (n > 1)}", n, *_timed(config, _cluster(n))))
    reference = rows[0][3]
    print(f"\n1. {args.histories:,} histories in {args.batches} batches "
          f"({args.histories // args.batches:,} per batch), 50 keV photons in water")
    print(f"{'':<26}{'cores':>6}{'time s':>9}{'hist/s':>12}{'per core':>11}")
    for name, cores, elapsed, result in rows:
        _same(result, reference)
        rate = args.histories / elapsed
        print(f"{name:<26}{cores:>6}{elapsed:>9.2f}{rate:>12,.0f}{rate / cores:>11,.0f}")
    t0, t1, t2 = (r[2] for r in rows)
    print(f"parallel efficiency 2 vs 1 worker: {t1 / (2 * t2):.2f}; 2 workers vs in process: {t0 / (2 * t2):.2f} "
          "(every result bit-identical to the in-process one)")
    print(f"1 worker vs in process: {100 * (t1 / t0 - 1):+.1f} % ({1e3 * (t1 - t0) / args.batches:.0f} ms per batch; "
          "on a machine with few cores the scheduler, nanny and client take some of the workers' CPU)")
    per_history = t0 / args.histories

    print(f"\n2. overhead per batch: {args.tiny} tiny batches, in process vs one Dask worker")
    print(f"{'mesh':<22}{'histories':>10}{'in process s':>14}{'1 worker s':>12}{'per batch ms':>14}"
          f"{'2 % at hist/batch':>19}")
    worst = 0.0
    for label, scoring in (("cylindrical, 30 bins", None), ("cartesian, 250,000 bins", BIG_MESH)):
        tiny = _config(10 * args.tiny, args.tiny, seed=2, scoring=scoring)
        local, a = _timed(tiny, None)
        dask, b = _timed(tiny, _cluster(1))
        _same(a, b)
        per_batch = max(dask - local, 0.0) / args.tiny
        worst = max(worst, per_batch)
        need = per_batch / (TARGET * per_history)
        print(f"{label:<22}{10 * args.tiny:>10,}{local:>14.3f}{dask:>12.3f}{1e3 * per_batch:>14.2f}{need:>19,.0f}")
    print(f"(this problem runs {1 / per_history:,.0f} histories/s on one core: a batch of at least "
          f"{worst / TARGET:.2f} s keeps Dask's overhead below {TARGET:.0%} even with the large mesh; a slower "
          "problem needs fewer histories per batch)")


if __name__ == "__main__":
    main()
