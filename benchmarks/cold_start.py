"""Benchmark: cold start (issue 21) -- the first run on a machine, with an empty Numba cache: the seconds spent
compiling the kernels, beside the same steps with the cache warm. As ``mcdose run`` does, the problem is built with
``ahead=True``: the transport kernel compiles in a second process (mcdose.compile_ahead), its electron transport in
a third, while this one builds the problem and compiles its voxel-mass kernels; preparing then waits for it and
loads it from the cache. The physics
tables come from their own cache in both (benchmarks.physics_tables measures their cold build). The problem:
examples/water_9MeV.toml, 200 histories.

Run: python -m benchmarks.cold_start
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from mcdose.bench.timing import cpu_model

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "water_9MeV.toml"
STEPS = ("import", "build (voxel-mass kernels; transport kernel in two more processes)", "prepare (wait, load)",
         "200 histories")
CHILD = """
import json, sys, time
t0 = time.perf_counter()
import mcdose
from mcdose.config import load_config
from mcdose.problem import build_problem
t1 = time.perf_counter()
problem = build_problem(load_config(sys.argv[1]), ahead=True)       # as mcdose run builds it
t2 = time.perf_counter()
problem.prepare()
t3 = time.perf_counter()
problem.transport_batch(1, 0, 200, threads=1)
t4 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2, t4 - t3]))
"""


def timed_steps(cache_dir: str) -> list:
    """Seconds of each of STEPS in a fresh interpreter whose Numba cache is ``cache_dir``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    done = subprocess.run([sys.executable, "-c", CHILD, str(EXAMPLE)], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    with tempfile.TemporaryDirectory() as cache:
        cold = timed_steps(cache)
        warm = timed_steps(cache)
    print(f"cold start of {EXAMPLE.name} ({cpu_model()})")
    print(f"{'step':<66}{'cold s':>9}{'warm s':>9}")
    for name, c, w in zip(STEPS, cold, warm):
        print(f"{name:<66}{c:>9.1f}{w:>9.1f}")
    print(f"{'total':<66}{sum(cold):>9.1f}{sum(warm):>9.1f}")
    print(f"compiling (cold - warm): {sum(cold) - sum(warm):.1f} s")


if __name__ == "__main__":
    main()
