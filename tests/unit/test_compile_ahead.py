"""mcdose.compile_ahead: the stand-ins have the Numba types of the arguments they describe, and a cold start
compiles the transport kernel in a second process (its electron transport in a third) whose cache entry the
building process then loads."""
import json
import os
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest

from mcdose.compile_ahead import describe, stand_in
from mcdose.kernels.mesh import MeshArrays


@pytest.mark.parametrize("array", [
    np.zeros((3, 4)), np.zeros((3, 4), order="F"), np.zeros((4, 6))[::2, ::3], np.zeros(5, np.int32),
    np.zeros((2, 2, 2), np.uint64), np.zeros(3)[::-1]])
@pytest.mark.parametrize("writeable", [True, False])
def test_stand_in_has_the_arrays_numba_type(array, writeable):
    array.flags.writeable = writeable
    assert numba.typeof(stand_in(describe(array))) == numba.typeof(array)


def test_stand_in_of_a_named_tuple_and_scalars():
    edges = np.linspace(0.0, 1.0, 5)
    edges.flags.writeable = False
    mesh = MeshArrays(1, edges, edges, np.zeros(3), np.zeros(4), np.array([4, 4, 1]), np.zeros(3))
    for value in (mesh, 3, 2.5, True):
        assert numba.typeof(stand_in(describe(value))) == numba.typeof(value)


CHILD = textwrap.dedent('''
    import json
    from mcdose.bench import x50
    from mcdose.config import validate
    from mcdose.kernels.transport import run_chunks
    from mcdose.problem import build_problem
    problem = build_problem(validate(x50.config(200, batches=1)), ahead=True)
    started = problem._ahead.process is not None
    problem.prepare()
    hits = sum(run_chunks.stats.cache_hits.values())
    again = build_problem(validate(x50.config(200, batches=1)), ahead=True)     # warm now: nothing to start
    tally = problem.transport_batch(3, 0, 200, threads=2)
    print(json.dumps({"started": started, "hits": hits, "again": again._ahead.process is not None,
                      "deposited": tally.counters["deposited"]}))
''')


def test_a_cold_start_compiles_the_transport_kernel_in_two_more_processes(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["started"] and report["hits"] == 1 and not report["again"]
    assert report["deposited"] > 0
    # the third process compiled track_electron for exactly the types of its call in run_chunks: the second
    # loaded it (one cache entry; a mismatch would have compiled and cached a second one)
    assert len(list((tmp_path / "numba").rglob("electron_transport.track_electron-*.nbc"))) == 1
