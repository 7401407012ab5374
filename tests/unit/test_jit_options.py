"""The rule of kernels/_jit.py: a kernel compiled without reference counting (``refcount=False``, the default)
returns no array; an array returned by such a function would lack the reference its caller releases, and the
data would be freed while still in use. (Numba itself refuses to compile an allocation in such a function.)

Checked by the types of every overload of every jit function of the kernels and the physics table builders
compiled by small E6 (electrons, cylindrical mesh, spin on) and X50 (photons) runs with their voxel masses, in
a child process with an empty Numba cache: functions loaded from the cache inside a cached caller are never
typed, so a warm cache would leave nothing to check."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

AUDIT = textwrap.dedent('''
    import importlib, json, pkgutil
    from numba.core import types
    from numba.core.registry import CPUDispatcher
    import mcdose.kernels, mcdose.physics
    from mcdose.bench import egsnrc_electrons, x50
    from mcdose.config import validate
    from mcdose.problem import build_problem

    for raw in (egsnrc_electrons.config("E6", 20, batches=1, spin=True), x50.config(20, batches=1)):
        problem = build_problem(validate(raw))
        problem.prepare()
        problem.transport_batch(1, 0, 20, threads=1)

    def has_array(t):
        if isinstance(t, types.Array):
            return True
        return isinstance(t, types.BaseTuple) and any(has_array(u) for u in t.types)

    report = {"borrowing": [], "checked": 0, "violations": []}
    for package in (mcdose.kernels, mcdose.physics):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(package.__name__ + "." + info.name)
            for name, value in vars(module).items():
                if not (isinstance(value, CPUDispatcher) and value.py_func.__module__ == module.__name__):
                    continue
                if value.targetoptions.get("_nrt", True):
                    continue
                report["borrowing"].append(module.__name__ + "." + name)
                for sig in value.signatures:
                    report["checked"] += 1
                    returned = value.overloads[sig].signature.return_type
                    if has_array(returned):
                        report["violations"].append(module.__name__ + "." + name + " returns " + str(returned))
    print(json.dumps(report))
''')


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path_factory.mktemp("numba_cache")))
    done = subprocess.run([sys.executable, "-c", AUDIT], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_transport_kernels_borrow_their_arrays(audit):
    for name in ("electron_transport.track_electron", "photon_transport.track_photon", "geometry.safety",
                 "geometry.cross", "mesh.trace_mesh", "electron_interactions.sample_msc_mu"):
        assert f"mcdose.kernels.{name}" in audit["borrowing"]


def test_no_borrowing_kernel_returns_an_array(audit):
    assert audit["violations"] == []
    assert audit["checked"] > 50          # the transport's kernels were compiled and typed
