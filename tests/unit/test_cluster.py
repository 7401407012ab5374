"""Dask distributed (issue 18): batches as tasks on real Dask components -- a `dask scheduler` with two
`dask worker` processes started (and stopped) here, a LocalCluster, a worker killed mid-run -- give the
same bits as the in-process run on 1 thread; bad addresses and cluster specs are clear input errors."""
import io
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import mcdose.api  # noqa: E402
from mcdose import cluster  # noqa: E402
from mcdose.cluster import DaskExecutor, parse_cluster, parse_scheduler, run_batch_task  # noqa: E402
from mcdose.config import load_config  # noqa: E402
from mcdose.errors import InputError  # noqa: E402
from mcdose.problem import build_problem  # noqa: E402
from mcdose.runner import RunPlan, execute, run_batch, run_digest  # noqa: E402

CONFIG = {"run": {"histories": 3000, "batches": 6, "seed": 11},
          "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0.0, 0.0, 3.0]},
          "phantom": {"type": "box", "material": "water", "size": [6.0, 6.0, 6.0]},
          "scoring": {"mesh": "spherical", "r_edges": [0.0, 0.5, 1.0, 2.0, 3.0], "center": [0.0, 0.0, 3.0]}}
LONG = {**CONFIG, "run": {"histories": 480_000, "batches": 24, "seed": 12}}     # ~3 s on one worker


def _same(result, reference):
    for name in ("dose", "uncertainty", "energy_deposited", "batch_dose"):
        assert getattr(reference, name) is not None, name
        np.testing.assert_array_equal(getattr(result, name), getattr(reference, name), err_msg=name)
    assert result.metadata["histories"] == reference.metadata["histories"]
    assert result.metadata["energy_emitted_MeV_per_particle"] == reference.metadata["energy_emitted_MeV_per_particle"]


@pytest.fixture(scope="module")
def runs():
    """(spec, problem, in-process reference Result on 1 thread) of CONFIG and LONG."""
    out = {}
    for name, config in (("short", CONFIG), ("long", LONG)):
        spec = load_config(config)
        out[name] = (spec, build_problem(spec), mcdose.api.run(config, threads=1))
    return out


class DaskProcesses:
    """A `dask scheduler` on 127.0.0.1 and `dask worker` processes, each in its own process group."""

    def __init__(self, folder: Path):
        self.folder, self.procs, self.workers = folder, [], []
        self.env = dict(os.environ)        # NUMBA_CACHE_DIR / MCDOSE_CACHE_DIR: the workers reuse the kernels
        self.address = None

    def _start(self, name, args):
        log = open(self.folder / f"{name}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", *args], stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                start_new_session=True, cwd=self.folder)
        log.close()
        self.procs.append(proc)
        return proc

    def start_scheduler(self):
        file = self.folder / "scheduler.json"
        self._start("scheduler", ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(file),
                                  "--idle-timeout", "120s"])   # gone by itself should this test process die
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.address = json.loads(file.read_text())["address"]
                return self.address
            except (OSError, ValueError, KeyError):
                time.sleep(0.05)
        raise RuntimeError(f"no scheduler: {self.logs()}")

    def start_workers(self, n):
        for i in range(n):
            self.workers.append(self._start(f"worker{len(self.workers)}", [
                "distributed.cli.dask_worker", self.address, "--nworkers", "1", "--nthreads", "1", "--no-nanny",
                "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "30"]))
        with distributed.Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(len(self.workers), timeout=60)

    def logs(self):
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in self.folder.glob("*.log"))

    def stop(self):
        for proc in reversed(self.procs):
            for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            try:
                os.killpg(proc.pid, signal.SIGKILL)    # whatever the group still holds
            except ProcessLookupError:
                pass


@pytest.fixture(scope="module")
def dask_processes(tmp_path_factory):
    procs = DaskProcesses(tmp_path_factory.mktemp("dask"))
    try:
        procs.start_scheduler()
        procs.start_workers(2)
        yield procs
    finally:
        procs.stop()
        assert all(p.poll() is not None for p in procs.procs)


def test_a_dask_scheduler_and_two_workers_give_the_in_process_bits(runs, dask_processes):
    spec, problem, reference = runs["short"]
    out = io.StringIO()
    result = execute(problem, spec, executor=DaskExecutor(spec, scheduler=dask_processes.address), stream=out)
    _same(result, reference)
    text = out.getvalue()
    assert f"dask: connected to {dask_processes.address}" in text and "dask: 2 workers" in text
    assert "batch 6/6  3,000 histories" in text


def test_a_worker_killed_mid_run_costs_nothing(runs, dask_processes):
    spec, problem, reference = runs["long"]
    victim = dask_processes.workers[-1]

    class KillAfterFirst(DaskExecutor):
        def run(self, plan, batches, stop=None):
            for i, partial in enumerate(super().run(plan, batches, stop)):
                if i == 0:
                    os.kill(victim.pid, signal.SIGKILL)
                yield partial

    executor = KillAfterFirst(spec, scheduler=dask_processes.address)
    result = execute(problem, spec, executor=executor, progress=False)
    assert victim.wait(5) == -signal.SIGKILL
    _same(result, reference)
    with distributed.Client(dask_processes.address, timeout=10, set_as_default=False) as client:
        assert len(client.scheduler_info(n_workers=-1)["workers"]) == 1     # the other worker did the rest


def test_a_stop_request_ends_the_run_while_no_worker_delivers(runs, dask_processes):
    spec, problem, _ = runs["long"]                    # batches of 0.1-0.2 s: none is ready after 0.05 s
    plan = RunPlan.of(spec, problem)
    with DaskExecutor(spec, scheduler=dask_processes.address) as executor:
        executor.connect()
        t0 = time.monotonic()
        got = list(executor.run(plan, range(plan.batches), stop=lambda: time.monotonic() - t0 > 0.05))
        assert len(got) < plan.batches and time.monotonic() - t0 < 5
        assert not executor._futures                    # the rest was cancelled


def test_a_local_cluster_gives_the_in_process_bits_and_leaves_no_process(runs, tmp_path):
    import psutil
    spec, problem, reference = runs["short"]

    def children():     # less multiprocessing's resource tracker, which lives as long as this process
        return {p.pid for p in psutil.Process().children(recursive=True)
                if "resource_tracker" not in " ".join(p.cmdline())}

    before = children()
    out = tmp_path / "local.h5"
    result = execute(problem, spec, out, executor=DaskExecutor(spec, cluster="local:2"), progress=False)
    _same(result, reference)
    assert out.exists() and not Path(f"{out}.partials").exists()
    deadline = time.monotonic() + 10
    while children() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not children() - before


def test_the_worker_task_builds_the_problem_once_and_returns_a_picklable_partial(runs):
    spec, problem, _ = runs["short"]
    plan = RunPlan.of(spec, problem)
    digest = run_digest(spec)
    cluster._PROBLEMS.clear()
    a = run_batch_task(spec.to_dict(), spec.source_path, digest, 2)
    built = cluster._PROBLEMS[digest]
    b = run_batch_task(spec.to_dict(), spec.source_path, digest, 3)
    assert cluster._PROBLEMS[digest] is built and len(cluster._PROBLEMS) == 1
    for p in (a, b):
        plan.verify(p)
        again = pickle.loads(pickle.dumps(p))
        assert again.checksum() == p.checksum() == run_batch(problem, plan, p.batch, 1).checksum()
    with pytest.raises(InputError, match="resolves differently"):
        run_batch_task(spec.to_dict(), spec.source_path, "0" * 64, 0)
    cluster._PROBLEMS.clear()


@pytest.mark.parametrize("address", ["http://127.0.0.1:8786", "tcp://127.0.0.1", "tcp://127.0.0.1:0",
                                     "tcp://127.0.0.1:99999", "tcp://bad host:8786", "", "8786"])
def test_a_bad_scheduler_address_is_refused_naming_the_option(address):
    with pytest.raises(InputError, match=r"--scheduler .*tcp://HOST:PORT or tls://HOST:PORT") as exc:
        DaskExecutor(load_config(CONFIG), scheduler=address)
    assert exc.value.__context__ is None


@pytest.mark.parametrize("spec", ["local:0", "local:two", "local:2:3", "kubernetes:3", "ssh:", "ssh:a,,b",
                                  "ssh:bad host", "LOCAL:2"])
def test_a_bad_cluster_spec_is_refused_naming_what_is_allowed(spec):
    with pytest.raises(InputError, match=r"--cluster .*local:N .*ssh:HOST1,HOST2"):
        parse_cluster(spec)


def test_cluster_and_scheduler_arguments():
    spec = load_config(CONFIG)
    assert parse_cluster("local:3") == ("local", 3)
    assert parse_cluster("local")[1] >= 1
    assert parse_cluster("ssh:node1,10.0.0.7, node3") == ("ssh", ("node1", "10.0.0.7", "node3"))
    assert parse_scheduler("tls://head.example.org:8786") == "tls://head.example.org:8786"
    assert parse_scheduler("tcp://[::1]:8786") == "tcp://[::1]:8786"
    ssh = DaskExecutor(spec, cluster="ssh:node1,node2")      # parsed only: nothing connects before prepare
    assert ssh.cluster_kind == ("ssh", ("node1", "node2")) and ssh.client is None
    for kwargs, what in (({}, "^give "), ({"scheduler": "tcp://a:1", "cluster": "local:2"}, "not both")):
        with pytest.raises(InputError, match=f"{what}.*--scheduler tcp://HOST:PORT .*--cluster local:N"):
            DaskExecutor(spec, **kwargs)


def test_a_scheduler_that_does_not_answer_is_an_input_error_within_the_timeout(runs):
    spec, problem, _ = runs["short"]
    with socket.socket() as silent:             # accepts connections (the kernel's backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        t0 = time.monotonic()
        with pytest.raises(InputError, match=rf"--scheduler {address}: no Dask scheduler answered within 2 s"):
            execute(problem, spec, executor=DaskExecutor(spec, scheduler=address, timeout=2), progress=False)
        assert time.monotonic() - t0 < 10


def test_the_command_line_on_a_scheduler_to_an_uncertainty_goal(runs, dask_processes, tmp_path, capsys):
    """`mcdose run --scheduler ... --uncertainty` stops at the same batch and gives the same bits as in process."""
    from mcdose.cli import main
    from mcdose.goal import UncertaintyGoal
    from mcdose.results import load
    config = tmp_path / "long.toml"
    config.write_text(load_config(LONG).text)
    reference = mcdose.api.run(config, threads=1, uncertainty=UncertaintyGoal.parse("3%"))
    assert reference.metadata["uncertainty_goal_met"] and reference.metadata["batches"] < 24
    out = tmp_path / "goal.h5"
    assert main(["run", str(config), "-o", str(out), "--scheduler", dask_processes.address, "--uncertainty", "3%",
                 "--quiet"]) == 0
    assert "uncertainty goal 3 % at the dose maximum: met" in capsys.readouterr().out
    result = load(out)
    assert result.metadata["batches"] == reference.metadata["batches"]
    for name in ("dose", "uncertainty", "energy_deposited"):
        np.testing.assert_array_equal(getattr(result, name), getattr(reference, name))
